"""The pay page's live status backs off (3 s growing to 30 s) and stops for good once the request can no
longer change for the citizen: many pages open behind one address must not use up the rate limit.

The page's poll timers (3 s and longer) are held in a queue instead of running, and the test runs them
one at a time (`__tick`), so the schedule is read exactly, with no waiting on the wall clock."""
import requests

from tests.e2e.test_citizen_pay_page import new_code

MANUAL_TIMERS = """
(() => {
  const held = window.__polls = {delays: [], queue: [], next: 1};
  const realSet = window.setTimeout, realClear = window.clearTimeout, realInterval = window.setInterval;
  window.setTimeout = function (fn, delay) {
    if (!(delay >= 3000)) { return realSet.apply(window, arguments); }
    held.delays.push(delay);
    const id = -(held.next++);
    held.queue.push({id: id, fn: fn});
    return id;
  };
  window.setInterval = function (fn, delay) {  // a fixed interval is held too: it would never stop
    if (!(delay >= 3000)) { return realInterval.apply(window, arguments); }
    held.delays.push(delay);
    return -(held.next++);
  };
  window.clearTimeout = function (id) {
    if (typeof id === "number" && id < 0) { held.queue = held.queue.filter((t) => t.id !== id); return; }
    return realClear.apply(window, arguments);
  };
  window.__tick = () => { const timer = held.queue.shift(); if (timer) { timer.fn(); } return !!timer; };
})();
"""


def open_pay_page(page, url, code, seen):
    page.add_init_script(MANUAL_TIMERS)
    page.on("request", lambda r: seen.append(r.url) if r.url.endswith(f"/api/v1/payment-requests/{code}") else None)
    page.goto(f"{url}/pay/{code}")


def tick_and_wait(page):
    """Run the pending poll and wait until its answer has been handled: the next poll is scheduled."""
    count = page.evaluate("window.__polls.delays.length")
    assert page.evaluate("window.__tick()")
    page.wait_for_function("(count) => window.__polls.delays.length > count", arg=count, timeout=10_000)


def wait_until_applied(page, api, outstanding_before):
    """Wait until the worker has applied the payment: the API owes less than before. The predicate is
    synchronous and reads the answer of a fetch it started earlier: Playwright takes a returned Promise
    for a truthy value without awaiting it, so an async predicate would return at once."""
    page.wait_for_function(
        """([api, before]) => {
             if (window.__owed !== undefined && window.__owed !== before) { return true; }
             if (!window.__asking) {
               window.__asking = true;
               fetch(api).then((r) => r.json()).then((j) => { window.__owed = j.outstanding_vnd; })
                 .finally(() => { window.__asking = false; });
             }
             return false;
           }""", arg=[api, outstanding_before], polling=100, timeout=10_000)


def test_the_status_poll_backs_off_to_30_seconds_and_stops_once_cancelled(page, served, tokens):
    url = served.url
    code = new_code(url, tokens)["payment_code"]
    seen = []
    open_pay_page(page, url, code, seen)
    assert page.evaluate("window.__polls.delays") == [3000] and seen == []  # nothing asked before the first 3 s
    for _ in range(9):
        tick_and_wait(page)
    delays = page.evaluate("window.__polls.delays")
    assert delays[0] == 3000 and delays == sorted(delays) and len(set(delays)) > 3
    assert delays[-1] == 30_000 and max(delays) == 30_000
    assert len(seen) == 9

    r = requests.post(f"{url}/api/v1/payment-requests/{code}/cancel", json={"reason": "hồ sơ rút"},
                      headers={"Authorization": f"Bearer {tokens['intake']}"}, timeout=10)
    assert r.status_code == 200
    page.evaluate("window.__tick()")
    page.locator("#status-text", has_text="Đã hủy").wait_for(timeout=10_000)
    # The answer that showed "cancelled" scheduled nothing: no poll is pending, none will come.
    assert page.evaluate("window.__polls.queue.length") == 0
    assert len(page.evaluate("window.__polls.delays")) == len(delays)
    assert len(seen) == 10


def test_a_page_opened_on_a_closed_request_never_polls(page, served, tokens):
    url = served.url
    code = new_code(url, tokens)["payment_code"]
    requests.post(f"{url}/api/v1/payment-requests/{code}/cancel", json={"reason": "hồ sơ rút"},
                  headers={"Authorization": f"Bearer {tokens['intake']}"}, timeout=10)
    seen = []
    open_pay_page(page, url, code, seen)
    assert page.locator("#status-text").inner_text() == "Đã hủy"
    assert page.evaluate("window.__polls.delays") == [] and seen == []


