"""A bank's reversal on the statement takes its credit back off the request, through the same
reversal path as a card void; an ambiguous one waits for finance."""
import pytest
from sqlalchemy import func, select

from payments.ledger import LedgerLine
from tests.factories import make_request
from tests.recon_factories import all_lines, upload

DAY = "2026-11-24"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def mt940(*transactions: tuple[str, int, str, str]) -> str:
    """(mark C/D/RC/RD, amount, reference, memo) lines of one day's MT940 statement."""
    body = "".join(f":61:2611241124{mark}{amount},NTRF{ref}//{ref}\n:86:{memo}\n" for mark, amount, ref, memo in
                   transactions)
    return f":20:HCC261124\n:25:0071001234567\n:28C:00001/001\n:60F:C261124VND1000000,\n{body}:62F:C261124VND1000000,\n"


def request_state(client, code: str) -> tuple[str, int]:
    body = client.get(f"/api/v1/payment-requests/{code}").json
    return body["status"], body["paid_vnd"]


def clearing_balance(db) -> int:
    with db() as s:
        return s.execute(select(func.sum(LedgerLine.debit_vnd - LedgerLine.credit_vnd))
                         .where(LedgerLine.account.startswith("bank:"))).scalar_one()


def test_a_reversed_credit_no_longer_pays_its_request(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    body = upload(client, auth, mt940(("C", 50_000, "900001", f"nop le phi {code}"),
                                      ("RC", 50_000, "900002", f"REVERSAL 900001 {code}")), "s.mt940").json
    credit, reversal = all_lines(client, auth, body["import_id"])
    assert request_state(client, code) == ("pending", 0)
    assert clearing_balance(db) == 0  # as on the bank's statement: 50.000 in, 50.000 back out
    reversed_ = {e["line_id"]: e["details"] for e in client.get(
        f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json["exceptions"]
        if e["kind"] == "reversed"}
    assert reversed_[reversal["id"]]["reversed_line_id"] == credit["id"]
    assert credit["id"] in reversed_  # its payment was reversed
    by_type = {row["type"]: row["amount_vnd"] for row in client.get(
        f"/api/v1/reconciliation/days/{DAY}", headers=auth("finance")).json["totals"]["by_transaction_type"]}
    assert by_type == {"reversal": 50_000, "bank_reversal": 50_000}  # not a bank fee


def test_a_reversal_that_could_be_either_of_two_credits_is_left_to_finance(client, auth, db):
    first = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    body = upload(client, auth, mt940(("C", 50_000, "900001", f"nop {first}"), ("C", 50_000, "900003", f"nop {second}"),
                                      ("RC", 50_000, "900002", "HOAN TRA GIAO DICH")), "s.mt940").json
    *_, reversal = all_lines(client, auth, body["import_id"])
    assert request_state(client, first) == ("paid", 50_000) and request_state(client, second) == ("paid", 50_000)
    [queued] = [e for e in client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance"))
                .json["exceptions"] if e["kind"] == "reversed"]
    assert (queued["line_id"], queued["details"]["reversed_line_id"], queued["open"]) == (reversal["id"], None, True)


@pytest.mark.parametrize("decision", ["write-off", "refund"])
def test_a_reversal_of_money_finance_already_decided_on_is_stored_and_left_to_finance(client, auth, db, decision):
    first = upload(client, auth, mt940(("C", 40_000, "REF900001", "chuyen tien nham")), "d1.mt940").json
    [credit] = all_lines(client, auth, first["import_id"])
    r = client.post(f"/api/v1/reconciliation/lines/{credit['id']}/{decision}", headers=auth("finance"),
                    json={"reason": "quyết định của kế toán"})
    assert r.status_code == 201, r.json
    second = upload(client, auth, mt940(("RC", 40_000, "REF900002", "REVERSAL REF900001")), "d2.mt940")
    assert second.status_code == 201 and second.json["lines_new"] == 1, second.json
    [reversal] = all_lines(client, auth, second.json["import_id"])
    [queued] = [e for e in client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance"))
                .json["exceptions"] if e["kind"] == "reversed" and e["line_id"] == reversal["id"]]
    assert queued["open"] and queued["details"]["reversed_line_id"] is None


def test_a_reversal_under_the_credits_own_reference_names_that_credit(client, auth, db):
    # MT940 RC lines and camt.053 RvslInd entries often keep the reference of the transfer they undo.
    first = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    upload(client, auth, mt940(("C", 50_000, "FT26330RC001", f"nop {first}"), ("C", 50_000, "FT26330RC002",
                                                                                 f"nop {second}"),
                               ("RC", 50_000, "FT26330RC001", "HOAN TRA GIAO DICH")), "s.mt940")
    assert request_state(client, first) == ("pending", 0)
    assert request_state(client, second) == ("paid", 50_000)
