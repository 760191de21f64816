"""Late callbacks at once: a statement payment is claimed by one callback of each feed, and a callback
that comes while an import is crediting its transfer waits for the import and links to it (run
on PostgreSQL with real locks; SQLite serialises writers and passes the same assertions)."""
import threading
from datetime import datetime

import pytest

from kernel.db import advisory_lock, unit_of_work
from payments.announcements import statement_lock
from payments.credits import APPLIED, LINKED, IncomingCredit, record_credit
from tests.factories import assert_ledger_ok, make_request
from tests.recon_factories import all_lines, count_payments, paid_vnd, upload, vcb_csv
from tests.locks import wait_until_blocked

ACCOUNT = "bank:970436:0071001234567"
BOOKED = datetime.fromisoformat("2026-11-24T09:00:00+07:00")


def callback(provider: str, ref: str, code: str, amount: int = 40_000) -> IncomingCredit:
    return IncomingCredit(provider=provider, provider_ref=ref, channel="vietqr_transfer", amount_vnd=amount,
                          booked_at=BOOKED, clearing_account=ACCOUNT, memo=f"{code} nop phi", bank_reference=ref)


def all_at_once(db, settings, credits: list[IncomingCredit]) -> list:
    barrier = threading.Barrier(len(credits))
    results: list = [None] * len(credits)

    def run(index: int, credit: IncomingCredit) -> None:
        barrier.wait()
        with unit_of_work(db) as s:
            results[index] = record_credit(s, credit, settings=settings, actor="test", now=BOOKED)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(credits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_same_late_callback_twice_at_once_links_once_and_credits_nothing(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    upload(client, auth, vcb_csv(("FT111", "", "40.000", f"{code} nop phi")))
    before = count_payments(db)
    results = all_at_once(db, test_settings, [callback("bank", "FT111", code)] * 2)
    assert [r.outcome for r in results] == [LINKED, LINKED]
    assert results[0].payment_id == results[1].payment_id
    assert count_payments(db) == before and paid_vnd(client, code) == 40_000
    assert_ledger_ok(db)


def statement_line(client, auth, code: str) -> int:
    """The statement payment of one line FT222 paying `code` (40,000)."""
    body = upload(client, auth, vcb_csv(("FT222", "", "40.000", f"{code} nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    return line["payment_id"]


def assert_one_line_two_callbacks(client, db, code, statement_id, before, bank, sepay) -> None:
    """The bank's report names the line's own reference: it is always the statement payment. SePay's,
    sharing only code and amount, is that payment too, whichever came first: each feed reports every
    transfer once, so each announces the line once (a second transfer of SePay's would be its own
    line on the statement, credited by it). One payment and 40,000, exactly."""
    assert [(r.outcome, r.payment_id) for r in (bank, sepay)] == [(LINKED, statement_id)] * 2
    assert count_payments(db) == before and paid_vnd(client, code) == 40_000
    assert_ledger_ok(db)


def test_two_callbacks_for_one_statement_line_at_once_one_claims_it(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    statement_id = statement_line(client, auth, code)
    before = count_payments(db)
    bank, sepay = all_at_once(db, test_settings, [callback("bank", "FT222", code), callback("sepay", "SP-222", code)])
    # Which one claims the statement payment first is a race: the other announces it as its feed's.
    assert_one_line_two_callbacks(client, db, code, statement_id, before, bank, sepay)


@pytest.mark.parametrize("bank_first", [True, False], ids=["bank-first", "sepay-first"])
def test_two_callbacks_for_one_statement_line_one_after_the_other(client, auth, test_settings, db, bank_first):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    statement_id = statement_line(client, auth, code)
    before = count_payments(db)
    reports = {"bank": callback("bank", "FT222", code), "sepay": callback("sepay", "SP-222", code)}
    results = {}
    for name in (["bank", "sepay"] if bank_first else ["sepay", "bank"]):
        with unit_of_work(db) as s:
            results[name] = record_credit(s, reports[name], settings=test_settings, actor="test", now=BOOKED)
    assert_one_line_two_callbacks(client, db, code, statement_id, before, results["bank"], results["sepay"])


def test_a_callback_during_an_import_of_its_transfer_waits_for_it_and_links(client, auth, test_settings, db,
                                                                             engine):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    line = IncomingCredit(provider="statement", provider_ref="0071001234567:r:20261124:FT333",
                          channel="vietqr_transfer", amount_vnd=40_000, booked_at=BOOKED, clearing_account=ACCOUNT, memo=f"{code} nop phi",
                          bank_reference="FT333", details={"statement_import_id": 1, "line_no": 1})
    results: list = []
    with unit_of_work(db) as s:  # an import's chunk: its lock held, its payment not yet committed
        advisory_lock(s, statement_lock(ACCOUNT))
        record_credit(s, line, settings=test_settings, actor="test", now=BOOKED)
        late = threading.Thread(target=lambda: results.append(_announce(db, test_settings, code)))
        late.start()
        wait_until_blocked(engine, late)
    late.join()
    assert [r.outcome for r in results] == [LINKED]
    assert paid_vnd(client, code) == 40_000
    assert_ledger_ok(db)




def _announce(db, settings, code: str):
    with unit_of_work(db) as s:
        return record_credit(s, callback("bank", "FT333", code), settings=settings, actor="test", now=BOOKED)


def test_a_callback_that_commits_between_two_chunks_of_an_import_is_linked_by_the_next_chunk(
        client, auth, test_settings, db, monkeypatch):
    import io

    from reconciliation import importer

    first = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    monkeypatch.setattr(importer, "CHUNK", 1)  # one line a chunk: the callback lands between them
    data = vcb_csv(("FT501", "", "40.000", f"{first} nop phi"), ("FT502", "", "40.000", f"{second} nop phi"))
    parsed = importer.parse_upload(io.BytesIO(data.encode()))
    outcomes = []

    def between_chunks(done: int, total: int) -> None:
        if done == 1:  # the account had no callback when the import began
            with unit_of_work(db) as s:
                outcomes.append(record_credit(s, callback("bank", "FT502", second), settings=test_settings,
                                              actor="test", now=BOOKED).outcome)

    importer.run_import(db, parsed, filename="s.csv", account_number=None, settings=test_settings, actor="test",
                        now=BOOKED, on_progress=between_chunks)
    assert outcomes == [APPLIED]  # the callback came before its line: it credits
    assert (paid_vnd(client, first), paid_vnd(client, second)) == (40_000, 40_000)  # the line links to it, no second credit
    assert_ledger_ok(db)
