"""Payment request lifecycle at the service level, with an injected clock."""
from datetime import timedelta

import pytest

from kernel.errors import Conflict
from payments import service, states
from payments.validation import parse_dossier
from tests.conftest import T0

BODY = {
    "code": "DOSSIER-EXP-1", "procedure_code": "1.0", "procedure_name": "Thủ tục",
    "agency_code": "H40.22", "applicant": {"name": "Lê Thị Hoa", "phone": "0987654321"},
    "fees": [{"name": "Lệ phí", "kind": "charge", "amount_vnd": 50000}],
}


@pytest.fixture
def request_code(db, test_settings):
    with db() as s, s.begin():
        _, pr, _ = service.create_dossier(s, data=parse_dossier(BODY), settings=test_settings,
                                          actor="test", now=T0)
        return pr.payment_code


def test_a_pending_request_expires_when_read_after_its_time(db, test_settings, request_code):
    later = T0 + test_settings.request_ttl + timedelta(seconds=1)
    with db() as s, s.begin():
        pr = service.get_payment_request(s, request_code, settings=test_settings, now=later)
        assert pr.status == states.EXPIRED
        assert pr.payment_code == request_code  # an expired request keeps its code
        events = service.request_events(s, pr)
        assert [e.event for e in events] == ["created", "expired"]
        assert events[1].actor == "system:expiry"


def test_a_request_read_before_its_time_stays_pending(db, test_settings, request_code):
    with db() as s, s.begin():
        pr = service.get_payment_request(s, request_code, settings=test_settings,
                                         now=T0 + test_settings.request_ttl - timedelta(seconds=1))
        assert pr.status == states.PENDING


def test_the_expiry_sweep_moves_due_requests_once(db, test_settings, request_code):
    later = T0 + test_settings.request_ttl
    with db() as s, s.begin():
        assert service.expire_due_requests(s, settings=test_settings, now=later) == 1
    with db() as s, s.begin():
        assert service.expire_due_requests(s, settings=test_settings, now=later) == 0
        pr = service.get_payment_request(s, request_code, settings=test_settings, now=later)
        assert pr.status == states.EXPIRED


def test_after_expiry_a_renewal_gets_a_new_code_for_the_same_fees(db, test_settings, request_code):
    later = T0 + test_settings.request_ttl + timedelta(hours=1)
    with db() as s, s.begin():
        with pytest.raises(Conflict):
            service.renew_payment_request(s, dossier_code=BODY["code"], settings=test_settings,
                                          actor="test", now=T0)
    with db() as s, s.begin():
        renewed = service.renew_payment_request(s, dossier_code=BODY["code"], settings=test_settings,
                                                actor="test", now=later)
        assert renewed.payment_code != request_code
        assert renewed.amount_vnd == 50000 and renewed.status == states.PENDING
        assert renewed.expires_at == later + test_settings.request_ttl


def test_aware_utc_instants_survive_the_database(db, test_settings, request_code):
    with db() as s, s.begin():
        pr = service.get_payment_request(s, request_code, settings=test_settings, now=T0)
        created = pr.created_at
    assert created == T0
    assert created.utcoffset() == timedelta(0)


def test_added_postage_gets_its_own_request_and_the_first_one_is_untouched(db, test_settings, request_code):
    from payments.validation import FeeInput

    with db() as s, s.begin():
        postage = service.add_fee_items(
            s, dossier_code=BODY["code"], fees=(FeeInput("Cước chuyển phát kết quả", "postage", 32000),),
            settings=test_settings, actor="postal", now=T0)
        assert postage.amount_vnd == 32000 and postage.payment_code != request_code
        first = service.get_payment_request(s, request_code, settings=test_settings, now=T0)
        assert first.amount_vnd == 50000 and first.status == states.PENDING
        assert not service.dossier_fees_settled(s, BODY["code"])
        for pr in (first, postage):  # the payment channels will do this; here we only test the rule
            pr.paid_vnd, pr.status = pr.amount_vnd, states.PAID
        s.flush()
        assert service.dossier_fees_settled(s, BODY["code"])


def test_registering_the_same_dossier_again_after_its_time_shows_the_request_expired(db, test_settings, request_code):
    later = T0 + test_settings.request_ttl + timedelta(seconds=1)
    with db() as s, s.begin():
        _, pr, created = service.create_dossier(s, data=parse_dossier(BODY), settings=test_settings, actor="test",
                                                now=later)
        assert (created, pr.payment_code, pr.status) == (False, request_code, states.EXPIRED)
