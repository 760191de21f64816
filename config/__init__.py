"""Settings from environment variables (12-factor), with documented defaults.

Every name read here is listed in README.md's configuration table. Secrets have no
default outside demo mode: `load_settings()` raises `ConfigError` naming what is
missing, and the CLI turns that into a clear start-up failure.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Mapping

from config.holidays import DEFAULT_HOLIDAYS
from config.values import (ConfigError, read_http_url, read_log_level, read_networks, read_rate_limit,
                           read_rate_limit_storage, read_switch, read_symbol)
from kernel.text import is_ascii_digits

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

# Secrets a deployment may leave unset (what they enable is then off), name -> demo value. SePay's webhook is
# authenticated by the API key above, or, when the webhook was created at SePay with HMAC-SHA256, by this key.
OPTIONAL_SECRETS = {
    "HCCPAY_SEPAY_WEBHOOK_SECRET": "demo-sepay-webhook-secret",
}

# The demo API keys of the sandbox courier and SMS gateway: public too, so never a deployment's.
DEMO_API_KEYS = {"HCCPAY_COURIER_API_KEY": "demo-courier-api-key", "HCCPAY_SMS_API_KEY": "demo-sms-api-key"}

# The keys we choose ourselves and sign or verify with (the app key, the X-HCC-Signature HMAC keys): a
# signed callback or a subscription's derived secret is enough to try short keys offline, and one found
# forges payments. The providers' keys (SePay, payOS, VNPay) are taken as the provider issues them.
OUR_SIGNING_KEYS = ("HCCPAY_SECRET_KEY", "HCCPAY_BANK_WEBHOOK_SECRET", "HCCPAY_POS_WEBHOOK_SECRET",
                    "HCCPAY_COURIER_WEBHOOK_SECRET")
MIN_SIGNING_KEY_LENGTH = 16

DEMO_COLLECTION_ACCOUNT = {
    "bin": "970436",  # Vietcombank
    "account_number": "0071001234567",
    "account_name": "TRUNG TAM PHUC VU HANH CHINH CONG",
}


# What a payment request stores of its collection account's name (payment_requests.account_name).
ACCOUNT_NAME_MAX = 100


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
    # E-receipts (biên lai): form symbol and series prefix; the series ends in the year's last two digits.
    receipt_form_symbol: str = "01BLP0-001"
    receipt_series_prefix: str = "BL-HCC-"
    # Printed on receipts: the collecting organisation's tax code (mã số thuế), agency names by code.
    tax_code: str | None = None
    agency_names: Mapping[str, str] = field(default_factory=dict)
    # Refunds above this need a second person with the approver role.
    refund_approval_threshold_vnd: int = 2_000_000
    # A drawer's count further than this from what it should hold is booked only when confirmed (a close
    # cannot be undone: an extra zero typed would stay an over/short for good).
    cash_count_confirm_vnd: int = 500_000
    # A staff page session nobody used for this long ends (a counter PC left logged in); lifetime: a working day.
    session_idle: timedelta = timedelta(minutes=30)
    outbox_max_claims: int = 3
    # The card acquirer's refund API (sandboxed in demo mode).
    pos_gateway_url: str | None = None
    # Private networks a webhook subscription may point into (kernel.destinations); outside demo mode every
    # other internal address is refused.
    webhook_private_networks: tuple[Any, ...] = ()
    # Rate limits (flask-limiter syntax) on public pages/lookups; storage per process unless a
    # shared store (e.g. redis://) is configured. "" disables the limit.
    public_rate_limit: str = "300/minute"
    rate_limit_storage: str = "database://"
    # Behind a TLS-terminating proxy: trust its X-Forwarded-* headers (Secure cookies, client IP).
    trust_proxy: bool = False
    # Cookies (login, the Flask session with flash messages and refused forms' values, language) are
    # Secure: on by default when the public URL is https://, off for `make run` on http://127.0.0.1.
    secure_cookies: bool = False
    # Where `make run` serves the sandboxes (demo mode only).
    sandbox_host: str = "127.0.0.1"
    sandbox_sms_port: int = 8003
    sandbox_bank_port: int = 8001
    # VNPay gateway page the citizen is redirected to (internet banking / cards).
    vnpay_gateway_url: str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"

    # --- postal (issue 6) ---------------------------------------------------------------
    # VNPost-like courier API; without a URL, bookings wait in the outbox until one is set.
    courier_url: str | None = None
    courier_api_key: str | None = None
    sandbox_courier_port: int = 8002
    # The centre's province (2025 code): deliveries inside it are the "local" zone.
    postal_province_code: int = 22
    # Tariff JSON (see postal/tariff.py); empty means the built-in default tariff.
    postal_tariff: Mapping[str, Any] = field(default_factory=dict)
    # Ward codes with special geography (islands, special zones): own tariff zone, extra days.
    postal_special_wards: frozenset[str] = frozenset({"06994", "07192"})  # Vân Đồn, Cô Tô
    postal_special_extra_days: int = 2
    # "prepaid": a delivery is booked once the dossier's fees (postage included) are paid;
    # "cod": booked at once and the postman collects what is outstanding.
    postal_payment_mode: str = "prepaid"
    # A citizen's window for one of today's rounds is taken until this long before the round leaves
    # (planner.SLOT_STARTS): the plan is made and the manifest printed before the postman sets off.
    postal_window_cutoff_minutes: int = 120

    # --- reconciliation (issue 5) -------------------------------------------------------
    # Open exceptions at or below this amount do not keep a day from closing.
    recon_tolerance_vnd: int = 0
    # A callback that no statement line showed after this many working days is reported.
    recon_sweep_working_days: int = 2
    # Largest statement upload accepted (bytes).
    statement_max_bytes: int = 256 * 1024 * 1024

    def secret(self, name: str) -> str:
        """The current (first) value of a secret."""
        return self.secrets[name][0]

    def secret_values(self, name: str) -> tuple[str, ...]:
        """Every active value of a secret: the first signs, all verify (rotation). None for an optional
        secret left unset (`OPTIONAL_SECRETS`): what it would verify is refused."""
        return self.secrets.get(name, ()) if name in OPTIONAL_SECRETS else self.secrets[name]

    def collection_account(self, agency_code: str) -> CollectionAccount:
        """The account an agency's citizens pay into."""
        return self.collection_accounts.get(agency_code) or self.collection_accounts["*"]

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


