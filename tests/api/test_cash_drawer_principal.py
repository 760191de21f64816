"""A cash drawer belongs to the principal (kind and id), not to the name it goes by: a cashier renamed
during the day keeps taking cash into the one drawer of the day, the counter page shows all of it, and
its close counts all of it (`CashDrawer.cashier_key`)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kernel.users import User
from payments import cash
from payments.models import CashDrawer
from tests.api import test_cash_void_page
from tests.api.test_cash_void_page import DESK, logged_in, take
from tests.conftest import T0


people = test_cash_void_page.people  # the fixture: cashiers thungan and thungan2


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def rename(db, username: str, full_name: str) -> None:
    """What an admin renaming the person does: the next request's actor carries the new name."""
    with db() as s, s.begin():
        s.execute(update(User).where(User.username == username).values(full_name=full_name))


def test_drawer_for_finds_the_days_drawer_under_another_name(db):
    with db() as s, s.begin():
        first = cash.drawer_for(s, cashier="user:7:Nguyễn Văn A", now=T0)
        again = cash.drawer_for(s, cashier="user:7:Nguyễn Văn B", now=T0 + timedelta(minutes=5))
        other = cash.drawer_for(s, cashier="token:7:Nguyễn Văn A", now=T0)
        assert again.id == first.id and other.id != first.id
        assert (first.cashier_key, other.cashier_key) == ("user:7", "token:7")
        assert first.cashier == "user:7:Nguyễn Văn A"  # the name it was opened under, for reports


def test_a_renamed_cashier_keeps_one_drawer_the_counter_shows_and_the_close_counts(app, people, client, auth, db):
    cashier = logged_in(app, "thungan")
    before = take(cashier, client, auth, 60_000)
    rename(db, "thungan", "Đỗ Thị Mai Anh")
    after = take(cashier, client, auth, 40_000)
    with db() as s:
        drawers = s.execute(select(CashDrawer)).scalars().all()
    assert len(drawers) == 1
    html = cashier.get(DESK).get_data(as_text=True)
    assert f'id="payment-{before}"' in html and f'id="payment-{after}"' in html
    assert re.search(r'<strong id="expected">([^<]+)</strong>', html).group(1).startswith("100.000")
    r = cashier.post(f"/api/v1/cash/drawers/{drawers[0].id}/close", json={"counted_vnd": 100_000},
                     headers={"X-CSRF-Token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)})
    assert r.status_code == 200, r.json
    assert (r.json["expected_vnd"], r.json["difference_vnd"]) == (100_000, 0)
    listed = client.get("/api/v1/cash/drawers", headers=auth("finance")).json["drawers"]
    assert [(d["id"], d["balance_vnd"], d["closed_at"] is not None) for d in listed] == [(drawers[0].id, 100_000, True)]
