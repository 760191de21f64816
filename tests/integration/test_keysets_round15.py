"""`kernel.keysets.among`: a set of keys as one parameter finds exactly the rows an IN list finds, on both
databases, whatever the keys (none, many, non-ASCII, big integers), and SQLite still uses the column's index."""
import pytest
from sqlalchemy import literal, literal_column, select, text

from kernel.keysets import among
from payments.models import PaymentRequest
from tests.factories import make_request


_BY_CODE = select(PaymentRequest.id).where(among(PaymentRequest.payment_code, "keys")).order_by(PaymentRequest.id)
_BY_ID = select(PaymentRequest.payment_code).where(among(PaymentRequest.id, "keys", integers=True)) \
    .order_by(PaymentRequest.payment_code)


def test_among_finds_what_an_in_list_finds(client, auth, db):
    codes = sorted(make_request(client, auth) for _ in range(3))
    with db() as s:
        ids = s.execute(select(PaymentRequest.id).where(PaymentRequest.payment_code.in_(codes))
                        .order_by(PaymentRequest.id)).scalars().all()
        odd = ["HSkhông-có", "x" * 300, 'a"b', "c\\d", "e,f", "{g}", " h ", "NULL", ""]
        assert s.execute(_BY_CODE, {"keys": codes + odd}).scalars().all() == ids
        # each key is read back exactly as given, whatever it holds (quotes, backslashes, commas, NULL)
        for key in odd:
            assert s.execute(select(literal_column("1")).where(among(literal(key), "keys")),
                             {"keys": odd}).scalars().all() == [1], key
        back = s.execute(select(literal_column("1")).where(among(literal("NULL"), "keys")), {"keys": odd[:3]}).all()
        assert back == []
        one = s.execute(select(PaymentRequest.id).where(PaymentRequest.payment_code == codes[1])).scalar_one()
        assert s.execute(_BY_CODE, {"keys": codes[1:2]}).scalars().all() == [one]
        assert s.execute(_BY_CODE, {"keys": []}).scalars().all() == []
        assert s.execute(_BY_ID, {"keys": [*ids, 2**53, 0]}).scalars().all() == codes
        assert s.execute(_BY_ID, {"keys": []}).scalars().all() == []


@pytest.mark.parametrize("count", [999, 40_000])  # beyond SQLite's bound-variable limits (999, 32,766)
def test_among_takes_any_number_of_keys(db, count):
    with db() as s:
        found = s.execute(_BY_CODE, {"keys": [f"HS{n:011d}" for n in range(count)]}).scalars().all()
    assert found == []


def test_sqlite_looks_the_keys_up_by_the_index(db, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    with db() as s:
        sql = str(_BY_CODE.compile(engine))
        assert "= 1" not in sql  # a bare boolean would read `(...) = 1`, which no index serves
        plan = " ".join(row[-1] for row in s.execute(text(f"EXPLAIN QUERY PLAN {sql.replace('?', ':keys')}"),
                                                      {"keys": '["HS1"]'}))
    assert "USING" in plan and "INDEX" in plan, plan


def test_postgresql_parses_the_keys_once(engine):
    """The array type is the placeholder's own: a cast around a text placeholder is evaluated per row scanned."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's SQL")
    assert "payment_requests.id = ANY(%(keys)s::BIGINT[])" in str(_BY_ID.compile(engine))
    assert "payment_requests.payment_code = ANY(%(keys)s::VARCHAR[])" in str(_BY_CODE.compile(engine))
