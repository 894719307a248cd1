// The ticket workspace and the queue, as progressive enhancements: every form works without this file.
// - Ctrl+Enter (Cmd+Enter) sends the workspace form; with Shift it sends and sets the ticket pending.
// - "Insert" buttons of the article search put a link at the cursor in the reply.
// - The presence form tells the server whether this engineer is typing, so others see it.
// - The queue's "select all" box selects every row of the page.
(function () {
  "use strict";

  function sendWith(form, name) {
    var button = form.querySelector("button[data-shortcut='" + name + "']");
    if (!button) { return; }
    if (typeof form.requestSubmit === "function") { form.requestSubmit(button); } else { button.click(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) { return; }
    var form = event.target.closest && event.target.closest("form[data-workspace-form]");
    if (!form) { return; }
    event.preventDefault();
    sendWith(form, event.shiftKey ? "send-pending" : "send");
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert-text]");
    if (!button) { return; }
    var body = document.getElementById("id_body");
    if (!body) { return; }
    var text = button.getAttribute("data-insert-text");
    var start = body.selectionStart || 0;
    var end = body.selectionEnd || 0;
    var before = body.value.slice(0, start);
    var spacer = before && !/\s$/.test(before) ? " " : "";
    body.value = before + spacer + text + body.value.slice(end);
    var caret = (before + spacer + text).length;
    body.focus();
    body.setSelectionRange(caret, caret);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  });

  var presence = document.querySelector("form[data-presence]");
  if (presence) {
    var state = presence.querySelector("input[name=state]");
    var idle = null;
    var announce = function (value) {
      if (state.value === value) { return; }
      state.value = value;
      if (window.htmx) { window.htmx.trigger(presence, "presence-changed"); }
    };
    document.addEventListener("input", function (event) {
      if (!event.target.closest || !event.target.closest("form[data-workspace-form]")) { return; }
      announce("typing");
      window.clearTimeout(idle);
      idle = window.setTimeout(function () { announce("viewing"); }, 8000);
    });
    window.addEventListener("pagehide", function () {
      if (!navigator.sendBeacon) { return; }
      var data = new FormData(presence);
      data.set("state", "gone");
      navigator.sendBeacon(presence.getAttribute("data-url"), data);
    });
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("input[data-select-all]")) { return; }
    var form = event.target.form;
    Array.prototype.forEach.call(form.querySelectorAll("input[name=tickets]"), function (box) {
      box.checked = event.target.checked;
    });
  });
})();
