"""What staff and citizens read (round 11): a page's sentence for a refusal shows days and times the way people
read them here (`27/11/2026`, `28/11/2026 14:24` in Hà Nội time), never as the API's ISO details; refusals and
who acted in Vietnamese; a citizen's SMS never says a dossier was paid in full 0 ₫."""
import re
from datetime import timedelta

import pytest

from kernel.clock import format_local, local_time, now_utc
from tests.api.test_cash_void_page import DESK, REASON, cashier, csrf, people, take  # noqa: F401 (fixtures)
from tests.api.test_postal_fix_withdrawn_postage_after import delivery, summary, texts
from tests.api.test_postal_round2 import cancel
from tests.api.test_void_after_refund import pos
from tests.factories import send_callback
from web.finance_text import error_sentence

pytestmark = pytest.mark.usefixtures("ledger_checked")


def test_a_void_refused_the_next_day_names_the_drawers_day_as_dd_mm_yyyy(cashier, client, auth,  # noqa: F811
                                                                           monkeypatch):
    payment_id = take(cashier, client, auth, 60_000)
    taken_day = local_time(now_utc()).date()
    token = csrf(cashier)
    import web.counter

    later = now_utc() + timedelta(days=1)  # the page was opened yesterday, the button pressed today
    monkeypatch.setattr(web.counter, "now_utc", lambda: later)
    r = cashier.post(f"{DESK}payments/{payment_id}/void", data={"csrf_token": token, "reason": REASON})
    assert r.status_code == 303
    html = cashier.get(r.headers["Location"]).get_data(as_text=True)
    assert "Giao dịch thu vào ngày làm việc khác" in html
    assert f"({taken_day:%d/%m/%Y})" in html and taken_day.isoformat() not in html


def test_a_refund_handed_over_by_another_cashier_names_when_in_local_time():
    at = now_utc().replace(microsecond=599592)
    sentence = error_sentence("refund_already_executed",
                              {"executed_by": "user:7:Lê Văn Hùng", "executed_at": at.isoformat()})
    assert sentence == f"Khoản hoàn tiền mặt này đã được Lê Văn Hùng chi trả lúc {format_local(at)}."


def test_details_that_are_not_days_or_times_are_left_as_they_are():
    sentence = error_sentence("refund_reference_differs", {"reference": "2026-11-28"[:4] + "FT330042"})
    assert sentence == "Khoản hoàn này đã được chi với số tham chiếu 2026FT330042."
    assert error_sentence("malformed_camt053", {"line_no": 12}) == "Tệp camt.053 bị lỗi (dòng 12)."


def close(page, drawer_id: int) -> str:
    r = page.post(f"{DESK}drawers/{drawer_id}/close", data={"csrf_token": csrf(page), "counted_vnd": "60.000"})
    assert r.status_code == 303
    return page.get(r.headers["Location"]).get_data(as_text=True)


def test_closing_a_drawer_that_is_not_the_cashiers_or_does_not_exist_says_why_in_vietnamese(
        app, cashier, client, auth):  # noqa: F811
    from tests.api.test_cash_void_page import logged_in

    take(cashier, client, auth, 60_000)  # opens the cashier's drawer #1
    other = logged_in(app, "thungan2")
    html = close(other, 1)
    assert "Thu ngân chỉ đóng được ngăn kéo của mình; hãy nhờ kế toán." in html and "not_your_drawer" not in html
    html = close(other, 999)
    assert "Không tìm thấy ngăn kéo tiền mặt." in html and "drawer_not_found" not in html
    assert "Đã đóng ngăn kéo" in close(cashier, 1)  # its own cashier closes it


def test_a_statement_imported_from_the_command_line_names_no_english_word_as_who_imported_it(app, cli, db):
    from kernel.users import create_user
    from tests.api.test_cash_void_page import logged_in
    from tests.api.test_pages import PASSWORD
    from tests.conftest import T0
    from tests.recon_factories import DATA

    assert cli("reconcile", "import", str(DATA / "statement_sample.mt940")).exit_code == 0
    with db() as s, s.begin():
        create_user(s, username="ketoan3", full_name="Phạm Thu Hà", roles=["finance"], password=PASSWORD, now=T0)
    finance = logged_in(app, "ketoan3")
    for query, expected in (("", "Dòng lệnh (CLI)"), ("?lang=en", "Command line (CLI)")):
        html = finance.get(f"/staff/finance/statements{query}").get_data(as_text=True)
        [who] = re.findall(r"<td>([^<]*)</td><td>[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}</td>", html)
        assert who == expected


def test_the_systems_own_steps_are_named_in_vietnamese_people_by_their_name():
    from reconciliation.reports import person_name

    assert person_name("system:expiry") == person_name("system") == "Hệ thống"
    assert person_name("cli") == "Dòng lệnh (CLI)"
    assert person_name("user:3:Trần Minh") == "Trần Minh" and person_name("token:21:kế toán") == "kế toán"
    assert person_name(None) == ""


def test_money_paid_again_for_a_withdrawn_postage_is_not_said_to_complete_0_vnd(client, auth, db, test_settings):
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    pos(client, test_settings, postage, 22000, transaction_id="S1", type="sale")
    cancel(client, auth, shipment["id"])
    assert summary(client, postage) == ("overpaid", 0, 22000, 0, None)

    assert send_callback(client, test_settings, "bank", code=postage, amount=22000).status_code == 200
    assert summary(client, postage)[:3] == ("overpaid", 0, 44000)
    last = texts(db, postage)[-1]
    assert "0 ₫," not in last and "không còn khoản phải nộp, nay nhận thêm 22.000 ₫" in last
    assert last.endswith("Tiền thừa 44.000 ₫ sẽ được hoàn trả.")
