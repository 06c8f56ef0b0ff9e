// Live updates: every data-refresh ms the page fetches itself and swaps in
// the new <main>, keeping the scroll position. When no node answers it says
// so and keeps trying.
(function () {
  "use strict";
  var every = parseInt(document.body.dataset.refresh || "0", 10);
  var live = document.getElementById("live");
  if (!every || !window.fetch || !window.DOMParser) { return; }
  var busy = false;
  function tick() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(location.href, { headers: { "X-Explorer-Refresh": "1" }, cache: "no-store" })
      .then(function (r) {
        return r.text().then(function (t) { return { status: r.status, text: t }; });
      })
      .then(function (r) {
        var doc = new DOMParser().parseFromString(r.text, "text/html");
        var next = doc.getElementById("main");
        // A page that was fine stays on screen while the chain is away;
        // an error page is replaced as soon as data comes back.
        if (r.status === 200 || document.getElementById("error")) {
          if (next) {
            var y = window.scrollY;
            document.getElementById("main").innerHTML = next.innerHTML;
            document.title = doc.title;
            window.scrollTo(0, y);
          }
        }
        live.className = r.status === 200 ? "live" : "live stale";
        live.textContent = r.status === 200 ? "● live · " + new Date().toLocaleTimeString() : "● reconnecting (" + r.status + ")";
        document.body.dataset.updated = String(Date.now());
      })
      .catch(function () {
        live.className = "live stale";
        live.textContent = "● explorer unreachable";
      })
      .finally(function () { busy = false; });
  }
  setInterval(tick, every);
})();
