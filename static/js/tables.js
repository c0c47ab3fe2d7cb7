/* Wide tables scroll inside their own box (the {% scrollbox %} tag in lib/templatetags/layout.py).
 *
 * Marks a box "is-scrollable" while its table is wider than the box, which shows the note
 * 「横にスクロールできます」 above it; the edge shadows are pure CSS (static/css/app.css).
 */
(function () {
  "use strict";

  function mark() {
    var boxes = document.querySelectorAll(".scroll-box");
    Array.prototype.forEach.call(boxes, function (box) {
      var region = box.querySelector(".table-scroll");
      box.classList.toggle("is-scrollable", !!region && region.scrollWidth > region.clientWidth + 1);
    });
  }

  function start() {
    mark();
    window.addEventListener("resize", mark);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
