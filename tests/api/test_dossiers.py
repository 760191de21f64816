"""POST /dossiers and the payment request it creates, through the HTTP API."""
import copy
import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from payments import codes, vietqr
from payments.models import Dossier, FeeItem, PaymentRequest

BODY = {
    "code": "000.00.12.H40-261125-0101",
    "procedure_code": "1.004227",
    "procedure_name": "Đăng ký biến động đất đai",
    "agency_code": "H40.22",
    "applicant": {"name": "Nguyễn Văn An", "phone": "0912 345 678", "id_number": "022088001234"},
    "fees": [
        {"name": "Lệ phí cấp Giấy chứng nhận", "kind": "charge", "amount_vnd": 100000},
        {"name": "Phí thẩm định", "kind": "fee", "amount_vnd": 250000},
    ],
}


def body(**changes):
    b = copy.deepcopy(BODY)
    b.update(changes)
    return b


def post_dossier(client, auth, payload, role="intake"):
    return client.post("/api/v1/dossiers", json=payload, headers=auth(role))


def count(db, model):
    with db() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_posting_a_dossier_returns_a_payment_request_with_code_amount_and_vietqr(client, auth):
    r = post_dossier(client, auth, BODY)
    assert r.status_code == 201, r.json
    pr = r.json["payment_request"]
    assert codes.is_valid_code(pr["payment_code"])
    assert pr["amount_vnd"] == 350000 and pr["status"] == "pending"
    assert pr["expires_at"].endswith("+00:00")
    qr = vietqr.parse_payload(pr["vietqr"])
    assert (qr.bin, qr.account, qr.amount_vnd, qr.purpose) == ("970436", "0071001234567", 350000,
                                                              pr["payment_code"])
    assert qr.initiation == "12"
    assert pr["qr_png_url"].endswith(f"/api/v1/payment-requests/{pr['payment_code']}/qr.png")
    assert pr["pay_url"].endswith(f"/pay/{pr['payment_code']}")
    assert r.json["applicant"]["phone"] == "0912345678"  # normalised


def test_the_same_body_again_returns_200_and_the_same_request(client, auth, db):
    first = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    again = post_dossier(client, auth, BODY)
    assert again.status_code == 200
    assert again.json["payment_request"]["payment_code"] == first
    assert count(db, PaymentRequest) == 1


def test_a_different_body_with_the_same_code_is_a_409_and_changes_nothing(client, auth, db):
    post_dossier(client, auth, BODY)
    changed = body(fees=[{"name": "Lệ phí", "kind": "charge", "amount_vnd": 1}])
    r = post_dossier(client, auth, changed)
    assert r.status_code == 409
    assert r.json["code"] == "dossier_conflict"
    assert count(db, FeeItem) == 2 and count(db, PaymentRequest) == 1


def test_payment_codes_are_not_sequential(client, auth):
    got = [post_dossier(client, auth, body(code=f"D-{i}")).json["payment_request"]["payment_code"]
           for i in range(5)]
    numbers = sorted(int(c[2:11]) for c in got)
    assert len(set(got)) == 5
    assert any(b - a != 1 for a, b in zip(numbers, numbers[1:]))


@pytest.mark.parametrize("payload,code", [
    (body(fees=[{"name": "x", "kind": "tip", "amount_vnd": 1}]), "unknown_fee_kind"),
    (body(fees=[{"name": "x", "kind": "fee", "amount_vnd": 1.5}]), "invalid_amount"),
    (body(fees=[{"name": "x", "kind": "fee", "amount_vnd": 150000.0}]), "invalid_amount"),
    (body(fees=[{"name": "x", "kind": "fee", "amount_vnd": True}]), "invalid_amount"),
    (body(fees=[{"name": "x", "kind": "fee", "amount_vnd": "150000"}]), "invalid_amount"),
    (body(fees=[{"name": "x", "kind": "fee", "amount_vnd": 0}]), "amount_out_of_range"),
    (body(fees=[{"name": "x", "kind": "fee", "amount_vnd": -5000}]), "amount_out_of_range"),
    (body(fees=[{"name": "x", "kind": "fee", "amount_vnd": 500_000_001}]), "amount_out_of_range"),
    (body(fees=[{"name": "a", "kind": "fee", "amount_vnd": 300_000_000},
                {"name": "b", "kind": "fee", "amount_vnd": 300_000_000}]), "amount_out_of_range"),
    (body(fees=[]), "missing_field"),
    (body(fees="100000"), "missing_field"),
    (body(code=""), "missing_field"),
    (body(code="bad code with spaces"), "invalid_dossier_code"),
    (body(code=12345), "validation_error"),
    (body(procedure_name=None), "missing_field"),
    (body(applicant="Nguyễn Văn An"), "missing_field"),
    (body(applicant={"name": "An", "phone": "12345"}), "invalid_phone"),
    (body(applicant={"name": "An", "phone": "0912345678", "id_number": "12ab"}), "invalid_id_number"),
    (body(applicant={"name": "An", "phone": "0912345678", "email": "not-an-email"}), "invalid_email"),
    ([1, 2, 3], "malformed_json"),
])
def test_bad_input_gets_a_400_with_a_stable_code_and_writes_nothing(client, auth, db, payload, code):
    r = post_dossier(client, auth, payload)
    assert r.status_code == 400, r.json
    assert r.json["code"] == code
    assert r.json["message"]
    assert count(db, Dossier) == 0 and count(db, PaymentRequest) == 0