def _parse_secrets(env: Mapping[str, str], demo: bool) -> dict[str, tuple[str, ...]]:
    values: dict[str, tuple[str, ...]] = {}
    missing = []
    for name, demo_value in (SECRETS | OPTIONAL_SECRETS).items():
        raw = env.get(name, "").strip()
        if raw:
            # Several comma-separated values may be active at once for key rotation.
            values[name] = tuple(v.strip() for v in raw.split(",") if v.strip())
            if not values[name]:  # " , " is set, yet would sign with nothing (or crash on [0])
                raise ConfigError(f"{name} must hold at least one non-empty value (several: comma-separated)")
        elif demo:
            values[name] = (demo_value,)
        elif name in SECRETS:
            missing.append(name)
    if missing:
        raise ConfigError(
            "missing secrets (set them in the environment, or HCCPAY_DEMO=1 for a demo): "
            + ", ".join(missing)
        )
    if not demo:
        _refuse_weak_secrets(values)
    return values


def _refuse_weak_secrets(values: Mapping[str, tuple[str, ...]]) -> None:
    """Outside demo mode no value of a secret (the first, or an old one kept for rotation: all verify) may be
    its public demo value, and our own signing keys must be long enough to resist guessing."""
    weak = []
    for name, given in values.items():
        if (SECRETS | OPTIONAL_SECRETS)[name] in given:
            weak.append(f"{name} holds its public demo value")
        if name in OUR_SIGNING_KEYS and any(len(v) < MIN_SIGNING_KEY_LENGTH for v in given):
            weak.append(f"{name} holds a value shorter than {MIN_SIGNING_KEY_LENGTH} characters")
    if weak:
        raise ConfigError("weak secrets (set random values, e.g. `python3 -c 'import secrets; "
                          "print(secrets.token_urlsafe(32))'`): " + "; ".join(weak))


