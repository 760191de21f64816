"""Seventh QA round of reconciliation after import: statement lines probed through the API as finance
reads them."""
from payments.codes import check_digits
from tests.recon_factories import (all_lines, bank_callback, count_payments, make_requests_with_codes, paid_vnd, upload,
                                   vcb_csv)

DAY = "2026-11-24"


def code(body9: str) -> str:
    return f"HS{body9}{check_digits(body9)}"


VERIFIED, MISTYPED = code("312000451"), code("745000183")
# MISTYPED with its third digit changed (5 -> 4): the check digits catch it; of its four valid one-edit
# neighbours the request is the one open
TYPO = MISTYPED[:4] + "4" + MISTYPED[5:]


def open_two(client, auth, monkeypatch) -> None:
    make_requests_with_codes(client, auth, monkeypatch, [(VERIFIED, 30_000), (MISTYPED, 70_000)])


def exceptions_of(client, auth) -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["exceptions"]


def test_a_verified_code_is_paid_when_a_mistyped_code_beside_it_is_not_for_the_amount(client, auth, monkeypatch, db):
    # The memo names a verified code and a mistyped one; the transfer is exactly what the verified code owes.
    open_two(client, auth, monkeypatch)
    body = upload(client, auth, vcb_csv(("7001", "", "30.000", f"nop phi {VERIFIED} {TYPO}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert (line["status"], line["score"], line["unallocated_vnd"]) == ("matched", 100, 0), line
    assert [(a["payment_code"], a["amount_vnd"]) for a in line["allocations"]] == [(VERIFIED, 30_000)]
    assert "code_verified" in line["reasons"]
    assert (paid_vnd(client, VERIFIED), paid_vnd(client, MISTYPED)) == (30_000, 0)


def test_only_the_corrected_share_waits_when_the_amount_is_not_what_both_owe(client, auth, monkeypatch, db):
    # One đồng more than both owe: the verified code takes what it owes, the correction is only proposed.
    open_two(client, auth, monkeypatch)
    body = upload(client, auth, vcb_csv(("7002", "", "100.001", f"{VERIFIED} {TYPO} nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert [(a["payment_code"], a["amount_vnd"]) for a in line["allocations"]] == [(VERIFIED, 30_000)]
    assert (line["status"], line["unallocated_vnd"]) == ("matched", 70_001), line
    assert "correction_amount_differs" in line["reasons"] and line["score"] < 90
    assert line["proposal"]["payment_code"] == MISTYPED and line["proposal"]["outstanding_vnd"] == 70_000
    assert (paid_vnd(client, VERIFIED), paid_vnd(client, MISTYPED)) == (30_000, 0)
    [waiting] = [e for e in exceptions_of(client, auth) if e["kind"] == "unmatched_credit"]
    assert waiting["amount_vnd"] == 70_001 and waiting["details"]["proposal"]["payment_code"] == MISTYPED


def test_the_proposal_offers_no_more_than_what_waits_in_suspense(client, auth, monkeypatch, db):
    # 90,000: the verified code takes its 30,000; 60,000 waits, less than the mistyped request owes.
    open_two(client, auth, monkeypatch)
    body = upload(client, auth, vcb_csv(("7003", "", "90.000", f"nop {VERIFIED} va {TYPO}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["unallocated_vnd"] == 60_000, line
    assert (line["proposal"]["payment_code"], line["proposal"]["amount_vnd"]) == (MISTYPED, 60_000)
    # what finance is offered can be matched as it is
    taken = client.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"), json={
        "reason": "khớp theo đề xuất", "allocations": [{"payment_code": MISTYPED,
                                                       "amount_vnd": line["proposal"]["amount_vnd"]}]})
    assert taken.status_code == 201, taken.json
    assert taken.json["line"]["unallocated_vnd"] == 0 and paid_vnd(client, MISTYPED) == 60_000


def test_a_line_under_its_callbacks_reference_is_linked_for_another_amount_when_the_memo_mistyped_the_code(
        client, auth, monkeypatch, db, test_settings):
    # The bank pushed FT55 for 70,000 with a mistyped code (the callback corrected it onto the request); its
    # statement shows FT55 with the same memo for 70,500. One transfer: linked, the 500 differing for finance.
    make_requests_with_codes(client, auth, monkeypatch, [(MISTYPED, 70_000)])
    bank_callback(client, test_settings, "FT55", 70_000, f"nop {TYPO}")
    assert paid_vnd(client, MISTYPED) == 70_000
    body = upload(client, auth, vcb_csv(("FT55", "", "70.500", f"nop {TYPO}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert (line["source"], [a["payment_code"] for a in line["allocations"]]) == ("callback", [MISTYPED]), line
    assert count_payments(db) == 1  # the statement credited no second payment
    kinds = {e["kind"]: e["amount_vnd"] for e in exceptions_of(client, auth) if e["severity"] == "blocking"}
    assert kinds == {"amount_differs": 500}, kinds


def test_a_late_callback_under_the_lines_reference_is_linked_for_another_amount_when_the_memo_mistyped_the_code(
        client, auth, monkeypatch, db, test_settings):
    # The other order: the statement credited FT57 (a mistyped code, corrected for its exact amount), then
    # the bank's callback for FT57 reports 69,500 with the same memo: the same transfer, not a second one.
    make_requests_with_codes(client, auth, monkeypatch, [(MISTYPED, 70_000)])
    body = upload(client, auth, vcb_csv(("FT57", "", "70.000", f"nop {TYPO}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert [(a["payment_code"], a["how"]) for a in line["allocations"]] == [(MISTYPED, "corrected")]
    bank_callback(client, test_settings, "FT57", 69_500, f"nop {TYPO}")
    assert count_payments(db) == 1 and paid_vnd(client, MISTYPED) == 70_000
    kinds = {e["kind"]: e["amount_vnd"] for e in exceptions_of(client, auth) if e["severity"] == "blocking"}
    assert kinds == {"amount_differs": 500}, kinds
