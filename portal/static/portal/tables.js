// Tables marked .table-cards read as one card per row on a phone: each cell is labelled with its column's
// heading (portal.css shows the label before the value below 576 px; wider screens keep the table).
document.querySelectorAll("table.table-cards").forEach(function (table) {
  var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
    var copy = th.cloneNode(true);  // without the sort arrows and other decorations hidden from screen readers
    copy.querySelectorAll("[aria-hidden]").forEach(function (hidden) { hidden.remove(); });
    return copy.textContent.trim();
  });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    Array.prototype.forEach.call(row.children, function (cell, index) {
      if (headings[index] && !cell.hasAttribute("colspan")) {
        cell.setAttribute("data-label", headings[index]);
      }
    });
  });
});

// A table wider than the screen scrolls inside its frame: the frame takes the keyboard focus so that it can be
// scrolled without a mouse.
document.querySelectorAll(".table-responsive").forEach(function (frame) {
  if (frame.scrollWidth > frame.clientWidth && !frame.hasAttribute("tabindex")) {
    frame.setAttribute("tabindex", "0");
  }
});
