/* Progressive enhancement only: every page works without this file.
   Dismissing the membership banner is a plain form post; here it becomes a background request so the page
   does not reload. If the request fails for any reason, the form is submitted the ordinary way. */
(function () {
  "use strict";

  var banner = document.querySelector("[data-banner]");
  if (!banner || !window.fetch || !window.FormData) return;
  var form = banner.querySelector("form[data-dismiss]");
  if (!form) return;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;

    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) throw new Error("Dismiss failed: " + response.status);
      banner.remove();
      var main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true }); // keep keyboard users somewhere sensible
    }).catch(function () {
      form.submit(); // fall back to the no-JavaScript path (does not fire this handler again)
    });
  });
})();
