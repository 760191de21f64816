"""Round 17 QA of the day's summary and report: counts named for what they count, a same-day reversal
pair's money once in section VII of the report."""
import csv
import io
from dataclasses import replace

import pytest

from tests.api.test_reconciliation_reversals import mt940
from tests.api.test_reconciliation_round8 import close_day
from tests.factories import make_request
from tests.recon_factories import all_lines, make_requests_with_codes, upload, vcb_csv

DAY = "2026-11-24"

pytestmark = pytest.mark.usefixtures("ledger_checked")


@pytest.fixture
def tolerant(test_settings, db):
    """A client of an app whose close tolerates open exceptions up to 1.000 ₫."""
    from api import create_app

    app = create_app(replace(test_settings, recon_tolerance_vnd=1_000))
    yield app.test_client()
    app.extensions["hccpay"].engine.dispose()


def summary(client, auth) -> dict:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json


def counts(exceptions: dict) -> dict:
    return {name: exceptions[name] for name in ("open", "blocking_open", "open_blocking", "open_above_tolerance",
                                                 "open_within_tolerance", "open_info")}


def test_the_open_counts_say_which_need_a_person_which_hold_the_close_and_which_are_information(tolerant, auth, db):
    client = tolerant  # a close tolerating 1.000 ₫
    body = upload(client, auth, vcb_csv(("T.1", "", "1.000", "khong ro"), ("T.2", "", "1.001", "khong ro"))).json
    small, large = all_lines(client, auth, body["import_id"])
    # each line: an unmatched credit (blocking) and a missed callback (information: no callback announced it)
    assert counts(summary(client, auth)["exceptions"]) == {
        "open": 4, "blocking_open": 1, "open_blocking": 2, "open_above_tolerance": 1, "open_within_tolerance": 1,
        "open_info": 2}
    ack = client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/line:{large['id']}:unmatched_credit/acknowledge",
                      json={"reason": "chờ người nộp liên hệ"}, headers=auth("finance"))
    assert ack.status_code == 201, ack.json
    assert counts(summary(client, auth)["exceptions"]) == {
        "open": 3, "blocking_open": 0, "open_blocking": 1, "open_above_tolerance": 0, "open_within_tolerance": 1,
        "open_info": 2}


def section_vii(report: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    start = rows.index(["VII. Ngoại lệ"]) + 2
    end = next(i for i in range(start, len(rows)) if not rows[i] or rows[i][0].startswith("VII.b"))
    return rows[start:end]


def reversal_pair(client, auth) -> tuple[dict, dict]:
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    body = upload(client, auth, mt940(("C", 50_000, "900001", f"nop le phi {code}"),
                                      ("RC", 50_000, "900002", f"REVERSAL 900001 {code}")), "s.mt940").json
    credit, reversal = all_lines(client, auth, body["import_id"])
    return credit, reversal


def reversed_money(rows: list[list[str]]) -> int:
    return sum(int(row[2]) for row in rows if row[1] == "Giao dịch đảo/hủy" and row[2])


def test_the_draft_report_counts_a_same_day_reversal_pairs_money_once(client, auth, db):
    reversal_pair(client, auth)
    exceptions = summary(client, auth)["exceptions"]["by_kind"]["reversed"]
    assert (exceptions["amount_vnd"], exceptions["info"]["count"], exceptions["info"]["in_pair"]) == (
        50_000, 1, {"count": 1, "amount_vnd": 50_000})
    report = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance"))
    rows = section_vii(report.data)
    assert reversed_money(rows) == 50_000, rows
    [info] = [row for row in rows if row[1] == "Giao dịch đảo/hủy" and row[3].startswith("Thông tin")]
    assert "cặp đảo" in info[3], info  # the credit is still said, its money counted on the reversal's row


def test_the_closed_report_counts_a_same_day_reversal_pairs_money_once(client, auth, db):
    credit, reversal = reversal_pair(client, auth)
    ack = client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/line:{reversal['id']}:reversed/acknowledge",
                      json={"reason": "ngân hàng hoàn trả"}, headers=auth("finance"))
    assert ack.status_code == 201, ack.json
    close_day(client, auth)
    rows = section_vii(client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance")).data)
    assert reversed_money(rows) == 50_000, rows
    [info] = [row for row in rows if row[1] == "Giao dịch đảo/hủy" and row[3].startswith("Thông tin")]
    assert info[0] == "Dòng 1 (mục VIII)" and "Dòng 2 (mục VIII)" in info[3], info


def test_a_reversal_a_day_later_leaves_the_credits_day_its_information_with_its_amount(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    upload(client, auth, mt940(("C", 50_000, "900001", f"nop le phi {code}")), "a.mt940")
    later = mt940(("RC", 50_000, "900002", f"REVERSAL 900001 {code}")).replace("2611241124", "2611251125") \
        .replace("C261124", "C261125").replace("HCC261124", "HCC261125")
    assert upload(client, auth, later, "b.mt940").status_code == 201
    info = summary(client, auth)["exceptions"]["by_kind"]["reversed"]["info"]
    assert (info["count"], info["amount_vnd"], info["in_pair"]["count"]) == (1, 50_000, 0)
    rows = section_vii(client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance")).data)
    assert reversed_money(rows) == 50_000, rows  # on this day, only the credit: its money shown


# HS53459566251 fails its check; one digit from it are HS53459566254 and HS53459566351, both valid.
MISTYPED, NEAR, FAR = "HS53459566251", "HS53459566254", "HS53459566351"


def line_detail(client, auth, line_id: int) -> dict:
    r = client.get(f"/api/v1/reconciliation/lines/{line_id}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json


def test_a_mistyped_code_with_two_open_neighbours_is_never_matched_and_offers_both(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(NEAR, 90_000), (FAR, 120_000)])
    body = upload(client, auth, vcb_csv(("N.1", "", "90.000", f"nop le phi {MISTYPED}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert (line["status"], line["allocations"], line["reasons"]) == ("unmatched", [], ["unresolved_code"])
    offered = {s["payment_code"]: s for s in line_detail(client, auth, line["id"])["suggestions"]}
    assert set(offered) == {NEAR, FAR}
    # the one owing exactly the amount first; each says its code is one keystroke from the memo's
    assert offered[NEAR]["score"] > offered[FAR]["score"]
    assert "code_one_edit_away" in offered[NEAR]["reasons"] and "code_one_edit_away" in offered[FAR]["reasons"]
    assert (offered[NEAR]["amount_vnd"], offered[FAR]["amount_vnd"]) == (90_000, 90_000)
    assert client.get(f"/api/v1/payment-requests/{NEAR}").json["paid_vnd"] == 0  # proposed, never applied


def test_a_neighbour_no_longer_open_is_not_offered(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(NEAR, 90_000), (FAR, 120_000)])
    cancelled = client.post(f"/api/v1/payment-requests/{FAR}/cancel", json={"reason": "hủy hồ sơ"},
                            headers=auth("intake"))
    assert cancelled.status_code == 200, cancelled.json
    body = upload(client, auth, vcb_csv(("N.1", "", "50.000", f"nop le phi {MISTYPED}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    # one open neighbour, another amount: proposed to finance (the correction needs the exact amount)
    assert (line["status"], line["allocations"]) == ("proposed", [])
    offered = [s["payment_code"] for s in line_detail(client, auth, line["id"])["suggestions"]]
    assert offered == [NEAR]
