"""Every đồng of a day stays in view: in its totals and, while it waits in suspense, in its queue."""
import pytest

from tests.factories import make_request
from tests.recon_factories import all_lines, resolve, upload, vcb_csv

DAY = "2026-11-24"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def exceptions(client, auth, day=DAY) -> list[dict]:
    return client.get(f"/api/v1/reconciliation/days/{day}/exceptions", headers=auth("finance")).json["exceptions"]


def summary(client, auth, day=DAY) -> dict:
    return client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("finance")).json


def test_a_credit_whose_money_waits_in_suspense_cannot_be_ignored_away(client, auth):
    body = upload(client, auth, vcb_csv(("77.1", "", "300.000", "chuyen tien"))).json
    [line] = all_lines(client, auth, body["import_id"])
    refused = resolve(client, auth, line["id"], "ignore", reason="không phải tiền phí")
    assert refused.status_code == 409 and refused.json["code"] == "money_in_suspense"
    [money] = [e for e in exceptions(client, auth) if e["kind"] == "unmatched_credit"]
    assert (money["amount_vnd"], money["open"], money["severity"]) == (300_000, True, "blocking")
    close = client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))
    assert close.status_code == 409 and close.json["code"] == "open_exceptions"


def test_the_day_totals_account_for_written_off_and_refunded_money(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("77.1", "", "100.000", f"nop {code}"), ("77.2", "", "5.000", "khong ro"),
                                        ("77.3", "", "7.000", "chuyen nham"), ("77.4", "", "9.000", "chua ro"))).json
    _, small, wrong, waiting = all_lines(client, auth, body["import_id"])
    assert resolve(client, auth, small["id"], "write-off", reason="số tiền nhỏ").status_code == 201
    assert resolve(client, auth, wrong["id"], "refund", reason="chuyển nhầm").status_code == 201
    totals = summary(client, auth)["totals"]
    by_agency = {row["agency_code"]: row["amount_vnd"] for row in totals["by_agency"]}
    assert sum(by_agency.values()) == 121_000 == totals["received_vnd"]
    assert (by_agency["written_off"], by_agency["refunded"], by_agency["suspense"]) == (5_000, 7_000, 9_000)
    by_status = {row["status"]: row["amount_vnd"] for row in totals["by_status"]}
    assert by_status == {"allocated": 100_000, "settled_by_finance": 12_000, "in_suspense": 9_000}


def close(client, auth, day: str) -> None:
    assert client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance")).status_code == 202
    assert client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver")).status_code == 200


def test_money_that_arrives_for_a_closed_day_counts_in_the_next_open_one(client, auth):
    first = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    late = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    upload(client, auth, vcb_csv(("77.1", "", "100.000", f"nop {first}")))
    close(client, auth, DAY)
    frozen = summary(client, auth)["totals"]
    body = upload(client, auth, vcb_csv(("77.9", "", "40.000", f"nop {late}"))).json  # dated 24/11, after its close
    [line] = all_lines(client, auth, body["import_id"])
    assert line["recon_date"] == "2026-11-25"
    assert summary(client, auth)["totals"] == frozen
    next_day = summary(client, auth, "2026-11-25")["totals"]
    assert next_day["received_vnd"] == 40_000
    assert {row["agency_code"]: row["amount_vnd"] for row in next_day["by_agency"]} == {"H40.22": 40_000}


