// The pay page: copy buttons, online checkout, and a status that updates by itself.
(function () {
  "use strict";

  function formatVnd(amount) {
    return String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " ₫";
  }

  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var label = button.firstChild.textContent;
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.firstChild.textContent = button.dataset.done;
        setTimeout(function () { button.firstChild.textContent = label; }, 2000);
      });
    });
  });

  var checkout = document.getElementById("checkout");
  if (checkout) {
    checkout.addEventListener("click", function () {
      checkout.disabled = true;
      fetch("/api/v1/payment-requests/" + checkout.dataset.code + "/checkout", {method: "POST"})
        .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
        .then(function (result) {
          if (result[0]) { window.location.assign(result[1].redirect_url); return; }
          var error = document.getElementById("checkout-error");
          error.textContent = result[1].message;
          error.hidden = false;
          checkout.disabled = false;
        });
    });
  }

  var status = document.getElementById("status");
  if (!status) { return; }
  var names = JSON.parse(status.dataset.statusText);
  var settled = ["paid", "overpaid"];

  function refresh() {
    fetch("/api/v1/payment-requests/" + status.dataset.code, {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (r) {
        if (!r) { return; }
        var badge = document.getElementById("status-text");
        badge.textContent = names[r.status];
        badge.className = "badge badge-" + r.status;
        document.getElementById("paid").textContent = formatVnd(r.paid_vnd);
        document.getElementById("outstanding").textContent = formatVnd(r.outstanding_vnd);
        document.getElementById("refunded").textContent = formatVnd(r.refunded_vnd);
        document.getElementById("refunded").hidden = document.getElementById("refunded-label").hidden = !r.refunded_vnd;
        if (settled.indexOf(r.status) >= 0) {
          document.getElementById("paid-message").hidden = false;
          document.getElementById("receipt-link").hidden = false;
          var pay = document.getElementById("pay-section");
          if (pay) { pay.hidden = true; }
        }
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }
  setInterval(refresh, 3000);
}());
