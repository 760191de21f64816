"""`hccpay postal ...` against the test database."""
from sqlalchemy import select

from postal.models import Route
from tests.integration.test_cli import run  # noqa: F401 - the same `hccpay` runner fixture


def test_demo_seed_creates_the_demo_routes_once(run, db):
    assert run("demo", "seed").exit_code == 0
    assert run("demo", "seed").exit_code == 0
    with db() as s:
        assert sorted(s.execute(select(Route.code)).scalars()) == ["HL-1", "HL-2"]


def test_postal_plan_reports_and_refuses_a_holiday(run, db):
    run("demo", "seed")
    result = run("postal", "plan", "--date", "2026-11-26")
    assert result.exit_code == 0 and "0 assigned, 0 did not fit" in result.output
    holiday = run("postal", "plan", "--date", "2026-09-02")
    assert holiday.exit_code != 0 and "not a working day" in holiday.output


def test_postal_poll_with_nothing_in_progress_polls_nothing(run):
    result = run("postal", "poll")
    assert result.exit_code == 0 and "polled 0 shipment(s)" in result.output
