/* Draws the dashboards' Plotly figures.
 *
 * Each chart is an element <div data-chart="ID"> and a <script type="application/json" id="ID"> block
 * (Django's json_script) holding {data, layout, config} built by reports/charts.py. No inline script, so a
 * strict Content Security Policy can be switched on. plotly.js is the vendored basic bundle.
 */
(function () {
  "use strict";

  var drawn = [];

  function readFigure(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  // Plotly's own texts (the toolbar's tooltips) in the page's language: the vendored Japanese locale on a
  // Japanese page, plotly.js's built-in English otherwise.
  function pageLocale() {
    var lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    return lang.split("-")[0] === "ja" ? "ja" : "en";
  }

  function draw(element) {
    var figure = readFigure(element);
    if (!figure || typeof window.Plotly === "undefined") {
      element.classList.add("chart-unavailable");
      return;
    }
    var config = Object.assign({}, figure.config || {}, { locale: pageLocale() });
    window.Plotly.newPlot(element, figure.data || [], figure.layout || {}, config).then(function () {
      element.classList.add("chart-drawn");
      drawn.push(element);
      scalable(element);
      element.on("plotly_afterplot", function () {
        scalable(element);
      });
    });
  }

  // Give each of the chart's layered SVGs a viewBox of its drawn size: on screen nothing changes, and the
  // print stylesheet can then shrink a chart drawn for a wide screen to the paper's width, whole (Plotly's
  // own resize is asynchronous and comes too late for printing).
  function scalable(element) {
    var layers = element.querySelectorAll("svg.main-svg");
    Array.prototype.forEach.call(layers, function (svg) {
      var width = svg.getAttribute("width");
      var height = svg.getAttribute("height");
      if (width && height) {
        svg.setAttribute("viewBox", "0 0 " + width + " " + height);
        svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
      }
    });
  }

  function resizeAll() {
    drawn.forEach(function (element) {
      window.Plotly.Plots.resize(element);
    });
  }

  function start() {
    var elements = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(elements, draw);
    // Paper is narrower than the screen: redraw to the printed width, and back afterwards.
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      var onChange = function () {
        resizeAll();
      };
      if (print.addEventListener) {
        print.addEventListener("change", onChange);
      } else if (print.addListener) {
        print.addListener(onChange);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