def test_malformed_json_is_a_400_not_a_500(client, auth):
    r = client.post("/api/v1/dossiers", data="{not json", headers={**auth("intake"),
                                                                    "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "malformed_json"


def test_a_body_that_is_not_json_is_a_415(client, auth):
    r = client.post("/api/v1/dossiers", data="code=1", headers=auth("intake"))
    assert r.status_code == 415 and r.json["code"] == "unsupported_media_type"


def test_posting_needs_a_token_with_the_intake_role(client, auth):
    anonymous = client.post("/api/v1/dossiers", json=BODY)
    assert anonymous.status_code == 401 and anonymous.json["code"] == "unauthenticated"
    wrong_role = post_dossier(client, auth, BODY, role="cashier")
    assert wrong_role.status_code == 403 and wrong_role.json["code"] == "forbidden"
    bogus = client.post("/api/v1/dossiers", json=BODY, headers={"Authorization": "Bearer hcc_nope"})
    assert bogus.status_code == 401 and bogus.json["code"] == "invalid_token"


def test_staff_read_the_whole_dossier_with_its_requests(client, auth):
    post_dossier(client, auth, BODY)
    r = client.get(f"/api/v1/dossiers/{BODY['code']}", headers=auth("finance"))
    assert r.status_code == 200
    assert r.json["applicant"]["id_number"] == "022088001234"
    assert [f["kind"] for f in r.json["fees"]] == ["charge", "fee"]
    assert len(r.json["payment_requests"]) == 1
    assert client.get(f"/api/v1/dossiers/{BODY['code']}").status_code == 401
    missing = client.get("/api/v1/dossiers/NOPE-1", headers=auth("finance"))
    assert missing.status_code == 404 and missing.json["code"] == "dossier_not_found"


def test_the_public_lookup_shows_amounts_and_bank_but_no_personal_data(client, auth):
    code = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    r = client.get(f"/api/v1/payment-requests/{code}")
    assert r.status_code == 200
    assert r.json["status"] == "pending"
    assert (r.json["amount_vnd"], r.json["paid_vnd"], r.json["outstanding_vnd"]) == (350000, 0, 350000)
    assert r.json["bank"] == {"bin": "970436", "name": "Vietcombank", "full_name": r.json["bank"]["full_name"],
                              "account_number": "0071001234567",
                              "account_name": "TRUNG TAM PHUC VU HANH CHINH CONG"}
    assert r.json["dossier"]["applicant_name"] == "N***** V** A*"
    text = r.get_data(as_text=True)
    for secret in ("0912345678", "022088001234", "Nguyễn Văn An"):
        assert secret not in text
    assert len(r.json["fee_items"]) == 2


def test_a_lowercase_code_is_found_too(client, auth):
    code = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    assert client.get(f"/api/v1/payment-requests/{code.lower()}").status_code == 200


def test_a_code_with_a_wrong_check_digit_is_a_400_and_an_unknown_code_a_404(client, auth):
    code = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    r = client.get(f"/api/v1/payment-requests/{wrong}")
    assert r.status_code == 400 and r.json["code"] == "invalid_payment_code"
    unknown = codes.new_code()
    while unknown == code:
        unknown = codes.new_code()
    r = client.get(f"/api/v1/payment-requests/{unknown}")
    assert r.status_code == 404 and r.json["code"] == "payment_request_not_found"
    r = client.get("/api/v1/payment-requests/hello")
    assert r.status_code == 400 and r.json["code"] == "invalid_payment_code"


def test_the_qr_png_scans_back_to_the_request_payload(client, auth):
    pr = post_dossier(client, auth, BODY).json["payment_request"]
    r = client.get(f"/api/v1/payment-requests/{pr['payment_code']}/qr.png")
    assert r.status_code == 200 and r.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.data)))
    assert [d.text for d in decoded] == [pr["vietqr"]]


