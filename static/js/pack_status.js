/* The page of a meeting pack being made (templates/pack/build_status.html): asks the server every few
 * seconds whether the pack is ready (?check=1 answers {"status": "building" | "done" | "failed"}), then
 * opens it in place of this page, or shows the page saying it could not be made. Without this script the
 * page's 「今すぐ確認する」 button asks the same. No timed reload of the page itself (WCAG 2.2.1).
 */
(function () {
  "use strict";

  function start() {
    var box = document.getElementById("pack-status");
    if (!box || !window.fetch) {
      return;
    }
    var wait = (Number(box.getAttribute("data-interval")) || 5) * 1000;

    function check() {
      window
        .fetch(box.getAttribute("data-check-url"), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer && answer.status === "done") {
            window.location.replace(box.getAttribute("data-pack-url"));
          } else if (answer && answer.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(check, wait);
          }
        })
        .catch(function () {
          window.setTimeout(check, wait);
        });
    }

    window.setTimeout(check, wait);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
