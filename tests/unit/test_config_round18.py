"""Round 18, settings: HCCPAY_SECRET_KEY is ours alone. It signs the pages' session, derives every event
subscription's signing secret and seals the audit log; set to the value of a key handed to a bank, a gateway or
the courier, whoever holds that key could sign events to subscribers and reseal a rewritten audit log."""
import pytest

from config import ConfigError, load_settings
from tests.unit.test_config import FULL

SHARED = "a-long-random-value-0123456789"


@pytest.mark.parametrize("other", ["HCCPAY_BANK_WEBHOOK_SECRET", "HCCPAY_POS_WEBHOOK_SECRET", "HCCPAY_SEPAY_API_KEY",
                                   "HCCPAY_PAYOS_CHECKSUM_KEY", "HCCPAY_VNPAY_HASH_SECRET",
                                   "HCCPAY_COURIER_WEBHOOK_SECRET", "HCCPAY_SEPAY_WEBHOOK_SECRET"])
def test_the_app_key_may_not_be_a_key_given_to_someone_else(other):
    with pytest.raises(ConfigError, match=f"HCCPAY_SECRET_KEY holds a value of {other}"):
        load_settings(FULL | {"HCCPAY_SECRET_KEY": SHARED, other: SHARED})


def test_an_old_app_key_kept_for_rotation_may_not_be_one_either():
    with pytest.raises(ConfigError, match="HCCPAY_SECRET_KEY holds a value of HCCPAY_BANK_WEBHOOK_SECRET"):
        load_settings(FULL | {"HCCPAY_SECRET_KEY": f"another-long-random-value, {SHARED}",
                              "HCCPAY_BANK_WEBHOOK_SECRET": f"bank-key-of-this-year-0001, {SHARED}"})


@pytest.mark.parametrize("api_key", ["HCCPAY_SMS_API_KEY", "HCCPAY_COURIER_API_KEY"])
def test_the_app_key_may_not_be_a_gateway_api_key(api_key):
    url = {"HCCPAY_SMS_API_KEY": "HCCPAY_SMS_GATEWAY_URL", "HCCPAY_COURIER_API_KEY": "HCCPAY_COURIER_URL"}[api_key]
    with pytest.raises(ConfigError, match=f"HCCPAY_SECRET_KEY holds a value of {api_key}"):
        load_settings(FULL | {"HCCPAY_SECRET_KEY": SHARED, api_key: SHARED, url: "https://gateway.example.vn"})


def test_two_keys_given_to_partners_may_still_be_alike_and_demo_mode_is_not_checked():
    # Only our own key is checked: the bank and the card terminals may well be one acquirer with one key.
    load_settings(FULL | {"HCCPAY_BANK_WEBHOOK_SECRET": SHARED, "HCCPAY_POS_WEBHOOK_SECRET": SHARED})
    load_settings({"HCCPAY_DEMO": "1", "HCCPAY_SECRET_KEY": SHARED, "HCCPAY_BANK_WEBHOOK_SECRET": SHARED})
