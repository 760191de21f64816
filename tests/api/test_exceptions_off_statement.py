"""Money no statement line carries (a card sale, a gateway, a callback whose line has not come) is
in the day's exception queue while it waits in suspense, and its requests are checked for under and
over payment, as a statement line's are: a day does not close over it unnoticed."""
from datetime import datetime, timezone

from itertools import count

from tests.factories import make_request, signed

DAY, NEXT = "2026-11-24", "2026-11-25"
AT = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội


_ids = count(1)


def card_sale(client, settings, code: str, amount: int):
    """A signed POS sale of `amount` naming `code`, made on the 24th."""
    n = next(_ids)
    headers, body = signed(settings, "HCCPAY_POS_WEBHOOK_SECRET", {
        "transaction_id": f"T{n:05d}", "terminal_id": "POS-HCC-01", "type": "sale", "amount_vnd": amount,
        "payment_code": code, "approval_code": f"{n:06d}", "card_masked": "970436******1234",
        "card_scheme": "NAPAS", "occurred_at": AT.isoformat()})
    return client.post("/api/v1/callbacks/pos", data=body, headers=headers)


def queue(client, auth, day: str = DAY) -> dict[str, dict]:
    r = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return {e["key"]: e for e in r.json["exceptions"]}


def test_card_money_in_suspense_or_paying_the_wrong_amount_is_an_exception(client, auth, test_settings):
    over, under = make_request(client, auth, ("Lệ phí", "charge", 30_000)), make_request(client, auth,
                                                                                        ("Lệ phí", "charge", 60_000))
    sales = [card_sale(client, test_settings, code, amount)
             for code, amount in (("", 35_000), (over, 50_000), (under, 20_000))]
    assert all(r.status_code == 200 for r in sales), [r.json for r in sales]
    found = {e["kind"]: e for e in queue(client, auth).values()}
    assert found["unmatched_credit"]["amount_vnd"] == 35_000 and found["unmatched_credit"]["payment_id"]
    assert found["unmatched_credit"]["details"]["reason"] == "no_code"
    assert (found["over_payment"]["payment_code"], found["over_payment"]["amount_vnd"]) == (over, 20_000)
    assert (found["under_payment"]["payment_code"], found["under_payment"]["amount_vnd"]) == (under, 40_000)
    r = client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))
    assert r.status_code == 409, r.json
    page = client.get(f"/staff/finance/exceptions?date={DAY}", headers=auth("finance"))
    assert page.status_code == 200 and "35.000" in page.get_data(as_text=True)


def test_suspense_card_money_of_a_closed_day_comes_back_in_the_next_open_day(client, auth, test_settings):
    assert card_sale(client, test_settings, "", 35_000).status_code == 200
    [key] = [k for k, e in queue(client, auth).items() if e["kind"] == "unmatched_credit"]
    r = client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{key}/acknowledge", headers=auth("finance"),
                    json={"reason": "chờ xác minh với ngân hàng thanh toán thẻ"})
    assert r.status_code == 201, r.json
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    carried = queue(client, auth, NEXT)
    assert carried[key]["amount_vnd"] == 35_000 and carried[key]["open"]


def test_bank_money_in_suspense_waits_for_its_statement_line_flagged_once(client, auth, test_settings):
    from tests.recon_factories import bank_callback, upload, vcb_csv

    bank_callback(client, test_settings, "FT9001", 35_000, "chuyen tien khong ma")
    before = queue(client, auth)
    assert [e["kind"] for e in before.values() if e["severity"] == "blocking"] == ["payment_without_statement_line"]
    upload(client, auth, vcb_csv(("FT9001", "", "35.000", "chuyen tien khong ma")), "d.csv")
    after = [e for e in queue(client, auth).values() if e["severity"] == "blocking"]
    assert [(e["kind"], e["amount_vnd"], e["line_id"] is not None) for e in after] == [("unmatched_credit", 35_000, True)]
