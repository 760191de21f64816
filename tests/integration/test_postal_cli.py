"""`hccpay postal ...` against the test database."""
from sqlalchemy import select

from postal.models import Route
from tests.postal_factories import next_weekday_off, working_day


def test_demo_seed_creates_the_demo_routes_once(cli, db):
    assert cli("demo", "seed").exit_code == 0
    assert cli("demo", "seed").exit_code == 0
    with db() as s:
        assert sorted(s.execute(select(Route.code)).scalars()) == ["HL-1", "HL-2"]


def test_postal_plan_reports_and_refuses_a_holiday(cli, db):
    cli("demo", "seed")
    result = cli("postal", "plan", "--date", working_day(0).isoformat())  # a past day is refused
    assert result.exit_code == 0 and "0 assigned, 0 did not fit" in result.output
    holiday = cli("postal", "plan", "--date", next_weekday_off().isoformat())
    assert holiday.exit_code != 0 and "not a working day" in holiday.output, holiday.output



def test_postal_poll_with_nothing_in_progress_polls_nothing(cli):
    result = cli("postal", "poll")
    assert result.exit_code == 0 and "polled 0 shipment(s)" in result.output
