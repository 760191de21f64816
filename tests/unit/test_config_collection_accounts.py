"""A collection account the VietQR builder would refuse stops start-up, naming the variable."""
import json

import pytest

from config import ConfigError, load_settings
from tests.unit.test_config import FULL  # a complete production configuration


@pytest.mark.parametrize("name,value", [
    ("HCCPAY_BANK_BIN", "９７０４３６"),       # full-width digits pass str.isdigit()
    ("HCCPAY_BANK_BIN", "999999"),            # six digits, but no bank has that BIN
    ("HCCPAY_BANK_ACCOUNT", "Đ0071001234567"),  # passes str.isalnum()
    ("HCCPAY_BANK_ACCOUNT", "٠١٢٣"),
    ("HCCPAY_BANK_ACCOUNT", "1" * 20),
])
def test_a_default_account_the_qr_cannot_carry_stops_start_up_naming_its_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(FULL | {name: value})


def test_a_per_agency_account_is_checked_the_same_way_and_named_by_its_agency():
    accounts = {"*": {"bin": "970436", "account_number": "111", "account_name": "TINH"},
                "H40.22": {"bin": "９７０４１５", "account_number": "222", "account_name": "HUYEN"}}
    with pytest.raises(ConfigError, match=r"HCCPAY_COLLECTION_ACCOUNTS\['H40.22'\]\.bin"):
        load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps(accounts)})


def test_a_listed_bank_and_an_ascii_account_are_accepted():
    settings = load_settings(FULL | {"HCCPAY_BANK_ACCOUNT": "VQRQ12345abc"})
    account = settings.collection_account("*")
    assert (account.bin, account.account_number) == ("970418", "VQRQ12345abc")


@pytest.mark.parametrize("name,value", [("PORT", "８０００"), ("HCCPAY_REQUEST_TTL_HOURS", "7_2"),
                                        ("HCCPAY_POSTAL_SPECIAL_WARDS", "０６９９４")])
def test_numbers_in_other_settings_are_ascii_digits_only(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(FULL | {name: value})
