import json

import pytest

from config import SECRETS, ConfigError, load_settings

FULL = {name: f"value-of-{name.lower()}" for name in SECRETS} | {
    "HCCPAY_BANK_BIN": "970418", "HCCPAY_BANK_ACCOUNT": "12010000123456",
    "HCCPAY_BANK_ACCOUNT_NAME": "TT PHUC VU HCC TINH",
}


def test_outside_demo_mode_a_missing_secret_stops_start_up_naming_it():
    env = dict(FULL)
    del env["HCCPAY_VNPAY_HASH_SECRET"]
    with pytest.raises(ConfigError, match="HCCPAY_VNPAY_HASH_SECRET"):
        load_settings(env)


def test_outside_demo_mode_a_collection_account_is_required():
    env = {k: v for k, v in FULL.items() if not k.startswith("HCCPAY_BANK_")}
    with pytest.raises(ConfigError, match="collection account"):
        load_settings(env)


def test_demo_mode_fills_in_demo_secrets_and_the_vietcombank_account():
    settings = load_settings({"HCCPAY_DEMO": "1"})
    assert settings.secret("HCCPAY_BANK_WEBHOOK_SECRET") == SECRETS["HCCPAY_BANK_WEBHOOK_SECRET"]
    account = settings.collection_account("any-agency")
    assert (account.bin, account.account_number) == ("970436", "0071001234567")


def test_a_secret_in_the_environment_wins_over_the_demo_default():
    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_SEPAY_API_KEY": "real-key"})
    assert settings.secret("HCCPAY_SEPAY_API_KEY") == "real-key"


def test_several_values_of_a_secret_may_be_active_for_rotation():
    settings = load_settings(FULL | {"HCCPAY_BANK_WEBHOOK_SECRET": "new-key, old-key"})
    assert settings.secret_values("HCCPAY_BANK_WEBHOOK_SECRET") == ("new-key", "old-key")
    assert settings.secret("HCCPAY_BANK_WEBHOOK_SECRET") == "new-key"


def test_defaults_are_sqlite_under_instance_and_port_8000():
    settings = load_settings({"HCCPAY_DEMO": "1"})
    assert settings.database_url.startswith("sqlite:///") and "/instance/" in settings.database_url
    assert settings.port == 8000 and settings.payment_code_prefix == "HS"


def test_accounts_per_agency_fall_back_to_the_star_entry():
    accounts = {"*": {"bin": "970436", "account_number": "111", "account_name": "TINH"},
                "H40.22": {"bin": "970415", "account_number": "222", "account_name": "HUYEN"}}
    settings = load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps(accounts)})
    assert settings.collection_account("H40.22").account_number == "222"
    assert settings.collection_account("H40.99").account_number == "111"


@pytest.mark.parametrize("name,value", [
    ("HCCPAY_PAYMENT_CODE_PREFIX", "H1"), ("PORT", "eighty"), ("HCCPAY_HOLIDAYS", "2026-13-01"),
    ("HCCPAY_COLLECTION_ACCOUNTS", "{not json"), ("HCCPAY_BANK_BIN", "97041"),
])
def test_malformed_settings_are_reported_clearly(name, value):
    with pytest.raises(ConfigError):
        load_settings(FULL | {name: value})


def test_holidays_can_be_configured():
    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_HOLIDAYS": "2026-11-24, 2026-12-31"})
    assert {d.isoformat() for d in settings.holidays} == {"2026-11-24", "2026-12-31"}


@pytest.mark.parametrize("name,value", [("HCCPAY_REQUEST_TTL_HOURS", "0"), ("HCCPAY_REQUEST_TTL_HOURS", "-24"),
                                        ("HCCPAY_REQUEST_TTL_HOURS", "999999999"), ("PORT", "-1"),
                                        ("PORT", "70000"), ("HCCPAY_RECON_TOLERANCE_VND", "-5")])
def test_numbers_out_of_their_range_stop_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({"HCCPAY_DEMO": "1", name: value})
