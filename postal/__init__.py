"""Postal pickups and deliveries (QĐ 45/2016): addresses, shipments, planning, courier, paperwork."""
from postal import fees as _fees  # noqa: F401 - registers: a cancelled payment request takes its shipment with it
