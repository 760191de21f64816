"""Round 17 through the import API: one rule for a statement without transactions (a file that carries nothing is
refused with the same code in every format; a day without transactions stating its balance is imported), and a
camt.053 batch kept as one line is no longer keyed by its first transfer's reference, so the same entry from
another file of the day (which gives the entry's own reference) is found and not credited twice."""
import pytest
from sqlalchemy import func, select

from tests.factories import assert_ledger_ok
from tests.recon_factories import (all_lines, make_requests_with_codes, mt940_references_before_round17, paid_vnd,
                                   upload)
from tests.unit.test_statements_round17 import balance, camt, entry, tx


def _count_imports(db) -> int:
    from reconciliation.models import StatementImport

    with db() as s:
        return s.execute(select(func.count()).select_from(StatementImport)).scalar_one()


@pytest.mark.parametrize("data,filename", [
    ("Ngày giao dịch,Số tiền,Nội dung\n", "header.csv"),
    (camt(""), "empty.xml"),
    (":20:X\n:25:0071001234567\n:28C:1/1\n", "empty.sta"),
], ids=["csv", "camt053", "mt940"])
def test_a_statement_file_that_carries_nothing_is_refused_alike_whatever_its_format(client, auth, db, data, filename):
    r = upload(client, auth, data, filename, account_number="0071001234567")
    assert r.status_code == 400, r.json
    assert r.json["code"] == "empty_statement" and "nothing to import" in r.json["message"], r.json
    assert _count_imports(db) == 0  # refused whole: no import recorded, no raw file kept


def test_a_day_without_transactions_stating_its_balance_is_imported_with_no_line(client, auth):
    r = upload(client, auth, camt(balance("OPBD", 500_000) + balance("CLBD", 500_000)), "quiet-day.xml")
    assert r.status_code == 201, r.json
    assert (r.json["format"], r.json["lines_total"], r.json["lines_new"]) == ("camt053", 0, 0)


def _codes() -> tuple[str, str]:
    from payments.codes import check_digits

    return tuple(f"HS{body}{check_digits(body)}" for body in ("000000001", "000000002"))


def test_a_batch_kept_whole_and_the_same_entry_from_mt940_are_one_line_credited_once(client, auth, db, monkeypatch):
    first, second = _codes()
    make_requests_with_codes(client, auth, monkeypatch, [(first, 30_000), (second, 50_000)])
    batch = camt(entry(80_000, tx(first, "T1") + tx(second, "T2")))
    r = upload(client, auth, batch, "batch.xml")
    assert r.status_code == 201 and r.json["lines_new"] == 1, r.json
    batch_import = r.json["import_id"]
    # The bank's MT940 of the day gives the entry's own reference: the same booked money, found as the stored line.
    mt940 = (":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND0,\n:61:2611241124C80000,NTRFNONREF//E1\n"
             f":86:{first} {second}\n:62F:C261124VND80000,\n")
    r = upload(client, auth, mt940, "day.sta")
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 1), r.json
    assert (paid_vnd(client, first), paid_vnd(client, second)) == (30_000, 50_000)
    [line] = all_lines(client, auth, batch_import)
    assert (line["bank_ref"], line["amount_vnd"]) == (None, 80_000)  # not the first transfer's T1
    r = upload(client, auth, batch, "batch-again.xml")
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 1), r.json
    assert_ledger_ok(db)


def test_a_batch_stored_under_its_first_transfers_reference_before_is_not_stored_again(client, auth, db, monkeypatch):
    from tests.recon_factories import vcb_csv

    first, second = _codes()
    make_requests_with_codes(client, auth, monkeypatch, [(first, 30_000), (second, 50_000)])
    # What an earlier import stored of the batch: one line of all its money, under its first transfer's reference.
    r = upload(client, auth, vcb_csv(("T1", "", "80.000", f"{first} {second}")), "as-stored-before.csv")
    assert r.status_code == 201 and r.json["lines_new"] == 1, r.json
    r = upload(client, auth, camt(entry(80_000, tx(first, "T1") + tx(second, "T2"))), "batch.xml")
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 1), r.json
    assert (paid_vnd(client, first), paid_vnd(client, second)) == (30_000, 50_000)
    assert_ledger_ok(db)


# --- an MT940 line whose only reference is the customer's ------------------------------

def _mt940(*lines: str, closing: int = 60_000) -> str:
    body = "".join(f"{line}\n" for line in lines)
    return (f":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND0,\n{body}"
            f":62F:C261124VND{closing},\n")


TWO_EQUAL_PAYMENTS = _mt940(":61:2611241124C30000,NTRFHS40881023160", ":61:2611241124C30000,NTRFHS40881023160")


