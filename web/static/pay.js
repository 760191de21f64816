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
    // Refusals are shown in the page's language from the error code, never the API's English message.
    var sentences = JSON.parse(checkout.dataset.errors);
    var showError = function (code) {
      var error = document.getElementById("checkout-error");
      error.textContent = sentences[code] || sentences[""];
      error.hidden = false;
      checkout.disabled = false;
    };
    checkout.addEventListener("click", function () {
      checkout.disabled = true;
      document.getElementById("checkout-error").hidden = true;
      fetch("/api/v1/payment-requests/" + checkout.dataset.code + "/checkout", {method: "POST"})
        .then(function (response) {
          // A limiter or proxy may answer with something that is not JSON (e.g. a bare 429).
          return response.json().catch(function () { return {}; }).then(function (body) {
            return {ok: response.ok, body: body, status: response.status};
          });
        })
        .then(function (result) {
          if (result.ok && result.body.redirect_url) { window.location.assign(result.body.redirect_url); return; }
          showError(result.body.code || (result.status === 429 ? "rate_limited" : ""));
        })
        .catch(function () { showError(""); });
    });
  }

  var status = document.getElementById("status");
  if (!status) { return; }
  var names = JSON.parse(status.dataset.statusText);
  var settled = ["paid", "overpaid"];
  var open = ["pending", "partially_paid", "partially_refunded"];
  // Nothing the citizen waits for happens after these (a refund is finance's business, not the page's):
  // polling stops. Otherwise it backs off while nothing changes, so a page left open for hours behind a
  // shared address (the centre's Wi-Fi, a mobile carrier's NAT) asks twice a minute, not twenty times.
  var finished = ["paid", "overpaid", "refunded", "expired", "cancelled"];
  var FIRST_DELAY = 3000, MAX_DELAY = 30000, GROWTH = 1.5;
  var badge = document.getElementById("status-text");
  var shown = (badge.className.match(/badge-([a-z_]+)/) || [])[1];
  var delay = FIRST_DELAY;
  var timer = null;

  function show(id, visible) {
    var element = document.getElementById(id);
    if (element) { element.hidden = !visible; }
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    // A hidden tab waits: coming back to it (after paying in the bank app) asks at once.
    if (finished.indexOf(shown) >= 0 || document.hidden) { return; }
    timer = setTimeout(refresh, delay);
    delay = Math.min(Math.round(delay * GROWTH), MAX_DELAY);
  }

  // The status the citizen reads (web/citizen.py shown_status): a refund not yet paid out is under way.
  function shownStatus(r) {
    if (r.refund_paying_out_vnd > 0 && r.status === "refunded") { return "refunding"; }
    if (r.refund_paying_out_vnd > 0 && r.status === "partially_refunded") { return "partially_refunding"; }
    return r.status;
  }

  function update(r) {
    // The postman collects a request a COD delivery holds: the page offers no way to pay it meanwhile.
    var onDelivery = r.collected_on_delivery === true;
    var payable = open.indexOf(r.status) >= 0 && !onDelivery;
    var isSettled = settled.indexOf(r.status) >= 0;
    var pay = document.getElementById("pay-section");
    if (payable && !pay) { window.location.reload(); return false; }  // payable again: the page brings the QR back
    // The QR asks for what is owed: once that changes (part paid or refunded), the page brings the new one.
    if (payable && String(r.outstanding_vnd) !== pay.dataset.outstanding) { window.location.reload(); return false; }
    // A fee item withdrawn (a cancelled shipment's postage), whether or not the request was paid: the page
    // brings it struck and the amount asked without it.
    var withdrawn = (r.fee_items || []).filter(function (item) { return item.withdrawn; }).length;
    if (String(withdrawn) !== document.getElementById("items").dataset.withdrawn) {
      window.location.reload(); return false;
    }
    if (r.status !== shown) { delay = FIRST_DELAY; }  // something is happening: look again soon
    shown = r.status;
    var key = shownStatus(r);
    badge.textContent = names[key];
    badge.className = "badge badge-" + r.status;
    document.getElementById("paid").textContent = formatVnd(r.paid_vnd);
    document.getElementById("outstanding").textContent = formatVnd(r.outstanding_vnd);
    var refundedOut = r.refunded_vnd - (r.refund_paying_out_vnd || 0);  // money back with the payer
    document.getElementById("refunded").textContent = formatVnd(refundedOut);
    document.getElementById("refunding").textContent = formatVnd(r.refund_paying_out_vnd || 0);
    document.getElementById("overpaid-amount").textContent =
      formatVnd(Math.max(r.paid_vnd - r.refunded_vnd - r.amount_vnd, 0));
    show("refunded", refundedOut > 0);
    show("refunded-label", refundedOut > 0);
    show("refunding", r.refund_paying_out_vnd > 0);
    show("refunding-label", r.refund_paying_out_vnd > 0);
    show("outstanding", payable || isSettled || onDelivery);
    show("outstanding-label", payable || isSettled || onDelivery);
    show("on-delivery", onDelivery);
    show("paid-message", isSettled);
    document.querySelectorAll("#status .notice[data-status]").forEach(function (notice) {
      notice.hidden = notice.dataset.status !== key;
    });
    if (isSettled) { show("receipt-link", true); }  // issued when fully paid; kept after a refund
    if (pay) { pay.hidden = !payable; }
    return true;
  }

  function refresh() {
    timer = null;
    if (document.hidden) { return; }
    fetch("/api/v1/payment-requests/" + status.dataset.code, {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (r) {
        // Refused (e.g. 429) or offline for a moment: the next, later tick tries again.
        if (!r || update(r)) { schedule(); }
      })
      .catch(function () { schedule(); });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && finished.indexOf(shown) < 0) {
      delay = FIRST_DELAY;
      schedule();
    }
  });
  schedule();
}());
