"""Statement import, QA round 7: exports of Vietnamese banks as staff upload them, end to end."""
from tests.recon_factories import all_lines, make_requests_with_codes, paid_vnd, upload

CODE = "HS40881023160"


def test_a_refund_marked_ghi_no_beside_the_amount_is_no_payment(client, auth, db, monkeypatch):
    # BIDV/VietinBank: one "Số tiền" column and a "Ghi nợ/Ghi có" mark. The refund naming the code went out;
    # read as a credit it paid the request a second time.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 60_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Số tiền,Ghi nợ/Ghi có,Nội dung\n"
            f"24/11/2026 10:15:30,FT26328001,\"30,000\",C,{CODE} nop le phi\n"
            f"24/11/2026 10:20:00,FT26328002,\"30,000\",D,Hoan tien {CODE} nop thua\n")
    r = upload(client, auth, text)
    assert r.status_code in (200, 201, 202), r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert sorted(l["direction"] for l in lines) == ["credit", "debit"]
    assert paid_vnd(client, CODE) == 30_000


def test_a_csv_of_excel_text_cells_is_imported_and_credited(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Ngày GD/ TNX Date,Số CT/ Doc No,Số tiền ghi nợ/ Debit,Số tiền ghi có/ Credit,Số dư/ Balance,"
            "Nội dung chi tiết/ Transactions in detail\n"
            f'="24/11/2026",="5000.96828",,="30.000",,"CT nhanh 247 den: {CODE} nop le phi"\n')
    r = upload(client, auth, text)
    assert r.status_code in (200, 201, 202), r.json
    [line] = all_lines(client, auth, r.json["import_id"])
    assert (line["bank_ref"], line["amount_vnd"]) == ("5000.96828", 30_000)
    assert paid_vnd(client, CODE) == 30_000
