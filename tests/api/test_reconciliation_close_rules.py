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



def test_a_closed_days_queue_is_the_one_frozen_at_its_close(client, auth):
    from tests.recon_factories import all_lines, upload, vcb_csv

    day = "2026-11-24"
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("77.1", "", "3.000.000", "chuyen nham"))).json[
        "import_id"])
    asked = client.post(f"/api/v1/reconciliation/lines/{line['id']}/refund", headers=auth("finance"),
                        json={"reason": "người chuyển nhầm đề nghị hoàn"}).json
    assert client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance")).status_code == 202
    assert client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver")).status_code == 200
    frozen = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance")).json
    client.post(f"/api/v1/refunds/{asked['resolution']['data']['refund_id']}/reject", headers=auth("approver"),
                json={"reason": "không đủ hồ sơ"})  # the money is back in suspense: the next open day's to settle
    assert client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance")).json == frozen
