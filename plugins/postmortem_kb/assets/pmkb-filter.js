/* postmortem-kb: the facet filter of incident lists (incidents/, the per-tag, service,
   severity and year pages, the gallery). The markup contract is in templates/filter.md.j2:
   a hidden <form class="pmkb-filters" data-pmkb-filter-for="ID"> with one <select> per facet,
   and items `.pmkb-item` inside #ID carrying data-<facet> = space-separated slugs.

   Facets combine with AND; each select picks one value (or all). An item matches a facet when
   its data-<facet> holds the chosen slug. The count reads "N of M incidents"; each option shows
   how many items it would leave given the other choices (0: disabled). The state lives in the
   URL hash (#tags=dns&severity=sev-1; keys get "ID." in front when a page has several filters),
   so a filtered view can be shared. Without this script the form stays hidden and every item
   shows. Offline: no requests, no dependencies. */
(function () {
  "use strict";

  var FORMS = "form.pmkb-filters[data-pmkb-filter-for]";

  function hashParams() {
    var hash = window.location.hash.slice(1);
    // A plain anchor (#timeline) is not filter state.
    return new URLSearchParams(hash.indexOf("=") >= 0 ? hash : "");
  }

  function setUp(form, prefixed) {
    var container = document.getElementById(form.getAttribute("data-pmkb-filter-for"));
    if (!container || form.hasAttribute("data-pmkb-ready")) {
      return;
    }
    form.setAttribute("data-pmkb-ready", "");
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[name]"));
    var items = Array.prototype.map.call(container.querySelectorAll(".pmkb-item"), function (el) {
      var values = {};
      selects.forEach(function (select) {
        values[select.name] = (el.getAttribute("data-" + select.name) || "")
          .split(/\s+/).filter(Boolean);
      });
      return { el: el, values: values };
    });
    var count = form.querySelector(".pmkb-filter-count");
    var noun = form.getAttribute("data-pmkb-noun") || "incidents";
    var prefix = prefixed ? form.getAttribute("data-pmkb-filter-for") + "." : "";

    function choice() {
      var chosen = {};
      selects.forEach(function (select) {
        if (select.value) {
          chosen[select.name] = select.value;
        }
      });
      return chosen;
    }

    function matches(item, chosen, except) {
      return Object.keys(chosen).every(function (key) {
        return key === except || item.values[key].indexOf(chosen[key]) >= 0;
      });
    }

    function apply() {
      var chosen = choice();
      var shown = 0;
      items.forEach(function (item) {
        var visible = matches(item, chosen);
        item.el.hidden = !visible;
        shown += visible ? 1 : 0;
      });
      if (count) {
        count.textContent = shown + " of " + items.length + " " + noun;
      }
      selects.forEach(function (select) {
        var tally = {};
        items.forEach(function (item) {
          if (matches(item, chosen, select.name)) {
            item.values[select.name].forEach(function (value) {
              tally[value] = (tally[value] || 0) + 1;
            });
          }
        });
        Array.prototype.forEach.call(select.options, function (option) {
          if (option.value) {
            var left = tally[option.value] || 0;
            option.textContent = option.getAttribute("data-label") + " (" + left + ")";
            option.disabled = left === 0 && option.value !== select.value;
          }
        });
      });
    }

    function readHash() {
      var params = hashParams();
      selects.forEach(function (select) {
        var wanted = params.get(prefix + select.name) || "";
        var known = Array.prototype.some.call(select.options, function (option) {
          return option.value === wanted;
        });
        select.value = known ? wanted : "";
      });
    }

    function writeHash() {
      var params = hashParams(); // keeps the state of other filters on the page
      selects.forEach(function (select) {
        if (select.value) {
          params.set(prefix + select.name, select.value);
        } else {
          params.delete(prefix + select.name);
        }
      });
      var hash = params.toString();
      var url = window.location.pathname + window.location.search + (hash ? "#" + hash : "");
      window.history.replaceState(window.history.state, "", url);
    }

    form.addEventListener("change", function () {
      apply();
      writeHash();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    form.querySelector(".pmkb-filter-reset").addEventListener("click", function () {
      selects.forEach(function (select) {
        select.value = "";
      });
      apply();
      writeHash();
    });
    window.addEventListener("hashchange", function () {
      readHash();
      apply();
    });
    readHash();
    apply();
    form.hidden = false;
  }

  function setUpAll() {
    var forms = document.querySelectorAll(FORMS);
    Array.prototype.forEach.call(forms, function (form) {
      setUp(form, forms.length > 1);
    });
  }

  // mkdocs-material announces every page it shows (also with instant loading) on document$.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(setUpAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
