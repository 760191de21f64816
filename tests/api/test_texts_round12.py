"""The counter slip (phiếu thu) names the procedure whole: it was cut at 80 characters mid-word, and a
real procedure's name ("Cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn
liền với đất lần đầu", 100 characters) lost what the citizen paid for."""
from tests.api.test_money_round8 import take_cash
from tests.factories import dossier_body

NAME = "Cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất lần đầu"


def test_the_cash_slip_names_a_long_procedure_whole(client, auth):
    body = dossier_body(("Lệ phí", "charge", 100_000)) | {"procedure_name": NAME}
    code = client.post("/api/v1/dossiers", json=body, headers=auth("intake")).json["payment_request"]["payment_code"]
    taken = take_cash(client, auth, code, 100_000).json
    slip = client.get(f"/api/v1/payments/{taken['id']}/receipt.txt", headers=auth("cashier")).get_data(as_text=True)
    assert all(len(line) <= 40 for line in slip.splitlines())
    assert f"Thủ tục: {NAME}" in " ".join(slip.splitlines())
