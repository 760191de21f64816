"""The OpenAPI document tells clients what every operation answers, errors included."""


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
