"""A cashier closes only their own drawer; finance may close anyone's."""
import pytest

from kernel.auth import create_token
from kernel.db import unit_of_work
from tests.conftest import T0
from tests.factories import make_request


@pytest.fixture
def other_cashier(db) -> dict:
    """Headers of a second cashier (another token with the cashier role)."""
    with unit_of_work(db) as s:
        _, raw = create_token(s, role="cashier", name="quầy 2", actor="test", now=T0)
    return {"Authorization": f"Bearer {raw}"}


def drawer_of(client, auth, headers, name: str) -> int:
    """The drawer of the cashier behind `headers` (token `name`), opened by taking 100.000 ₫ for a new request."""
    code = make_request(client, auth)
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000}, headers=headers)
    assert r.status_code == 201, r.json
    [drawer_id] = [i for i, d in drawers(client, auth).items() if d["cashier"].endswith(f":{name}")]
    return drawer_id


def close(client, drawer_id: int, headers, counted: int = 100_000):
    return client.post(f"/api/v1/cash/drawers/{drawer_id}/close", json={"counted_vnd": counted}, headers=headers)


def drawers(client, auth) -> dict[int, dict]:
    return {d["id"]: d for d in client.get("/api/v1/cash/drawers", headers=auth("finance")).json["drawers"]}


def test_a_cashier_cannot_close_another_cashiers_drawer(client, auth, other_cashier):
    mine = drawer_of(client, auth, auth("cashier"), "test cashier")
    r = close(client, mine, other_cashier, counted=0)
    assert r.status_code == 403 and r.json["code"] == "not_your_drawer"
    assert r.json["details"] == {"drawer_id": mine}
    assert drawers(client, auth)[mine]["closed_at"] is None  # nothing written
    assert close(client, mine, auth("cashier")).status_code == 200


def test_a_cashier_closes_their_own_drawer(client, auth, other_cashier):
    theirs = drawer_of(client, auth, other_cashier, "quầy 2")
    r = close(client, theirs, other_cashier, counted=99_000)
    assert r.status_code == 200 and r.json["difference_vnd"] == -1_000
    assert drawers(client, auth)[theirs]["closed_at"] is not None


def test_finance_may_close_any_cashiers_drawer(client, auth, other_cashier):
    first, second = drawer_of(client, auth, auth("cashier"), "test cashier"), drawer_of(client, auth, other_cashier, "quầy 2")
    assert first != second
    for drawer_id in (first, second):
        r = close(client, drawer_id, auth("finance"))
        assert r.status_code == 200 and r.json["difference_vnd"] == 0


def test_a_cashier_asking_for_a_missing_drawer_still_gets_404(client, auth):
    r = close(client, 987_654, auth("cashier"))
    assert r.status_code == 404 and r.json["code"] == "drawer_not_found"
