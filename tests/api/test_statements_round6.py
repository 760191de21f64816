"""Statement import, QA round 6: files of the same kinds as the samples, written the way banks do."""
from tests.api.test_statements_round5 import camt, ntry, stmt
from tests.factories import assert_ledger_ok
from tests.recon_factories import count_payments, make_requests_with_codes, paid_vnd, upload, vcb_csv

CODE, OTHER = "HS40881023160", "HS21890246178"


def _tx_with_ref(ref: str, memo: str, amount: str) -> str:
    return (f'<TxDtls><Refs><AcctSvcrRef>{ref}</AcctSvcrRef></Refs><Amt Ccy="VND">{amount}</Amt>'
            f"<RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>")


def _batch_with_part_refs() -> str:
    return camt(stmt(ntry("380000", _tx_with_ref("5100.1111A", f"{CODE} le phi", "30000")
                          + _tx_with_ref("5100.1111B", f"{OTHER} le phi", "350000"), ref="5100.11111")))


def test_batch_parts_with_their_own_references_then_listed_alone_by_a_csv_add_no_money(
        client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 350_000)])
    first = upload(client, auth, _batch_with_part_refs(), "s.xml")
    assert (first.json["lines_new"], first.json["lines_duplicate"]) == (2, 0), first.json
    payments = count_payments(db)
    csv = upload(client, auth, vcb_csv(("5100.1111A", "", "30.000", f"{CODE} le phi"),
                                       ("5100.1111B", "", "350.000", f"{OTHER} le phi")))
    assert (csv.json["lines_new"], csv.json["lines_duplicate"]) == (0, 2), csv.json
    assert count_payments(db) == payments
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 350_000)
    assert_ledger_ok(db)


def test_the_parts_listed_alone_first_and_the_camt_batch_after_add_no_money(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 350_000)])
    first = upload(client, auth, vcb_csv(("5100.1111A", "", "30.000", f"{CODE} le phi"),
                                         ("5100.1111B", "", "350.000", f"{OTHER} le phi")))
    assert first.json["lines_new"] == 2, first.json
    again = upload(client, auth, _batch_with_part_refs(), "s.xml")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 350_000)


def test_a_part_reference_of_another_amount_is_another_transfer(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 60_000), (OTHER, 350_000)])
    upload(client, auth, _batch_with_part_refs(), "s.xml")
    csv = upload(client, auth, vcb_csv(("5100.1111A", "", "20.000", f"{CODE} le phi")))
    assert csv.json["lines_new"] == 1, csv.json
