import json
from datetime import date

import pytest

from config import SECRETS, ConfigError, load_settings

FULL = {name: f"value-of-{name.lower()}" for name in SECRETS} | {
    "HCCPAY_BANK_BIN": "970418", "HCCPAY_BANK_ACCOUNT": "12010000123456",
    "HCCPAY_BANK_ACCOUNT_NAME": "TT PHUC VU HCC TINH", "HCCPAY_PUBLIC_URL": "https://pay.hcc.example",
    "HCCPAY_TAX_CODE": "5700100256",
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
    settings = load_settings(FULL | {"HCCPAY_BANK_WEBHOOK_SECRET": "new-bank-hmac-key, old-bank-hmac-key"})
    assert settings.secret_values("HCCPAY_BANK_WEBHOOK_SECRET") == ("new-bank-hmac-key", "old-bank-hmac-key")
    assert settings.secret("HCCPAY_BANK_WEBHOOK_SECRET") == "new-bank-hmac-key"


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


def test_extra_holidays_are_added_to_the_list_not_put_in_its_place():
    """An operator told of one more day off (24/11, Ngày Văn hóa Việt Nam, say) adds it; replacing the
    whole list to do so would silently drop Tết and every other holiday."""
    from config.holidays import DEFAULT_HOLIDAYS

    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_HOLIDAYS_EXTRA": "2026-11-24,2027-11-24"})
    assert settings.holidays == DEFAULT_HOLIDAYS | {date(2026, 11, 24), date(2027, 11, 24)}
    replaced = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_HOLIDAYS": "2026-12-31", "HCCPAY_HOLIDAYS_EXTRA": "2026-11-24"})
    assert replaced.holidays == {date(2026, 12, 31), date(2026, 11, 24)}


def test_an_extra_holiday_in_a_year_the_list_does_not_cover_stops_start_up():
    """The list's last year bounds how far postal windows are booked: one extra day in 2028 must not stretch
    that over a year whose holidays (Tết 2028) nobody listed; a new year is listed whole with HCCPAY_HOLIDAYS."""
    with pytest.raises(ConfigError, match="HCCPAY_HOLIDAYS_EXTRA.*2028"):
        load_settings({"HCCPAY_DEMO": "1", "HCCPAY_HOLIDAYS_EXTRA": "2026-11-24,2028-01-03"})


@pytest.mark.parametrize("name", ["HCCPAY_HOLIDAYS", "HCCPAY_HOLIDAYS_EXTRA"])
@pytest.mark.parametrize("value", ["20261124", "2026-W48-2", "0001-01-01", "9999-12-31", "2026-11-24;2026-12-31",
                                   "24/11/2026"])
def test_a_holiday_must_be_written_yyyy_mm_dd_in_a_plausible_year(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({"HCCPAY_DEMO": "1", name: value})


@pytest.mark.parametrize("name,value", [("HCCPAY_REQUEST_TTL_HOURS", "0"), ("HCCPAY_REQUEST_TTL_HOURS", "-24"),
                                        ("HCCPAY_REQUEST_TTL_HOURS", "999999999"), ("PORT", "-1"),
                                        ("PORT", "70000"), ("HCCPAY_RECON_TOLERANCE_VND", "-5")])
def test_numbers_out_of_their_range_stop_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({"HCCPAY_DEMO": "1", name: value})


# --- every setting is checked at start-up, naming the variable and what it accepts ---------------

DEMO = {"HCCPAY_DEMO": "1"}


@pytest.mark.parametrize("value", ["lots", "0/minute", "300/minute;", "300"])
def test_a_rate_limit_flask_limiter_cannot_read_stops_start_up(value):
    with pytest.raises(ConfigError, match=r"HCCPAY_PUBLIC_RATE_LIMIT.*300/minute"):
        load_settings(DEMO | {"HCCPAY_PUBLIC_RATE_LIMIT": value})


@pytest.mark.parametrize("value,expected", [("", ""), ("10 per second; 1000/hour", "10 per second; 1000/hour")])
def test_a_readable_rate_limit_is_kept_and_empty_means_no_limit(value, expected):
    assert load_settings(DEMO | {"HCCPAY_PUBLIC_RATE_LIMIT": value}).public_rate_limit == expected


@pytest.mark.parametrize("value", ["bogus://x", "async+memory://", "localhost:6379"])
def test_a_rate_limit_storage_the_limiter_does_not_know_stops_start_up(value):
    with pytest.raises(ConfigError, match=r"HCCPAY_RATE_LIMIT_STORAGE.*redis://"):
        load_settings(DEMO | {"HCCPAY_RATE_LIMIT_STORAGE": value})


def test_a_shared_rate_limit_storage_is_accepted_without_connecting_to_it(monkeypatch):
    monkeypatch.setattr("config.values.find_spec", lambda package: package == "redis")
    settings = load_settings(DEMO | {"HCCPAY_RATE_LIMIT_STORAGE": "redis://cache.invalid:6379"})
    assert settings.rate_limit_storage == "redis://cache.invalid:6379"


def test_a_rate_limit_storage_whose_client_package_is_missing_stops_start_up(monkeypatch):
    monkeypatch.setattr("config.values.find_spec", lambda package: None)
    with pytest.raises(ConfigError, match="HCCPAY_RATE_LIMIT_STORAGE: memcached:// needs .* pymemcache"):
        load_settings(DEMO | {"HCCPAY_RATE_LIMIT_STORAGE": "memcached://cache.invalid:11211"})
    assert load_settings(DEMO | {"HCCPAY_RATE_LIMIT_STORAGE": "memory://"}).rate_limit_storage == "memory://"


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize("value", [" , ", ",,"])
def test_a_secret_made_only_of_separators_is_not_a_secret(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(FULL | {name: value})
    with pytest.raises(ConfigError, match=name):
        load_settings(DEMO | {name: value})


@pytest.mark.parametrize("name", ["HCCPAY_DEMO", "HCCPAY_TRUST_PROXY", "HCCPAY_SECURE_COOKIES"])
@pytest.mark.parametrize("value", ["yes", "2", "on", "enabled"])
def test_a_switch_takes_1_or_0_true_or_false_and_refuses_the_rest(name, value):
    with pytest.raises(ConfigError, match=rf"{name}.*1.*0"):
        load_settings(FULL | {name: value})


@pytest.mark.parametrize("value,on", [("1", True), ("true", True), ("TRUE", True), ("0", False),
                                      ("false", False), ("", False)])
def test_a_switch_reads_its_documented_values(value, on):
    settings = load_settings(FULL | {"HCCPAY_DEMO": value, "HCCPAY_TRUST_PROXY": value})
    assert (settings.demo, settings.trust_proxy) == (on, on)


@pytest.mark.parametrize("value", ["99", "0", "23"])
def test_a_postal_province_that_is_not_one_of_the_34_stops_start_up(value):
    with pytest.raises(ConfigError, match="HCCPAY_POSTAL_PROVINCE"):
        load_settings(DEMO | {"HCCPAY_POSTAL_PROVINCE": value})


def test_a_real_postal_province_is_accepted():
    assert load_settings(DEMO | {"HCCPAY_POSTAL_PROVINCE": "01"}).postal_province_code == 1


@pytest.mark.parametrize("name", ["HCCPAY_PUBLIC_URL", "HCCPAY_VNPAY_URL", "HCCPAY_COURIER_URL",
                                  "HCCPAY_SMS_GATEWAY_URL", "HCCPAY_POS_GATEWAY_URL"])
@pytest.mark.parametrize("value", ["not a url", "ftp://files.example", "https://", "notaurl", "http:///path",
                                   "https://pay.example:99999"])
def test_an_address_that_is_not_an_http_url_with_a_host_stops_start_up(name, value):
    with pytest.raises(ConfigError, match=rf"{name}.*http"):
        load_settings(DEMO | {name: value})


def test_http_urls_are_accepted_without_their_trailing_slash():
    settings = load_settings(DEMO | {"HCCPAY_PUBLIC_URL": "https://pay.hcc.example/", "HCCPAY_VNPAY_URL":
                                     "https://pay.vnpay.vn/vpcpay.html", "HCCPAY_COURIER_URL": "http://10.0.0.5:8080/"})
    assert (settings.public_url, settings.vnpay_gateway_url, settings.courier_url) == (
        "https://pay.hcc.example", "https://pay.vnpay.vn/vpcpay.html", "http://10.0.0.5:8080")


@pytest.mark.parametrize("name,value", [
    ("HCCPAY_RECEIPT_FORM_SYMBOL", ""), ("HCCPAY_RECEIPT_FORM_SYMBOL", "   "),
    ("HCCPAY_RECEIPT_FORM_SYMBOL", "X" * 21),                # the receipts column holds 20
    ("HCCPAY_RECEIPT_SERIES_PREFIX", ""), ("HCCPAY_RECEIPT_SERIES_PREFIX", "X" * 19),  # + 2 year digits
    ("HCCPAY_RECEIPT_SERIES_PREFIX", "BL/HCC-"),              # the series is a path segment of the verify URL
    ("HCCPAY_RECEIPT_SERIES_PREFIX", "BL HCC"),
])
def test_a_receipt_symbol_set_blank_or_that_no_receipt_can_carry_stops_start_up(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(DEMO | {name: value})


def test_receipt_symbols_default_when_unset():
    settings = load_settings(DEMO)
    assert (settings.receipt_form_symbol, settings.receipt_series_prefix) == ("01BLP0-001", "BL-HCC-")


def test_an_unknown_log_level_stops_start_up_naming_the_levels():
    with pytest.raises(ConfigError, match=r"HCCPAY_LOG_LEVEL.*DEBUG, INFO, WARNING, ERROR, CRITICAL"):
        load_settings(DEMO | {"HCCPAY_LOG_LEVEL": "LOUD"})
    assert load_settings(DEMO | {"HCCPAY_LOG_LEVEL": "warning"}).log_level == "WARNING"


@pytest.mark.parametrize("env,message", [
    ({"HCCPAY_BANK_BIN": "123456"}, r"HCCPAY_BANK_BIN: 123456 is not the BIN of a Vietnamese bank"),
    ({"HCCPAY_BANK_BIN": "97043"}, r"HCCPAY_BANK_BIN must be a bank's 6-digit BIN"),
    ({"HCCPAY_BANK_ACCOUNT": "abc-123"}, r"HCCPAY_BANK_ACCOUNT must be 1-19 ASCII"),
    ({"HCCPAY_BANK_BIN": "970436"}, r"missing HCCPAY_BANK_ACCOUNT, HCCPAY_BANK_ACCOUNT_NAME"),
])
def test_a_partly_set_default_account_is_refused_for_what_is_wrong_with_it(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(DEMO | env)


@pytest.mark.parametrize("name", ["HCCPAY_PUBLIC_URL", "HCCPAY_TAX_CODE"])
def test_outside_demo_mode_the_public_url_and_the_tax_code_must_be_given(name):
    # printed for good on every receipt (its QR link, the collecting organisation's tax code)
    with pytest.raises(ConfigError, match=name):
        load_settings({key: value for key, value in FULL.items() if key != name})
    assert load_settings(DEMO).tax_code  # the demo has its own


def test_an_sms_gateway_without_its_key_stops_start_up():
    with pytest.raises(ConfigError, match="HCCPAY_SMS_API_KEY"):
        load_settings(FULL | {"HCCPAY_SMS_GATEWAY_URL": "https://sms.example"})
    assert load_settings(FULL | {"HCCPAY_SMS_GATEWAY_URL": "https://sms.example",
                                 "HCCPAY_SMS_API_KEY": "k"}).sms_api_key == "k"


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "mysql://u@h/db", "h/db"])
def test_a_database_url_for_another_driver_stops_start_up_naming_the_setting(url):
    with pytest.raises(ConfigError, match="DATABASE_URL must be sqlite:///<file> or postgresql\\+psycopg://"):
        load_settings(DEMO | {"DATABASE_URL": url})


def test_special_extra_days_beyond_a_month_stop_start_up():
    env = {"HCCPAY_DEMO": "1", "HCCPAY_POSTAL_SPECIAL_EXTRA_DAYS": "10000000"}
    with pytest.raises(ConfigError, match="HCCPAY_POSTAL_SPECIAL_EXTRA_DAYS"):
        load_settings(env)
    assert load_settings({**env, "HCCPAY_POSTAL_SPECIAL_EXTRA_DAYS": "30"}).postal_special_extra_days == 30


def test_the_demo_sandboxes_move_together_with_hccpay_sandbox_port():
    """A machine whose 8001-8003 are taken runs `make run` with HCCPAY_SANDBOX_PORT (and PORT): the
    bank/gateways, courier and SMS sandboxes take that port and the next two, and the demo's URLs follow."""
    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_SANDBOX_PORT": "9101"})
    assert (settings.sandbox_bank_port, settings.sandbox_courier_port, settings.sandbox_sms_port) == (9101, 9102, 9103)
    assert settings.vnpay_gateway_url.startswith("http://127.0.0.1:9101/")
    assert settings.pos_gateway_url == "http://127.0.0.1:9101/pos"
    assert settings.courier_url == "http://127.0.0.1:9102"
    assert settings.sms_gateway_url == "http://127.0.0.1:9103"
    default = load_settings({"HCCPAY_DEMO": "1"})
    assert (default.sandbox_bank_port, default.sandbox_courier_port, default.sandbox_sms_port) == (8001, 8002, 8003)


@pytest.mark.parametrize("value", ["0", "65534", "eighty"])
def test_a_sandbox_port_whose_three_ports_do_not_fit_stops_start_up(value):
    with pytest.raises(ConfigError, match="HCCPAY_SANDBOX_PORT"):
        load_settings({"HCCPAY_DEMO": "1", "HCCPAY_SANDBOX_PORT": value})


@pytest.mark.parametrize("env, secure", [
    (FULL, True),  # a deployment served at an https:// address
    ({"HCCPAY_DEMO": "1"}, False),  # `make run` on http://127.0.0.1
    (FULL | {"HCCPAY_PUBLIC_URL": "http://pay.intranet.example"}, False),
    (FULL | {"HCCPAY_PUBLIC_URL": "HTTPS://pay.hcc.example"}, True),  # a scheme is case-insensitive (RFC 3986)
    (FULL | {"HCCPAY_SECURE_COOKIES": "0"}, False),
    ({"HCCPAY_DEMO": "1", "HCCPAY_SECURE_COOKIES": "1"}, True),
])
def test_cookies_are_secure_where_the_site_is_https_unless_said_otherwise(env, secure):
    assert load_settings(env).secure_cookies is secure
