/* The week page (timetracking/week.html): live totals while typing. Display only: the server
   saves and checks the hours. Loaded with defer, so the grid is there when it runs. */
(function () {
  var grid = document.querySelector("table.week-grid");
  if (!grid) return;
  function fmt(n) { return (n / 100).toFixed(2).replace(/\.?0+$/, ""); }
  function hundredths(v) { var x = parseFloat(v); return isFinite(x) && /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(v) ? Math.round(x * 100) : 0; }
  grid.addEventListener("input", function () {
    var rows = {}, cols = {}, all = 0;
    grid.querySelectorAll("input[data-row]").forEach(function (el) {
      var h = hundredths(el.value);
      rows[el.dataset.row] = (rows[el.dataset.row] || 0) + h;
      cols[el.dataset.col] = (cols[el.dataset.col] || 0) + h;
      all += h;
    });
    Object.keys(rows).forEach(function (r) { var el = document.getElementById("row-total-" + r); if (el) el.textContent = fmt(rows[r]); });
    for (var c = 1; c <= 7; c++) { var el = document.getElementById("day-total-" + c); if (el) el.textContent = fmt(cols[c] || 0); }
    document.getElementById("grid-total").textContent = fmt(all);
    document.querySelector("#week-total strong").textContent = fmt(all) + " h";
  });
})();
