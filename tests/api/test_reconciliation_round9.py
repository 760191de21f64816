"""Ninth QA round of reconciliation after import: what the sweep, the exception queue and the day
summary count agree; the day's reports list its cash drawers; bad parameters are clear errors."""
import pytest

from tests.factories import make_request
from tests.recon_factories import all_lines, resolve, undo, upload, vcb_csv, working_days_ago

DAY = "2026-11-24"

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def run_sweep(client, auth) -> dict:
    r = client.post("/api/v1/reconciliation/sweep", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json


def missed_everywhere(client, auth, day) -> tuple[int, int, int]:
    """Open missed callbacks of `day` as the sweep, the exception queue and the day summary count them."""
    swept = [f for f in run_sweep(client, auth)["findings"]
             if f["kind"] == "missed_callback" and f["date"] == str(day)]
    queued = [e for e in client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=open",
                                    headers=auth("finance")).json["exceptions"] if e["kind"] == "missed_callback"]
    summary = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("finance")).json["sweep"]
    assert summary["findings"].get("missed_callback", 0) == len(swept)
    return len(swept), len(queued), summary["missed_callbacks"]["count"]


def test_a_credit_finance_ignored_is_no_missed_callback_for_the_sweep_nor_after_its_undo(client, auth):
    day = working_days_ago(3)  # overdue for the sweep (N=2)
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    body = upload(client, auth, vcb_csv(("IG.1", "", "40.000", f"{code}"), ("IG.2", "", "15.000", "khong ro"),
                                        day=day.strftime("%d/%m/%Y"))).json
    _, unclear = all_lines(client, auth, body["import_id"])
    assert missed_everywhere(client, auth, day) == (2, 2, 2)
    # given back from the refunds desk (not a decision on the line), then not ours to account
    refund = client.post(f"/api/v1/payments/{unclear['payment_id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 15_000, "expected_refundable_vnd": 15_000, "reason": "trả lại"})
    assert refund.status_code == 201, refund.json
    ignored = resolve(client, auth, unclear["id"], "ignore", reason="không phải của trung tâm")
    assert ignored.status_code == 201, ignored.json
    assert missed_everywhere(client, auth, day) == (1, 1, 1)
    assert undo(client, auth, ignored.json["resolution"]["id"]).status_code == 200
    assert missed_everywhere(client, auth, day) == (2, 2, 2)


@pytest.mark.parametrize("given, code", [({}, "missing_field"), ({"payment_code": None}, "missing_field"),
                                         ({"payment_code": "  "}, "missing_field"),
                                         ({"payment_code": 12345678978}, "validation_error"),
                                         ({"payment_code": ["HS12345678978"]}, "validation_error")])
def test_a_payment_code_missing_or_not_text_is_named_when_money_leaves_suspense(client, auth, given, code):
    body = upload(client, auth, vcb_csv(("PC.1", "", "20.000", "khong ro"))).json
    [line] = all_lines(client, auth, body["import_id"])
    tries = [client.post(f"/api/v1/finance/suspense/{line['payment_id']}/assign", headers=auth("finance"),
                         json={"reason": "người nộp báo mã", **given}),
             resolve(client, auth, line["id"], "match", reason="người nộp báo mã", **given),
             resolve(client, auth, line["id"], "match", reason="người nộp báo mã",
                     allocations=[{"amount_vnd": 20_000, **given}])]
    for r in tries:
        assert (r.status_code, r.json["code"], r.json["details"]) == (400, code, {"field": "payment_code"}), r.json
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 20_000

