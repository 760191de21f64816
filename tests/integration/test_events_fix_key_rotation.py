"""Rotating HCCPAY_SECRET_KEY: while both values are configured, deliveries verify under the secrets
derived from either, so subscribers keep working until they take the new secret."""
from kernel.clock import now_utc
from kernel.events import secret_for
from kernel.signing import verify
from tests.factories import make_request, send_callback
from tests.integration.test_notifications import drain_webhooks, subscribe, subscriber  # noqa: F401 - the fixture


def test_rotating_the_app_key_keeps_the_subscribers_secret_verifying_while_the_old_key_is_configured(
        client, auth, test_settings, db, subscriber):
    url, state = subscriber
    created = subscribe(client, auth, url)
    send_callback(client, test_settings, "bank", code=make_request(client, auth), amount=100_000)
    old = test_settings.secret("HCCPAY_SECRET_KEY")
    rotated = test_settings.with_overrides(
        secrets={**test_settings.secrets, "HCCPAY_SECRET_KEY": ("brand-new-app-key", old)})

    drain_webhooks(rotated, db)

    [delivered] = state["received"]
    now = now_utc()
    verify(delivered["signature"], delivered["body"], [created["secret"]], now=now)  # what the subscriber has
    verify(delivered["signature"], delivered["body"], [secret_for("brand-new-app-key", created["id"], 1)], now=now)
    assert delivered["signature"].count("v1=") == 2


def test_the_same_key_twice_signs_once(client, auth, test_settings, db, subscriber):
    url, state = subscriber
    subscribe(client, auth, url)
    send_callback(client, test_settings, "bank", code=make_request(client, auth), amount=100_000)
    old = test_settings.secret("HCCPAY_SECRET_KEY")
    drain_webhooks(test_settings.with_overrides(
        secrets={**test_settings.secrets, "HCCPAY_SECRET_KEY": (old, old)}), db)
    [delivered] = state["received"]
    assert delivered["signature"].count("v1=") == 1
