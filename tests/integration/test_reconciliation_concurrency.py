"""Two finance users at once: a line is allocated once, a statement is stored once (run on
PostgreSQL with real row locks; SQLite serialises writers and passes the same assertions)."""
import threading

from sqlalchemy import func, select

from payments.models import Payment, PaymentAllocation
from reconciliation.models import StatementLine
from tests.factories import assert_ledger_ok, make_request
from tests.recon_factories import all_lines, upload, upload_sample


def at_once(app, calls):
    """Run each call with its own test client, all released together; returns their responses."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        client = app.test_client()
        barrier.wait()
        results[index] = call(client)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_people_matching_the_same_line_at_once_allocate_it_once(app, client, auth, db):
    first = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, "Ngày GD,Số CT,Ghi nợ,Ghi có,Số dư,Nội dung\n24/11/2026,1,,100.000,,chuyen tien\n").json
    [line] = all_lines(client, auth, body["import_id"])

    def match(code):
        return lambda c: c.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
                                json={"reason": "đối chiếu", "allocations": [{"payment_code": code,
                                                                               "amount_vnd": 100_000}]})

    responses = at_once(app, [match(first), match(second)])
    assert sorted(r.status_code for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json["code"] in ("amount_exceeds_unallocated", "nothing_in_suspense")
    with db() as s:
        assert s.execute(select(func.count()).select_from(PaymentAllocation)
                         .where(PaymentAllocation.released_at.is_(None))).scalar_one() == 1
    paid = [client.get(f"/api/v1/payment-requests/{c}").json["paid_vnd"] for c in (first, second)]
    assert sorted(paid) == [0, 100_000]
    assert_ledger_ok(db)


def test_the_same_statement_uploaded_twice_at_once_is_stored_and_credited_once(app, client, auth, db):
    make_request(client, auth)
    responses = at_once(app, [lambda c: upload_sample(c, auth, "statement_vcb_sample.csv")] * 2)
    assert [r.status_code for r in responses] == [201, 201]
    assert sorted(r.json["lines_new"] for r in responses) == [0, 42]
    with db() as s:
        assert s.execute(select(func.count()).select_from(StatementLine)).scalar_one() == 42
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 39
    assert_ledger_ok(db)
