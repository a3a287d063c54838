// The inbox's live count of open cases: asks the server every 30 seconds and shows, in the header
// and the tab title, how many new cases arrived since the page was loaded. No reload needed.
(function () {
  "use strict";
  var badge = document.getElementById("live-count");
  if (!badge || !window.fetch) { return; }
  var url = badge.getAttribute("data-url");
  var baseTitle = document.title;
  var first = null;
  function refresh() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        if (first === null) { first = counts.new; }
        var arrived = Math.max(counts.new - first, 0);
        // The words come from the page (data-new, data-arrived), in the merchant's language.
        badge.textContent = (badge.getAttribute("data-new") || "{count}").replace("{count}", counts.new) +
          (arrived ? (badge.getAttribute("data-arrived") || " +{count}").replace("{count}", arrived) : "");
        document.title = (arrived ? "(" + arrived + ") " : "") + baseTitle;
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  refresh();
  window.setInterval(refresh, 30000);
})();
