/* postmortem-kb: the search prompt of the internal home page (templates/home_search.html.j2)
   opens the site's own search box, as the theme's "/" key does. The prompt is `hidden` in
   the page: without this script (or without the theme's search box) it never shows.
   Offline: no requests, no dependencies. */
(function () {
  "use strict";

  function openSearch() {
    // mkdocs-material's search is a checkbox toggle (#__search) and its input.
    var toggle = document.getElementById("__search");
    var input = document.querySelector("input.md-search__input");
    if (toggle && !toggle.checked) {
      toggle.checked = true;
      toggle.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (input) {
      input.focus();
    }
  }

  function setUp() {
    var search = document.querySelector("input.md-search__input");
    Array.prototype.forEach.call(document.querySelectorAll("button.pmkb-search-prompt"),
      function (button) {
        if (!search || button.hasAttribute("data-pmkb-ready")) {
          return;
        }
        button.setAttribute("data-pmkb-ready", "");
        button.addEventListener("click", openSearch);
        button.hidden = false;
      });
  }

  // mkdocs-material announces every page it shows (also with instant loading) on document$.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