def test_the_qr_svg_is_an_svg_document(client, auth):
    code = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    r = client.get(f"/api/v1/payment-requests/{code}/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert b"<svg" in r.data


def test_cancelling_keeps_the_code_and_a_renewal_gets_a_new_one(client, auth):
    first = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    busy = client.post(f"/api/v1/dossiers/{BODY['code']}/payment-requests", headers=auth("intake"))
    assert busy.status_code == 409 and busy.json["code"] == "request_still_open"
    r = client.post(f"/api/v1/payment-requests/{first}/cancel", json={"reason": "Công dân rút hồ sơ"},
                    headers=auth("intake"))
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    again = client.post(f"/api/v1/payment-requests/{first}/cancel", json={"reason": "lần hai"},
                        headers=auth("intake"))
    assert again.status_code == 200 and again.json["status"] == "cancelled"
    assert client.get(f"/api/v1/payment-requests/{first}").json["status"] == "cancelled"
    renewed = client.post(f"/api/v1/dossiers/{BODY['code']}/payment-requests", headers=auth("intake"))
    assert renewed.status_code == 201
    assert renewed.json["payment_code"] != first and renewed.json["amount_vnd"] == 350000
    events = client.get(f"/api/v1/payment-requests/{first}/events", headers=auth("auditor")).json["events"]
    assert [(e["event"], e["to_status"]) for e in events] == [("created", "pending"), ("cancelled", "cancelled")]
    assert events[1]["reason"] == "Công dân rút hồ sơ" and events[1]["actor"].startswith("token:")


@pytest.mark.parametrize("body", [{}, None, {"reason": None}, {"reason": "  "}])
def test_a_cancel_without_a_reason_is_a_cancel(client, auth, body):
    """The one-stop system cancelling a request it withdrew may not say why: nothing has been paid, so nothing
    hangs on the reason; the event records who and when (and why, when given)."""
    code = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    r = client.post(f"/api/v1/payment-requests/{code}/cancel", headers=auth("intake"),
                    **({} if body is None else {"json": body}))
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json
    [event] = [e for e in client.get(f"/api/v1/payment-requests/{code}/events", headers=auth("finance")).json["events"]
               if e["to_status"] == "cancelled"]
    assert event["reason"] is None


def test_a_cancel_reason_that_is_not_text_is_refused(client, auth):
    code = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    r = client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": 5}, headers=auth("intake"))
    assert r.status_code == 400 and r.json["code"] == "validation_error", r.json
    r = client.post(f"/api/v1/payment-requests/{code}/cancel", data="x", content_type="text/plain",
                    headers=auth("intake"))
    assert r.status_code == 415 and r.json["code"] == "unsupported_media_type", r.json


def test_unknown_api_routes_and_methods_use_the_error_shape(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json["code"] == "not_found"
    r = client.delete("/api/v1/dossiers")
    assert r.status_code == 405 and r.json["code"] == "method_not_allowed"


def test_swagger_ui_and_spec_are_served(client):
    assert client.get("/api/v1/docs").status_code == 200
    spec = client.get("/api/v1/swagger.json")
    assert spec.status_code == 200
    assert "/dossiers" in spec.json["paths"]


def test_healthz_answers_when_the_database_does(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok"}


def test_qr_images_revalidate_with_their_etag_before_every_use(client, auth):
    code = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    first = client.get(f"/api/v1/payment-requests/{code}/qr.png")
    # no-cache: what the image asks for changes with each payment (and it is refused, 409, once nothing
    # is owed), so caches must ask every time; an unchanged image costs a 304
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    again = client.get(f"/api/v1/payment-requests/{code}/qr.png", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    bigger = client.get(f"/api/v1/payment-requests/{code}/qr.png?scale=12")
    assert bigger.headers["ETag"] != first.headers["ETag"] and len(bigger.data) > len(first.data)


def test_readyz_says_ready_when_the_schema_is_current(client):
    assert client.get("/readyz").json == {"status": "ready"}


def test_metrics_count_requests_and_read_callbacks_and_outbox_from_the_database(client, auth):
    post_dossier(client, auth, BODY)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'hccpay_http_requests_total{method="POST",route="/api/v1/dossiers",status="201"}' in text
    assert "hccpay_outbox_messages" in text and "hccpay_callbacks_last_24h" in text
    assert "hccpay_callbacks_queued 0.0" in text
    assert "hccpay_reconciliation_open_exceptions" in text


def test_posting_the_dossier_again_after_postage_was_added_still_answers_with_its_request(client, auth, db,
                                                                                           test_settings):
    from kernel.clock import now_utc
    from payments.service import add_fee_items
    from payments.validation import FeeInput

    first = post_dossier(client, auth, BODY).json["payment_request"]["payment_code"]
    with db() as s, s.begin():
        add_fee_items(s, dossier_code=BODY["code"], fees=(FeeInput("Cước bưu chính", "postage", 22_000),),
                      settings=test_settings, actor="postal", now=now_utc())
    again = post_dossier(client, auth, BODY)
    assert again.status_code == 200 and again.json["payment_request"]["payment_code"] == first
