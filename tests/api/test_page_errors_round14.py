"""A staff member on another role's page or form: a Vietnamese page that says what was refused and, for a
page, which roles it is for (whom to ask), not two sentences saying the same thing."""
import html as html_lib
import re

from tests.api.test_finance_pages import csrf, logged_in, people  # noqa: F401


def _main(response) -> str:
    page = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page[page.find("<main"):])))


def test_a_page_of_another_role_names_the_roles_it_is_for(app, people):  # noqa: F811
    cashier = logged_in(app, "thungan")
    r = cashier.get("/staff/finance/statements")
    assert r.status_code == 403 and r.mimetype == "text/html"
    text = _main(r)
    assert "Bạn không có quyền xem trang này." in text
    assert "Trang này dành cho: Kế toán, Lãnh đạo phê duyệt, Kiểm toán." in text
    assert "thực hiện thao tác" not in text  # a page looked at is no action done
    r = cashier.get("/staff/admin/?lang=en")
    assert r.status_code == 403 and "This page is for: Administration." in _main(r)


def test_a_form_of_another_role_says_the_action_is_not_allowed_once(app, people):  # noqa: F811
    cashier = logged_in(app, "thungan")
    r = cashier.post("/staff/finance/lines/1/match", data={"csrf_token": csrf(cashier, "/staff/counter/"),
                                                            "reason": "thử"})
    assert r.status_code == 403 and r.mimetype == "text/html"
    text = _main(r)
    assert text.count("Bạn không có quyền thực hiện thao tác này.") == 1 and "xem trang này" not in text
