"""Postage from a configurable tariff: price by zone and weight class. Pure.

Zones: `local` (inside the centre's province), `other` (another province), `special`
(special-geography wards such as the Vân Đồn and Cô Tô special zones). Each zone lists
weight classes `[max_grams, price_vnd]` in ascending order and a price per extra 500 g
above the last class. Configured as JSON in HCCPAY_POSTAL_TARIFF, e.g.::

    {"local": {"classes": [[500, 22000], [1000, 26000]], "extra_per_500g_vnd": 3000}, ...}
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kernel.money import MAX_REQUEST_VND

LOCAL, OTHER, SPECIAL = "local", "other", "special"
ZONES = (LOCAL, OTHER, SPECIAL)
STEP_GRAMS = 500
MAX_WEIGHT_GRAMS = 30_000

# Indicative public-postal prices for dossier envelopes (VND, VAT included); set the
# contracted prices in HCCPAY_POSTAL_TARIFF.
DEFAULT_TARIFF: dict[str, Any] = {
    LOCAL: {"classes": [[500, 22000], [1000, 26000], [2000, 32000]], "extra_per_500g_vnd": 3000},
    OTHER: {"classes": [[500, 30000], [1000, 38000], [2000, 50000]], "extra_per_500g_vnd": 5000},
    SPECIAL: {"classes": [[500, 35000], [1000, 42000], [2000, 55000]], "extra_per_500g_vnd": 6000},
}


class TariffError(ValueError):
    """The tariff configuration is not usable."""


@dataclass(frozen=True)
class ZoneTariff:
    classes: tuple[tuple[int, int], ...]
    extra_per_500g_vnd: int


@dataclass(frozen=True)
class Tariff:
    zones: Mapping[str, ZoneTariff]

    def postage_vnd(self, zone: str, weight_grams: int) -> int:
        """Postage for one item of `weight_grams` in `zone`."""
        if type(weight_grams) is not int or not 1 <= weight_grams <= MAX_WEIGHT_GRAMS:
            raise ValueError(f"weight must be 1..{MAX_WEIGHT_GRAMS} g")
        table = self.zones[zone]
        for max_grams, price in table.classes:
            if weight_grams <= max_grams:
                return price
        last_max, last_price = table.classes[-1]
        steps = -(-(weight_grams - last_max) // STEP_GRAMS)  # ceiling division
        return last_price + steps * table.extra_per_500g_vnd


def _positive(value: Any, where: str, highest: int, unit: str) -> int:
    """A positive whole number up to `highest`: a price past what one payment request may ask (each postage is
    asked alone) could never be paid, and one past the database's integers made every booking a 500."""
    if type(value) is not int or not 0 < value <= highest:
        raise TariffError(f"{where} must be a whole number of {unit} from 1 to {highest:,}")
    return value


def _money(value: Any, where: str) -> int:
    return _positive(value, where, MAX_REQUEST_VND, "đồng")


def parse_tariff(raw: Mapping[str, Any] | None) -> Tariff:
    """Validate a tariff mapping (empty or None: the default tariff)."""
    raw = raw or DEFAULT_TARIFF
    if not isinstance(raw, Mapping) or set(raw) != set(ZONES):
        raise TariffError(f"the tariff must have exactly the zones {', '.join(ZONES)}")
    zones = {}
    for zone in ZONES:
        spec = raw[zone]
        if not isinstance(spec, Mapping) or not isinstance(spec.get("classes"), list) or not spec["classes"]:
            raise TariffError(f"{zone}: needs a non-empty list of [max_grams, price_vnd] classes")
        classes = []
        for i, item in enumerate(spec["classes"]):
            if not (isinstance(item, list) and len(item) == 2):
                raise TariffError(f"{zone}.classes[{i}] must be [max_grams, price_vnd]")
            classes.append((_positive(item[0], f"{zone}.classes[{i}] max_grams", MAX_WEIGHT_GRAMS, "grams"),
                            _money(item[1], f"{zone}.classes[{i}] price")))
        if [c[0] for c in classes] != sorted({c[0] for c in classes}):
            raise TariffError(f"{zone}: weight classes must be strictly ascending")
        zones[zone] = ZoneTariff(tuple(classes), _money(spec.get("extra_per_500g_vnd"),
                                                         f"{zone}.extra_per_500g_vnd"))
        dearest = Tariff({zone: zones[zone]}).postage_vnd(zone, MAX_WEIGHT_GRAMS)
        if dearest > MAX_REQUEST_VND:  # the heaviest envelope's postage, asked in one request
            raise TariffError(f"{zone}: the postage of {MAX_WEIGHT_GRAMS:,} g would be {dearest:,} đồng, above the "
                              f"{MAX_REQUEST_VND:,} đồng one payment request may ask")
    return Tariff(zones)


def zone_for(*, ward_code: str, province_code: int, home_province: int, special_wards) -> str:
    """Which tariff zone an address falls in."""
    if ward_code in special_wards:
        return SPECIAL
    return LOCAL if province_code == home_province else OTHER
