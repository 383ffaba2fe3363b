/* The week page (timetracking/week.html): live totals while typing. Display only: the server
   saves and checks the hours. Loaded with defer, so the grid is there when it runs. */
(function () {
  var grid = document.querySelector("table.week-grid");
  if (!grid) return;
  function fmt(n) { return (n / 100).toFixed(2).replace(/\.?0+$/, ""); }
  /* What the server's hours parser accepts (psa.core.numbers.parse_hours): 7.5, 7,5 and 7:30;
     anything it refuses counts 0 here, and the server names the reason on save. */
  function hundredths(v) {
    var t = v.trim(), m = /^([0-9]{1,3}):([0-5][0-9])$/.exec(t);
    if (m) return Math.round((parseInt(m[1], 10) + parseInt(m[2], 10) / 60) * 100);
    m = /^([0-9]*)(?:[.,]([0-9]{1,2}))?$/.exec(t);
    if (!m || !(m[1] || m[2])) return 0;
    return parseInt(m[1] || "0", 10) * 100 + (m[2] ? parseInt((m[2] + "0").slice(0, 2), 10) : 0);
  }
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
    var week = document.getElementById("week-total");
    week.querySelector("strong").textContent = fmt(all) + " h";
    /* The same states as the server's rules.week_state: short, complete, over. */
    var weekly = hundredths(week.dataset.weekly || "0"), note = week.querySelector(".week-note");
    week.classList.remove("ok", "short", "over");
    if (all < weekly) { week.classList.add("short"); note.textContent = " · " + fmt(weekly - all) + " h to go"; }
    else if (all > weekly) { week.classList.add("over"); note.textContent = " · " + fmt(all - weekly) + " h over the week's hours: check before you submit"; }
    else { week.classList.add("ok"); note.textContent = ""; }
    for (var d = 1; d <= 7; d++) {
      var cell = document.getElementById("day-total-" + d);
      if (cell) cell.classList.toggle("over", (cols[d] || 0) > hundredths(cell.dataset.normal || "0"));
    }
  });
})();

/* Below a tablet's width the grid shows one day at a time, with the previous and next day a
   tap away (today's first when it is in the week). Only the columns are hidden: every cell
   stays in the form and is saved with it. Without script, the whole week scrolls sideways
   in its frame as before. */
(function () {
  var grid = document.getElementById("week-grid"), nav = document.getElementById("day-nav");
  if (!grid || !nav) return;
  var heads = grid.querySelectorAll("thead th[data-day]"), shown = 1;
  var narrow = window.matchMedia("(max-width: 767.98px)");
  heads.forEach(function (th) { if (th.dataset.date === grid.dataset.today) shown = parseInt(th.dataset.day, 10); });
  function show() {
    var one = narrow.matches;
    grid.classList.toggle("one-day", one);
    nav.hidden = !one;
    grid.querySelectorAll("[data-day]").forEach(function (el) {
      el.classList.toggle("off", one && el.dataset.day !== String(shown));
    });
    var th = heads[shown - 1];
    nav.querySelector(".day-shown").textContent = th ? th.dataset.label : "";
    nav.querySelector('[data-step="-1"]').disabled = shown <= 1;
    nav.querySelector('[data-step="1"]').disabled = shown >= heads.length;
  }
  nav.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-step]");
    if (!button) return;
    shown = Math.min(Math.max(shown + parseInt(button.dataset.step, 10), 1), heads.length);
    show();
  });
  /* A refused cell's day comes first, so its message is in sight. */
  var bad = grid.querySelector("td.has-error[data-day]");
  if (bad) shown = parseInt(bad.dataset.day, 10);
  narrow.addEventListener("change", show);
  show();
})();