def test_money_put_back_in_suspense_as_an_adjustment_is_in_the_next_open_days_queue(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("77.1", "", "100.000", f"nop {code}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    close(client, auth, DAY)
    undone = resolve(client, auth, line["id"], "unmatch", reason="khớp nhầm hồ sơ", as_adjustment=True)
    assert undone.status_code == 201, undone.json
    [money] = [e for e in exceptions(client, auth, "2026-11-25") if e["kind"] == "unmatched_credit"]
    assert (money["line_id"], money["amount_vnd"], money["open"]) == (line["id"], 100_000, True)
    refused = client.post("/api/v1/reconciliation/days/2026-11-25/close", headers=auth("finance"))
    assert refused.status_code == 409 and refused.json["code"] == "open_exceptions"


def test_an_allocation_part_of_which_was_refunded_cannot_be_taken_off_its_request(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    body = upload(client, auth, vcb_csv(("7001", "", "80.000", f"nop phi {code}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert resolve(client, auth, line["id"], "refund", reason="trả phần nộp thừa", amount_vnd=30_000).status_code == 201
    refused = resolve(client, auth, line["id"], "unmatch", reason="nhầm hồ sơ")
    assert refused.status_code == 409 and refused.json["code"] == "allocation_refunded", refused.json
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 80_000


def test_money_a_request_gave_back_leaves_its_agency_for_the_refunded_row(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    body = upload(client, auth, vcb_csv(("7001", "", "80.000", f"nop phi {code}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert resolve(client, auth, line["id"], "refund", reason="trả phần nộp thừa", amount_vnd=30_000).status_code == 201
    totals = summary(client, auth)["totals"]
    assert {row["agency_code"]: row["amount_vnd"] for row in totals["by_agency"]} == {"H40.22": 50_000,
                                                                                      "refunded": 30_000}


def test_money_back_in_suspense_after_its_day_closed_is_in_the_next_open_days_queue(client, auth):
    body = upload(client, auth, vcb_csv(("77.1", "", "3.000.000", "chuyen nham"), ("77.2", "", "5.000", "khong ro"))).json
    big, small = all_lines(client, auth, body["import_id"])
    asked = resolve(client, auth, big["id"], "refund", reason="người chuyển nhầm đề nghị hoàn")
    refund_id = asked.json["resolution"]["data"]["refund_id"]
    assert asked.json["resolution"]["data"]["refund_status"] == "awaiting_approval"  # above the threshold
    key = f"line:{small['id']}:unmatched_credit"
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{key}/acknowledge", headers=auth("finance"),
                       json={"reason": "chờ người nộp liên hệ"}).status_code == 201
    close(client, auth, DAY)
    rejected = client.post(f"/api/v1/refunds/{refund_id}/reject", headers=auth("approver"),
                           json={"reason": "không đủ hồ sơ"})
    assert rejected.status_code == 200, rejected.json
    queue = {e["key"]: e for e in client.get("/api/v1/reconciliation/days/2026-11-25/exceptions?state=all",
                                             headers=auth("finance")).json["exceptions"]}
    back = queue[f"line:{big['id']}:unmatched_credit"]
    assert (back["amount_vnd"], back["open"]) == (3_000_000, True)
    assert queue[key]["acknowledged"] and not queue[key]["open"]  # still in view, still accepted


def test_a_voided_card_sale_is_not_money_received_by_its_channel(client, auth, test_settings):
    from kernel.clock import business_date, now_utc
    from tests.api.test_pos_vnpay_cash import pos

    kept = make_request(client, auth, ("Lệ phí", "charge", 300_000))
    voided = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    assert pos(client, test_settings, transaction_id="S1", payment_code=kept, amount_vnd=300_000).status_code == 200
    assert pos(client, test_settings, transaction_id="S2", payment_code=voided, amount_vnd=200_000).status_code == 200
    assert pos(client, test_settings, transaction_id="V2", type="void", original_transaction_id="S2",
               amount_vnd=200_000).status_code == 200
    totals = summary(client, auth, business_date(now_utc()).isoformat())["totals"]
    assert sum(row["amount_vnd"] for row in totals["by_agency"]) == 300_000 == totals["received_vnd"]
    assert totals["by_channel"] == [{"provider": "pos", "channel": "pos_card", "count": 1, "amount_vnd": 300_000,
                                     "reversed_count": 1, "reversed_vnd": 200_000}]
    assert {row["type"]: row["amount_vnd"] for row in totals["by_transaction_type"]} == {
        "payment": 300_000, "reversal": 200_000}


def test_a_row_counts_the_payments_whose_money_it_holds_not_those_that_passed_through(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("77.1", "", "100.000", "chuyen tien"), ("77.2", "", "20.000", "khong ro"))).json
    first, _ = all_lines(client, auth, body["import_id"])
    assigned = resolve(client, auth, first["id"], "match", reason="người nộp gọi điện xác nhận",
                       allocations=[{"payment_code": code, "amount_vnd": 100_000}])
    assert assigned.status_code == 201, assigned.json
    rows = {row["agency_code"]: (row["count"], row["amount_vnd"]) for row in summary(client, auth)["totals"]["by_agency"]}
    assert rows == {"H40.22": (1, 100_000), "suspense": (1, 20_000)}  # the first passed through suspense
