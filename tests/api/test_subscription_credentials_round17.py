"""A subscription's URL carries no user name or password: the deliveries are signed with the subscription's own
secret, and a URL's credentials would be stored in clear and shown by every listing of the subscriptions."""
import pytest
from sqlalchemy import update

from kernel.events import Subscription


def subscribe(client, auth, url):
    return client.post("/api/v1/admin/subscriptions", headers=auth("admin"),
                       json={"name": "Cổng dịch vụ công", "url": url, "event_types": ["*"]})


@pytest.mark.parametrize("url", ["https://user:pw@example.invalid/h", "https://user@example.invalid/h",
                                 "https://:pw@example.invalid/h"])
def test_a_url_with_credentials_is_refused(client, auth, url):
    r = subscribe(client, auth, url)
    assert r.status_code == 400 and r.json["code"] == "invalid_url"
    assert "password" in r.json["message"]
    listed = client.get("/api/v1/admin/subscriptions", headers=auth("admin")).json["subscriptions"]
    assert listed == []


def test_a_change_to_a_url_with_credentials_is_refused(client, auth):
    made = subscribe(client, auth, "https://example.invalid/h").json
    r = client.patch(f"/api/v1/admin/subscriptions/{made['id']}", headers=auth("admin"),
                     json={"url": "https://user:pw@example.invalid/h"})
    assert r.status_code == 400 and r.json["code"] == "invalid_url"


def test_credentials_stored_before_are_not_shown(client, auth, db):
    made = subscribe(client, auth, "https://example.invalid/h").json
    with db() as s, s.begin():
        s.execute(update(Subscription).where(Subscription.id == made["id"])
                  .values(url="https://user:s3cret@example.invalid/h"))
    listed = client.get("/api/v1/admin/subscriptions", headers=auth("admin")).json["subscriptions"]
    assert listed[0]["url"] == "https://user:***@example.invalid/h"
    assert "s3cret" not in str(listed)


def test_an_at_sign_in_the_path_or_query_is_not_a_credential(client, auth):
    assert subscribe(client, auth, "https://example.invalid/h?to=a@b.vn").status_code == 201
