"""Masking of personal data for public pages and logs."""
from __future__ import annotations


def mask_name(name: str) -> str:
    """`Nguyễn Văn An` -> `N***** V** A*`: enough for a citizen to recognise, not to identify."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def mask_phone(phone: str) -> str:
    """`0912345678` -> `091****678`."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]


def mask_id_number(id_number: str) -> str:
    """Keep only the last 3 digits of a citizen ID."""
    return "*" * max(len(id_number) - 3, 0) + id_number[-3:]
