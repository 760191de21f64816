"""Settings from environment variables (12-factor), with documented defaults.

Every name read here is listed in README.md's configuration table. Secrets have no
default outside demo mode: `load_settings()` raises `ConfigError` naming what is
missing, and the CLI turns that into a clear start-up failure.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Mapping

from config.holidays import DEFAULT_HOLIDAYS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_URL = f"sqlite:///{ROOT / 'instance' / 'hccpay.sqlite3'}"

# Secret name -> demo value. Demo values are public (they are in this file), so they
# are only ever used when HCCPAY_DEMO=1; a value in the environment always wins.
SECRETS = {
    "HCCPAY_SECRET_KEY": "demo-secret-key-not-for-production",
    "HCCPAY_BANK_WEBHOOK_SECRET": "demo-bank-webhook-secret",
    "HCCPAY_POS_WEBHOOK_SECRET": "demo-pos-webhook-secret",
    "HCCPAY_SEPAY_API_KEY": "demo-sepay-api-key",
    "HCCPAY_PAYOS_CHECKSUM_KEY": "demo-payos-checksum-key",
    "HCCPAY_VNPAY_TMN_CODE": "HCCDEMO1",
    "HCCPAY_VNPAY_HASH_SECRET": "demo-vnpay-hash-secret",
    "HCCPAY_COURIER_WEBHOOK_SECRET": "demo-courier-webhook-secret",
}

DEMO_COLLECTION_ACCOUNT = {
    "bin": "970436",  # Vietcombank
    "account_number": "0071001234567",
    "account_name": "TRUNG TAM PHUC VU HANH CHINH CONG",
}


class ConfigError(Exception):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class CollectionAccount:
    bin: str
    account_number: str
    account_name: str


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_SQLITE_URL
    port: int = 8000
    demo: bool = False
    public_url: str = "http://127.0.0.1:8000"
    payment_code_prefix: str = "HS"
    request_ttl: timedelta = timedelta(hours=72)
    # Agency code -> account; "*" is the fallback for agencies without their own.
    collection_accounts: Mapping[str, CollectionAccount] = field(default_factory=dict)
    holidays: frozenset[date] = DEFAULT_HOLIDAYS
    secrets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    log_level: str = "INFO"
    testing: bool = False
    # SMS gateway (kernel.notify); without a URL, SMS wait in the outbox until one is set.
    sms_gateway_url: str | None = None
    sms_api_key: str | None = None
    # Where `make run` serves the sandboxes (demo mode only).
    sandbox_host: str = "127.0.0.1"
    sandbox_sms_port: int = 8003
    sandbox_bank_port: int = 8001
    # VNPay gateway page the citizen is redirected to (internet banking / cards).
    vnpay_gateway_url: str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"

    def secret(self, name: str) -> str:
        """The current (first) value of a secret."""
        return self.secrets[name][0]

    def secret_values(self, name: str) -> tuple[str, ...]:
        """Every active value of a secret: the first signs, all verify (rotation)."""
        return self.secrets[name]

    def collection_account(self, agency_code: str) -> CollectionAccount:
        """The account an agency's citizens pay into."""
        return self.collection_accounts.get(agency_code) or self.collection_accounts["*"]

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _parse_secrets(env: Mapping[str, str], demo: bool) -> dict[str, tuple[str, ...]]:
    values: dict[str, tuple[str, ...]] = {}
    missing = []
    for name, demo_value in SECRETS.items():
        raw = env.get(name, "").strip()
        if raw:
            # Several comma-separated values may be active at once for key rotation.
            values[name] = tuple(v.strip() for v in raw.split(",") if v.strip())
        elif demo:
            values[name] = (demo_value,)
        else:
            missing.append(name)
    if missing:
        raise ConfigError(
            "missing secrets (set them in the environment, or HCCPAY_DEMO=1 for a demo): "
            + ", ".join(missing)
        )
    return values