def _api_key(env: Mapping[str, str], name: str, demo: bool) -> str | None:
    """A gateway's API key; the sandbox's public one in demo mode, and never that one outside it."""
    key = env.get(name, "").strip() or (DEMO_API_KEYS[name] if demo else None)
    if not demo and key == DEMO_API_KEYS[name]:
        raise ConfigError(f"{name} holds the sandbox's public demo value; set the gateway's real key")
    return key


def _parse_accounts(env: Mapping[str, str], demo: bool) -> dict[str, CollectionAccount]:
    """Collection accounts per agency (HCCPAY_COLLECTION_ACCOUNTS), the "*" one from HCCPAY_BANK_*
    when the JSON has none. Each is checked here, so a bad one stops start-up instead of making
    every dossier a 500 when its VietQR is built."""
    accounts = _accounts_from_json(env)
    if "*" not in accounts:
        accounts["*"] = _default_account(env, demo)
    return accounts


def _accounts_from_json(env: Mapping[str, str]) -> dict[str, CollectionAccount]:
    raw = env.get("HCCPAY_COLLECTION_ACCOUNTS", "").strip()
    if not raw:
        return {}
    try:
        # BIN and number may be written as JSON numbers; a name that is no string (null) has no text to show.
        listed = [(agency, (str(acc["bin"]), str(acc["account_number"]), acc["account_name"]))
                  for agency, acc in json.loads(raw).items()]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            'HCCPAY_COLLECTION_ACCOUNTS must be JSON like {"*": {"bin": "970436", '
            '"account_number": "...", "account_name": "..."}}: ' + str(exc)
        ) from exc
    # Keys are read as dossiers' agency codes are (trimmed): " H40.22" would match no dossier and send
    # that agency's citizens to the "*" account without a word.
    given: dict[str, tuple[str, str, object]] = {}
    for agency, values in listed:
        key = agency.strip()
        if not key:
            raise ConfigError(f"HCCPAY_COLLECTION_ACCOUNTS has an empty agency key ({agency!r})")
        if key in given:
            raise ConfigError(f"HCCPAY_COLLECTION_ACCOUNTS names agency {key!r} twice")
        given[key] = values
    return {agency: _checked_account(*values, bin_name=f"HCCPAY_COLLECTION_ACCOUNTS[{agency!r}].bin",
                                     number_name=f"HCCPAY_COLLECTION_ACCOUNTS[{agency!r}].account_number",
                                     name_name=f"HCCPAY_COLLECTION_ACCOUNTS[{agency!r}].account_name")
            for agency, values in given.items()}


BANK_PARTS = ("HCCPAY_BANK_BIN", "HCCPAY_BANK_ACCOUNT", "HCCPAY_BANK_ACCOUNT_NAME")


def _default_account(env: Mapping[str, str], demo: bool) -> CollectionAccount:
    bin_, number, name = (env.get(part, "").strip() for part in BANK_PARTS)
    if demo and not (bin_ or number or name):
        return CollectionAccount(**DEMO_COLLECTION_ACCOUNT)
    # What is given is checked first, so a wrong BIN is reported as such, not as a missing account.
    if bin_:
        _check_bin(bin_, "HCCPAY_BANK_BIN")
    if number:
        _check_account_number(number, "HCCPAY_BANK_ACCOUNT")
    if name:
        name = _account_name(name, "HCCPAY_BANK_ACCOUNT_NAME")
    missing = [part for part, value in zip(BANK_PARTS, (bin_, number, name)) if not value]
    if missing:
        raise ConfigError(
            "no default collection account: set HCCPAY_BANK_BIN, HCCPAY_BANK_ACCOUNT and "
            'HCCPAY_BANK_ACCOUNT_NAME, or a "*" entry in HCCPAY_COLLECTION_ACCOUNTS (missing '
            + ", ".join(missing) + "); for a local demo, HCCPAY_DEMO=1 uses a sandbox account"
        )
    return CollectionAccount(bin=bin_, account_number=number, account_name=name)


def _checked_account(bin_: str, number: str, name: object, *, bin_name: str, number_name: str,
                     name_name: str) -> CollectionAccount:
    """An account the VietQR builder takes (a listed bank's BIN and 1-19 ASCII letters or digits) with a name
    every payment request can store."""
    _check_bin(bin_, bin_name)
    _check_account_number(number, number_name)
    return CollectionAccount(bin=bin_, account_number=number, account_name=_account_name(name, name_name))


