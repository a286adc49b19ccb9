/* Charts of the PMO reports (Chart.js); the tables below them hold the same data. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("portal-charts");
    if (!source || typeof Chart === "undefined") return;
    var charts = JSON.parse(source.textContent || "{}");
    var style = getComputedStyle(document.body);
    var fg = style.getPropertyValue("--md-default-fg-color").trim() || "#333";
    var palette = ["#3f51b5", "#26a69a", "#ff9100", "#e53935"];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = charts[canvas.getAttribute("data-chart")];
      if (!spec) return;
      new Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (d, i) {
            return { label: d.label, data: d.data, backgroundColor: palette[i % palette.length],
                     borderColor: palette[i % palette.length], tension: 0.2 };
          })
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { labels: { color: fg } } },
          scales: {
            x: { stacked: !!spec.stacked, ticks: { color: fg } },
            y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { color: fg, precision: 0 } }
          }
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
