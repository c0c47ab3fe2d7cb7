/* Entry screen: Enter / ↓ moves down the actual-value column, ↑ moves up; warns before leaving unsaved input. */
(function () {
  "use strict";

  function init() {
    var form = document.querySelector("form.entry-form");
    if (!form) {
      return;
    }
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input.entry-value"));
    inputs.forEach(function (input, index) {
      input.addEventListener("keydown", function (event) {
        // While an IME is converting (全角入力), Enter confirms the conversion: leave it alone.
        if (event.isComposing || event.keyCode === 229) {
          return;
        }
        var target = null;
        if (event.key === "Enter" || event.key === "ArrowDown") {
          target = inputs[index + 1];
        } else if (event.key === "ArrowUp") {
          target = inputs[index - 1];
        } else {
          return;
        }
        // Enter never submits the form from the value column; the buttons do.
        event.preventDefault();
        if (target) {
          target.focus();
          target.select();
        }
      });
    });

    var dirty = false;
    form.addEventListener("input", function () {
      dirty = true;
    });
    form.addEventListener("submit", function () {
      dirty = false;
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