def _check_bin(bin_: str, name: str) -> None:
    """A listed bank's BIN in ASCII digits (isdigit() alone would let "９７０４３６" through)."""
    from payments.banks import bank_by_bin  # pure module: no Flask, no database

    if not (len(bin_) == 6 and is_ascii_digits(bin_)):
        raise ConfigError(f"{name} must be a bank's 6-digit BIN in ASCII digits, got {bin_!r}")
    if bank_by_bin(bin_) is None:
        raise ConfigError(f"{name}: {bin_} is not the BIN of a Vietnamese bank (payments/data/vn_bank_bins.json)")


def _account_name(value: object, name: str) -> str:
    """The holder's name with its whitespace collapsed, if it is text of 1 to ACCOUNT_NAME_MAX printable
    characters: each payment request stores it (VARCHAR(100), and PostgreSQL holds no NUL), so a longer one
    made every dossier a 500 there; the pay page shows it."""
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not (text and len(text) <= ACCOUNT_NAME_MAX and text.isprintable()):
        raise ConfigError(f"{name} must be the account holder's name: 1-{ACCOUNT_NAME_MAX} printable characters")
    return text


def _check_account_number(number: str, name: str) -> None:
    """1-19 ASCII letters or digits, what a VietQR carries (isalnum() alone would let "Đ007..." through)."""
    if not (1 <= len(number) <= 19 and number.isascii() and number.isalnum()):
        raise ConfigError(f"{name} must be 1-19 ASCII letters or digits")


def _parse_holidays(env: Mapping[str, str]) -> frozenset[date]:
    """HCCPAY_HOLIDAYS replaces the built-in list; HCCPAY_HOLIDAYS_EXTRA adds days to whichever list
    is in force (one more day off announced, without writing out Tết and the rest again)."""
    listed = _holiday_list(env, "HCCPAY_HOLIDAYS")
    base = DEFAULT_HOLIDAYS if listed is None else listed
    extra = _holiday_list(env, "HCCPAY_HOLIDAYS_EXTRA") or frozenset()
    # The list's last year bounds how far ahead postal windows are booked (config.holidays.last_listed_day):
    # an extra day may not make a year look listed whose holidays nobody wrote down.
    unlisted = sorted({d.year for d in extra} - {d.year for d in base})
    if unlisted:
        raise ConfigError(f"HCCPAY_HOLIDAYS_EXTRA names days of {', '.join(map(str, unlisted))}, a year the holiday "
                          "list does not cover: list that year whole in HCCPAY_HOLIDAYS")
    return base | extra


_ISO_DAY = re.compile(r"(\d{4})-\d{2}-\d{2}")


def _holiday_list(env: Mapping[str, str], name: str) -> frozenset[date] | None:
    """Comma-separated YYYY-MM-DD days of 2000-2100, or None when unset. `date.fromisoformat` alone
    would also take 20261124, week dates and year 1: a typo must stop start-up, not move a holiday."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    days = set()
    for text in filter(None, (d.strip() for d in raw.split(","))):
        written = _ISO_DAY.fullmatch(text)
        try:
            if written is None or not 2000 <= int(written[1]) <= 2100:
                raise ValueError(f"{text!r} is not YYYY-MM-DD from 2000 to 2100")
            days.add(date.fromisoformat(text))
        except ValueError as exc:
            raise ConfigError(f"{name} must be comma-separated YYYY-MM-DD dates: {exc}") from exc
    return frozenset(days)


def _parse_int(env: Mapping[str, str], name: str, default: int, *, low: int = 0, high: int = 10**15) -> int:
    """An integer setting in [low, high]: a value out of range stops start-up, naming the variable
    (a TTL of 0 would make every request born expired, a huge one overflow every date)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    # int() alone also reads "٣", "８０００" and "1_000".
    if not is_ascii_digits(raw.removeprefix("-")):
        raise ConfigError(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low} to {high}, got {value}")
    return value


# Outside demo mode these have no safe default: the public URL is printed for good on every receipt's
# QR and sent in SMS (a default would be the server's own 127.0.0.1), and a receipt must name the
# collecting organisation's tax code.
REQUIRED_OUTSIDE_DEMO = ("HCCPAY_PUBLIC_URL", "HCCPAY_TAX_CODE")


