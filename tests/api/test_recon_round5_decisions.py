"""What settles an exception is bound to its amount: an acknowledgement accepts the exception as it was
(the amount is recorded, and a larger amount is open again), and a line whose bank amount differs from
its callback, or whose credit was reversed, is settled by an acknowledgement or by decisions on the line
worth the difference, never by any refund, write-off or ignore whatever its size."""
from tests.factories import assert_ledger_ok, make_request
from tests.recon_factories import all_lines, bank_callback, upload, vcb_csv

DAY = "2026-11-24"


def queue(client, auth, state: str = "all") -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions?state={state}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return [e for e in r.json["exceptions"] if e["severity"] == "blocking"]


def acknowledge(client, auth, key: str):
    return client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{key}/acknowledge", headers=auth("finance"),
                       json={"reason": "chấp nhận chênh lệch nhỏ"})


def decide(client, auth, line_id: int, action: str, **body):
    return client.post(f"/api/v1/reconciliation/lines/{line_id}/{action}", headers=auth("finance"),
                       json={"reason": "quyết định của kế toán", **body})


def close(client, auth):
    return client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))


def test_an_acknowledgement_accepts_the_amount_it_saw_and_not_more(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 25_000))
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("5000.1", "", "25.000", "NOP PHI"))).json[
        "import_id"])
    match = decide(client, auth, line["id"], "match", allocations=[{"payment_code": code, "amount_vnd": 24_999}])
    assert match.status_code == 201, match.json
    left, short = queue(client, auth)
    assert (left["kind"], left["amount_vnd"], short["kind"], short["amount_vnd"]) == (
        "unmatched_credit", 1, "under_payment", 1)
    for found in (left, short):
        accepted = acknowledge(client, auth, found["key"])
        assert accepted.status_code == 201 and accepted.json["data"] == {"amount_vnd": 1}, accepted.json
    assert queue(client, auth, "open") == []
    undone = client.post(f"/api/v1/reconciliation/resolutions/{match.json['resolution']['id']}/undo",
                         headers=auth("finance"), json={"reason": "nhầm hồ sơ"})
    assert undone.status_code == 200, undone.json
    [waiting] = queue(client, auth, "open")  # 25,000 in suspense: nobody accepted that
    assert (waiting["key"], waiting["amount_vnd"], waiting["acknowledged"]) == (left["key"], 25_000, False)
    refused = close(client, auth)
    assert refused.status_code == 409 and refused.json["code"] == "open_exceptions", refused.json
    again = acknowledge(client, auth, left["key"])  # accepted anew, for what it is now
    assert again.status_code == 201 and again.json["data"] == {"amount_vnd": 25_000}, again.json
    assert acknowledge(client, auth, left["key"]).json["code"] == "already_acknowledged"
    assert close(client, auth).status_code == 202


def test_an_acknowledged_under_payment_opens_again_when_the_request_owes_more(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    _, second = all_lines(client, auth, upload(client, auth, vcb_csv(("FT1", "", "50.000", f"nop {code} lan 1"),
                                                                     ("FT2", "", "49.999", f"nop {code} lan 2"))).json[
        "import_id"])
    [short] = queue(client, auth)
    assert (short["key"], short["amount_vnd"]) == (f"request:{code}:under_payment", 1)
    assert acknowledge(client, auth, short["key"]).status_code == 201
    assert decide(client, auth, second["id"], "unmatch").status_code == 201
    owing = [e for e in queue(client, auth, "open") if e["kind"] == "under_payment"]
    assert [(e["key"], e["amount_vnd"]) for e in owing] == [(short["key"], 50_000)]


def line_for_another_amount(client, auth, test_settings) -> dict:
    """A callback credited 90,000 under FTX100; the statement shows FTX100 for 100,000 (10,000 differ)."""
    code = make_request(client, auth, ("Lệ phí", "charge", 90_000))
    bank_callback(client, test_settings, "FTX100", 90_000, f"CK {code}")
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("FTX100", "", "100.000", f"CK {code}"))).json[
        "import_id"])
    [differs] = queue(client, auth)
    assert (differs["kind"], differs["amount_vnd"], differs["line_id"]) == ("amount_differs", 10_000, line["id"])
    return line


def test_the_surplus_is_booked_before_it_is_refunded(client, auth, db, test_settings):
    """A refund of the 10,000 the callback did not announce would come out of the 90,000 fee (the surplus is
    in no book): refused until the payment is corrected to the statement (round 14)."""
    line = line_for_another_amount(client, auth, test_settings)
    refused = decide(client, auth, line["id"], "refund", amount_vnd=10_000)
    assert refused.status_code == 409 and refused.json["code"] == "statement_shows_more", refused.json
    assert decide(client, auth, line["id"], "correct-amount").status_code == 201
    [surplus] = queue(client, auth, "open")
    assert (surplus["kind"], surplus["amount_vnd"]) == ("unmatched_credit", 10_000)
    assert_ledger_ok(db)


