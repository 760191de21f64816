"""Staff who log in to the pages: users with roles, argon2 password hashes, lock-out, and
server-side sessions (in the database, so any app node can serve any request and logging
out really ends the session).
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import JSON, ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.auth import ROLES, Principal
from kernel.db import PK, Base, BigIntPK
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.text import clean_text

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=10)  # one working day
SEEN_GRANULARITY = timedelta(minutes=1)
MIN_PASSWORD = 10
MAX_FULL_NAME = 200
_hasher = PasswordHasher()


class User(Base):
    __tablename__ = "users"

    id: Mapped[PK]
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id: Mapped[PK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]  # null: not used since the login (created_at)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_roles(roles: list[str]) -> list[str]:
    if not roles or any(r not in ROLES for r in roles):
        raise ValidationError(f"roles must be some of: {', '.join(ROLES)}", code="unknown_role")
    return sorted(set(roles))


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError(f"a password has at least {MIN_PASSWORD} characters", code="weak_password")
    # Kept as typed (no trimming: spaces may be part of it), but a control character cannot come from a
    # keyboard, and a lone surrogate cannot even be encoded for hashing (it was a 500).
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in password):
        raise ValidationError("a password may not contain control characters", code="weak_password")
    return password


def _clean_full_name(full_name: object) -> str | None:
    """Too long is refused, not cut (a cut name would be saved without anyone noticing); control characters
    too (a NUL was a 500 on PostgreSQL and stored as is on SQLite), and anything that is not a string
    (false, 0 or [] is not "no name"). Blank or None: None."""
    try:
        return clean_text(full_name, "full_name", max_len=MAX_FULL_NAME, required=False, code="invalid_full_name")
    except ValidationError as exc:
        raise ValidationError(exc.message, code=exc.code, details={**exc.details, "max_len": MAX_FULL_NAME}) from None


def list_users(session: Session, *, limit: int, offset: int = 0) -> tuple[list[User], int]:
    """(one page of users by id, how many there are): the admin API and the admin page page alike."""
    total = session.execute(select(func.count()).select_from(User)).scalar_one()
    page = session.execute(select(User).order_by(User.id).limit(limit).offset(offset)).scalars().all()
    return list(page), total


def create_user(session: Session, *, username: str, full_name: str | None, roles: list[str], password: str,
                now: datetime) -> User:
    username = username.strip().lower() if isinstance(username, str) else ""
    if not username or len(username) > 60 or not username.replace(".", "").replace("_", "").isalnum():
        raise ValidationError("username: letters, digits, dot and underscore", code="invalid_username")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"user {username} exists", code="user_exists")
    full_name = _clean_full_name(full_name) or username
    user = User(username=username, full_name=full_name, roles=_check_roles(roles),
                password_hash=_hasher.hash(_check_password(password)), active=True, failed_logins=0, created_at=now)
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, *, user_id: int, roles: list[str] | None = None, active: bool | None = None,
                password: str | None = None, by_user_id: int | None = None, now: datetime) -> User:
    """Change a user's roles, active flag or password; `by_user_id` is the person doing it (None for a system).
    Nobody locks themselves out: an admin may not deactivate their own account or drop their own admin role
    (another admin can), so the centre cannot lose its last way into administration by a slip of the mouse."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    if roles is not None:
        roles = _check_roles(roles)
    if by_user_id == user.id and (active is False or (roles is not None and "admin" in user.roles
                                                      and "admin" not in roles)):
        raise Conflict("you may not deactivate your own account or remove your own admin role; ask another admin",
                       code="cannot_demote_self")
    if roles is not None:
        user.roles = roles
    if password is not None:
        user.password_hash = _hasher.hash(_check_password(password))
        user.failed_logins, user.locked_until = 0, None
    if active is not None:
        user.active = active
    if roles is not None or password is not None or active is False:
        end_sessions(session, user_id=user.id, now=now)  # rights changed: log in again
    return user


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    token: str | None = None
    # "invalid" | "locked": for the log only. Callers answer both alike: only real accounts lock, so
    # "locked" would tell a prober which usernames exist.
    reason: str | None = None
    # The account tried, when there is one: what the log names (never the username typed, which may be a
    # person's name or a password typed into the wrong box).
    user_id: int | None = None


def locked_out_until(user: User, now: datetime) -> datetime | None:
    """When the user's lock-out ends, while it lasts: one that has run out stays on the row until the next
    login, and read as a lock it would show an account that in fact logs in as locked."""
    return user.locked_until if user.locked_until is not None and user.locked_until > now else None


def login(session: Session, *, username: str, password: str, now: datetime) -> LoginResult:
    """Check a password; lock the account for a while after repeated failures."""
    username = (username or "").strip().lower()
    # No username has a control character; looking one up with a NUL would be a database error on PostgreSQL.
    user = session.execute(select(User).where(User.username == username).with_for_update()
                           ).scalar_one_or_none() if username.isprintable() else None
    if user is None or not user.active:
        _hasher.hash("spend-the-same-time")  # do not reveal which usernames exist by timing
        return LoginResult(False, reason="invalid")
    if locked_out_until(user, now) is not None:
        _hasher.hash("spend-the-same-time")  # nor which are locked (only real accounts can be)
        return LoginResult(False, reason="locked", user_id=user.id)
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
            return LoginResult(False, reason="locked", user_id=user.id)
        return LoginResult(False, reason="invalid", user_id=user.id)
    user.failed_logins, user.locked_until = 0, None
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(24),
                             created_at=now, expires_at=now + SESSION_LIFETIME))
    return LoginResult(True, token=token, user_id=user.id)


@dataclass(frozen=True)
class ActiveSession:
    principal: Principal
    csrf_token: str
    session_id: int


def resolve_session(session: Session, token: str, now: datetime, *, idle: timedelta) -> ActiveSession | None:
    """The live session the cookie names: not revoked, within its lifetime, and used within `idle`
    (a refused visit does not revive it). Using it moves its last use, written at most once a minute
    so that a page's burst of requests is not a burst of writes."""
    last_use = func.coalesce(StaffSession.last_seen_at, StaffSession.created_at)
    row = session.execute(
        select(StaffSession.id, StaffSession.csrf_token, User.id, User.full_name, User.roles)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == _hash(token), StaffSession.revoked_at.is_(None),
               StaffSession.expires_at > now, last_use > now - idle, User.active.is_(True))).one_or_none()
    if row is None:
        return None
    session_id, csrf, user_id, name, roles = row
    session.execute(update(StaffSession).where(StaffSession.id == session_id, last_use < now - SEEN_GRANULARITY)
                    .values(last_seen_at=now))
    return ActiveSession(Principal(name=name, roles=frozenset(roles), kind="user", id=user_id), csrf, session_id)


def logout(session: Session, *, token: str, now: datetime) -> None:
    session.execute(update(StaffSession).where(StaffSession.token_hash == _hash(token))
                    .values(revoked_at=now))


def end_sessions(session: Session, *, user_id: int, now: datetime) -> None:
    session.execute(update(StaffSession).where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
                    .values(revoked_at=now))