def _require_outside_demo(env: Mapping[str, str], demo: bool) -> None:
    missing = [name for name in REQUIRED_OUTSIDE_DEMO if not demo and not env.get(name, "").strip()]
    if missing:
        raise ConfigError(f"{', '.join(missing)} must be set outside demo mode (HCCPAY_DEMO=1 for a local demo)")


def _database_url(env: Mapping[str, str]) -> str:
    """SQLite or PostgreSQL through psycopg 3, the two databases the code runs on: anything else would
    fail later with a driver's traceback instead of a sentence naming the setting."""
    url = env.get("DATABASE_URL", "").strip() or DEFAULT_SQLITE_URL
    if not url.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise ConfigError("DATABASE_URL must be sqlite:///<file> or postgresql+psycopg://user@host/db, got "
                          f"{url.split('://', 1)[0]}://…")
    return url


def load_settings(env: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Read settings from `env` (default: os.environ); `overrides` win (tests)."""
    env = os.environ if env is None else env
    demo = read_switch(env, "HCCPAY_DEMO")
    prefix = env.get("HCCPAY_PAYMENT_CODE_PREFIX", "HS").strip()
    if not (len(prefix) == 2 and prefix.isascii() and prefix.isalpha() and prefix.isupper()):
        raise ConfigError("HCCPAY_PAYMENT_CODE_PREFIX must be 2 uppercase letters")
    port = _parse_int(env, "PORT", 8000, low=1, high=65535)
    # Demo sandboxes: bank/gateways on this port, the courier on the next, SMS on the one after.
    sandbox = _parse_int(env, "HCCPAY_SANDBOX_PORT", 8001, low=1, high=65533)
    _require_outside_demo(env, demo)
    public_url = read_http_url(env, "HCCPAY_PUBLIC_URL", f"http://127.0.0.1:{port}")
    settings = Settings(
        database_url=_database_url(env),
        port=port,
        demo=demo,
        public_url=public_url,
        payment_code_prefix=prefix,
        request_ttl=timedelta(hours=_parse_int(env, "HCCPAY_REQUEST_TTL_HOURS", 72, low=1, high=24 * 366)),
        collection_accounts=_parse_accounts(env, demo),
        holidays=_parse_holidays(env),
        secrets=_parse_secrets(env, demo),
        log_level=read_log_level(env, "HCCPAY_LOG_LEVEL", "INFO"),
        sms_gateway_url=read_http_url(env, "HCCPAY_SMS_GATEWAY_URL",
                                      f"http://127.0.0.1:{sandbox + 2}" if demo else None),
        sms_api_key=_api_key(env, "HCCPAY_SMS_API_KEY", demo),
        public_rate_limit=read_rate_limit(env, "HCCPAY_PUBLIC_RATE_LIMIT", "300/minute"),
        rate_limit_storage=read_rate_limit_storage(env, "HCCPAY_RATE_LIMIT_STORAGE", "database://"),
        trust_proxy=read_switch(env, "HCCPAY_TRUST_PROXY"),
        webhook_private_networks=read_networks(env, "HCCPAY_WEBHOOK_PRIVATE_NETWORKS"),
        secure_cookies=read_switch(env, "HCCPAY_SECURE_COOKIES", default=public_url.lower().startswith("https://")),
        refund_approval_threshold_vnd=_parse_int(env, "HCCPAY_REFUND_APPROVAL_THRESHOLD_VND", 2_000_000),
        cash_count_confirm_vnd=_parse_int(env, "HCCPAY_CASH_COUNT_CONFIRM_VND", 500_000),
        session_idle=timedelta(minutes=_parse_int(env, "HCCPAY_SESSION_IDLE_MINUTES", 30, low=1, high=600)),
        outbox_max_claims=_parse_int(env, "HCCPAY_OUTBOX_MAX_CLAIMS", 3, low=1, high=100),
        pos_gateway_url=read_http_url(env, "HCCPAY_POS_GATEWAY_URL",
                                      f"http://127.0.0.1:{sandbox}/pos" if demo else None),
        vnpay_gateway_url=read_http_url(env, "HCCPAY_VNPAY_URL",
                                        f"http://127.0.0.1:{sandbox}/vnpay/paymentv2/vpcpay.html"
                                        if demo else "https://pay.vnpay.vn/vpcpay.html"),
        sandbox_bank_port=sandbox, sandbox_courier_port=sandbox + 1, sandbox_sms_port=sandbox + 2,
    )
    if settings.sms_gateway_url and not settings.sms_api_key:  # as the courier's: never silently unsent
        raise ConfigError("HCCPAY_SMS_API_KEY is required when HCCPAY_SMS_GATEWAY_URL is set")
    settings = replace(settings, **_parse_postal(env, demo, sandbox + 1), **_parse_reconciliation(env),
                       **_parse_receipt_identity(env, demo))
    if not demo:
        _refuse_shared_app_key(settings)
    return replace(settings, **overrides) if overrides else settings


def _refuse_shared_app_key(settings: Settings) -> None:
    """HCCPAY_SECRET_KEY is ours alone: it signs the pages' session, derives each event subscription's signing
    secret and seals the audit log. None of its values (old ones kept for rotation too) may be a key handed to
    a bank, a gateway or the courier, whose holder could then sign events and reseal a rewritten audit log."""
    ours = set(settings.secret_values("HCCPAY_SECRET_KEY"))
    others = {name: set(settings.secret_values(name)) for name in (SECRETS | OPTIONAL_SECRETS)
              if name != "HCCPAY_SECRET_KEY"}
    others |= {"HCCPAY_SMS_API_KEY": {settings.sms_api_key}, "HCCPAY_COURIER_API_KEY": {settings.courier_api_key}}
    shared = [name for name, values in others.items() if ours & values]
    if shared:
        raise ConfigError("HCCPAY_SECRET_KEY holds a value of " + ", ".join(shared) + ": give the service a key of "
                          "its own (e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)")


# --- receipts: who collects (issue 4) ---------------------------------------------------

DEMO_TAX_CODE = "5700000000"  # a demo value: its check digit is wrong, so no real organisation has it
# The form symbol is printed only; the series (prefix + 2 year digits) is also a path segment of the
# verify URL. Both are String(20) columns of receipts.
FORM_SYMBOL = re.compile(r"[^\x00-\x1f\x7f]+")
SERIES_PREFIX = re.compile(r"[A-Za-z0-9._-]+")


def _parse_receipt_identity(env: Mapping[str, str], demo: bool) -> dict[str, Any]:
    """HCCPAY_TAX_CODE (10 digits, or 10-3 for a dependent unit), HCCPAY_AGENCY_NAMES (JSON code -> name)
    and the receipt symbols: a receipt's identity is never silently the default when set blank."""
    tax_code = env.get("HCCPAY_TAX_CODE", "").strip() or (DEMO_TAX_CODE if demo else None)
    if tax_code is not None:
        head, _, branch = tax_code.partition("-")
        if not (is_ascii_digits(head) and len(head) == 10 and (not branch or is_ascii_digits(branch)
                                                                and len(branch) == 3)):
            raise ConfigError("HCCPAY_TAX_CODE must be 10 digits, or 10 digits, '-' and 3 digits")
    raw = env.get("HCCPAY_AGENCY_NAMES", "").strip()
    try:
        names = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise ConfigError(f"HCCPAY_AGENCY_NAMES: {exc}") from exc
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                              for k, v in names.items()):
        raise ConfigError('HCCPAY_AGENCY_NAMES must be JSON such as {"H40.22": "Sở Tư pháp tỉnh Quảng Ninh"}')
    return {"tax_code": tax_code, "agency_names": {k: v.strip() for k, v in names.items()},
            "receipt_form_symbol": read_symbol(env, "HCCPAY_RECEIPT_FORM_SYMBOL", "01BLP0-001", max_length=20,
                                               pattern=FORM_SYMBOL, allowed="printable"),
            "receipt_series_prefix": read_symbol(env, "HCCPAY_RECEIPT_SERIES_PREFIX", "BL-HCC-", max_length=18,
                                                 pattern=SERIES_PREFIX, allowed="ASCII letters, digits, '.', '_', '-'")}


