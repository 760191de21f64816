"""Writing many rows in one go, without SQLAlchemy's per-row parameter machinery.

A statement import credits thousands of lines a second and each writes about ten rows
(payment, allocation, event, ledger entry and lines, statement line, receipt, SMS…). Core's
executemany spends most of that time building and processing one parameter dict per row,
and psycopg then sends one INSERT per row. `insert_rows` keeps the values exactly as Core
would bind them (the columns' own bind processors: aware UTC, JSON, dates, booleans; each
distinct value converted once, JSON text by the encoder json.dumps uses, built once) and
hands them to the driver's bulk path:

- PostgreSQL: COPY … FROM STDIN, binary when every column's type allows (see _BINARY_TYPES);
  when conflicting keys must be skipped, or rows updated, COPY into a scratch table of the
  transaction and one INSERT … ON CONFLICT DO NOTHING or UPDATE … FROM;
- SQLite: the sqlite3 module's own executemany, of INSERTs of several hundred rows each.

Small batches (a callback's one row) go through Core as before: one round trip either way.
The rows join the caller's transaction; nothing is returned, so callers that need the ids
reserve them first (`kernel.db.reserve_ids`).
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from functools import lru_cache
from itertools import chain
from json.encoder import c_make_encoder, encode_basestring_ascii
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

# Below this many rows Core's single statement is as quick and keeps one path for callbacks.
BULK_FROM = 50
SQLITE_ROWS_PER_INSERT = 500  # more gains nothing measurable (10k-line import, ledger and statement lines)

Processor = Callable[[Any], Any] | None


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
                skip_conflicts_on: tuple[str, ...] = ()) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the caller's transaction.

    Missing columns take their scalar Python default. With `skip_conflicts_on` (the columns
    of a unique index), rows whose key already exists are left out, as ON CONFLICT DO NOTHING.
    """
    if not rows:
        return
    dialect = conn.dialect.name
    if len(rows) < BULK_FROM or dialect not in ("postgresql", "sqlite"):
        statement = _core_insert(table, dialect, skip_conflicts_on)
        conn.execute(statement, list(rows))
        return
    columns, defaults = _layout(table, tuple(rows[0].keys()))
    values = _values(rows, columns, defaults, _processors(table, columns, conn.dialect))
    with _driver_errors(conn, f"bulk insert into {table.name}"):
        if dialect == "sqlite":
            _sqlite_insert(conn, f"INSERT INTO {_name(conn, table.name)} ({_names(conn, columns)})",
                           _conflict_clause(conn, skip_conflicts_on), len(columns), values)
        elif skip_conflicts_on:
            with _scratch(conn, table, columns, values) as (cursor, scratch):
                cursor.execute(f"INSERT INTO {_name(conn, table.name)} ({_names(conn, columns)}) "
                               f"SELECT {_names(conn, columns)} FROM {scratch}"
                               f"{_conflict_clause(conn, skip_conflicts_on)}")
        else:
            with conn.connection.driver_connection.cursor() as cursor:
                _copy(cursor, _name(conn, table.name), _names(conn, columns), _pg_types(cursor, conn, table, columns),
                      values)


def update_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str = "id") -> None:
    """Set the given columns of each row found by `key` (dicts with the same keys, `key` among them)."""
    if not rows:
        return
    dialect = conn.dialect.name
    changed = tuple(name for name in rows[0].keys() if name != key)
    if len(rows) < BULK_FROM or dialect not in ("postgresql", "sqlite"):
        conn.execute(_core_update(table, key, changed),
                     [{f"k_{name}": value for name, value in row.items()} for row in rows])
        return
    columns = changed + (key,)  # the key last, as the UPDATE's parameters come
    _layout(table, columns)  # refuses unknown columns
    values = _values(rows, columns, {}, _processors(table, columns, conn.dialect))
    target, where = _name(conn, table.name), _name(conn, key)
    with _driver_errors(conn, f"bulk update of {table.name}"):
        if dialect == "sqlite":
            sql = f"UPDATE {target} SET {', '.join(f'{_name(conn, n)} = ?' for n in changed)} WHERE {where} = ?"
            _sqlite_many(conn, sql, values)
        else:
            with _scratch(conn, table, columns, values) as (cursor, scratch):
                assignments = ", ".join(f"{_name(conn, n)} = s.{_name(conn, n)}" for n in changed)
                cursor.execute(f"UPDATE {target} AS t SET {assignments} FROM {scratch} AS s "
                               f"WHERE t.{where} = s.{where}")


@contextmanager
def _driver_errors(conn: Connection, what: str):
    # Callers (and the 503 mapping) know SQLAlchemy's exceptions, as for any other statement.
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except driver_error as exc:
        raise DBAPIError.instance(what, None, exc, driver_error, dialect=conn.dialect) from exc


