"""Rate limits counted in the app's database (`database://`, the default): every process and node behind the load
balancer counts one client's requests together. In each process's memory, a limit was multiplied by them."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.ratelimit import RateCounter, purge


def _limited_app(test_settings, limit="3/minute"):
    from api import create_app

    return create_app(test_settings.with_overrides(public_rate_limit=limit))


def test_the_default_storage_is_the_database(test_settings):
    assert test_settings.rate_limit_storage == "database://"


def test_two_app_processes_count_one_client_together(test_settings, db):
    first, second = _limited_app(test_settings), _limited_app(test_settings)  # two nodes, one database
    answers = [app.test_client().get("/pay/HS12345678900").status_code for app in (first, second, first, second)]
    assert answers == [400, 400, 400, 429]
    with db() as s:
        [counter] = s.execute(select(RateCounter)).scalars().all()
    assert counter.hits == 4 and counter.expires_at > now_utc()
    for app in (first, second):
        app.extensions["hccpay"].engine.dispose()


def test_a_window_that_has_ended_starts_again_and_its_row_is_purged(test_settings, db):
    app = _limited_app(test_settings, "2/minute")
    client = app.test_client()
    assert [client.get("/pay/HS12345678900").status_code for _ in range(3)] == [400, 400, 429]
    with db() as s, s.begin():
        s.execute(RateCounter.__table__.update().values(expires_at=now_utc() - timedelta(seconds=1)))
    assert client.get("/pay/HS12345678900").status_code == 400  # a new window
    with db() as s:
        assert s.execute(select(RateCounter.hits)).scalar_one() == 1
    with db() as s, s.begin():
        assert purge(s, now_utc()) == 0  # its window is live
        assert purge(s, now_utc() + timedelta(minutes=2)) == 1
    app.extensions["hccpay"].engine.dispose()


def test_memory_storage_stays_possible_and_counts_per_process(test_settings, db):
    from api import create_app

    apps = [create_app(test_settings.with_overrides(public_rate_limit="2/minute", rate_limit_storage="memory://"))
            for _ in range(2)]
    answers = [app.test_client().get("/pay/HS12345678900").status_code for app in apps for _ in range(2)]
    assert answers == [400, 400, 400, 400]
    with db() as s:
        assert s.execute(select(RateCounter)).first() is None
    for app in apps:
        app.extensions["hccpay"].engine.dispose()


def test_the_purge_runs_as_a_periodic_job(test_settings):
    from api import periodic_jobs

    assert "kernel.rate_limit_purge" in [job.name for job in periodic_jobs(test_settings)]


@pytest.mark.parametrize("value", ["database://", " database:// "])
def test_the_database_storage_is_read_from_the_environment(value):
    from config import load_settings

    assert load_settings({"HCCPAY_DEMO": "1", "HCCPAY_RATE_LIMIT_STORAGE": value}).rate_limit_storage == "database://"
