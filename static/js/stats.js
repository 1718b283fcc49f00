// Openness charts (ECharts): the unit dashboard reads its data from a JSON block on the page,
// the district dashboard fetches its trend from the URL in data-url. No inline handlers.
(function () {
  "use strict";

  function chart(id) {
    var node = document.getElementById(id);
    if (!node || typeof echarts === "undefined") return null;
    var instance = echarts.init(node);
    window.addEventListener("resize", function () { instance.resize(); });
    return instance;
  }

  function unitCharts(data) {
    var months = chart("chart-months");
    if (months) {
      months.setOption({
        tooltip: { trigger: "axis" },
        legend: { data: [data.labels.open, data.labels.committed, data.labels.booked] },
        xAxis: { type: "category", data: data.months },
        yAxis: { type: "value" },
        series: [
          { name: data.labels.open, type: "bar", data: data.open },
          { name: data.labels.committed, type: "line", data: data.committed },
          { name: data.labels.booked, type: "bar", data: data.booked }
        ]
      });
    }
    var venues = chart("chart-venues");
    if (venues) {
      venues.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 140 },
        xAxis: { type: "value", name: data.labels.utilization },
        yAxis: { type: "category", data: data.venues },
        series: [{ name: data.labels.utilization, type: "bar", data: data.utilization,
                   markLine: { data: [{ xAxis: 10 }], symbol: "none" } }]
      });
    }
    var heatmap = chart("chart-heatmap");
    if (heatmap) {
      var max = data.heatmap.reduce(function (m, cell) { return Math.max(m, cell[2]); }, 1);
      var hours = [];
      for (var h = 0; h < 24; h++) hours.push(String(h).padStart(2, "0"));
      heatmap.setOption({
        tooltip: { position: "top" },
        grid: { top: 10, bottom: 60 },
        xAxis: { type: "category", data: hours, splitArea: { show: true } },
        yAxis: { type: "category", data: data.labels.weekdays, inverse: true,
                 splitArea: { show: true } },
        visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center",
                     bottom: 0 },
        series: [{ name: data.labels.bookings, type: "heatmap", data: data.heatmap }]
      });
    }
    var communities = chart("chart-communities");
    if (communities) {
      communities.setOption({
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "70%"], data: data.communities }]
      });
    }
  }

  function trendChart(node) {
    fetch(node.dataset.url, { credentials: "same-origin",
                              headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var trend = chart(node.id);
        if (!trend) return;
        trend.setOption({
          tooltip: { trigger: "axis" },
          legend: { data: [data.labels.open, data.labels.committed, data.labels.booked,
                           data.labels.utilization] },
          xAxis: { type: "category", data: data.months },
          yAxis: [{ type: "value" }, { type: "value", max: function (v) {
            return Math.max(1, v.max); } }],
          series: [
            { name: data.labels.open, type: "bar", data: data.open_hours },
            { name: data.labels.committed, type: "line", data: data.committed_hours },
            { name: data.labels.booked, type: "bar", data: data.booked_hours },
            { name: data.labels.utilization, type: "line", yAxisIndex: 1,
              data: data.utilization }
          ]
        });
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var block = document.getElementById("unit-chart-data");
    if (block) unitCharts(JSON.parse(block.textContent));
    var trend = document.getElementById("chart-trend");
    if (trend && trend.dataset.url) trendChart(trend);
  });
})();
