"""Round 18 QA of reconciliation after import: a statement line is judged at the moment the bank booked it.

A transfer booked while its request was open pays it, however late the statement comes and whether or not
the expiry sweep ran meanwhile (its callback never came); one booked after the request lapsed, or for a
request cancelled or renewed since, waits in suspense as before."""
from datetime import datetime
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select, update

from kernel.clock import now_utc
from payments.models import PaymentRequest, PaymentRequestEvent
from tests.factories import make_request
from tests.recon_factories import all_lines, resolve, upload, vcb_csv

pytestmark = pytest.mark.usefixtures("ledger_checked")

LAPSED = datetime.fromisoformat("2026-11-24T12:00:00+07:00")  # the request's deadline, on the statement's day


def camt(*entries: tuple[str, int, str, str]) -> str:
    """A camt.053 of 24/11/2026 whose entries give the booking time: (ref, amount, local time, memo)."""
    body = "".join(
        f"<Ntry><Amt Ccy=\"VND\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><DtTm>2026-11-24T{at}+07:00</DtTm></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RmtInf><Ustrd>{escape(memo)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        for ref, amount, at, memo in entries)
    total = sum(amount for _, amount, _, _ in entries)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Id>R18</Id>"
            "<Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>"
            "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"VND\">0</Amt>"
            "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-24</Dt></Dt></Bal>"
            f"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"VND\">{total}</Amt>"
            "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-24</Dt></Dt></Bal>" + body
            + "</Stmt></BkToCstmrStmt></Document>")


def lapse(db, test_settings, code: str, at: datetime = LAPSED, *, sweep: bool = True) -> None:
    """The request's deadline moved to `at` (passed), and the expiry sweep run unless `sweep` is False."""
    from payments.service import expire_due_requests

    with db() as s, s.begin():
        s.execute(update(PaymentRequest).where(PaymentRequest.payment_code == code).values(expires_at=at))
        if sweep:
            assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 1


def request_row(db, code: str) -> tuple[str, int]:
    with db() as s:
        r = s.execute(select(PaymentRequest).where(PaymentRequest.payment_code == code)).scalar_one()
        return r.status, r.paid_vnd


def history(db, code: str) -> list[tuple[str, str, str]]:
    with db() as s:
        return [(e.event, e.from_status, e.to_status) for e in s.execute(
            select(PaymentRequestEvent).join(PaymentRequest).where(PaymentRequest.payment_code == code)
            .order_by(PaymentRequestEvent.id)).scalars()]


def only_line(client, auth, response) -> dict:
    assert response.status_code == 201, response.json
    [line] = all_lines(client, auth, response.json["import_id"])
    return line


@pytest.mark.parametrize("swept", [True, False], ids=["swept", "not-swept"])
def test_a_transfer_booked_before_the_deadline_pays_its_request_when_the_statement_comes_later(
        client, auth, db, test_settings, swept):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    lapse(db, test_settings, code, sweep=swept)
    line = only_line(client, auth, upload(client, auth, camt(("R18A", 50_000, "11:59:00", f"nop phi {code}")),
                                          "s.xml"))
    assert (line["status"], line["payment_id"] is not None) == ("matched", True), line
    assert request_row(db, code) == ("paid", 50_000)
    if swept:  # the sweep's expiry is undone, the history says why
        assert [h for h in history(db, code) if h[0] in ("expired", "expiry_undone")] == [
            ("expired", "pending", "expired"), ("expiry_undone", "expired", "pending")]
    else:
        assert "expired" not in [h[0] for h in history(db, code)]


@pytest.mark.parametrize("swept", [True, False], ids=["swept", "not-swept"])
def test_a_transfer_booked_after_the_deadline_still_waits_in_suspense(client, auth, db, test_settings, swept):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    lapse(db, test_settings, code, sweep=swept)
    line = only_line(client, auth, upload(client, auth, camt(("R18B", 50_000, "12:00:00", f"nop phi {code}")),
                                          "s.xml"))
    assert line["payment_id"] is not None and line["status"] != "matched", line
    assert request_row(db, code) == ("expired", 0)
    exceptions = client.get("/api/v1/reconciliation/days/2026-11-24/exceptions", headers=auth("finance")).json
    assert [e["kind"] for e in exceptions["exceptions"] if e["kind"] in ("late", "unmatched_credit")] == ["late"]


