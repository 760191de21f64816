"""Who may close which day: only a day that has ended, asked for once, approved by another person."""
from datetime import date, timedelta

import pytest

from kernel.clock import business_date, now_utc
from kernel.errors import Conflict, Forbidden
from reconciliation import days


@pytest.mark.parametrize("offset", [0, 1, 30])
def test_today_and_later_days_cannot_be_closed(client, auth, offset):
    day = business_date(now_utc()) + timedelta(days=offset)
    r = client.post(f"/api/v1/reconciliation/days/{day.isoformat()}/close", headers=auth("finance"))
    assert r.status_code == 409 and r.json["code"] == "day_not_over", r.json


def test_yesterday_can_be_asked_to_close(client, auth):
    day = business_date(now_utc()) - timedelta(days=1)
    r = client.post(f"/api/v1/reconciliation/days/{day.isoformat()}/close", headers=auth("finance"))
    assert r.status_code == 202, r.json


def test_a_close_is_asked_once_and_no_one_who_asked_approves(session, test_settings):
    day, now = date(2026, 11, 24), now_utc()
    days.request_close(session, day, settings=test_settings, actor="kế toán Lan", now=now)
    with pytest.raises(Conflict) as again:
        days.request_close(session, day, settings=test_settings, actor="kế toán Minh", now=now)
    assert again.value.code == "close_already_requested"
    with pytest.raises(Forbidden) as refused:
        days.approve_close(session, day, settings=test_settings, actor="kế toán Lan", now=now)
    assert refused.value.code == "same_person"
    assert days.approve_close(session, day, settings=test_settings, actor="trưởng phòng Minh",
                              now=now).status == "closed"
