"""Round 16, card terminals: a sale reported declined and approved is one conflict for finance, whichever
arrives first and even when both arrive at once. The decline is the row flagged; the approval is credited
(the terminal reported the money taken), as when the approval comes first (round 14)."""
import threading

import pytest
from sqlalchemy import select

from kernel import inbox
from kernel.inbox import InboundCallback
from payments.inbox_apply import drain
from tests.api.test_callbacks_round5_pos import paid
from tests.api.test_pos_vnpay_cash import pos
from tests.factories import make_request
from tests.locks import wait_until_blocked

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

SALE = {"transaction_id": "000001", "batch_number": "7"}
REF = "POS-01:7:1"  # a transaction number without its leading zeros (round 18)


def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]


def rows(db) -> list[tuple[int, str, str | None]]:
    with db() as s:
        return [tuple(r) for r in s.execute(select(InboundCallback.id, InboundCallback.status, InboundCallback.reason)
                                            .where(InboundCallback.external_id == REF).order_by(InboundCallback.id))]


def assert_one_conflict_the_decline(client, auth, db, code) -> None:
    """Exactly one conflict, the decline, naming the approval; the approval credited, once."""
    [listed] = conflicts(client, auth)
    assert listed["external_id"] == REF
    stored = rows(db)
    [approval_id] = [i for i, status, _ in stored if status == "applied"]
    [(decline_id, reason)] = [(i, r) for i, status, r in stored if status == "conflict"]
    assert listed["id"] == decline_id
    assert "declined" in reason and f"callback #{approval_id}" in reason and "approved" in reason
    assert paid(client, code) == 100_000  # credited, as the sale reported approved first stays credited


# --- one after the other ------------------------------------------------------------------------

@pytest.mark.parametrize("declined", [{"status": "declined"}, {"response_code": "05"}])
@pytest.mark.parametrize("decline_first", [True, False], ids=["decline-first", "approval-first"])
def test_a_sale_declined_and_approved_is_one_conflict_whichever_came_first(client, auth, test_settings, db,
                                                                           declined, decline_first):
    code = make_request(client, auth)
    approve = lambda: pos(client, test_settings, payment_code=code, **SALE)  # noqa: E731
    decline = lambda: pos(client, test_settings, payment_code=code, **SALE, **declined)  # noqa: E731
    for send in ((decline, approve) if decline_first else (approve, decline)):
        r = send()
        assert r.status_code == 200 and r.json == {"received": True}
    assert_one_conflict_the_decline(client, auth, db, code)


def test_the_approval_sent_again_flags_its_decline_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, payment_code=code, status="declined", **SALE)
    pos(client, test_settings, payment_code=code, **SALE)
    pos(client, test_settings, payment_code=code, **SALE)  # the terminal's repeat: a duplicate, nothing new
    assert len(conflicts(client, auth)) == 1
    assert paid(client, code) == 100_000


def test_a_decline_of_another_transaction_or_a_declined_void_is_not_flagged_by_an_approval(client, auth,
                                                                                           test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    pos(client, test_settings, payment_code=code, status="declined", transaction_id="000001", batch_number="6")
    pos(client, test_settings, payment_code=code, status="declined", transaction_id="000002", batch_number="7")
    # A declined void numbered as the sale that follows: no decline of that sale.
    pos(client, test_settings, type="void", original_transaction_id="000009", status="declined", **SALE)
    pos(client, test_settings, payment_code=code, **SALE)
    assert conflicts(client, auth) == []
    assert paid(client, code) == 100_000


# --- at the same instant ------------------------------------------------------------------------

def paused_after(monkeypatch, name: str, until: threading.Event) -> threading.Event:
    """`inbox.<name>` (the check one callback makes) pauses once it has run, until `until` is set (or 5 s
    pass): the other callback is sent meanwhile. Returns the event set when the check has run."""
    checked, real = threading.Event(), getattr(inbox, name)

    def check(*args, **kwargs):
        result = real(*args, **kwargs)
        if not checked.is_set():
            checked.set()
            until.wait(timeout=5)
        return result

    monkeypatch.setattr(inbox, name, check)
    return checked


@pytest.mark.parametrize("first_checked", ["decline", "approval"])
def test_a_decline_and_its_approval_at_the_same_instant_are_one_conflict(client, auth, test_settings, db,
                                                                         monkeypatch, first_checked):
    """The first callback has made its check and not yet committed when the other arrives: the other must
    wait for it (PostgreSQL: the per-transaction lock; SQLite: its single writer) and then see it. Before,
    the decline checked in a session of its own, the approval was stored meanwhile, and the decline was
    stored `ignored`: nothing flagged, the approval credited."""
    code = make_request(client, auth)
    second_done = threading.Event()
    # The decline's check is `stored_credit` (an approval stored before it?); the approval's,
    # `flag_declined_sale` (declines stored before it?).
    checked = paused_after(monkeypatch, "stored_credit" if first_checked == "decline" else "flag_declined_sale",
                           second_done)
    answers: dict[str, int] = {}

    def send(name: str, **fields) -> None:
        answers[name] = pos(client.queued_only(), test_settings, payment_code=code, **SALE, **fields).status_code

    first, second = (("decline", {"status": "declined"}), ("approval", {})) if first_checked == "decline" else \
        (("approval", {}), ("decline", {"status": "declined"}))
    first_thread = threading.Thread(target=send, args=(first[0],), kwargs=first[1])
    first_thread.start()
    assert checked.wait(timeout=10)

    def send_second() -> None:
        send(second[0], **second[1])
        second_done.set()

    second_thread = threading.Thread(target=send_second)
    second_thread.start()
    runtime = client.application.extensions["hccpay"]
    try:
        wait_until_blocked(runtime.engine, second_thread)
        waited = True
    except AssertionError:  # it did not wait (the defect): what that costs is asserted below
        waited = False
    second_done.set()  # the first may go on and commit
    first_thread.join(timeout=30)
    second_thread.join(timeout=30)
    assert answers == {"decline": 200, "approval": 200}
    drain(runtime.sessions, runtime.settings)
    assert_one_conflict_the_decline(client, auth, db, code)
    assert waited, "the second callback was stored while the first had checked and not yet committed"
