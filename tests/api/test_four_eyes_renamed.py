"""Four eyes are two people, whatever their names: the one who asked for a refund or a day's close cannot
approve it after being renamed (actors compare by kind and id, `kernel.auth.same_principal`)."""
from datetime import date, datetime, timezone

import pytest

from kernel.errors import Forbidden
from payments import refunds
from reconciliation import days
from reconciliation.models import ReconDay
from tests.api.test_finance_pages import finance, people, refund_awaiting_approval  # noqa: F401 (fixtures)
from tests.api.test_reports_value_dates import DAY, _close, _statement

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


def renamed(actor: str) -> str:
    kind, number, _ = actor.split(":", 2)
    return f"{kind}:{number}:Tên mới sau khi đổi"


def test_the_person_who_asked_for_a_refund_cannot_approve_it_under_a_new_name(client, auth, test_settings, finance,
                                                                               db):
    awaiting = refund_awaiting_approval(client, auth, test_settings, finance)
    with db() as session, session.begin():
        asked_by = session.get(refunds.Refund, awaiting["id"]).requested_by
        with pytest.raises(Forbidden) as refused:
            refunds.decide(session, refund_id=awaiting["id"], approve=True, reason=None, settings=test_settings,
                           actor=renamed(asked_by), now=NOW)
    assert refused.value.code == "same_person"


def test_the_person_who_asked_to_close_a_day_cannot_approve_it_under_a_new_name(client, auth, test_settings, db):
    _statement(client, auth)
    _close(client, auth)
    with db() as session, session.begin():
        asked_by = session.query(ReconDay).one().requested_by
        with pytest.raises(Forbidden) as refused:
            days.approve_close(session, date.fromisoformat(DAY), settings=test_settings, actor=renamed(asked_by), now=NOW)
    assert refused.value.code == "same_person"



def test_the_page_tells_a_renamed_person_they_asked_to_close_the_day(app, db):
    """The page decides as the service does (by principal): a person renamed since asking is told they
    asked, not offered an approval the service refuses."""
    from kernel.users import User, create_user
    from tests.api.test_finance_pages import DAY, PASSWORD, logged_in, post

    with db() as s, s.begin():
        create_user(s, username="hai_vai", full_name="Hai Vai", roles=["finance", "approver"], password=PASSWORD,
                    now=NOW)
    both = logged_in(app, "hai_vai")
    post(both, f"/staff/finance/days/{DAY}/close")
    with db() as s, s.begin():
        s.query(User).filter_by(username="hai_vai").one().full_name = "Hai Vai Mới"
    assert "Bạn đã đề nghị khóa sổ ngày này" in both.get(f"/staff/finance/?date={DAY}").get_data(as_text=True)
