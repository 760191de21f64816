"""Pages, eighth QA round: the admin page issues an API token with a lifetime and shows each token's expiry;
a token revoked or a user changed there records the reason given."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from kernel.auth import ApiToken
from kernel.clock import format_local, now_utc
from kernel.users import create_user
from tests.api.test_pages import PASSWORD, log_in, page_csrf
from tests.conftest import T0


@pytest.fixture
def admin(client, db):
    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Vũ Văn Quản", roles=["admin"], password=PASSWORD, now=T0)
    assert log_in(client, "quantri").status_code == 302
    return client


def _token_rows(html: str) -> dict[str, str]:
    section = html.split('id="tokens-h"', 1)[1]
    return {re.sub(r"<[^>]+>", "", row.split("</td>", 2)[1]).strip(): row
            for row in section.split("<tr>") if "<td>" in row}


def test_the_admin_page_issues_a_token_with_a_lifetime_and_shows_its_expiry(admin, db):
    r = admin.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin), "role": "intake",
                                                 "name": "Cổng DVC tỉnh", "ttl_days": "90"})
    assert r.status_code == 303  # then the page shows it once (post-redirect-get: a refresh creates nothing)
    assert admin.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin), "role": "postal",
                                                    "name": "Bưu điện tỉnh", "ttl_days": ""}).status_code == 303
    with db() as s:
        by_name = {t.name: t for t in s.query(ApiToken)}
        assert by_name["Cổng DVC tỉnh"].expires_at is not None and by_name["Bưu điện tỉnh"].expires_at is None
        s.execute(update(ApiToken).where(ApiToken.name == "Bưu điện tỉnh").values(
            expires_at=now_utc() - timedelta(days=1)))
        s.commit()
    html = admin.get("/staff/admin/").get_data(as_text=True)
    assert 'name="ttl_days"' in html
    rows = _token_rows(html)
    with db() as s:
        assert format_local(s.query(ApiToken).filter_by(name="Cổng DVC tỉnh").one().expires_at) in rows["Cổng DVC tỉnh"]
    assert "Đã hết hạn" in rows["Bưu điện tỉnh"]
    assert "Thu hồi" in rows["Cổng DVC tỉnh"]


@pytest.mark.parametrize("ttl", ["0", "abc", "1.5", "99999"])
def test_the_admin_page_refuses_a_token_lifetime_out_of_range_in_words(admin, db, ttl):
    r = admin.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin), "role": "intake",
                                                 "name": "Cổng DVC tỉnh", "ttl_days": ttl})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Thời hạn của token" in html, html[-2000:]
    with db() as s:
        assert s.query(ApiToken).count() == 0


def test_the_admin_page_records_the_reason_a_token_is_revoked_or_a_user_changed(admin, db):
    from kernel.audit import AuditEntry

    assert admin.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin), "role": "intake",
                                                    "name": "Cổng DVC tỉnh"}).status_code == 303
    with db() as s, s.begin():
        token_id = s.query(ApiToken).one().id
        user_id = create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD,
                              now=T0).id
    html = admin.get("/staff/admin/").get_data(as_text=True)
    for action in (f"/staff/admin/tokens/{token_id}/revoke", f"/staff/admin/users/{user_id}"):
        form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
        assert 'name="reason"' in form, action
    assert admin.post(f"/staff/admin/tokens/{token_id}/revoke",
                      data={"csrf_token": page_csrf(admin), "reason": "Lộ token"}).status_code == 302
    assert admin.post(f"/staff/admin/users/{user_id}", data={"csrf_token": page_csrf(admin), "active": "0",
                                                             "reason": "Nghỉ việc"}).status_code == 302
    with db() as s:
        reasons = {e.action: e.reason for e in s.query(AuditEntry).filter(
            AuditEntry.action.in_(["token.revoke", "user.update"]))}
    assert reasons == {"token.revoke": "Lộ token", "user.update": "Nghỉ việc"}


def test_every_staff_form_refuses_a_post_without_its_csrf_token(app, client, db):
    """Each POST route of the pages, sent by a logged-in person holding every role but without the form's
    token (a forged cross-site form), is refused before it is looked at."""
    from kernel.auth import ROLES

    with db() as s, s.begin():
        create_user(s, username="moi", full_name="Lê Thị Lan", roles=list(ROLES), password=PASSWORD, now=T0)
    assert log_in(client, "moi").status_code == 302
    posts = [rule for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and rule.rule.startswith("/staff/") and rule.rule != "/staff/login"]
    assert len(posts) > 15
    for rule in posts:
        path = re.sub(r"<int:[a-z_]+>", "1", rule.rule)
        path = re.sub(r"<[a-z_]+>", "2026-11-25", path)
        r = client.post(path, data={"reason": "x", "roles": ["admin"], "name": "x", "role": "admin"})
        assert r.status_code == 403, (rule.rule, r.status_code)
    assert client.get("/staff/admin/").status_code == 200  # still logged in: nothing was done


def test_logging_out_or_in_clears_what_the_last_person_left_in_the_pages_cookie(app, admin):
    """The pages' own cookie (flash messages, a refused form's values: signed, not encrypted) must not carry one
    person's leftovers to the next at a shared counter PC."""
    cookie = app.config.get("SESSION_COOKIE_NAME", "session")
    leftovers = {"_flashes": [("message", "Đã tạo tài khoản ketoan.")],
                 "kept_form": {"action": "/staff/finance/payments/1/refunds", "code": "missing_field",
                               "fields": {"reason": ["Trả lại cho bà Trần Thị Bích"]}, "details": {}}}
    token = page_csrf(admin)
    with admin.session_transaction() as kept:  # what a redirect left for a page not yet shown
        kept.update(leftovers)
    assert admin.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert admin.get_cookie(cookie) is None
    with admin.session_transaction() as kept:  # left while logged out, before the next person logs in
        kept.update(leftovers)
    assert log_in(admin, "quantri").status_code == 302
    assert admin.get_cookie(cookie) is None
