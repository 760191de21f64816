"""The finance line page shows the line's audit trail (who, when, why, the hash chain), as the API's
`GET /api/v1/reconciliation/lines/<id>` gives it under `audit`: Vietnamese headings, Hà Nội time as
people read it, people by name."""
import html as html_lib

import pytest

from kernel.clock import as_people_read
from tests.api.test_finance_pages import line_json, logged_in, people, post, unmatched_line  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_checked")


def test_the_line_page_shows_every_audit_row_of_the_line_with_its_hashes(app, client, auth, people):  # noqa: F811
    finance = logged_in(app, "ketoan")
    code, line = unmatched_line(client, auth)
    post(finance, f"/staff/finance/lines/{line['id']}/match", payment_code=code, reason="người nộp gọi điện xác nhận")
    [decision] = line_json(client, auth, line["id"])["resolutions"]
    post(finance, f"/staff/finance/resolutions/{decision['id']}/undo", reason="nhầm hồ sơ")
    rows = line_json(client, auth, line["id"])["audit"]
    assert [r["action"] for r in rows] == ["reconciliation.match", "reconciliation.undo"]

    for reader in ("ketoan", "kiemtoan"):  # the auditor reads it too
        page = html_lib.unescape(logged_in(app, reader).get(f"/staff/finance/lines/{line['id']}").get_data(as_text=True))
        trail = page[page.index("Nhật ký kiểm toán"):]
        assert "Mã băm" in trail and "Mã băm trước" in trail
        for row in rows:
            assert f"{as_people_read(row['at'])}" in trail  # dd/mm/yyyy HH:MM in Hà Nội
            assert row["hash"] in trail and row["prev_hash"] in trail
            assert row["reason"] in trail
        assert "Lê Thị Lan" in trail and "user:" not in trail  # the person, never the audit id
        assert "Khớp" in trail and "Hoàn tác quyết định" in trail
        assert "reconciliation." not in trail  # the action as people read it


def test_a_line_nobody_decided_on_says_its_trail_is_empty_and_english_reads_english(app, client, auth, people):  # noqa: F811
    finance = logged_in(app, "ketoan")
    _, line = unmatched_line(client, auth)
    page = html_lib.unescape(finance.get(f"/staff/finance/lines/{line['id']}").get_data(as_text=True))
    assert "Nhật ký kiểm toán" in page and "Chưa có thao tác nào được ghi nhật ký." in page
    post(finance, f"/staff/finance/lines/{line['id']}/write-off", reason="lãi tiền gửi")
    english = html_lib.unescape(finance.get(f"/staff/finance/lines/{line['id']}?lang=en").get_data(as_text=True))
    assert "Audit trail" in english and "Write off" in english and "Hash" in english and "Nhật ký kiểm toán" not in english


def test_a_refund_the_line_asked_for_is_in_its_trail_named_as_a_refund(app, client, auth, people):  # noqa: F811
    finance = logged_in(app, "ketoan")
    _, line = unmatched_line(client, auth, 5_000)
    post(finance, f"/staff/finance/lines/{line['id']}/refund", reason="chuyển nhầm một phần", amount_vnd="3.000")
    rows = line_json(client, auth, line["id"])["audit"]
    refund_row = next(r for r in rows if r["action"] == "refund.request")
    page = html_lib.unescape(finance.get(f"/staff/finance/lines/{line['id']}").get_data(as_text=True))
    trail = page[page.index("Nhật ký kiểm toán"):]
    assert "Đề nghị hoàn tiền" in trail and f"Khoản hoàn #{refund_row['subject_id']}" in trail
    assert "refund." not in trail and "statement_line" not in trail
