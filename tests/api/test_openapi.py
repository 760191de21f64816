"""The OpenAPI document tells clients what every operation answers, errors included."""
import re


def test_every_operation_documents_its_errors_in_the_one_error_shape(client):
    spec = client.get("/api/v1/swagger.json").json
    assert spec["definitions"]["Error"]["required"] == ["code", "message"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            wanted = {"400", "503"} | ({"401", "403"} if operation.get("security") else set()) | \
                ({"404"} if "{" in path else set())
            assert wanted <= set(responses), (method, path, sorted(responses))
            assert all(responses[code]["schema"] == {"$ref": "#/definitions/Error"} for code in wanted)


def test_created_answers_and_list_bodies_are_documented_as_they_are(client):
    spec = client.get("/api/v1/swagger.json").json
    for path in ("/reconciliation/statements", "/payments/cash", "/dossiers/{code}/payment-requests",
                 "/reconciliation/lines/{line_id}/match", "/admin/tokens"):
        assert "201" in spec["paths"][path]["post"]["responses"], path
    allocations = spec["definitions"]["ResolutionIn"]["properties"]["allocations"]
    assert allocations["type"] == "array" and allocations["items"] == {"$ref": "#/definitions/AllocationIn"}


# What the code sends that not every operation does, found by grepping the routes and the services
# they call (status=, Conflict, Unprocessable, PreconditionFailed, 201/202 returns): each must stay in the spec.
SENT = [
    ("post", "/dossiers", "201"), ("post", "/dossiers", "200"),
    ("get", "/payment-requests/{code}/qr.png", "200"), ("get", "/payment-requests/{code}/qr.png", "304"),
    ("get", "/payment-requests/{code}/qr.png", "409"),
    ("get", "/payment-requests/{code}/qr.svg", "200"), ("get", "/payment-requests/{code}/qr.svg", "304"),
    ("post", "/payments/cash", "201"), ("post", "/payments/cash", "200"), ("post", "/payments/cash", "422"),
    ("post", "/payments/cash/{payment_id}/void", "403"), ("post", "/payments/cash/{payment_id}/void", "409"),
    ("post", "/payments/{payment_id}/refunds", "201"), ("post", "/payments/{payment_id}/refunds", "412"),
    ("post", "/refunds/{refund_id}/failed", "403"),
    ("post", "/reconciliation/days/{day}/close", "202"),
    ("post", "/reconciliation/days/{day}/exceptions/{key}/acknowledge", "201"),
    ("post", "/reconciliation/lines/{line_id}/match", "201"),
    ("post", "/reconciliation/statements", "201"), ("post", "/reconciliation/statements", "413"),
    ("post", "/reconciliation/statements", "415"), ("post", "/reconciliation/statements", "422"),
    ("post", "/postal/shipments", "201"), ("post", "/postal/shipments", "200"), ("post", "/postal/shipments", "422"),
    ("post", "/postal/routes", "201"), ("post", "/postal/routes", "422"), ("put", "/postal/routes/{code}", "422"),
    ("post", "/postal/plan", "422"), ("post", "/postal/shipments/{shipment_id}/assignment", "422"),
    ("get", "/postal/wards", "409"), ("get", "/postal/wards", "422"),
    ("post", "/callbacks/bank", "401"), ("post", "/callbacks/pos", "401"), ("post", "/callbacks/sepay", "401"),
    ("post", "/callbacks/payos", "401"), ("post", "/callbacks/courier", "401"), ("post", "/callbacks/courier", "409"),
    ("post", "/admin/tokens", "201"), ("post", "/admin/users", "201"), ("post", "/admin/subscriptions", "201"),
    ("post", "/admin/subscriptions", "415"), ("post", "/cash/drawers/{drawer_id}/close", "413"),
]


def _operations(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                yield method, path, operation


def test_every_status_an_operation_sends_is_in_the_spec_with_its_shape(client):
    spec = client.get("/api/v1/swagger.json").json
    missing = [(m, p, s) for m, p, s in SENT if s not in spec["paths"][p][m]["responses"]]
    assert not missing
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        assert any(code < "400" for code in responses), (method, path, "no success answer")
        for code, response in responses.items():
            if code >= "400":
                assert response["schema"] == {"$ref": "#/definitions/Error"}, (method, path, code)


def _concrete(path: str) -> str:
    values = {"day": "2026-01-05", "code": "HS12345678978", "key": "x", "series": "C26TAA", "number": "1"}
    return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "999999"), path)


def test_every_operation_that_reads_a_json_body_describes_it(client, tokens):
    """Found by asking: an operation that answers a text/plain body with 415 reads a body through
    json_body (or the statement form), so the spec must say what goes in it."""
    from tests.api.test_schemathesis import _role_for
    spec = client.get("/api/v1/swagger.json").json
    readers, undescribed = [], []
    for method, path, operation in _operations(spec):
        if method not in ("post", "put", "patch"):
            continue
        role = _role_for(method.upper(), path)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        r = client.open(_concrete(path), method=method.upper(), data="x", content_type="text/plain", headers=headers)
        bodies = [p for p in operation.get("parameters", []) if p["in"] in ("body", "formData")]
        if r.status_code == 415:
            readers.append(path)
            if not bodies:
                undescribed.append((method, path))
        elif path.startswith("/callbacks/"):  # the provider's payload, read raw: described loosely
            schema = spec["definitions"][bodies[0]["schema"]["$ref"].rsplit("/", 1)[1]] if bodies else {}
            assert schema.get("type") == "object", path
    assert len(readers) >= 30 and not undescribed, undescribed
