"""HCCPAY_COLLECTION_ACCOUNTS' agency keys are read as the dossiers' agency codes are (trimmed): a key
written " H40.22" (a stray space in a hand-edited JSON) matched no dossier, and that district's citizens
were silently sent to pay into the province's "*" account."""
import json

import pytest

from config import ConfigError, load_settings
from tests.unit.test_config import FULL

TINH = {"bin": "970436", "account_number": "111", "account_name": "TINH"}
HUYEN = {"bin": "970415", "account_number": "222", "account_name": "HUYEN"}


def test_an_agency_key_with_stray_spaces_is_that_agency():
    settings = load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps({"*": TINH, " H40.22 ": HUYEN})})
    assert settings.collection_account("H40.22").account_number == "222"


@pytest.mark.parametrize("keys", [("H40.22", "H40.22 "), ("*", " * ")])
def test_two_keys_for_one_agency_stop_start_up(keys):
    accounts = {keys[0]: TINH, keys[1]: HUYEN} | ({"*": TINH} if "*" not in keys else {})
    with pytest.raises(ConfigError, match="HCCPAY_COLLECTION_ACCOUNTS"):
        load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps(accounts)})


def test_an_empty_agency_key_stops_start_up():
    with pytest.raises(ConfigError, match="HCCPAY_COLLECTION_ACCOUNTS"):
        load_settings(FULL | {"HCCPAY_COLLECTION_ACCOUNTS": json.dumps({"*": TINH, "  ": HUYEN})})
