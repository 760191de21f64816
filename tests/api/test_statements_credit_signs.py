"""A statement whose credit column holds a negative amount is refused whole, naming the line; amounts
written with their side (`CR`/`DR`) are read as that side."""
from tests.factories import make_request
from tests.recon_factories import all_lines, count_payments, upload, vcb_csv


def test_a_negative_credit_refuses_the_upload_with_a_typed_error_and_stores_nothing(client, auth, db):
    r = upload(client, auth, vcb_csv(("5000.1", "", "30.000", "ung ho"), ("5000.2", "", "-30.000", "hoan")))
    assert r.status_code == 400 and (r.json["code"], r.json["details"]["line_no"]) == ("invalid_amount", 2), r.json
    assert count_payments(db) == 0
    assert client.get("/api/v1/reconciliation/statements", headers=auth("finance")).json["imports"] == []


def test_amounts_marked_cr_and_dr_in_one_column_credit_the_request_and_book_the_fee(client, auth, db):
    """`1.000.000 CR` is money in, `DR 15.000` money out: the credit pays the code its memo names."""
    code = make_request(client, auth)
    owed = client.get(f"/api/v1/payment-requests/{code}", headers=auth("finance")).json["amount_vnd"]
    statement = ("Ngày giao dịch,Số tham chiếu,Số tiền,Nội dung\n"
                 f'24/11/2026,FT001,"{owed:,} CR","{code} nop phi"\n'
                 '24/11/2026,FT002,"DR 15,000","Phi dich vu"\n')
    r = upload(client, auth, statement)
    assert r.status_code == 201, r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert [(l["amount_vnd"], l["direction"], l["status"]) for l in lines] == [
        (owed, "credit", "matched"), (15_000, "debit", "ignored")]
    assert lines[0]["allocations"] == [{"payment_code": code, "amount_vnd": owed, "how": "exact"}]
    assert count_payments(db) == 1


def test_a_debit_marked_amount_in_the_credit_column_refuses_the_upload_naming_the_line(client, auth, db):
    r = upload(client, auth, vcb_csv(("5000.1", "", "30.000", "ung ho"), ("5000.2", "", "30.000 DR", "hoan")))
    assert r.status_code == 400 and (r.json["code"], r.json["details"]["line_no"]) == ("unknown_direction", 2), r.json
    assert count_payments(db) == 0
