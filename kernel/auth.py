"""API tokens bound to roles, stored hashed.

A token is 256 random bits, so one SHA-256 is enough to make the stored value useless to
a thief (slow password hashes are for low-entropy secrets) and lets us look a token up by
its hash. Only the hash and a short display prefix are kept.

A token may be issued with a lifetime (`ttl_days`): past its `expires_at` it is refused with its own code,
`token_expired`, so the system using it knows to ask for a new one rather than suspect a typo. Without one
it lasts until revoked (docs/decisions.md, "API tokens expire only when asked to").
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel import audit
from kernel.db import PK, Base
from kernel.errors import NotFound, Unauthenticated, ValidationError
from kernel.signing import same_secret
from kernel.text import clean_text

ROLES = ("intake", "cashier", "finance", "approver", "postal", "auditor", "admin")
TOKEN_PREFIX = "hcc_"
MAX_TTL_DAYS = 3650  # ten years: longer is a typo, or "never", which is said by giving none


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[PK]
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None: until revoked


ACTOR_LENGTH = 200  # the width of every created_by / requested_by / cashier column


@dataclass(frozen=True)
class Principal:
    """Who is calling: a system (API token) or a person (session login)."""

    name: str
    roles: frozenset[str]
    kind: str  # "token" | "user"
    id: int

    @property
    def user_id(self) -> int | None:
        """The staff user this is (a person logged in), None for a system's API token."""
        return self.id if self.kind == "user" else None

    @property
    def actor(self) -> str:
        """How the audit log names this principal: `kind:id:name`, cut to fit the 200-character
        columns that record who did what (the id already tells principals apart)."""
        prefix = f"{self.kind}:{self.id}:"
        return prefix + self.name[:ACTOR_LENGTH - len(prefix)]


def principal_key(actor: str) -> str:
    """The principal an actor string (`Principal.actor`, `kind:id:name`) names, as `kind:id`: what stays
    when a person's display name changes (a cash drawer is keyed by it, `CashDrawer.cashier_key`)."""
    return ":".join(actor.split(":", 2)[:2])


def same_principal(a: str, b: str) -> bool:
    """Whether two actor strings (`Principal.actor`, `kind:id:name`) name the same principal: by kind
    and id, since a person's display name may change between two acts (opening a drawer, closing it)."""
    return principal_key(a) == principal_key(b)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_ttl_days(ttl_days: object) -> int | None:
    """A lifetime in whole days, 1 to MAX_TTL_DAYS, or None for none (`True`, 1.5 and "30" are no number of days)."""
    if ttl_days is None:
        return None
    if type(ttl_days) is not int or not 1 <= ttl_days <= MAX_TTL_DAYS:
        raise ValidationError(f"ttl_days must be a whole number of days from 1 to {MAX_TTL_DAYS}, or left out for "
                              "a token that lasts until revoked", code="invalid_ttl_days",
                              details={"min": 1, "max": MAX_TTL_DAYS})
    return ttl_days


def create_token(session: Session, *, role: str, name: str, actor: str, now: datetime,
                 ttl_days: int | None = None) -> tuple[ApiToken, str]:
    """Make a token (audited, whoever asks: the API, the page or the CLI), valid `ttl_days` from now or until
    revoked; the raw value is returned once and never stored."""
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}", code="unknown_role")
    # Cleaned like every other text: a NUL would be a 500 on PostgreSQL (and stored as is on SQLite).
    name = clean_text(name, "name", max_len=200, code="invalid_name")
    ttl_days = _check_ttl_days(ttl_days)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=hash_token(raw), display_prefix=raw[:10],
                     created_at=now, revoked_at=None,
                     expires_at=now + timedelta(days=ttl_days) if ttl_days else None)
    session.add(token)
    session.flush()
    audit.record(session, actor=actor, action="token.create", subject_type="api_token", subject_id=token.id,
                 at=now, data={"role": token.role, "name": token.name,
                               "expires_at": token.expires_at.isoformat() if token.expires_at else None})
    return token, raw


def revoke_token(session: Session, *, token_id: int, actor: str, now: datetime, reason: object = None) -> ApiToken:
    """Revoke a token (audited with the reason given, if any; revoking it again changes nothing). A reason is
    asked for but not required: a token that leaked is revoked first and explained after."""
    reason = audit.given_reason(reason)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token with id {token_id}", code="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(session, actor=actor, action="token.revoke", subject_type="api_token", subject_id=token.id,
                     at=now, reason=reason)
    return token


def authenticate_token(session: Session, raw: str, *, now: datetime) -> Principal | None:
    """The principal for a raw bearer token, or None if unknown or revoked; 401 `token_expired` for one whose
    lifetime has passed (it is known and was ours: its holder needs a new one, not a check for typos)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    digest = hash_token(raw)
    token = session.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one_or_none()
    # The lookup is by hash; compare again in constant time for good measure.
    if token is None or token.revoked_at is not None or not same_secret(token.token_hash, digest):
        return None
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated(f"the API token expired at {token.expires_at.isoformat()}; ask an admin for a new one",
                              code="token_expired", details={"expired_at": token.expires_at.isoformat()})
    return Principal(name=token.name, roles=frozenset({token.role}), kind="token", id=token.id)