# --- postal (issue 6) -------------------------------------------------------------------

POSTAL_PAYMENT_MODES = ("prepaid", "cod")


def _parse_postal(env: Mapping[str, str], demo: bool, sandbox_courier_port: int) -> dict[str, Any]:
    """The postal block: courier endpoint and key, tariff, special wards, payment mode."""
    courier_url = read_http_url(env, "HCCPAY_COURIER_URL", f"http://127.0.0.1:{sandbox_courier_port}" if demo else None)
    courier_key = _api_key(env, "HCCPAY_COURIER_API_KEY", demo)
    if courier_url and not courier_key:
        raise ConfigError("HCCPAY_COURIER_API_KEY is required when HCCPAY_COURIER_URL is set")
    mode = env.get("HCCPAY_POSTAL_PAYMENT", "").strip().lower() or "prepaid"
    if mode not in POSTAL_PAYMENT_MODES:
        raise ConfigError("HCCPAY_POSTAL_PAYMENT must be prepaid or cod")
    values: dict[str, Any] = {
        "courier_url": courier_url,
        "courier_api_key": courier_key,
        "postal_payment_mode": mode,
        "postal_province_code": _parse_province(env, "HCCPAY_POSTAL_PROVINCE", 22),
        # Working days added to a deadline: a month's worth at most (a huge one overflows every date).
        "postal_special_extra_days": _parse_int(env, "HCCPAY_POSTAL_SPECIAL_EXTRA_DAYS", 2, high=30),
        # At most 12 hours: more would close the afternoon round before the morning one opens.
        "postal_window_cutoff_minutes": _parse_int(env, "HCCPAY_POSTAL_WINDOW_CUTOFF_MINUTES",
                                                   Settings.postal_window_cutoff_minutes, high=720),
    }
    wards = env.get("HCCPAY_POSTAL_SPECIAL_WARDS")
    if wards is not None and wards.strip():
        codes = [w.strip() for w in wards.split(",") if w.strip()]
        if not all(is_ascii_digits(c) and len(c) <= 5 for c in codes):
            raise ConfigError("HCCPAY_POSTAL_SPECIAL_WARDS must be comma-separated ward codes such as 06994")
        values["postal_special_wards"] = frozenset(c.zfill(5) for c in codes)
    raw_tariff = env.get("HCCPAY_POSTAL_TARIFF", "").strip()
    if raw_tariff:
        from postal.tariff import TariffError, parse_tariff  # pure module: no Flask, no database

        try:
            values["postal_tariff"] = json.loads(raw_tariff)
            parse_tariff(values["postal_tariff"])
        except (ValueError, TariffError) as exc:
            raise ConfigError(f"HCCPAY_POSTAL_TARIFF: {exc}") from exc
    return values