def test_a_line_without_a_time_is_judged_at_the_end_of_its_day(client, auth, db, test_settings):
    """The bank booked it some time that day: before a deadline of the next day, surely; on the deadline's
    own day, perhaps after it: that one waits for finance."""
    early, same_day = (make_request(client, auth, ("Lệ phí", "charge", 30_000)) for _ in range(2))
    lapse(db, test_settings, early, datetime.fromisoformat("2026-11-25T08:00:00+07:00"))
    lapse(db, test_settings, same_day)
    body = upload(client, auth, vcb_csv(("R18C1", "", "30.000", f"nop {early}"),
                                        ("R18C2", "", "30.000", f"nop {same_day}"))).json
    assert [line["status"] == "matched" for line in all_lines(client, auth, body["import_id"])] == [True, False]
    assert request_row(db, early) == ("paid", 30_000)
    assert request_row(db, same_day) == ("expired", 0)


def test_a_request_renewed_since_it_lapsed_is_not_paid_again_its_renewal_is_left_alone(client, auth, db,
                                                                                       test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    lapse(db, test_settings, code)
    from payments.models import Dossier

    with db() as s:
        dossier_code = s.execute(select(Dossier.code).join(PaymentRequest).where(
            PaymentRequest.payment_code == code)).scalar_one()
    renewed = client.post(f"/api/v1/dossiers/{dossier_code}/payment-requests", headers=auth("intake"))
    assert renewed.status_code == 201, renewed.json
    line = only_line(client, auth, upload(client, auth, camt(("R18D", 50_000, "09:00:00", f"nop phi {code}")),
                                          "s.xml"))
    assert line["status"] != "matched", line  # the fees are asked under the new code: finance decides
    assert request_row(db, code) == ("expired", 0)
    assert request_row(db, renewed.json["payment_code"]) == ("pending", 0)


def test_a_request_cancelled_is_not_reopened_by_a_transfer_booked_before(client, auth, db, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    cancelled = client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": "hồ sơ rút"},
                            headers=auth("intake"))
    assert cancelled.status_code == 200, cancelled.json
    with db() as s, s.begin():
        s.execute(update(PaymentRequest).where(PaymentRequest.payment_code == code).values(expires_at=LAPSED))
    line = only_line(client, auth, upload(client, auth, camt(("R18E", 50_000, "09:00:00", f"nop phi {code}")),
                                          "s.xml"))
    assert line["status"] != "matched", line
    assert request_row(db, code) == ("cancelled", 0)


def test_finance_matches_a_line_booked_before_the_deadline_to_its_lapsed_request(client, auth, db, test_settings):
    """A line left in suspense (its memo named no code) is matched by hand to the request it paid in time."""
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    lapse(db, test_settings, code)
    line = only_line(client, auth, upload(client, auth, camt(("R18F", 50_000, "10:00:00", "nop phi ho so")),
                                          "s.xml"))
    r = resolve(client, auth, line["id"], "match", payment_code=code, reason="người nộp gọi điện",
                expected_version=line["version"])
    assert r.status_code in (200, 201), r.json
    assert request_row(db, code) == ("paid", 50_000)


def test_finance_cannot_match_a_line_booked_after_the_deadline_to_the_lapsed_request(client, auth, db,
                                                                                     test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    lapse(db, test_settings, code)
    line = only_line(client, auth, upload(client, auth, camt(("R18G", 50_000, "13:00:00", "nop phi ho so")),
                                          "s.xml"))
    r = resolve(client, auth, line["id"], "match", payment_code=code, reason="người nộp gọi điện",
                expected_version=line["version"])
    assert (r.status_code, r.json["code"]) == (409, "request_not_creditable"), r.json
    assert request_row(db, code) == ("expired", 0)


def test_the_xlsx_report_shows_money_grouped_as_the_readers_locale_groups_thousands(client, auth, db):
    """A finance officer reading 1500000 in a spreadsheet counts the zeros: the money cells are numbers (sums
    still work) with a thousands format, which a Vietnamese spreadsheet shows as 1.500.000. Counts and row
    numbers stay plain."""
    import io

    from openpyxl import load_workbook

    code = make_request(client, auth, ("Lệ phí", "charge", 1_500_000))
    upload(client, auth, vcb_csv(("R18X", "", "1.500.000", f"nop {code}")))
    data = client.get("/api/v1/reconciliation/days/2026-11-24/report.xlsx", headers=auth("finance")).data
    book = load_workbook(io.BytesIO(data))
    details = list(book["Chi tiết sao kê"].iter_rows())
    columns = [c.value for c in details[0]]
    amount, number = details[1][columns.index("Số tiền (VND)")], details[1][columns.index("STT")]
    assert (amount.value, amount.number_format) == (1_500_000, "#,##0")
    assert number.value == 1 and number.number_format == "General"
    summary = list(book["Tổng hợp"].iter_rows())
    by_agency = next(i for i, row in enumerate(summary) if row[0].value == "II. Tổng hợp theo cơ quan")
    count, money = summary[by_agency + 2][1], summary[by_agency + 2][2]
    assert (count.value, count.number_format) == (1, "General")
    assert (money.value, money.number_format) == (1_500_000, "#,##0")


def test_a_line_part_refunded_and_the_rest_written_off_says_both(client, auth, db):
    """Finance asked 3.000 of a 7.000 line back and wrote the rest off: the line (pages, report) said only
    "written off", as if the refund had not been asked; it says both, whichever came first, and an undo of
    the later one leaves the earlier one said alone."""
    line = only_line(client, auth, upload(client, auth, vcb_csv(("R18W", "", "7.000", "hoan mot phan"))))
    asked = resolve(client, auth, line["id"], "refund", reason="một phần", amount_vnd=3_000)
    assert asked.status_code == 201, asked.json
    assert "refund_requested" in asked.json["line"]["reasons"]
    written = resolve(client, auth, line["id"], "write-off", reason="phần còn lại")
    assert written.status_code == 201, written.json
    shown = written.json["line"]
    assert shown["status"] == "matched" and {"refund_requested", "written_off"} <= set(shown["reasons"]), shown
    report = client.get("/api/v1/reconciliation/days/2026-11-24/report.csv", headers=auth("finance")).data
    assert "Đã đề nghị hoàn" in report.decode("utf-8-sig").splitlines()[-1]
    from tests.recon_factories import undo

    assert undo(client, auth, written.json["resolution"]["id"]).status_code == 200
    [again] = all_lines(client, auth, line["import_id"])
    assert "refund_requested" in again["reasons"] and "written_off" not in again["reasons"], again


def test_a_match_that_reopens_a_lapsed_request_beyond_what_it_owes_asks_to_confirm_first(client, auth, db,
                                                                                       test_settings):
    """The expiry undone is no way around the overpayment question: a match onto the request asks to confirm
    an excess as onto any request that takes money (it was skipped: the request read as not creditable)."""
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    lapse(db, test_settings, code)
    line = only_line(client, auth, upload(client, auth, camt(("R18O", 80_000, "10:00:00", "nop phi ho so")),
                                          "s.xml"))
    asked = resolve(client, auth, line["id"], "match", payment_code=code, reason="người nộp gọi điện")
    assert (asked.status_code, asked.json["code"]) == (409, "confirmation_required"), asked.json
    assert (asked.json["details"]["outstanding_vnd"], asked.json["details"]["overpayment_vnd"]) == (50_000, 30_000)
    assert request_row(db, code) == ("expired", 0)  # nothing moved
    confirmed = resolve(client, auth, line["id"], "match", payment_code=code, reason="người nộp gọi điện",
                        confirm_overpayment=True, confirmed_outstanding_vnd={code: 50_000})
    assert confirmed.status_code == 201, confirmed.json
    assert request_row(db, code) == ("overpaid", 80_000)
