// List filters as drop-downs (templates/admin/portal/dropdown_filter.html): shows the select,
// hides the column of links it replaces, and opens the chosen option's link. An external file:
// the Content-Security-Policy allows no inline script. Without JavaScript the links stay.
(function () {
  if (window.portalDropdownFilters) { return; }  // the template includes this once per filter
  window.portalDropdownFilters = true;
  function setUp() {
    document.querySelectorAll("select[data-filter-links]").forEach(function (select) {
      var links = select.parentNode.querySelector(".dropdown-filter-links");
      if (links) { links.hidden = true; }
      select.hidden = false;
      select.addEventListener("change", function () {
        window.location.href = select.value;
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
