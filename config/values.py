"""Readers for one kind of setting each (switch, URL, rate limit, log level, symbol), so that a
value the service cannot use stops start-up with a `ConfigError` naming the variable and what it
accepts, instead of a 500 on every request or a crash in `create_app`. Pure: no Flask, no database.
"""
from __future__ import annotations

import ipaddress
import re
from importlib.util import find_spec
from typing import Mapping
from urllib.parse import urlsplit


class ConfigError(Exception):
    """The environment does not describe a runnable service."""


SWITCH_VALUES = {"1": True, "true": True, "0": False, "false": False, "": False}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def read_switch(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """An on/off setting: 1 or true, 0 or false, unset is `default` (off unless said). Anything else is
    refused rather than guessed ("yes" and "2" used to mean on and off)."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in SWITCH_VALUES:
        raise ConfigError(f"{name} must be 1 (or true) to switch it on, 0 (or false) or unset for off, got {raw!r}")
    return SWITCH_VALUES[raw]


def read_networks(env: Mapping[str, str], name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated networks in CIDR form (`10.20.0.0/16, fd12::/64`); unset or empty: none."""
    networks = []
    for text in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        try:
            networks.append(ipaddress.ip_network(text))
        except ValueError:
            raise ConfigError(f"{name}: {text!r} is not a network such as 10.20.0.0/16 (host bits zero)") from None
    return tuple(networks)


def read_http_url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    """An http(s) URL with a host, without its trailing slash; unset or empty gives `default`."""
    raw = env.get(name, "").strip() or default
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or " " in raw:
        raise ConfigError(f"{name} must be an http:// or https:// URL with a host, such as "
                          f"https://host.example/path, got {raw!r}")
    return raw.rstrip("/")


def read_rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    """A flask-limiter rate ("300/minute", "10 per second; 1000/hour"), checked with the parser the
    limiter itself uses; an explicitly empty value means no limit."""
    from limits import parse_many

    raw = env.get(name, default).strip()
    if not raw:
        return ""
    try:
        items = parse_many(raw)
    except ValueError:
        items = []
    if not items or any(item.amount < 1 for item in items):
        raise ConfigError(f"{name} must be a rate such as 300/minute or '10 per second; 1000/hour' "
                          f"(at least 1 request), or empty for no limit, got {raw!r}")
    return raw


DATABASE_STORAGE = "database"  # HCCPAY_RATE_LIMIT_STORAGE's scheme for counting in the app's database


def read_rate_limit_storage(env: Mapping[str, str], name: str, default: str) -> str:
    """A storage URI the rate limiter knows (the `limits` library's own scheme table) whose client
    package is installed, checked without connecting; the asynchronous ones do not work with Flask."""
    from limits.storage import SCHEMES

    raw = env.get(name, "").strip() or default
    scheme = urlsplit(raw).scheme
    if raw == f"{DATABASE_STORAGE}://":
        return raw  # the app's own database (kernel.ratelimit): nothing to install or reach
    if scheme not in SCHEMES or scheme.startswith("async+"):
        known = ", ".join(f"{s}://" for s in SCHEMES if not s.startswith("async+"))
        raise ConfigError(f"{name} must be a rate-limit storage URI such as memory:// or redis://host:6379 "
                          f"(known: {known}), got {raw!r}")
    # The limiter imports its client (redis, pymemcache, ...) only in create_app; a missing one would
    # stop the app there with a less clear message.
    packages = sorted({dependency.split(".")[0] for dependency in SCHEMES[scheme].DEPENDENCIES})
    if packages and not any(find_spec(package) for package in packages):
        raise ConfigError(f"{name}: {scheme}:// needs the Python package {' or '.join(packages)}, "
                          f"which is not installed")
    return raw


def read_log_level(env: Mapping[str, str], name: str, default: str) -> str:
    """One of the standard logging level names, in any case."""
    raw = env.get(name, "").strip().upper() or default
    if raw not in LOG_LEVELS:
        raise ConfigError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return raw


def read_symbol(env: Mapping[str, str], name: str, default: str, *, max_length: int,
                pattern: re.Pattern[str], allowed: str) -> str:
    """A symbol printed on documents: unset gives `default`; set, it must be non-blank and fit."""
    if name not in env:
        return default
    raw = env[name].strip()
    if not (raw and len(raw) <= max_length and pattern.fullmatch(raw)):
        raise ConfigError(f"{name} must be 1-{max_length} characters ({allowed}), got {env[name]!r}")
    return raw
