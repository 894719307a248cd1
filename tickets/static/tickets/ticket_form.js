// Suggests help articles while the customer types the subject, and records which were shown.
(function () {
  "use strict";
  var input = document.querySelector("[data-suggest-url]");
  var box = document.getElementById("suggestions");
  var hidden = document.querySelector("input[name='suggested_articles']");
  if (!input || !box || !hidden) { return; }
  var shown = new Set((hidden.value || "").split(",").filter(Boolean));
  var timer = null;
  function render(articles) {
    box.textContent = "";
    if (!articles.length) { return; }
    var title = document.createElement("p");
    title.className = "small fw-semibold mb-1";
    title.textContent = "These articles may answer your question:";
    box.appendChild(title);
    var list = document.createElement("ul");
    list.className = "list-unstyled small mb-0";
    articles.forEach(function (article) {
      shown.add(String(article.id));
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = article.url + (article.url.indexOf("?") < 0 ? "?" : "&") + "from=ticket-form";
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = article.title;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
    hidden.value = Array.from(shown).join(",");
  }
  function lookUp() {
    var q = input.value.trim();
    if (q.length < 3) { box.textContent = ""; return; }
    var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(q);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { render(data.results || data.articles || []); })
      .catch(function () { box.textContent = ""; });
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookUp, 350); });
})();