def test_a_small_refund_does_not_settle_a_larger_surplus(client, auth, db, test_settings):
    line = line_for_another_amount(client, auth, test_settings)
    assert decide(client, auth, line["id"], "correct-amount").status_code == 201
    assert decide(client, auth, line["id"], "refund", amount_vnd=1).status_code == 201
    [surplus] = queue(client, auth, "open")
    assert (surplus["kind"], surplus["amount_vnd"], surplus["open"]) == ("unmatched_credit", 9_999, True)
    assert close(client, auth).json["code"] == "open_exceptions"
    assert decide(client, auth, line["id"], "refund", amount_vnd=9_999).status_code == 201  # 10,000 in all
    assert queue(client, auth, "open") == []
    assert close(client, auth).status_code == 202
    assert_ledger_ok(db)


def test_a_refund_that_failed_settles_no_surplus(client, auth, db, test_settings):
    line = line_for_another_amount(client, auth, test_settings)
    assert decide(client, auth, line["id"], "correct-amount").status_code == 201
    refund = decide(client, auth, line["id"], "refund", amount_vnd=10_000).json["resolution"]["data"]
    assert queue(client, auth, "open") == []
    bounced = client.post(f"/api/v1/refunds/{refund['refund_id']}/failed", headers=auth("finance"),
                          json={"reason": "tài khoản nhận không tồn tại"})
    assert bounced.status_code == 200, bounced.json
    [surplus] = queue(client, auth, "open")
    assert (surplus["kind"], surplus["amount_vnd"]) == ("unmatched_credit", 10_000)
    assert_ledger_ok(db)


def mt940(*transactions: tuple[str, int, str, str]) -> str:
    body = "".join(f":61:2611241124{mark}{amount},NTRF{ref}//{ref}\n:86:{memo}\n"
                   for mark, amount, ref, memo in transactions)
    return f":20:HCC261124\n:25:0071001234567\n:28C:00001/001\n:60F:C261124VND1000000,\n{body}:62F:C261124VND950000,\n"


def test_ignoring_a_reversal_line_does_not_settle_its_reversal(client, auth, db):
    body = upload(client, auth, mt940(("RC", 50_000, "900002", "HOAN TRA GIAO DICH")), "s.mt940").json
    [reversal] = all_lines(client, auth, body["import_id"])
    assert decide(client, auth, reversal["id"], "ignore").status_code == 201
    [reversed_] = queue(client, auth, "open")
    assert (reversed_["kind"], reversed_["line_id"], reversed_["resolution"]) == ("reversed", reversal["id"], None)
    assert acknowledge(client, auth, reversed_["key"]).status_code == 201
    assert close(client, auth).status_code == 202


def test_an_acknowledgement_names_the_amount_it_saw(client, auth, db):
    """Between the queue the person read and the click, the exception may have grown (another import, an
    undo): acknowledging it then accepted an amount nobody saw. `expected_amount_vnd` (the page sends it)
    is checked against the amount now (round 14)."""
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("5000.2", "", "25.000", "NOP PHI"))).json[
        "import_id"])
    [waiting] = queue(client, auth, "open")
    assert (waiting["kind"], waiting["amount_vnd"]) == ("unmatched_credit", 25_000)
    url = f"/api/v1/reconciliation/days/{DAY}/exceptions/{waiting['key']}/acknowledge"
    stale = client.post(url, headers=auth("finance"), json={"reason": "chấp nhận", "expected_amount_vnd": 20_000})
    assert stale.status_code == 412 and stale.json["code"] == "exception_changed", stale.json
    assert stale.json["details"] == {"amount_vnd": 25_000, "expected_amount_vnd": 20_000}
    assert queue(client, auth, "open") == [waiting]
    for junk in (True, 1.5, "25000", -1):
        r = client.post(url, headers=auth("finance"), json={"reason": "chấp nhận", "expected_amount_vnd": junk})
        assert r.status_code == 400 and r.json["details"]["field"] == "expected_amount_vnd", (junk, r.json)
    seen = client.post(url, headers=auth("finance"), json={"reason": "chấp nhận", "expected_amount_vnd": 25_000})
    assert seen.status_code == 201 and seen.json["data"] == {"amount_vnd": 25_000}, seen.json
    assert queue(client, auth, "open") == []
