"""Pages, documents and texts people read, seventh QA round: the e-receipt PDF keeps its verify QR whole on
the page that prints its link, and a cancelled one is stamped on every page; the admin page shows a lock-out
only while it lasts and refuses an account left without a role; the refund desk says why a payment code finds
no payment; the pay page names a deadline only where one applies."""
import io
import re

import pypdf
import pytest

from tests.factories import make_request, send_callback

MM = 72 / 25.4  # PDF points in a millimetre
# fpdf2 draws an image as `q <w> 0 0 <h> <x> <y> cm /I<n> Do Q`, in points from the page's bottom left.
IMAGE = re.compile(rb"q ([0-9.]+) 0 0 ([0-9.]+) ([0-9.-]+) ([0-9.-]+) cm /I[0-9]+ Do Q")


def receipt_of(client, auth, settings, fees) -> pypdf.PdfReader:
    code = make_request(client, auth, *fees)
    send_callback(client, settings, "bank", code=code, amount=sum(amount for _, _, amount in fees))
    r = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(r.data))


def qr_placements(reader: pypdf.PdfReader) -> list[tuple[int, float, float]]:
    """(page number, bottom, top) in mm from the page's bottom edge, of each image drawn."""
    found = []
    for number, page in enumerate(reader.pages, start=1):
        for _, height, _, y in IMAGE.findall(page.get_contents().get_data()):
            found.append((number, float(y) / MM, (float(y) + float(height)) / MM))
    return found


@pytest.mark.parametrize("items", [1, 22, 25, 26, 27, 28])
def test_the_receipts_verify_qr_is_whole_on_the_page_that_prints_its_link(client, auth, test_settings, items):
    fees = [(f"Lệ phí cấp giấy chứng nhận quyền sử dụng đất số {i}", "charge", 1_000) for i in range(items)]
    reader = receipt_of(client, auth, test_settings, fees)
    [(page, bottom, top)] = qr_placements(reader)
    height = float(reader.pages[page - 1].mediabox.height) / MM
    assert bottom >= 15 - 0.01 and top <= height, (page, bottom, top)  # within the bottom margin, on the paper
    text = reader.pages[page - 1].extract_text()
    assert "tra cứu, xác thực biên lai" in text and "/api/v1/receipts/" in text  # the link beside it, same page



def test_every_page_of_a_cancelled_receipt_is_stamped_cancelled(client, auth, test_settings):
    fees = [(f"Lệ phí cấp giấy chứng nhận quyền sử dụng đất số {i}", "charge", 1_000) for i in range(28)]
    code = make_request(client, auth, *fees)
    send_callback(client, test_settings, "bank", code=code, amount=28_000)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    r = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                    json={"amount_vnd": 28_000, "expected_refundable_vnd": 28_000, "reason": "Hồ sơ bị từ chối"})
    assert client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT26330001"},
                       headers=auth("finance")).status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(client.get(f"/api/v1/payment-requests/{code}/receipt.pdf").data))
    assert len(reader.pages) == 2
    for page in reader.pages:  # a second page printed alone (the total, the QR) must not pass for a valid receipt
        assert "ĐÃ HỦY" in page.extract_text()


# --- the admin page: a lock-out that has run out is not shown as standing ----------------------

def test_the_admin_page_shows_a_lock_out_only_while_it_lasts(client, db):
    from datetime import timedelta

    from sqlalchemy import update

    from kernel.clock import now_utc
    from kernel.users import User, create_user
    from tests.api.test_pages import PASSWORD, log_in
    from tests.conftest import T0

    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Vũ Văn Quản", roles=["admin"], password=PASSWORD, now=T0)
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
        create_user(s, username="duyet", full_name="Trần Văn Minh", roles=["approver"], password=PASSWORD, now=T0)
        s.execute(update(User).where(User.username == "ketoan").values(locked_until=now_utc() - timedelta(minutes=1)))
        s.execute(update(User).where(User.username == "duyet").values(locked_until=now_utc() + timedelta(minutes=9)))
    log_in(client, "quantri")
    html = client.get("/staff/admin/").get_data(as_text=True)
    rows = {row.split("<td>", 1)[1].split("</td>", 1)[0]: row for row in html.split("<tr>") if "<td>" in row}
    assert "tạm khóa đến" not in rows["ketoan"]  # it ended a minute ago: the account logs in
    assert "tạm khóa đến" in rows["duyet"]


# --- the admin page: unticking every role is refused, not "updated" with the roles unchanged ---------------

def test_unticking_every_role_of_an_account_is_refused_in_words_not_reported_done(client, db):
    import re

    from kernel.users import User, create_user
    from tests.api.test_pages import PASSWORD, log_in
    from tests.conftest import T0

    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Vũ Văn Quản", roles=["admin"], password=PASSWORD, now=T0)
        other = create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD,
                            now=T0).id
    log_in(client, "quantri")
    page = client.get("/staff/admin/").get_data(as_text=True)
    form = page.split(f'action="/staff/admin/users/{other}"', 1)[1].split("</form>", 1)[0]
    # What the browser sends once every box is unticked: the form's other fields, no `roles`.
    sent = {name: value for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}
    r = client.post(f"/staff/admin/users/{other}", data={**sent, "active": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Đã cập nhật tài khoản" not in html
    assert "Vui lòng chọn ít nhất một vai trò" in html
    with db() as s:
        assert s.get(User, other).roles == ["finance"]


# --- the refund desk: a payment code that finds no payment says so -----------------------------

def test_the_refund_desk_says_why_a_payment_code_finds_no_payment(app, client, auth, db):
    from tests.api.test_finance_pages import logged_in
    from tests.api.test_pages import PASSWORD
    from kernel.users import create_user
    from tests.conftest import T0

    with db() as s, s.begin():
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    finance = logged_in(app, "ketoan")
    unpaid = make_request(client, auth)
    html = finance.get(f"/staff/finance/refunds?q={unpaid}").get_data(as_text=True)
    assert "Mã thanh toán này chưa có khoản thu nào." in html  # it was an empty answer, nothing said
    from payments.codes import new_code

    html = finance.get(f"/staff/finance/refunds?q={new_code()}").get_data(as_text=True)  # well formed, nobody's
    assert "Không tìm thấy yêu cầu thanh toán với mã này." in html
    html = finance.get(f"/staff/finance/refunds?q={unpaid}&lang=en").get_data(as_text=True)
    assert "No payment has been received for this payment code yet." in html


# --- the pay page: a deadline only where one applies ---------------------------------------------

def test_the_pay_page_names_a_deadline_only_for_a_request_that_can_still_lapse(client, auth, test_settings):
    pending = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    for path in (f"/pay/{pending}", f"/pay/{pending}/print"):
        assert "Hạn thanh toán" in client.get(path).get_data(as_text=True), path
    part_paid = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    send_callback(client, test_settings, "bank", code=part_paid, amount=50_000)
    # Only pending requests expire: money received keeps it open, so its old deadline (past, in time) is none.
    for path in (f"/pay/{part_paid}", f"/pay/{part_paid}/print"):
        html = client.get(path).get_data(as_text=True)
        assert "100.000 ₫" in html and "qr.png" in html and "Hạn thanh toán" not in html, path
