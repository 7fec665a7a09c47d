/* postmortem-kb: the filter and the sorting of incident lists (incidents/, the per-tag,
   service, severity and year pages, the gallery). The markup contract is in
   templates/filter.html.j2: a hidden <form class="pmkb-filters" data-pmkb-filter-for="ID">
   with one <select> per facet (its options are the facet's values), and items `.pmkb-item`
   inside #ID carrying data-<facet> = space-separated slugs.

   Each select becomes a button opening a panel of chips; several chips of one facet may be on
   (an item matches any of them), facets combine with AND, and with the text box this script
   adds: every word typed must be in the item's text. The count reads "N of M incidents";
   each chip shows how many items it would leave given the other choices (0: disabled), each
   facet's button how many of its chips are on. A list that is a table with class
   `pmkb-sortable` sorts by the headers marked `pmkb-sortable-col` (a cell's hidden
   `.pmkb-sort-key`, else its text, is what sorts). The state lives in the URL hash
   (#tags=dns&tags=capacity&severity=sev-1&q=disk&sort=-duration; keys get "ID." in front
   when a page has several filters), so a filtered view can be shared.

   Progressive: without this script the form stays hidden and every item shows, in the
   order the page has them. Offline: no requests, no dependencies. */
(function () {
  "use strict";

  var FORMS = "form.pmkb-filters[data-pmkb-filter-for]";
  /* The first click on a column sorts this way: newest, longest first; the rest A to Z
     (severity: worst first, its key being the place on the scale). */
  var FIRST_DESCENDING = { date: true, duration: true };

  function hashParams() {
    var hash = window.location.hash.slice(1);
    // A plain anchor (#timeline) is not filter state.
    return new URLSearchParams(hash.indexOf("=") >= 0 ? hash : "");
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) {
      el.className = className;
    }
    if (text !== undefined) {
      el.textContent = text;
    }
    return el;
  }

  /* The words of an item the text box searches: what it shows, not its sort keys. */
  function itemText(el) {
    var copy = el.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll(".pmkb-sort-key"), function (key) {
      key.remove();
    });
    return copy.textContent.replace(/\s+/g, " ").toLowerCase();
  }

  /* A facet's select becomes a button that opens a panel of chips (a <details>, so it opens
     with the keyboard too), in the form's top row. */
  function facetOf(select, top, before) {
    var group = select.closest(".pmkb-filter");
    var label = group.querySelector(".pmkb-filter-label");
    var options = Array.prototype.filter.call(select.options, function (option) {
      return option.value;
    }).map(function (option) {
      var chip = element("button", "pmkb-chip-option", option.getAttribute("data-label"));
      chip.type = "button";
      chip.setAttribute("aria-pressed", "false");
      chip.setAttribute("data-value", option.value);
      var count = element("span", "pmkb-chip-count");
      chip.appendChild(count);
      return { value: option.value, chip: chip, count: count };
    });
    var menu = element("details", "pmkb-facet");
    menu.setAttribute("data-facet", select.name);
    var summary = element("summary", "pmkb-facet-button", label ? label.textContent : select.name);
    var chosenCount = element("span", "pmkb-facet-chosen");
    summary.appendChild(chosenCount);
    var panel = element("div", "pmkb-facet-panel");
    panel.setAttribute("role", "group");
    panel.setAttribute("aria-label", summary.textContent);
    options.forEach(function (option) {
      panel.appendChild(option.chip);
    });
    menu.appendChild(summary);
    menu.appendChild(panel);
    group.hidden = true;
    top.insertBefore(menu, before);
    return { key: select.name, options: options, chosen: [], menu: menu, chosenCount: chosenCount };
  }

  function setUp(form, prefixed) {
    var container = document.getElementById(form.getAttribute("data-pmkb-filter-for"));
    if (!container || form.hasAttribute("data-pmkb-ready")) {
      return;
    }
    form.setAttribute("data-pmkb-ready", "");
    var noun = form.getAttribute("data-pmkb-noun") || "incidents";
    var prefix = prefixed ? form.getAttribute("data-pmkb-filter-for") + "." : "";
    var top = form.querySelector(".pmkb-filter-top");
    var count = form.querySelector(".pmkb-filter-count");
    var facets = Array.prototype.map.call(form.querySelectorAll("select[name]"), function (select) {
      return facetOf(select, top, count);
    });
    var items = Array.prototype.map.call(container.querySelectorAll(".pmkb-item"), function (el) {
      var values = {};
      facets.forEach(function (facet) {
        values[facet.key] = (el.getAttribute("data-" + facet.key) || "")
          .split(/\s+/).filter(Boolean);
      });
      return { el: el, values: values, text: itemText(el) };
    });
    var text = element("input", "pmkb-filter-text");
    text.type = "search";
    text.placeholder = "Filter " + noun + " by words";
    text.setAttribute("aria-label", "Filter " + noun + " by words");
    text.autocomplete = "off";
    top.insertBefore(text, top.firstChild);
    var sorter = setUpSorting(container, prefix);

    function words() {
      return text.value.toLowerCase().split(/\s+/).filter(Boolean);
    }

    function matches(item, typed, except) {
      var inFacets = facets.every(function (facet) {
        return facet === except || !facet.chosen.length || facet.chosen.some(function (value) {
          return item.values[facet.key].indexOf(value) >= 0;
        });
      });
      return inFacets && typed.every(function (word) {
        return item.text.indexOf(word) >= 0;
      });
    }

    function apply() {
      var typed = words();
      var shown = 0;
      items.forEach(function (item) {
        var visible = matches(item, typed);
        item.el.hidden = !visible;
        shown += visible ? 1 : 0;
      });
      if (count) {
        count.textContent = shown + " of " + items.length + " " + noun;
      }
      facets.forEach(function (facet) {
        var tally = {};
        items.forEach(function (item) {
          if (matches(item, typed, facet)) {
            item.values[facet.key].forEach(function (value) {
              tally[value] = (tally[value] || 0) + 1;
            });
          }
        });
        facet.options.forEach(function (option) {
          var on = facet.chosen.indexOf(option.value) >= 0;
          var left = tally[option.value] || 0;
          option.count.textContent = String(left);
          option.chip.setAttribute("aria-pressed", on ? "true" : "false");
          option.chip.disabled = left === 0 && !on;
        });
        facet.chosenCount.textContent = facet.chosen.length ? String(facet.chosen.length) : "";
        facet.menu.classList.toggle("pmkb-facet-active", facet.chosen.length > 0);
      });
    }

    function readHash() {
      var params = hashParams();
      facets.forEach(function (facet) {
        var known = facet.options.map(function (option) {
          return option.value;
        });
        facet.chosen = params.getAll(prefix + facet.key).filter(function (value) {
          return known.indexOf(value) >= 0;
        });
      });
      text.value = params.get(prefix + "q") || "";
      if (sorter) {
        sorter.read(params.get(prefix + "sort") || "");
      }
    }

    function writeHash() {
      var params = hashParams(); // keeps the state of other filters on the page
      facets.forEach(function (facet) {
        params.delete(prefix + facet.key);
        facet.chosen.forEach(function (value) {
          params.append(prefix + facet.key, value);
        });
      });
      params.delete(prefix + "q");
      if (text.value.trim()) {
        params.set(prefix + "q", text.value.trim());
      }
      params.delete(prefix + "sort");
      if (sorter && sorter.state()) {
        params.set(prefix + "sort", sorter.state());
      }
      var hash = params.toString();
      var url = window.location.pathname + window.location.search + (hash ? "#" + hash : "");
      window.history.replaceState(window.history.state, "", url);
    }

    function changed() {
      apply();
      writeHash();
    }

    facets.forEach(function (facet) {
      facet.options.forEach(function (option) {
        option.chip.addEventListener("click", function () {
          var at = facet.chosen.indexOf(option.value);
          if (at >= 0) {
            facet.chosen.splice(at, 1);
          } else {
            facet.chosen.push(option.value);
          }
          changed();
        });
      });
      facet.menu.addEventListener("toggle", function () {
        if (facet.menu.open) {
          facets.forEach(function (other) {
            if (other !== facet) {
              other.menu.open = false;
            }
          });
        }
      });
    });
    // An open panel closes with Escape, or a click anywhere else.
    document.addEventListener("click", function (event) {
      facets.forEach(function (facet) {
        if (facet.menu.open && !facet.menu.contains(event.target)) {
          facet.menu.open = false;
        }
      });
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        facets.forEach(function (facet) {
          if (facet.menu.open) {
            facet.menu.open = false;
            facet.menu.querySelector("summary").focus();
          }
        });
      }
    });
    text.addEventListener("input", changed);
    if (sorter) {
      sorter.onChange = writeHash;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    form.querySelector(".pmkb-filter-reset").addEventListener("click", function () {
      facets.forEach(function (facet) {
        facet.chosen = [];
      });
      text.value = "";
      if (sorter) {
        sorter.read("");
      }
      changed();
    });
    window.addEventListener("hashchange", function () {
      readHash();
      apply();
    });
    readHash();
    apply();
    form.hidden = false;
  }

  /* Sorting by the column headers of a `table.pmkb-sortable` in the container: a button in
     each sortable header, `aria-sort` on the column in use. "" is the page's own order. */
  function setUpSorting(container, prefix) {
    var table = container.querySelector("table.pmkb-sortable");
    if (!table || !table.tBodies.length) {
      return null;
    }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var columns = {};
    var current = "";
    var sorter = { onChange: null };
    headers.forEach(function (th, index) {
      var name = (th.className.match(/pmkb-col-([a-z]+)/) || [])[1];
      if (!name || !th.classList.contains("pmkb-sortable-col")) {
        return;
      }
      columns[name] = { index: index, th: th };
      var button = element("button", "pmkb-sort", th.textContent);
      button.type = "button";
      button.title = "Sort by " + th.textContent.toLowerCase();
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var now = current || (columns.date ? "-date" : ""); // the page's own order
        var descending = now === name ? true : now === "-" + name ? false
          : !!FIRST_DESCENDING[name];
        sorter.read((descending ? "-" : "") + name);
        if (sorter.onChange) {
          sorter.onChange();
        }
      });
    });

    function key(row, index) {
      var cell = row.cells[index];
      var explicit = cell && cell.querySelector(".pmkb-sort-key");
      var value = (explicit ? explicit.textContent : cell ? cell.textContent : "").trim();
      return value === "" ? null : /^-?\d+(\.\d+)?$/.test(value) ? parseFloat(value)
        : value.toLowerCase();
    }

    sorter.read = function (state) {
      var name = state.replace(/^-/, "");
      var column = columns[name];
      current = column ? state : "";
      headers.forEach(function (th) {
        th.removeAttribute("aria-sort");
      });
      var order = rows.slice();
      if (column) {
        var sign = state.charAt(0) === "-" ? -1 : 1;
        order.sort(function (a, b) {
          var x = key(a, column.index);
          var y = key(b, column.index);
          if (x === null || y === null) {
            // Rows without a value go last either way.
            return x === y ? rows.indexOf(a) - rows.indexOf(b) : x === null ? 1 : -1;
          }
          return (x < y ? -sign : x > y ? sign : 0) || rows.indexOf(a) - rows.indexOf(b);
        });
        column.th.setAttribute("aria-sort", sign < 0 ? "descending" : "ascending");
      } else if (columns.date) {
        columns.date.th.setAttribute("aria-sort", "descending"); // the page's own order
      }
      order.forEach(function (row) {
        body.appendChild(row);
      });
    };
    sorter.state = function () {
      return current;
    };
    return sorter;
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