def _name(conn: Connection, identifier: str) -> str:
    return conn.dialect.identifier_preparer.quote(identifier)


def _names(conn: Connection, identifiers: tuple[str, ...]) -> str:
    return ", ".join(_name(conn, identifier) for identifier in identifiers)


@lru_cache(maxsize=64)
def _core_update(table: Table, key: str, changed: tuple[str, ...]):
    # Built once per shape: building a statement costs more than running it for one row.
    return update(table).where(table.columns[key] == bindparam(f"k_{key}")).values(
        {name: bindparam(f"k_{name}") for name in changed})


def _core_insert(table: Table, dialect: str, skip_conflicts_on: tuple[str, ...]):
    if not skip_conflicts_on:
        return insert(table)
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(skip_conflicts_on))


@lru_cache(maxsize=256)
def _layout(table: Table, given: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The columns to write: those given plus the missing ones that have a scalar default."""
    defaults = {}
    for column in table.columns:
        if column.name in given or column.default is None:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"{table.name}.{column.name} has a computed default: give it explicitly")
        defaults[column.name] = column.default.arg
    unknown = set(given) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    return given + tuple(defaults), defaults


@lru_cache(maxsize=256)
def _processors(table: Table, columns: tuple[str, ...], dialect) -> tuple[Processor, ...]:
    return tuple(_processor(table.columns[name].type.dialect_impl(dialect), dialect) for name in columns)


def _processor(column_type, dialect) -> Processor:
    process = column_type.bind_processor(dialect)
    if process is None:
        return process
    # Every row carries its own JSON (an SMS, an event's data, a line's reasons): a dict or a list is
    # written as json.dumps writes it, by the encoder json.dumps would build for it; anything else
    # (None, JSON.NULL) as the column writes it.
    if _binds_json_dumps(column_type, dialect):
        return lambda value: "".join(_TO_JSON(value, 0)) if type(value) in _CONTAINERS else process(value)
    if _processor_writes_text(column_type, dialect):
        # PostgreSQL: the same text COPY hands to the json column, instead of psycopg's wrapper that
        # calls json.dumps (and builds its encoder) for each value.
        return lambda value: "".join(_TO_JSON(value, 0)) if type(value) in _CONTAINERS else _json_text(process(value))
    return process


def _binds_json_dumps(column_type, dialect) -> bool:
    """True when the column binds a value as `json.dumps(value)` itself (SQLite's JSON; PostgreSQL's
    driver wraps it in its own adapter instead)."""
    return (_TO_JSON is not None and isinstance(column_type, JSON) and dialect._json_serializer is None
            and type(column_type).bind_processor is JSON.bind_processor
            and column_type._str_impl.bind_processor(dialect) is None)


@lru_cache(maxsize=256)
def _processor_writes_text(column_type, dialect) -> bool:
    """True when a JSON column's values go to PostgreSQL as their json.dumps text (see _processor):
    its processor wraps a value in psycopg's plain Json, which the driver writes by json.dumps. Not
    jsonb, whose binary form differs from its text."""
    if (_TO_JSON is None or dialect.driver != "psycopg" or not isinstance(column_type, JSON)
            or isinstance(column_type, postgresql.JSONB)):
        return False
    from psycopg.types.json import Json  # here: an SQLite process never loads the driver

    process = column_type.bind_processor(dialect)
    probe = process({"a": [1]}) if process is not None and dialect._json_serializer is None else None
    return type(probe) is Json and probe.dumps is None and probe.obj == {"a": [1]}


def _json_text(bound: Any) -> str | None:
    return None if bound is None else json.dumps(bound.obj)


# json.dumps(value) with its default arguments builds this C encoder on every call (JSONEncoder.iterencode,
# from a default JSONEncoder's settings), which costs as much as the encoding of a small dict. Built once,
# from the same settings, without the circular-reference check (its state is per call): a payload is a
# tree of plain values, and a cycle fails either way (RecursionError, not ValueError).
_DUMPS = json.JSONEncoder()
_TO_JSON = c_make_encoder and c_make_encoder(
    None, _DUMPS.default, encode_basestring_ascii, _DUMPS.indent, _DUMPS.key_separator, _DUMPS.item_separator,
    _DUMPS.sort_keys, _DUMPS.skipkeys, _DUMPS.allow_nan)
_CONTAINERS = frozenset({dict, list})


def _values(rows: Sequence[Mapping[str, Any]], columns: tuple[str, ...], defaults: dict[str, Any],
            processors: tuple[Processor, ...]) -> list[tuple]:
    """The rows as tuples of bound values, converted column by column."""
    converted = []
    for name, process in zip(columns, processors):
        column = [defaults[name]] * len(rows) if name in defaults else [row[name] for row in rows]
        converted.append(column if process is None else _convert(column, process))
    return list(zip(*converted))


_UNSET = object()


def _convert(column: list, process: Callable[[Any], Any]) -> list:
    # A batch repeats values (its one `now`, a statement's few booking dates): a processor is a pure
    # function of its value, so each run of one object is converted once, and each distinct value of
    # a type whose equal values are written alike once (_SAME_WHEN_EQUAL, UTC times).
    out, last, done, seen = [], _UNSET, None, {}
    for value in column:
        if value is not last:
            last, kind = value, type(value)
            if kind in _SAME_WHEN_EQUAL or (kind is datetime and value.tzinfo is timezone.utc):
                done = seen.get(value, _UNSET)
                if done is _UNSET:
                    done = seen[value] = process(value)
            else:
                done = process(value)
        out.append(done)
    return out


# Types whose equal values are one stored value. Not bool (True == 1), float (1.0 == 1) nor Decimal
# ("1.0" == "1.00"); times only in UTC (one instant in two zones is equal, and a DateTime without
# UTCDateTime's conversion writes each one's wall clock).
_SAME_WHEN_EQUAL = frozenset({str, int, date})


def _conflict_clause(conn: Connection, skip_conflicts_on: tuple[str, ...]) -> str:
    return f" ON CONFLICT ({_names(conn, skip_conflicts_on)}) DO NOTHING" if skip_conflicts_on else ""


def _sqlite_insert(conn: Connection, head: str, tail: str, width: int, values: list[tuple]) -> None:
    """`head VALUES (…), (…), … tail`: SQLite inserts many rows given in one statement a third faster
    than one row per statement (the crediting path's tables), so up to SQLITE_ROWS_PER_INSERT go in one,
    within SQLite's limit on a statement's parameters. The rows go in in their order, as one by one."""
    limit = conn.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(SQLITE_ROWS_PER_INSERT, limit // width))
    row = f"({', '.join('?' * width)})"
    whole = len(values) - len(values) % per
    if whole:
        _sqlite_many(conn, f"{head} VALUES {', '.join([row] * per)}{tail}",
                     [tuple(chain.from_iterable(values[start:start + per])) for start in range(0, whole, per)])
    if whole < len(values):
        _sqlite_many(conn, f"{head} VALUES {', '.join([row] * (len(values) - whole))}{tail}",
                     [tuple(chain.from_iterable(values[whole:]))])


def _sqlite_many(conn: Connection, sql: str, values: list[tuple]) -> None:
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()


@contextmanager
def _scratch(conn: Connection, table: Table, columns: tuple[str, ...], values: list[tuple]):
    """A scratch table of the transaction holding `values` for `table`'s `columns`, for one
    set-based statement (PostgreSQL). Only batches of BULK_FROM rows or more come here, so
    the catalog sees a few scratch tables per statement chunk, not one per callback."""
    names = _names(conn, columns)
    scratch = f"bulk_{table.name}"
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "
                       f"SELECT {names} FROM {_name(conn, table.name)} WITH NO DATA")
        _copy(cursor, scratch, names, _pg_types(cursor, conn, table, columns), values)
        yield cursor, scratch
        cursor.execute(f"DROP TABLE {scratch}")


# Binary COPY: psycopg writes a row in about 60% of the client time of text COPY, and the server reads
# it in about 65% (no parsing of numbers, dates and times; 10k-line import, Round 15). Binary data must
# be of the column's exact type, so the types come from the catalog (one query per batch), and the
# values are those Core binds: ints, str, bool, date, aware datetime, JSON already as its text (json
# receives its text as is; jsonb would not). A column of any other type keeps the batch in text COPY.
_BINARY_TYPES = frozenset({
    20, 23, 21,  # int8, int4, int2
    25, 1043,  # text, varchar (their binary form is their text)
    16, 1082, 1184,  # bool, date, timestamptz
})
_JSON_OID, _TEXT_OID = 114, 25


def _pg_types(cursor, conn: Connection, table: Table, columns: tuple[str, ...]) -> list[int] | None:
    """The columns' type oids for a binary COPY, in `columns`' order, or None for a text COPY."""
    cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                   "AND attnum > 0 AND NOT attisdropped", (_name(conn, table.name),))
    oids = dict(cursor.fetchall())
    types = []
    for name in columns:
        oid = oids[name]
        if oid == _JSON_OID and _processor_writes_text(table.columns[name].type.dialect_impl(conn.dialect), conn.dialect):
            oid = _TEXT_OID
        if oid not in _BINARY_TYPES:
            return None
        types.append(oid)
    return types


def _copy(cursor, target: str, names: str, types: list[int] | None, values: list[tuple]) -> None:
    with cursor.copy(f"COPY {target} ({names}) FROM STDIN{' (FORMAT BINARY)' if types else ''}") as copy:
        if types:
            copy.set_types(types)
        for value in values:
            copy.write_row(value)