def _parse_province(env: Mapping[str, str], name: str, default: int) -> int:
    """One of the 34 provinces of 2025, from the vietnam-provinces data the postal package uses."""
    from vietnam_provinces import ProvinceCode

    code = _parse_int(env, name, default)
    try:
        ProvinceCode(code)
    except ValueError:
        raise ConfigError(f"{name}: {code} is not one of the 34 province codes of 2025 (e.g. 1 Hà Nội, "
                          f"22 Quảng Ninh, 79 Hồ Chí Minh)") from None
    return code


# --- reconciliation (issue 5) -----------------------------------------------------------

def _parse_reconciliation(env: Mapping[str, str]) -> dict[str, Any]:
    """Close tolerance, sweep delay and upload limit."""
    values = {
        "recon_tolerance_vnd": _parse_int(env, "HCCPAY_RECON_TOLERANCE_VND", 0),
        "recon_sweep_working_days": _parse_int(env, "HCCPAY_RECON_SWEEP_WORKING_DAYS", 2, low=1, high=60),
        "statement_max_bytes": _parse_int(env, "HCCPAY_STATEMENT_MAX_MB", 256, low=1, high=4096) * 1024 * 1024,
    }
    if values["recon_tolerance_vnd"] < 0 or values["recon_sweep_working_days"] < 1 \
            or values["statement_max_bytes"] <= 0:
        raise ConfigError("HCCPAY_RECON_TOLERANCE_VND must be >= 0, HCCPAY_RECON_SWEEP_WORKING_DAYS >= 1 and "
                          "HCCPAY_STATEMENT_MAX_MB > 0")
    return values
