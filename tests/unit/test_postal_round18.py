"""Postal, QA round 18 (pure): the first round a pickup without a window can take; address abbreviations."""
from datetime import date, datetime, timedelta

import pytest

from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import VN_TZ
from kernel.errors import DomainError
from postal import addresses
from postal.validation import first_open_round_day


def vn(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.mark.parametrize("at, cutoff_minutes, first", [
    ("2026-12-02T05:29", 120, date(2026, 12, 2)),
    ("2026-12-02T11:29", 120, date(2026, 12, 2)),
    ("2026-12-02T11:30", 120, date(2026, 12, 2) + timedelta(days=1)),
    ("2026-12-02T13:29", 0, date(2026, 12, 2)),  # 0: until the round leaves
    ("2026-12-02T13:30", 0, date(2026, 12, 3)),
    # 600 minutes: Thursday's morning round closed at 21:30 on Wednesday, its afternoon one closes at 03:30.
    ("2026-12-02T21:31", 600, date(2026, 12, 3)),
    ("2026-12-03T03:30", 600, date(2026, 12, 4)),
    # Thursday 31/12 after the cut-off, before 1/1 and a weekend: Monday.
    ("2026-12-31T11:30", 120, date(2027, 1, 4)),
])
def test_the_first_round_a_pickup_can_take_is_the_first_still_taking_bookings(at, cutoff_minutes, first):
    assert first_open_round_day(vn(at), holidays=DEFAULT_HOLIDAYS, cutoff=timedelta(minutes=cutoff_minutes)) == first


# --- 2. the kinds of units as addresses abbreviate them ----------------------------------------------------

@pytest.mark.parametrize("old", [
    "T.T. Tiên Yên", "T.T.Tiên Yên", "t.t tiên yên", "Tt. Tiên Yên", "TT Tiên Yên", "Thị Trấn Tiên Yên",
    # The district and the province after it, written out or abbreviated, as an old address ends.
    "Thị trấn Tiên Yên, huyện Tiên Yên", "TT. Tiên Yên, H. Tiên Yên, T. Quảng Ninh",
    "T.T. Tiên Yên - H.Tiên Yên - tỉnh Quảng Ninh", "Tiên Yên, Huyện Tiên Yên, Quảng Ninh",
])
def test_a_town_is_read_however_its_kind_is_abbreviated(old):
    assert addresses.resolve_legacy_ward(22, old).code == "06862"


@pytest.mark.parametrize("old", ["X. Hà Lâu", "X.Hà Lâu", "x hà lâu", "Xã Hà Lâu, H. Tiên Yên",
                                 "Xã Hà Lâu, Q. Tiên Yên", "X. Hà Lâu, TX. Tiên Yên", "X. Hà Lâu, T.X. Tiên Yên",
                                 "X. Hà Lâu, TP. Tiên Yên", "X. Hà Lâu, Tp Tiên Yên", "X. Hà Lâu, T.P. Tiên Yên",
                                 "X. Hà Lâu, thành phố Tiên Yên, Tỉnh Quảng Ninh"])
def test_a_commune_is_read_with_the_district_and_province_abbreviated_after_it(old):
    assert addresses.resolve_legacy_ward(22, old).code == "06874"


@pytest.mark.parametrize("kind", ["P.", "F.", "Phường", "TT.", "T.T."])
def test_an_explicit_kind_still_tells_apart_units_of_the_same_name(kind):
    # "Đông Ngũ" is a split commune: a ward or a town of that name is not it.
    with pytest.raises(DomainError) as refused:
        addresses.resolve_legacy_ward(22, f"{kind} Đông Ngũ")
    assert refused.value.code == "legacy_ward_split"  # one unit of that name: its kind is not enough to refuse


@pytest.mark.parametrize("old", ["Xã Hà Lâu, tỉnh Lạng Sơn", "Xã Hà Lâu, Lạng Sơn, phố Huế", "Xã Hà Lâu, phố Huế"])
def test_an_address_naming_another_province_or_more_than_units_is_not_guessed(old):
    with pytest.raises(DomainError) as refused:
        addresses.resolve_legacy_ward(22, old)
    assert refused.value.code == "unknown_legacy_ward"
