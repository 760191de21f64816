"""Pure postal rules: addresses, deadlines, tariff, the state machine and VNPost's codes, SMS texts."""
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config import SECRETS, ConfigError, load_settings
from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import is_working_day
from kernel.errors import DomainError
from postal import addresses, deadlines, messages, states
from postal.tariff import DEFAULT_TARIFF, TariffError, parse_tariff, zone_for

H = DEFAULT_HOLIDAYS


# --- addresses --------------------------------------------------------------------------

def test_the_2025_units_have_34_provinces_and_quang_ninh_has_54_wards():
    assert len({w.province_code for p in range(1, 100) for w in _safe_wards(p)}) == 34
    kinds = [w.kind for w in addresses.wards_of(22)]
    assert len(kinds) == 54 and kinds.count("đặc khu") == 2 and kinds.count("phường") == 30


def _safe_wards(code):
    try:
        return addresses.wards_of(code)
    except DomainError:
        return ()


@pytest.mark.parametrize("ward_code", ["06685", "6685", 6685])
def test_a_ward_code_is_accepted_with_or_without_its_leading_zero(ward_code):
    ward = addresses.resolve_ward(22, ward_code)
    assert (ward.code, ward.name, ward.province_name) == ("06685", "Phường Hồng Gai", "Quảng Ninh")


def test_a_ward_of_another_province_is_refused_with_both_provinces_named():
    with pytest.raises(DomainError) as refused:
        addresses.resolve_ward(22, "00070")  # Hoàn Kiếm, Hà Nội
    assert refused.value.code == "ward_not_in_province" and refused.value.status == 422
    assert refused.value.details["ward_province_code"] == 1


@pytest.mark.parametrize("old, new", [("Xã Bằng Cả", "07054"), ("thi tran tien yen", "06862"),
                                      ("Đông Hải", "06877"), ("XÃ HÀ LÂU", "06874")])
def test_legacy_units_merged_whole_resolve_whatever_the_accents_and_case(old, new):
    assert addresses.resolve_legacy_ward(22, old).code == new


@pytest.mark.parametrize("old", ["Yên Than", "Xã Đại Dực", "Đông Ngũ"])
def test_a_legacy_unit_that_was_split_lists_every_candidate(old):
    with pytest.raises(DomainError) as split:
        addresses.resolve_legacy_ward(22, old)
    assert split.value.code == "legacy_ward_split" and len(split.value.details["candidates"]) == 2


def test_an_unknown_legacy_name_is_not_guessed():
    with pytest.raises(DomainError) as unknown:
        addresses.resolve_legacy_ward(22, "Phường Không Có")
    assert unknown.value.code == "unknown_legacy_ward"


# --- deadlines --------------------------------------------------------------------------

def due(j, **kw):
    spec = {"local": True, "urban": True, "special": False, "special_extra_days": 2, **kw}
    return deadlines.due_date(j, holidays=H, **spec)


def test_j_plus_one_from_a_friday_lands_on_monday():
    assert due(date(2026, 11, 27)) == date(2026, 11, 30)


def test_a_commune_takes_two_working_days_and_another_province_three_or_four():
    wed = date(2026, 11, 25)
    assert due(wed, urban=False) == date(2026, 11, 27)
    assert due(wed, local=False) == date(2026, 11, 30)
    assert due(wed, local=False, urban=False) == date(2026, 12, 1)


def test_tet_is_skipped():
    # Friday 13 Feb 2026; Tết Bính Ngọ holidays 16-20 Feb: J+1 is Monday 23 Feb.
    assert due(date(2026, 2, 13)) == date(2026, 2, 23)


def test_a_j_on_a_holiday_counts_from_the_next_working_day():
    assert due(date(2026, 9, 2)) == date(2026, 9, 4)  # 2/9 holiday → J = Thu 3/9 → J+1 = Fri 4/9


def test_special_geography_adds_the_configured_days():
    assert due(date(2026, 11, 25), special=True) == date(2026, 11, 30)
    assert due(date(2026, 11, 25), special=True, special_extra_days=0) == date(2026, 11, 26)


