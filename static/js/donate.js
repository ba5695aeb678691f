/* Enhances the donation form; the form works without it and the server recomputes everything it shows. */
(function () {
  "use strict";

  // The same integer arithmetic as donations.services.fee_to_cover_minor: an estimate for the label only.
  function feeMinor(amount, basis, fixed) {
    if (amount <= 0) return 0;
    return Math.min(amount, Math.ceil((amount * basis) / 10000) + fixed);
  }
  function feeToCover(gift, basis, fixed) {
    if (gift <= 0) return 0;
    var charge = Math.ceil(((gift + fixed) * 10000) / (10000 - basis));
    while (charge - feeMinor(charge, basis, fixed) < gift) charge += 1;
    return charge - gift;
  }
  function parseMinor(text) {
    var raw = (text || "").replace(/[\s\u00a0\u202f]/g, "");
    if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(raw)) raw = raw.replace(/,/g, "");
    else raw = raw.replace(",", ".");
    var match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(raw);
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function enhance(form) {
    var currency = form.dataset.currency;
    var basis = parseInt(form.dataset.feeBasisPoints, 10);
    var fixed = parseInt(form.dataset.feeFixedMinor, 10);
    var estimate = form.querySelector("[data-fee-estimate]");
    var custom = form.querySelector(".donate__custom");
    var format = new Intl.NumberFormat("en", { style: "currency", currency: currency });

    function chosenGift() {
      var checked = form.querySelector("input[name='amount']:checked");
      if (!checked) return null;
      if (checked.value === "custom") return parseMinor(custom.value);
      return parseInt(checked.value, 10);
    }
    function update() {
      if (!estimate) return;
      var gift = chosenGift();
      var label = form.querySelector("[data-fee-label]");
      estimate.textContent = gift ? format.format(feeToCover(gift, basis, fixed) / 100) : "";
      if (label) label.hidden = !gift;
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "amount" && event.target.value !== "custom" && custom) custom.value = "";
      if (event.target.name && event.target.name.indexOf("weight_") === 0) {
        var own = form.querySelector("input[name='split'][value='custom']");
        if (own) own.checked = true;
      }
      if (event.target.name === "one_newsroom" && event.target.value) {
        var one = form.querySelector("input[name='split'][value='one']");
        if (one) one.checked = true;
      }
      update();
    });
    if (custom) {
      custom.addEventListener("input", function () {
        var other = form.querySelector("input[name='amount'][value='custom']");
        if (other && custom.value.trim()) other.checked = true;
        update();
      });
    }
    var errors = document.getElementById("donate-errors");
    if (errors) errors.focus();
    update();
  }

  // The thank-you page while the provider's event is on its way: ask again quietly (no page reloads under a
  // screen reader), swap the confirmed content in once, and move focus to its heading so it is announced.
  function pollConfirmation(box) {
    var seconds = parseInt(box.dataset.pollSeconds, 10);
    if (!seconds || !window.fetch || !window.DOMParser) return;
    var attempts = 0;
    function check() {
      attempts += 1;
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-confirmation]");
          if (fresh && !fresh.dataset.pollSeconds) {
            box.innerHTML = fresh.innerHTML;
            box.removeAttribute("data-poll-seconds");
            var heading = box.querySelector("h1");
            if (heading) heading.focus();
          } else if (fresh && attempts < 300) {
            window.setTimeout(check, seconds * 1000);
          }
        })
        .catch(function () { if (attempts < 300) window.setTimeout(check, seconds * 1000); });
    }
    window.setTimeout(check, seconds * 1000);
  }

  document.querySelectorAll("[data-confirmation][data-poll-seconds]").forEach(pollConfirmation);
  document.querySelectorAll("form.donate").forEach(enhance);
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
