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


def test_releasing_a_statement_lines_allocation_is_that_lines_unmatch(client, auth, db, monkeypatch):
    from tests.recon_factories import all_lines

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 50_000)])
    imported = upload(client, auth, vcb_csv(("5100.2", "", "80.000", f"{CODE} {OTHER} le phi"))).json
    [line] = all_lines(client, auth, imported["import_id"])
    assert line["status"] == "matched"
    payment = client.get(f"/api/v1/payments/{line['payment_id']}", headers=auth("finance")).json
    wrong = next(a for a in payment["allocations"] if a["payment_code"] == OTHER)
    r = client.post(f"/api/v1/finance/allocations/{wrong['id']}/release", headers=auth("finance"),
                    json={"reason": "khớp nhầm hồ sơ"})
    assert r.status_code == 200, r.json
    assert r.json["unallocated_vnd"] == 50_000
    detail = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert (detail["unallocated_vnd"], detail["score"]) == (50_000, 70), detail  # partly in suspense
    [decision] = [d for d in detail["resolutions"] if d["action"] == "unmatch"]
    assert [a["payment_code"] for a in decision["data"]["released"]] == [OTHER]
    undo = client.post(f"/api/v1/reconciliation/resolutions/{decision['id']}/undo", headers=auth("finance"),
                       json={"reason": "bỏ khớp nhầm"})
    assert undo.status_code in (200, 201), undo.json
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 50_000)
    assert client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json["status"] == "matched"


def test_money_from_a_line_without_a_time_shows_its_date_alone_in_suspense(client, auth):
    upload(client, auth, vcb_csv(("5100.3", "", "45.000", "chuyen tien khong ma")))
    page = client.get("/staff/finance/suspense", headers=auth("finance")).get_data(as_text=True)
    assert "24/11/2026" in page and "24/11/2026 00:00" not in page


def test_batch_parts_then_an_mt940_spelling_their_references_without_dots_add_no_money(
        client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 350_000)])
    upload(client, auth, _batch_with_part_refs(), "s.xml")
    payments = count_payments(db)
    mt940 = (":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND0,\n"
             f":61:2611241124C30000,NTRF51001111A//51001111A\n:86:{CODE} le phi\n"
             f":61:2611241124C350000,NTRF51001111B//51001111B\n:86:{OTHER} le phi\n:62F:C261124VND380000,\n")
    r = upload(client, auth, mt940, "s.mt940")
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 2), r.json
    assert count_payments(db) == payments
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 350_000)
