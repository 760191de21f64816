"""List endpoints read `limit`/`offset` strictly: a bad value is a 400, never silently replaced or clamped,
and every row stays reachable page by page."""
import json

import pytest

LISTS = ["/api/v1/finance/conflicts", "/api/v1/finance/rejected-callbacks"]


@pytest.mark.parametrize("path", LISTS + ["/api/v1/admin/outbox"])
@pytest.mark.parametrize("limit", ["abc", "-1", "0", "501", "1.5", "99999999999999999999"])
def test_a_limit_out_of_range_or_not_a_number_is_refused(client, auth, path, limit):
    role = "admin" if "admin" in path else "finance"
    r = client.get(f"{path}?limit={limit}", headers=auth(role))
    assert r.status_code == 400 and r.json["code"] == "invalid_parameter" and r.json["details"] == {"parameter": "limit"}


def test_rejected_callbacks_are_paged_to_the_last_one(client, auth):
    for n in range(5):  # unsigned: each is refused and kept
        body = json.dumps({"transaction_id": f"R{n}"}).encode()
        assert client.post("/api/v1/callbacks/bank", data=body,
                           headers={"Content-Type": "application/json"}).status_code == 401
    seen, offset = [], 0
    while offset is not None:
        page = client.get(f"/api/v1/finance/rejected-callbacks?limit=2&offset={offset}", headers=auth("finance")).json
        assert len(page["callbacks"]) <= 2
        seen += [c["id"] for c in page["callbacks"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == 5 and seen == sorted(seen, reverse=True)
