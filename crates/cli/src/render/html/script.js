"use strict";
// Progressive enhancement only: without JavaScript the page is complete (stories open with
// links, unchanged objects with a checkbox). Nothing here fetches anything.
(function () {
  var root = document.documentElement;
  root.classList.remove("nojs");
  var tip = document.getElementById("tip");
  var names = {};
  document.querySelectorAll(".legend [data-state]").forEach(function (el) {
    names[el.getAttribute("data-state")] = el.getAttribute("data-name");
  });
  // What a cell says: its own title, or the state and where it is for quiet cells.
  // What a cell says: the object, the revision(s) and the state, then what Helm did.
  function describe(td) {
    var row = td.parentElement;
    var obj = row.querySelector("th.obj");
    var col = 0;
    for (var c = row.firstElementChild; c !== td; c = c.nextElementSibling) { col += c.colSpan || 1; }
    var heads = row.closest("table").tHead.rows[0].children;
    var first = heads[col], last = heads[col + td.colSpan - 1];
    var revs = td.colSpan > 1 && first && last ?
      "revisions " + first.getAttribute("data-rev") + "–" + last.getAttribute("data-rev") :
      "revision " + (first ? first.getAttribute("data-rev") : "?");
    var text = (obj ? obj.textContent.replace(/^\s+|\s+$/g, "") : "") + " · " + revs + ": " +
      (names[td.className] || td.className);
    return td.title && td.colSpan === 1 ? text + "\n" + td.title : text;
  }
  function show(e) {
    var td = e.target.closest && e.target.closest("table.grid td");
    if (td && !td.closest("tr.story")) { tip.textContent = describe(td); }
  }
  document.addEventListener("mouseover", show);
  document.addEventListener("focusin", show);
  // Stories: several can be open at once, without jumping.
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.toggle");
    if (!a) { return; }
    e.preventDefault();
    var story = document.getElementById(a.getAttribute("aria-controls"));
    var open = !story.classList.contains("open");
    story.classList.toggle("open", open);
    a.closest("tr").classList.toggle("open", open);
    a.setAttribute("aria-expanded", open ? "true" : "false");
  });
  // Links to an object that is among the collapsed ones open the group first.
  function reveal() {
    var el = location.hash && document.getElementById(location.hash.slice(1));
    if (!el) { return; }
    var quiet = el.closest("tbody.quiet");
    var box = quiet && document.getElementById(quiet.getAttribute("data-toggle"));
    if (box && !box.checked) {
      // The browser could not scroll to a hidden row: show the group, then scroll.
      box.checked = true;
      el.scrollIntoView({ block: "center" });
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    var rows = table.querySelectorAll("tr.row");
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase().trim();
      table.classList.toggle("filtering", q !== "");
      rows.forEach(function (row) {
        var hide = q !== "" && row.getAttribute("data-name").indexOf(q) < 0;
        row.classList.toggle("hidden", hide);
        var story = row.nextElementSibling;
        if (story && story.classList.contains("story")) { story.classList.toggle("hidden", hide); }
      });
    });
  });
})();