def test_a_second_attempt_is_at_least_two_working_days_later():
    assert deadlines.next_attempt_date(date(2026, 11, 26), H) == date(2026, 11, 30)  # Thu → Mon


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), st.booleans(), st.booleans(),
       st.booleans(), st.integers(min_value=0, max_value=5))
def test_deadlines_always_land_on_a_working_day_after_j(j, local, urban, special, extra):
    result = deadlines.due_date(j, local=local, urban=urban, special=special, special_extra_days=extra, holidays=H)
    assert is_working_day(result, H) and result > j
    assert deadlines.next_attempt_date(j, H) >= j + timedelta(days=2)


# --- tariff -----------------------------------------------------------------------------

def test_postage_by_zone_and_weight_class_with_extra_steps():
    tariff = parse_tariff(None)
    assert tariff.postage_vnd("local", 500) == 22000
    assert tariff.postage_vnd("local", 501) == 26000
    assert tariff.postage_vnd("other", 2000) == 50000
    assert tariff.postage_vnd("special", 2600) == 55000 + 2 * 6000
    assert all(type(tariff.postage_vnd(z, w)) is int for z in DEFAULT_TARIFF for w in (1, 700, 9999))


@pytest.mark.parametrize("raw", [
    {"local": DEFAULT_TARIFF["local"]},
    {**DEFAULT_TARIFF, "local": {"classes": [[500, 22000.0]], "extra_per_500g_vnd": 1}},
    {**DEFAULT_TARIFF, "local": {"classes": [[1000, 1], [500, 2]], "extra_per_500g_vnd": 1}},
    {**DEFAULT_TARIFF, "local": {"classes": [[500, 1]], "extra_per_500g_vnd": True}},
])
def test_a_bad_tariff_is_refused(raw):
    with pytest.raises(TariffError):
        parse_tariff(raw)


def test_zones_follow_the_special_list_then_the_province():
    special = frozenset({"06994"})
    assert zone_for(ward_code="06994", province_code=22, home_province=22, special_wards=special) == "special"
    assert zone_for(ward_code="06685", province_code=22, home_province=22, special_wards=special) == "local"
    assert zone_for(ward_code="00070", province_code=1, home_province=22, special_wards=special) == "other"


def test_the_postal_settings_are_read_and_checked_at_start_up():
    s = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_POSTAL_PAYMENT": "cod", "HCCPAY_POSTAL_SPECIAL_WARDS": "6994"})
    assert s.postal_payment_mode == "cod" and s.postal_special_wards == {"06994"}
    assert s.courier_url == "http://127.0.0.1:8002" and s.courier_api_key
    with pytest.raises(ConfigError, match="HCCPAY_POSTAL_TARIFF"):
        load_settings({"HCCPAY_DEMO": "1", "HCCPAY_POSTAL_TARIFF": '{"local": 1}'})
    production = {**{name: f"s3cret-long-enough-{name.lower()}" for name in SECRETS}, "HCCPAY_BANK_BIN": "970436",
                  "HCCPAY_BANK_ACCOUNT": "0071001234567", "HCCPAY_BANK_ACCOUNT_NAME": "TRUNG TAM",
                  "HCCPAY_PUBLIC_URL": "https://pay.hcc.example", "HCCPAY_TAX_CODE": "5700100256"}
    assert load_settings(production).courier_url is None  # no courier configured: bookings wait
    with pytest.raises(ConfigError, match="HCCPAY_COURIER_API_KEY"):
        load_settings({**production, "HCCPAY_COURIER_URL": "https://courier.example"})


# --- states -----------------------------------------------------------------------------

def test_cancellation_is_only_possible_before_pickup():
    for status in (states.REQUESTED, states.BOOKED, states.SCHEDULED, states.FAILED_ATTEMPT):
        assert states.allowed(states.PICKUP, status, states.CANCELLED)
    for status in (states.PICKED_UP, states.OUT_FOR_DELIVERY, states.DELIVERED):
        assert not states.allowed(states.DELIVERY, status, states.CANCELLED)
        assert not states.allowed(states.PICKUP, status, states.CANCELLED)


def test_nothing_leaves_a_terminal_state():
    for terminal in states.TERMINAL:
        for target in states.STATUSES:
            assert not states.allowed(states.DELIVERY, terminal, target)


