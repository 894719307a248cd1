// The time-entry form: shows the connector only for Integration Support, the engagement (and how the work was done)
// only for engagement work and Integration Support,
// and narrows tickets and engagements to the chosen organization. The form works without it.
(function () {
  "use strict";
  var form = document.querySelector("[data-hours-form]");
  if (!form) { return; }
  var category = form.querySelector("select[name=category]");
  var organization = form.querySelector("select[name=organization]");
  function block(name) { return form.querySelector("[data-field=" + name + "]"); }
  function toggle() {
    var value = category ? category.value : "";
    var connector = block("connector");
    var engagement = block("engagement");
    var mode = block("work_mode");
    var onEngagement = value === "engagement_work" || value === "integration_support";
    if (connector) { connector.hidden = value !== "integration_support"; }
    if (engagement) { engagement.hidden = !onEngagement; }
    if (mode) { mode.hidden = !onEngagement; }
  }
  function narrow() {
    var chosen = organization ? organization.value : "";
    ["ticket", "engagement"].forEach(function (name) {
      var select = form.querySelector("select[name=" + name + "]");
      if (!select) { return; }
      Array.prototype.forEach.call(select.options, function (option) {
        var owner = option.getAttribute("data-organization");
        var visible = !chosen || !owner || owner === chosen;
        option.hidden = !visible;
        option.disabled = !visible;
        if (!visible && option.selected) { select.value = ""; }
      });
    });
  }
  if (category) { category.addEventListener("change", toggle); }
  if (organization) { organization.addEventListener("change", narrow); }
  toggle();
  narrow();
}());
