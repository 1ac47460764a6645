/* Behaviour of every page, without inline scripts (the Content-Security-Policy allows scripts from the
   site's own files only): a select that submits its form on change, a print button, a back link. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("select[data-submit]") && t.form) t.form.submit();
  });
  document.addEventListener("click", function (e) {
    var t = e.target && e.target.closest ? e.target : null;
    if (!t) return;
    if (t.closest("[data-print]")) { e.preventDefault(); window.print(); }
    else if (t.closest("[data-back]")) { e.preventDefault(); window.history.back(); }
  });
})();
