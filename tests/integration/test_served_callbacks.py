"""Callbacks over real HTTP against a served app: concurrency, the sandbox bank, the CLI."""
import threading

import pytest
import requests
from sqlalchemy import func, select, update

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from payments.ledger import LedgerBalance, LedgerEntry
from payments.models import Payment
from sandbox.bank import callback_request, pay
from tests.factories import assert_ledger_ok, dossier_body


def new_code(url, tokens, amount=100_000):
    r = requests.post(f"{url}/api/v1/dossiers", json=dossier_body(("Lệ phí", "charge", amount)),
                      headers={"Authorization": f"Bearer {tokens['intake']}"}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["payment_request"]["payment_code"]


def count(db, model, *where):
    with db() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_twenty_identical_callbacks_at_once_make_one_payment_and_one_entry(served, tokens, test_settings, db):
    code = new_code(served.url, tokens)
    path, headers, body = callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="FT-CONCURRENT-1", at=now_utc())
    barrier = threading.Barrier(20)
    replies = []

    def fire():
        with requests.Session() as http:
            barrier.wait()
            r = http.post(f"{served.url}{path}", data=body, headers=headers, timeout=30)
            replies.append((r.status_code, r.json()))

    threads = [threading.Thread(target=fire) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert replies == [(200, {"received": True})] * 20
    served.settle()
    assert count(db, Payment) == 1
    assert count(db, LedgerEntry) == 1
    assert count(db, InboundCallback) == 20
    assert count(db, InboundCallback, InboundCallback.status == "applied") == 1
    assert requests.get(f"{served.url}/api/v1/payment-requests/{code}", timeout=10).json()["paid_vnd"] == 100_000
    assert_ledger_ok(db)


@pytest.mark.parametrize("via", ["sepay", "payos", "bank", "pos", "vnpay"])
def test_the_sandbox_bank_pays_through_every_channel(served, tokens, test_settings, db, via):
    code = new_code(served.url, tokens)
    reply = pay(served.url, code, settings=test_settings, via=via)
    assert reply.status_code == 200, reply.text
    served.settle()
    info = requests.get(f"{served.url}/api/v1/payment-requests/{code}", timeout=10).json()
    assert info["status"] == "paid"
    assert_ledger_ok(db)


def test_sandbox_pay_names_the_services_refusal_not_a_bare_http_error(served, tokens, cli):
    code = new_code(served.url, tokens)
    assert cli("sandbox", "pay", code, "--via", "vnpay", "--url", served.url).exit_code == 0
    again = cli("sandbox", "pay", code, "--via", "vnpay", "--amount", "1000", "--url", served.url)
    assert again.exit_code == 1 and "409 request_not_payable" in again.output and "Client Error" not in again.output
    paid = cli("sandbox", "pay", code, "--url", served.url)  # what is owed, by default: nothing now
    assert paid.exit_code == 1 and "owes nothing (paid): give --amount" in paid.output
    missing = cli("sandbox", "pay", "HS000000000XX", "--url", served.url)
    assert missing.exit_code == 1 and "the service answered 400" in missing.output


def test_hccpay_sandbox_pay_and_ledger_check_from_the_command_line(served, tokens, cli, db):
    code = new_code(served.url, tokens, amount=75_000)
    paid = cli("sandbox", "pay", code, "--amount", "25000", "--via", "sepay", "--url", served.url)
    assert paid.exit_code == 0, paid.output
    served.settle()
    assert requests.get(f"{served.url}/api/v1/payment-requests/{code}", timeout=10).json()["paid_vnd"] == 25_000
    ok = cli("ledger", "check")
    assert ok.exit_code == 0 and "ledger check ok" in ok.output
    with db() as s, s.begin():
        s.execute(update(LedgerBalance).where(LedgerBalance.account == "suspense").values(credit_vnd=1))
        s.execute(update(LedgerBalance).values(debit_vnd=LedgerBalance.debit_vnd + 1))
    broken = cli("ledger", "check")
    assert broken.exit_code == 1
