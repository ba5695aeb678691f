// The newsletter progress page (admin): polls its JSON every two seconds while the issue is being sent. Without
// JavaScript the page reloads itself (<noscript> refresh) instead.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        box.querySelectorAll("[data-field]").forEach(function (el) { el.textContent = data[el.dataset.field]; });
        if (data.status === "sending" || data.status === "scheduled") setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
