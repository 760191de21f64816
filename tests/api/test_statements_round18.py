"""Round 18 through the import API: a camt.053 whose entries are booked under a proprietary status credits them; an
MT940 line whose bank reference is followed by text is the same transfer as the bank's CSV row under the reference
(credited once), and a file stored earlier under the whole text adds nothing imported again; a CSV of a quiet day
(its title's period and balances) is imported with no line and its balances kept."""
from sqlalchemy import select

from tests.factories import assert_ledger_ok
from tests.recon_factories import all_lines, make_requests_with_codes, paid_vnd, upload, vcb_csv
from tests.unit.test_parse_fix_tabular import csv_text
from tests.unit.test_statements_round17 import camt
from tests.unit.test_statements_round18 import HEADER, _entry

CODE = "HS40881023160"


def test_a_camt_statement_booking_its_entries_under_a_proprietary_status_credits_them(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    data = camt(_entry("<Sts><Prtry>BOOKED</Prtry></Sts>") + _entry("<Sts><Prtry>PENDING</Prtry></Sts>", 50_000, "R2"))
    r = upload(client, auth, data, "proprietary.xml")
    assert r.status_code == 201 and (r.json["lines_total"], r.json["lines_new"]) == (1, 1), r.json
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


def _mt940_with_text_after_the_reference() -> str:
    return (":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND0,\n"
            ":61:2611241124C30000,NTRFNONREF//FT24329ABCDE CT DEN\n"
            f":86:{CODE} nop le phi\n:62F:C261124VND30000,\n")


def test_an_mt940_reference_followed_by_text_and_the_csv_row_under_the_reference_are_one_transfer(
        client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 60_000)])
    r = upload(client, auth, vcb_csv(("FT24329ABCDE", "", "30.000", f"{CODE} nop le phi")), "day.csv")
    assert r.status_code == 201 and r.json["lines_new"] == 1, r.json
    r = upload(client, auth, _mt940_with_text_after_the_reference(), "day.sta")
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 1), r.json
    assert paid_vnd(client, CODE) == 30_000  # one transfer, credited once (it was credited twice)
    assert_ledger_ok(db)


def test_an_mt940_stored_under_the_whole_text_before_is_not_stored_or_credited_again(client, auth, db, monkeypatch):
    from reconciliation import swift

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 60_000)])
    with monkeypatch.context() as before:  # the reading until round 18: the whole text after `//` keyed the line
        before.setattr(swift, "_split_bank_reference", lambda bank: (bank, None))
        r = upload(client, auth, _mt940_with_text_after_the_reference(), "before.sta")
    assert r.status_code == 201 and r.json["lines_new"] == 1, r.json
    [stored] = all_lines(client, auth, r.json["import_id"])
    assert stored["bank_ref"] == "FT24329ABCDE CT DEN"
    again = upload(client, auth, _mt940_with_text_after_the_reference(), "again.sta")
    assert again.status_code == 201 and (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 1), again.json
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


def test_a_csv_of_a_quiet_day_is_imported_with_no_line_and_its_balances(client, auth, db):
    from reconciliation.models import StatementBalance

    data = csv_text(["SAO KÊ TÀI KHOẢN"], ["Từ ngày 24/11/2026 đến ngày 24/11/2026"],
                    ["Số tài khoản: 0071001234567"], ["Số dư đầu kỳ: 500.000"], HEADER,
                    ["Số dư cuối kỳ", "", "", "", "500.000", ""])
    r = upload(client, auth, data, "quiet-day.csv")
    assert r.status_code == 201, r.json
    assert (r.json["format"], r.json["lines_total"], r.json["lines_new"]) == ("csv", 0, 0)
    with db() as s:
        stated = s.execute(select(StatementBalance)).scalars().all()
    assert [(str(b.business_date), b.opening_vnd, b.closing_vnd) for b in stated] == [("2026-11-24", 500_000, 500_000)]


def test_a_csv_without_transactions_or_period_is_still_refused_as_empty(client, auth):
    data = csv_text(["Số dư đầu kỳ: 500.000"], HEADER, ["Số dư cuối kỳ", "", "", "", "500.000", ""])
    r = upload(client, auth, data, "nothing.csv")
    assert r.status_code == 400 and r.json["code"] == "empty_statement", r.json


def test_a_csv_whose_memo_wraps_past_any_banks_is_refused_with_a_typed_error(client, auth, db):
    rows = [HEADER, ["24/11/2026", "FT1", "", "30.000", "", CODE]] + [["", "", "", "", "", "a" * 40]] * 1_000
    r = upload(client, auth, csv_text(*rows), "damaged.csv")
    assert r.status_code == 400 and r.json["code"] == "memo_too_long", r.json


def test_memo_too_long_has_sentences_for_the_pages():
    from web.finance_text import ERRORS

    vietnamese, english = ERRORS["memo_too_long"]
    assert "ký tự" in vietnamese and "{line_no}" in vietnamese and "characters" in english
