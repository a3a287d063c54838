// The case list from the keyboard, and its "select all": j / k move between rows, x ticks the row,
// Enter opens it. Everything here also works without this file — the checkboxes are form fields and
// "select all on this page" is one of its own, sent with the page's case numbers.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  var table = document.getElementById("case-list");
  if (!form || !table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-case]"));
  var all = document.getElementById("select-all");
  var count = document.getElementById("bulk-count");
  var current = -1;

  function box(row) { return row.querySelector('input[type="checkbox"][name="ticket_no"]'); }
  function boxes() { return rows.map(box).filter(function (b) { return b; }); }

  function refresh() {
    var list = boxes();
    var ticked = list.filter(function (b) { return b.checked; }).length;
    rows.forEach(function (row) {
      var b = box(row);
      row.classList.toggle("selected", !!(b && b.checked));
    });
    if (all) {
      all.checked = list.length > 0 && ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
    }
    // The words come from the page (data-ticked, data-none), in the merchant's language.
    if (count) {
      count.textContent = ticked ? (count.getAttribute("data-ticked") || "{count}").replace("{count}", ticked)
        : (count.getAttribute("data-none") || "");
    }
  }

  function move(to) {
    if (!rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = Math.max(0, Math.min(rows.length - 1, to));
    var row = rows[current];
    row.classList.add("current");
    var link = row.querySelector("a");
    if (link) { link.focus(); }  // focus scrolls the row into view, and Enter on a link opens it
    row.scrollIntoView({ block: "nearest" });
  }

  function typing(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable) { return true; }
    return tag === "INPUT" && ["checkbox", "radio", "button", "submit", "hidden"].indexOf(element.type) < 0;
  }

  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      refresh();
    });
  }
  table.addEventListener("change", function (event) {
    if (event.target !== all) { refresh(); }
  });
  // A click on a row (not on its link or box) makes it the current one.
  table.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr[data-case]");
    if (row && rows.indexOf(row) >= 0) {
      if (current >= 0) { rows[current].classList.remove("current"); }
      current = rows.indexOf(row);
      row.classList.add("current");
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(document.activeElement)) { return; }
    var key = event.key;
    if (key === "j") {
      event.preventDefault();
      move(current + 1);
    } else if (key === "k") {
      event.preventDefault();
      move(current < 0 ? 0 : current - 1);
    } else if (key === "x" && current >= 0) {
      var b = box(rows[current]);
      if (b) {
        event.preventDefault();
        b.checked = !b.checked;
        refresh();
      }
    } else if (key === "Enter" && current >= 0) {
      var active = document.activeElement;
      // On the row's link the browser opens it itself; on a button, Enter is that button's.
      if (active && (active.tagName === "A" || active.tagName === "BUTTON")) { return; }
      var link = rows[current].querySelector("a");
      if (link) {
        event.preventDefault();
        window.location.href = link.href;
      }
    }
  });
  refresh();
})();