def test_a_pickup_is_never_out_for_delivery_and_a_delivery_never_picked_up():
    assert not states.allowed(states.PICKUP, states.SCHEDULED, states.OUT_FOR_DELIVERY)
    assert not states.allowed(states.DELIVERY, states.SCHEDULED, states.PICKED_UP)


def test_the_second_failure_returns_a_delivery_and_cancels_a_pickup():
    assert states.after_failure(states.DELIVERY, 1) == states.FAILED_ATTEMPT
    assert states.after_failure(states.DELIVERY, 2) == states.RETURNED
    assert states.after_failure(states.PICKUP, 2) == states.CANCELLED


def test_every_vnpost_code_from_0_to_22_has_a_meaning():
    assert sorted(states.COURIER_STATUSES) == list(range(23))
    assert states.courier_status(9).target(states.DELIVERY) == states.OUT_FOR_DELIVERY
    assert states.courier_status(5).target(states.PICKUP) == states.PICKED_UP
    assert states.courier_status(5).target(states.DELIVERY) is None  # collected from the centre: informational
    assert states.courier_status(12).reason == states.WRONG_ADDRESS
    assert states.courier_status(17).target(states.DELIVERY) == states.RETURNED
    with pytest.raises(ValueError):
        states.courier_status(23)


def test_every_sms_is_vietnamese_with_its_diacritics():
    text = messages.sms_text(states.FAILED_ATTEMPT, direction=states.DELIVERY, dossier_code="HS-1",
                             reason=states.REFUSED, next_date=date(2026, 11, 30))
    assert text == ("TT Phục vụ HCC: Chưa giao được kết quả hồ sơ HS-1 (người nhận từ chối nhận). "
                    "Bưu điện sẽ quay lại từ ngày 30/11/2026.")
    assert messages.sms_text(states.SCHEDULED, direction=states.PICKUP, dossier_code="HS-1") is None


def test_a_pickup_reaches_the_centre_only_after_it_was_picked_up():
    for status in (states.REQUESTED, states.BOOKED, states.SCHEDULED, states.FAILED_ATTEMPT):
        assert not states.allowed(states.PICKUP, status, states.DELIVERED), status
    assert states.allowed(states.PICKUP, states.PICKED_UP, states.DELIVERED)
    assert states.allowed(states.DELIVERY, states.SCHEDULED, states.DELIVERED)  # a courier may skip "out"


def test_a_pickup_that_failed_can_still_be_cancelled_a_delivery_goes_back_to_the_agency_instead():
    assert states.cancellable(states.PICKUP, states.FAILED_ATTEMPT)
    assert not states.cancellable(states.DELIVERY, states.FAILED_ATTEMPT)
    assert not states.cancellable(states.PICKUP, states.PICKED_UP)


def test_a_failed_pickup_names_the_citizen_as_the_sender_not_a_recipient():
    text = messages.sms_text(states.FAILED_ATTEMPT, direction=states.PICKUP, dossier_code="HS-1",
                             reason=states.REFUSED, next_date=date(2026, 11, 30))
    assert text == ("TT Phục vụ HCC: Chưa nhận được hồ sơ HS-1 (người gửi chưa giao hồ sơ). "
                    "Bưu điện sẽ quay lại từ ngày 30/11/2026.")
    assert "người gửi vắng nhà" in messages.sms_text(states.FAILED_ATTEMPT, direction=states.PICKUP,
                                                     dossier_code="HS-1", reason=states.NOT_HOME,
                                                     next_date=date(2026, 11, 30))


def test_a_returned_result_does_not_count_attempts_it_may_not_have_had():
    text = messages.sms_text(states.RETURNED, direction=states.DELIVERY, dossier_code="HS-1")
    assert "2 lần" not in text and text.startswith("TT Phục vụ HCC: Do không giao được, kết quả hồ sơ HS-1")


def test_the_picked_up_sms_gives_the_due_date_as_the_last_day_allowed():
    text = messages.sms_text(states.PICKED_UP, direction=states.PICKUP, dossier_code="HS-1", due=date(2026, 12, 2))
    assert text.endswith("chuyển về Trung tâm chậm nhất ngày 02/12/2026.")
