"""Round 10: the collection account frozen on every payment request, as an operator configures it."""
import json

import pytest

from config import ConfigError, load_settings
from tests.unit.test_config import FULL  # a complete production configuration


@pytest.mark.parametrize("value", ["T" * 101, "TRUNG TAM\x00HCC", "TRUNG TAM\u200bHCC"])
def test_a_default_account_name_no_request_can_store_stops_start_up_naming_its_variable(value):
    # payment_requests.account_name is VARCHAR(100) and PostgreSQL holds no NUL: every dossier was a 500.
    with pytest.raises(ConfigError, match="HCCPAY_BANK_ACCOUNT_NAME"):
        load_settings(FULL | {"HCCPAY_BANK_ACCOUNT_NAME": value})


@pytest.mark.parametrize("name", [None, "", "T" * 101, ["TINH"]])
def test_a_per_agency_account_name_that_is_no_storable_text_stops_start_up_naming_its_agency(name):
    # null was written as the name "None"; a list as "['TINH']".
    accounts = {"*": {"bin": "970436", "account_number": "111", "account_name": "TINH"},
                "H40.22": {"bin": "970415", "account_number": "222", "account_name": name}}
    with pytest.raises(ConfigError, match=r"HCCPAY_COLLECTION_ACCOUNTS\['H40.22'\]\.account_name"):
        load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps(accounts)})


def test_a_vietnamese_account_name_of_100_characters_and_numbers_written_as_json_numbers_are_accepted():
    name = "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TỈNH QUẢNG NINH".ljust(100, "H")
    accounts = {"*": {"bin": 970436, "account_number": 71001234567, "account_name": name}}
    account = load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps(accounts)}).collection_account("*")
    assert (account.bin, account.account_number, account.account_name) == ("970436", "71001234567", name)


def test_whitespace_inside_an_account_name_is_collapsed_rather_than_refused():
    accounts = {"*": {"bin": "970436", "account_number": "111", "account_name": " TRUNG TAM\tPHUC VU\nHCC "}}
    account = load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps(accounts)}).collection_account("*")
    assert account.account_name == "TRUNG TAM PHUC VU HCC"
