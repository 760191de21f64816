"""A staff session left idle ends: a counter PC left logged in over lunch must not let the next person
take cash or approve refunds in someone else's name. Any use keeps it going, up to its working-day lifetime."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from config import ConfigError, load_settings
from tests.api.test_pages import log_in, staff_user  # noqa: F401  (fixture)

START = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def _home(client) -> int:
    return client.get("/staff/finance/").status_code


def test_a_session_in_use_lasts_and_an_idle_one_ends(client, staff_user, test_settings):
    user = staff_user()
    idle = test_settings.session_idle
    assert idle == timedelta(minutes=30)
    with time_machine.travel(START, tick=False) as clock:
        assert log_in(client, user).status_code == 302
        for _ in range(4):  # used every 25 minutes: still logged in after 100 minutes
            clock.shift(timedelta(minutes=25))
            assert _home(client) == 200
        clock.shift(idle + timedelta(minutes=1))
        r = client.get("/staff/finance/")
        assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
        clock.shift(timedelta(minutes=1))  # and it stays ended: the refused visit did not revive it
        assert _home(client) == 302


def test_an_idle_session_cannot_write_through_the_api_either(client, staff_user, test_settings):
    user = staff_user()
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, user)
        clock.shift(test_settings.session_idle + timedelta(seconds=1))
        r = client.get("/api/v1/reconciliation/days/2026-11-24")
        assert r.status_code == 401 and r.json["code"] == "unauthenticated", r.json


def test_the_idle_limit_is_configurable():
    assert load_settings({"HCCPAY_DEMO": "1", "HCCPAY_SESSION_IDLE_MINUTES": "90"}).session_idle == timedelta(minutes=90)
    for bad in ("0", "-5", "abc", "601"):
        with pytest.raises(ConfigError):
            load_settings({"HCCPAY_DEMO": "1", "HCCPAY_SESSION_IDLE_MINUTES": bad})


def test_the_revocation_body_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/swagger.json").json
    [body] = [p for p in spec["paths"]["/admin/tokens/{token_id}"]["delete"]["parameters"] if p["in"] == "body"]
    assert spec["definitions"][body["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]["reason"]["type"] == "string"
