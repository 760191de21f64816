"""Round 7 probes of VietQR, bank BINs and payment codes: each test pins a defect found and fixed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.codes import check_digits, is_valid_code, scan_memo

# --- payment codes ---------------------------------------------------------------------------------------


@given(st.integers(0, 10**9 - 1))
def test_check_digits_99_are_never_a_second_spelling_of_02(n):
    # MOD 97-10 leaves remainder 1 for check digits 02 and 99 alike (99 = 02 + 97), as for 00/97 and
    # 01/98; we issue 02..98 only, so 99 must not verify either.
    body = f"{n:09d}"
    assert not is_valid_code(f"HS{body}99")
    assert is_valid_code(f"HS{body}{check_digits(body)}")


def test_a_code_written_with_99_for_its_02_is_no_exact_code_in_a_memo():
    body = "000000032"
    assert check_digits(body) == "02"
    [found] = scan_memo(f"nop le phi HS{body}99")
    assert found.code is None and f"HS{body}99" not in found.neighbours
    assert all(is_valid_code(n) for n in found.neighbours)


@pytest.mark.parametrize("written", ["00", "01", "99"])
def test_no_neighbour_offered_for_correction_has_a_check_we_never_issue(written):
    [found] = scan_memo("HS00000003292")  # one edit from HS00000003202 and from HS00000003299
    assert not any(n.endswith(written) and n[2:11] == "000000032" for n in found.neighbours)