def _parse_accounts(env: Mapping[str, str], demo: bool) -> dict[str, CollectionAccount]:
    accounts: dict[str, CollectionAccount] = {}
    raw = env.get("HCCPAY_COLLECTION_ACCOUNTS", "").strip()
    if raw:
        try:
            data = json.loads(raw)
            for agency, acc in data.items():
                accounts[agency] = CollectionAccount(
                    bin=str(acc["bin"]), account_number=str(acc["account_number"]),
                    account_name=str(acc["account_name"]),
                )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                'HCCPAY_COLLECTION_ACCOUNTS must be JSON like {"*": {"bin": "970436", '
                '"account_number": "...", "account_name": "..."}}: ' + str(exc)
            ) from exc
    if "*" not in accounts:
        single = {
            "bin": env.get("HCCPAY_BANK_BIN", "").strip(),
            "account_number": env.get("HCCPAY_BANK_ACCOUNT", "").strip(),
            "account_name": env.get("HCCPAY_BANK_ACCOUNT_NAME", "").strip(),
        }
        if all(single.values()):
            accounts["*"] = CollectionAccount(**single)
        elif demo and not any(single.values()):
            accounts["*"] = CollectionAccount(**DEMO_COLLECTION_ACCOUNT)
        else:
            raise ConfigError(
                "no default collection account: set HCCPAY_BANK_BIN, HCCPAY_BANK_ACCOUNT and "
                'HCCPAY_BANK_ACCOUNT_NAME, or a "*" entry in HCCPAY_COLLECTION_ACCOUNTS'
            )
    for agency, acc in accounts.items():
        if not (len(acc.bin) == 6 and acc.bin.isdigit()):
            raise ConfigError(f"collection account for {agency!r}: bank BIN must be 6 digits")
        if not (acc.account_number.isalnum() and 1 <= len(acc.account_number) <= 19):
            raise ConfigError(f"collection account for {agency!r}: account number must be 1-19 letters/digits")
    return accounts


def _parse_holidays(env: Mapping[str, str]) -> frozenset[date]:
    raw = env.get("HCCPAY_HOLIDAYS", "").strip()
    if not raw:
        return DEFAULT_HOLIDAYS
    try:
        return frozenset(date.fromisoformat(d.strip()) for d in raw.split(",") if d.strip())
    except ValueError as exc:
        raise ConfigError(f"HCCPAY_HOLIDAYS must be comma-separated ISO dates: {exc}") from exc


def _parse_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def load_settings(env: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Read settings from `env` (default: os.environ); `overrides` win (tests)."""
    env = os.environ if env is None else env
    demo = _flag(env.get("HCCPAY_DEMO"))
    prefix = env.get("HCCPAY_PAYMENT_CODE_PREFIX", "HS").strip()
    if not (len(prefix) == 2 and prefix.isascii() and prefix.isalpha() and prefix.isupper()):
        raise ConfigError("HCCPAY_PAYMENT_CODE_PREFIX must be 2 uppercase letters")
    port = _parse_int(env, "PORT", 8000)
    settings = Settings(
        database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_SQLITE_URL,
        port=port,
        demo=demo,
        public_url=(env.get("HCCPAY_PUBLIC_URL", "").strip() or f"http://127.0.0.1:{port}").rstrip("/"),
        payment_code_prefix=prefix,
        request_ttl=timedelta(hours=_parse_int(env, "HCCPAY_REQUEST_TTL_HOURS", 72)),
        collection_accounts=_parse_accounts(env, demo),
        holidays=_parse_holidays(env),
        secrets=_parse_secrets(env, demo),
        log_level=env.get("HCCPAY_LOG_LEVEL", "INFO").strip().upper(),
        sms_gateway_url=(env.get("HCCPAY_SMS_GATEWAY_URL", "").strip()
                         or ("http://127.0.0.1:8003" if demo else None)),
        sms_api_key=env.get("HCCPAY_SMS_API_KEY", "").strip() or ("demo-sms-api-key" if demo else None),
        vnpay_gateway_url=(env.get("HCCPAY_VNPAY_URL", "").strip()
                           or ("http://127.0.0.1:8001/vnpay/paymentv2/vpcpay.html" if demo
                               else "https://pay.vnpay.vn/vpcpay.html")),
    )
    return replace(settings, **overrides) if overrides else settings
