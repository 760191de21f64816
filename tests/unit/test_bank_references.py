"""Bank references compared across formats and feeds (`payments.references`)."""
import pytest

from payments.references import normalise_ref


@pytest.mark.parametrize("written,compared", [("5000.96828", "500096828"), ("ft-2611 24", "FT261124"),
                                              ("000123", "000123")])
def test_a_reference_is_compared_without_its_punctuation_or_case(written, compared):
    assert normalise_ref(written) == compared


@pytest.mark.parametrize("filler", [None, "", "0", "000", "N/A", "na", "-", "NONREF", "NOTPROVIDED", "null", "Nil"])
def test_a_filler_is_no_reference_and_keys_nothing_to_look_a_transfer_up_by(filler):
    """A callback under "0" must not be linked by it to another transfer stored under "0" (its money
    would be taken for already counted)."""
    assert normalise_ref(filler) is None
