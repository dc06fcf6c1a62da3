// mentor-match pages: small enhancements only; every page works without them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // "Select all on this page" for the bulk approval.
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="proposal"]').forEach(function (box) {
          box.checked = all.checked;
        });
      });
    }
    // "Back" on the error page goes back in history when there is one.
    document.querySelectorAll("[data-back]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (window.history.length > 1) {
          event.preventDefault();
          window.history.back();
        }
      });
    });
  });
})();
