// Switches the language as soon as one is chosen (an external file: the Content-Security-Policy
// allows no inline event handlers).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.lang-switch select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