def _one_fee_paid_in_two_equal_transfers(client, auth, monkeypatch) -> tuple[str, str]:
    """A dossier's 60,000 paid the same day in two transfers of 30,000 (two relatives), each naming the code,
    which the bank puts in the :61:'s customer reference with no `//` bank reference of its own."""
    make_requests_with_codes(client, auth, monkeypatch, [("HS40881023160", 60_000)])
    return "HS40881023160", TWO_EQUAL_PAYMENTS


def test_two_equal_mt940_payments_named_only_by_the_customers_reference_are_two_lines(client, auth, db, monkeypatch):
    code, data = _one_fee_paid_in_two_equal_transfers(client, auth, monkeypatch)
    r = upload(client, auth, data, "day.sta")
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (2, 0), r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert [(line["bank_ref"], line["memo"], line["amount_vnd"]) for line in lines] == [(None, code, 30_000)] * 2
    assert paid_vnd(client, code) == 60_000  # both citizens' money credited
    again = upload(client, auth, data, "day-again.sta")
    assert again.status_code == 201 and (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert paid_vnd(client, code) == 60_000
    assert_ledger_ok(db)


@pytest.mark.parametrize("reference", ["HS40881023160", "HS40881023160NOPLEPHIHOSO24"], ids=["short", "over-16"])
def test_an_mt940_stored_under_the_customers_reference_before_is_not_stored_or_credited_again(
        client, auth, db, monkeypatch, reference):
    from reconciliation import swift

    make_requests_with_codes(client, auth, monkeypatch, [("HS40881023160", 30_000)])
    data = _mt940(f":61:2611241124C30000,NTRF{reference}", ":86:nop le phi HS40881023160", closing=30_000)
    with monkeypatch.context() as before:
        before.setattr(swift, "_references", mt940_references_before_round17)
        r = upload(client, auth, data, "before.sta")
    assert r.status_code == 201 and r.json["lines_new"] == 1, r.json
    [stored] = all_lines(client, auth, r.json["import_id"])
    assert stored["bank_ref"] == reference  # keyed the old way: r:<day>:<customer's reference>:C30000
    assert paid_vnd(client, "HS40881023160") == 30_000
    again = upload(client, auth, data, "again.sta")
    assert again.status_code == 201 and (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 1), again.json
    assert paid_vnd(client, "HS40881023160") == 30_000
    assert_ledger_ok(db)


def test_two_equal_payments_stored_as_one_line_before_are_not_credited_twice_when_imported_again(
        client, auth, db, monkeypatch):
    from reconciliation import swift

    code, _ = _one_fee_paid_in_two_equal_transfers(client, auth, monkeypatch)
    data = _mt940(*[":61:2611241124C30000,NTRFHS40881023160", ":86:HS40881023160"] * 2)
    with monkeypatch.context() as before:
        before.setattr(swift, "_references", mt940_references_before_round17)
        r = upload(client, auth, data, "before.sta")
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (1, 1), r.json
    again = upload(client, auth, data, "again.sta")
    assert again.status_code == 201 and (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert paid_vnd(client, code) == 30_000  # what the earlier import credited, not a line credited twice
    assert_ledger_ok(db)


def test_an_mt940_line_with_a_bank_reference_is_still_keyed_by_it(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [("HS40881023160", 60_000)])
    data = _mt940(":61:2611241124C30000,NTRFHS40881023160//FT1", ":61:2611241124C30000,NTRFHS40881023160//FT1")
    r = upload(client, auth, data, "day.sta")  # one bank reference listed twice: the same transfer
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (1, 1), r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert {(line["id"], line["bank_ref"], line["memo"]) for line in lines} == {(lines[0]["id"], "FT1", "HS40881023160")}
    assert paid_vnd(client, "HS40881023160") == 30_000
    assert_ledger_ok(db)


@pytest.mark.parametrize("order", ["csv-first", "mt940-first"])
def test_a_bank_reference_written_as_the_customers_and_the_csv_row_under_it_are_one_transfer(
        client, auth, db, monkeypatch, order):
    """A bank writing its own reference in the :61:'s customer field: the MT940 line (keyed by its fingerprint
    now) and the day's CSV row under that reference are found as twins by day, amount and memo."""
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [("HS40881023160", 30_000)])
    csv = vcb_csv(("FT26328000001", "", "30.000", "HS40881023160 nop le phi"))
    mt940 = _mt940(":61:2611241124C30000,NTRFFT26328000001", ":86:HS40881023160 nop le phi", closing=30_000)
    files = [(csv, "day.csv"), (mt940, "day.sta")]
    for data, name in files if order == "csv-first" else files[::-1]:
        r = upload(client, auth, data, name)
        assert r.status_code == 201, r.json
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 1), r.json
    assert paid_vnd(client, "HS40881023160") == 30_000
    assert_ledger_ok(db)