def test_a_part_paid_while_the_page_is_open_brings_a_qr_for_the_rest(page, served, tokens):
    """The QR asks for what is owed: after 50.000 of 150.000 arrives, the open page reloads and its QR,
    alt text and copy button ask for 100.000 (the back-off rewrite had dropped the reload, so a citizen
    scanning the page paid the full amount again)."""
    from sandbox.bank import pay

    url, settings = served.url, served.settings
    code = new_code(url, tokens)["payment_code"]
    open_pay_page(page, url, code, [])
    before = page.locator("#pay-section").get_attribute("data-outstanding")
    assert pay(url, code, settings=settings, via="sepay", amount_vnd=int(before) // 3).status_code == 200
    rest = int(before) - int(before) // 3
    wait_until_applied(page, f"{url}/api/v1/payment-requests/{code}", int(before))
    with page.expect_navigation(timeout=10_000):
        page.evaluate("window.__tick()")
    page.locator("#pay-section").wait_for(timeout=10_000)
    assert page.locator("#pay-section").get_attribute("data-outstanding") == str(rest)
    assert f"{rest:,}".replace(",", ".") in page.locator("img#qr").get_attribute("alt")


def set_deadline(served, code, expires_at):
    """What a COD booking does to its dossier's requests (no deadline while the postman collects) and
    what the shipment's end undoes (`postal.cod.hold_requests` / `release_requests`)."""
    from sqlalchemy import update

    from payments.models import PaymentRequest

    with served.app.extensions["hccpay"].sessions() as session, session.begin():
        session.execute(update(PaymentRequest).where(PaymentRequest.payment_code == code)
                        .values(expires_at=expires_at))


def test_a_request_the_postman_collects_offers_no_qr_keeps_polling_and_brings_it_back_when_released(
        page, served, tokens):
    """While a COD delivery holds the request the page says the postman collects it and offers nothing
    to pay with, without reloading itself on every poll; once the shipment ends, the QR comes back."""
    from datetime import timedelta

    from kernel.clock import now_utc

    url = served.url
    code = new_code(url, tokens)["payment_code"]
    set_deadline(served, code, None)
    loads = []
    page.on("load", lambda _: loads.append(1))
    open_pay_page(page, url, code, [])
    assert page.locator("#on-delivery").is_visible() and page.locator("#pay-section").count() == 0
    assert page.locator("#outstanding").is_visible()
    for _ in range(3):
        tick_and_wait(page)
    assert len(loads) == 1 and page.locator("#on-delivery").is_visible()
    set_deadline(served, code, now_utc() + timedelta(hours=72))
    with page.expect_navigation(timeout=10_000):
        page.evaluate("window.__tick()")
    page.locator("#pay-section").wait_for(timeout=10_000)
    assert not page.locator("#on-delivery").is_visible()


def test_a_fee_item_withdrawn_while_the_page_is_open_is_shown_struck_though_its_request_is_cancelled(
        page, served, tokens):
    """The pay page of a request asking for a fee and a shipment's postage is open when the shipment is
    cancelled: the request is cancelled (nobody paid it) and the page brings the postage struck at 0 ₫
    and the amount asked without it, once, then stops polling as for any cancelled request."""
    from sqlalchemy import select

    from kernel.clock import now_utc
    from payments.models import Dossier, FeeItem
    from payments.service import withdraw_fee_items
    from tests.factories import dossier_body

    url = served.url
    body = dossier_body(("Lệ phí cấp giấy chứng nhận", "charge", 150_000), ("Cước chuyển phát", "postage", 22_000))
    r = requests.post(f"{url}/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {tokens['intake']}"},
                      timeout=10)
    code = r.json()["payment_request"]["payment_code"]
    loads = []
    page.on("load", lambda _: loads.append(1))
    open_pay_page(page, url, code, [])
    assert page.locator("#amount").inner_text() == "172.000 ₫"
    with served.app.extensions["hccpay"].sessions() as session, session.begin():
        postage = session.execute(select(FeeItem.id).join(Dossier, Dossier.id == FeeItem.dossier_id).where(
            Dossier.code == body["code"], FeeItem.kind == "postage")).scalar_one()
        withdraw_fee_items(session, dossier_code=body["code"], fee_item_ids=frozenset({postage}),
                           reason="hủy chuyển phát", settings=served.settings, actor="test", now=now_utc())
    with page.expect_navigation(timeout=10_000):
        page.evaluate("window.__tick()")
    page.locator("#status-text", has_text="Đã hủy").wait_for(timeout=10_000)
    assert page.locator("#items del").inner_text() == "22.000 ₫"
    assert page.locator("#amount").inner_text() == "150.000 ₫"
    assert len(loads) == 2 and page.evaluate("window.__polls.queue.length") == 0
