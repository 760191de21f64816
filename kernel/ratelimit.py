"""Rate-limit counters in the service's own database (`HCCPAY_RATE_LIMIT_STORAGE=database://`, the default).

App processes are stateless: any node, and any gunicorn worker of a node, may take a client's next request.
Counted in each process's memory, a limit of 300 a minute was 300 per process, multiplied by the workers and
nodes behind the load balancer. Counted here, one client's requests are counted together wherever they land,
with no other service to run (Redis and the others the `limits` library knows stay possible).

Fixed windows: the first hit of a key opens its window (`expires_at`); a hit after the window ended starts a new
one. One upsert a hit, atomic on both databases (ON CONFLICT DO UPDATE ... RETURNING). Rows of ended windows are
deleted by a periodic job (`purge`)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from limits.storage import Storage
from sqlalchemy import Engine, String, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.values import DATABASE_STORAGE
from kernel.clock import now_utc
from kernel.db import Base, UTCDateTime

MAX_KEY = 200
URI = f"{DATABASE_STORAGE}://"  # HCCPAY_RATE_LIMIT_STORAGE's value for this storage


class RateCounter(Base):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    hits: Mapped[int]
    expires_at: Mapped[datetime]


def _key(key: str) -> str:
    # The limiter's keys name the limit, the client address and the endpoint; a long one is kept as its hash.
    return key if len(key) <= MAX_KEY else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _upsert(dialect: str):
    table = RateCounter.__table__
    insert_ = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
        key=bindparam("key"), hits=bindparam("hits"), expires_at=bindparam("expires_at", type_=UTCDateTime()))
    ended = table.c.expires_at <= bindparam("now", type_=UTCDateTime())  # the stored window, before this hit
    return insert_.on_conflict_do_update(index_elements=["key"], set_={
        "hits": case((ended, insert_.excluded.hits), else_=table.c.hits + insert_.excluded.hits),
        "expires_at": case((ended, insert_.excluded.expires_at), else_=table.c.expires_at),
    }).returning(table.c.hits)


# Built once per dialect: it runs with every limited request.
_UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


class DatabaseStorage(Storage):
    """`limits` storage over the app's engine (flask-limiter passes it in RATELIMIT_STORAGE_OPTIONS)."""

    STORAGE_SCHEME = [DATABASE_STORAGE]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, engine: Engine | None = None,
                 **options) -> None:
        if engine is None:
            raise ValueError(f"{DATABASE_STORAGE}:// counts in the app's database: the storage needs its engine")
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = now_utc()
        with self.engine.begin() as conn:
            return conn.execute(_UPSERT[conn.dialect.name], {
                "key": _key(key), "hits": amount, "expires_at": now + timedelta(seconds=expiry), "now": now}).scalar_one()

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            hits = conn.execute(select(RateCounter.hits).where(RateCounter.key == _key(key),
                                                               RateCounter.expires_at > now_utc())).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as conn:
            until = conn.execute(select(RateCounter.expires_at).where(RateCounter.key == _key(key))).scalar()
        now = now_utc()
        return (until if until is not None and until > now else now).timestamp()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(RateCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(RateCounter).where(RateCounter.key == _key(key)))


def purge(session: Session, now: datetime) -> int:
    """Delete the counters of windows that have ended (a periodic job); returns how many."""
    return session.execute(delete(RateCounter).where(RateCounter.expires_at <= now)).rowcount
