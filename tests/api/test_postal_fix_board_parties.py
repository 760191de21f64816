"""On a pickup the citizen hands the dossier over: the board calls them the sender ("Người gửi"), asks
for the sender's name at the ID check and, when the check is missing, for the ID of the person handing
the dossier over. A delivery keeps "người nhận"."""
import pytest

from tests.api.test_pages import log_in, page_csrf, staff_user  # noqa: F401 (fixture)
from tests.postal_factories import make_booked_shipment, make_route, working_day

BOARD = "/staff/postal/"


@pytest.fixture
def day():
    return working_day(1)


@pytest.fixture
def postal_client(client, staff_user):  # noqa: F811
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    return client


def card(html: str, shipment_id: int) -> str:
    return html.split(f'id="s-{shipment_id}"', 1)[1].split("</li>", 1)[0]


def planned(postal_client, db, test_settings, day):
    make_route(db, test_settings, code="HL1", morning=5)
    pickup = make_booked_shipment(db, test_settings, "D-PARTY-1")
    delivery = make_booked_shipment(db, test_settings, "D-PARTY-2", direction="delivery")
    token = page_csrf(postal_client, BOARD)
    postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat(), "csrf_token": token})
    return pickup, delivery, token


def test_a_pickup_card_names_the_sender_and_a_delivery_card_the_recipient(postal_client, db, test_settings, day):
    pickup, delivery, _ = planned(postal_client, db, test_settings, day)
    html = postal_client.get(f"{BOARD}?date={day.isoformat()}").get_data(as_text=True)
    picked = card(html, pickup)
    assert "Nhận hồ sơ" in picked and "<dt>Người gửi</dt><dd>Phạm Thu Hà</dd>" in picked
    assert ">Họ tên người gửi</label>" in picked
    assert "Người nhận" not in picked and "người nhận" not in picked
    delivered = card(html, delivery)
    assert "<dt>Người nhận</dt><dd>Phạm Thu Hà</dd>" in delivered and ">Họ tên người nhận</label>" in delivered
    assert "Người gửi" not in delivered and "người gửi" not in delivered
    english = postal_client.get(f"{BOARD}?date={day.isoformat()}&lang=en").get_data(as_text=True)
    assert "<dt>Sender</dt>" in card(english, pickup) and "<dt>Recipient</dt>" in card(english, delivery)


def test_a_missing_id_check_asks_for_the_id_of_whoever_hands_over(postal_client, db, test_settings, day):
    pickup, delivery, token = planned(postal_client, db, test_settings, day)

    def handover_without_id(shipment_id, event):
        r = postal_client.post(f"{BOARD}shipments/{shipment_id}/outcome",
                               data={"csrf_token": token, "board_date": day.isoformat(), "event": event})
        assert r.status_code == 400
        return r.get_data(as_text=True)

    picked = handover_without_id(pickup, "picked_up")
    assert "Cần kiểm tra giấy tờ tùy thân của người giao hồ sơ (loại giấy tờ, số, họ tên)." in picked
    assert "giấy tờ tùy thân của người nhận" not in picked
    delivered = handover_without_id(delivery, "delivered")
    assert "Cần kiểm tra giấy tờ tùy thân của người nhận (loại giấy tờ, số, họ tên)." in delivered


def test_the_api_says_whose_id_check_is_missing(client, auth, db, test_settings):
    pickup = make_booked_shipment(db, test_settings, "D-PARTY-3")
    r = client.post(f"/api/v1/postal/shipments/{pickup}/events", json={"event": "picked_up"},
                    headers=auth("postal"))
    assert (r.status_code, r.json["code"], r.json["details"]) == (400, "id_check_required", {"direction": "pickup"})
    assert "recipient" not in r.json["message"]
