"""Round 11: what a checker gets by following README literally, over HTTP."""
from tests.factories import make_request, send_callback


def test_the_pay_pages_receipt_address_is_the_pdf_itself(client, auth, test_settings):
    """README: the pay page's "receipt at /pay/<code>/receipt.pdf": `curl -o bienlai.pdf` of that address
    (no -L) must save the PDF, not a redirect page."""
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    page = client.get(f"/pay/{code}/receipt.pdf")
    api = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert page.status_code == 200 and page.mimetype == "application/pdf" and page.data[:5] == b"%PDF-"
    assert page.headers["Content-Disposition"] == api.headers["Content-Disposition"]
    assert "bien-lai-" in page.headers["Content-Disposition"]


def test_metrics_content_type_is_prometheus_text_with_one_charset(client):
    """A Prometheus 3 server refuses a scrape whose Content-Type it cannot parse (Go's mime.ParseMediaType
    rejects a parameter given twice): `charset` must appear once."""
    from prometheus_client import CONTENT_TYPE_LATEST

    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == CONTENT_TYPE_LATEST
    assert answer.headers["Content-Type"].count("charset=") == 1


def _swagger_ui_sample(definitions: dict, schema: dict):
    """The body Swagger UI's "Try it out" fills in: each property's example, else its enum's first value,
    else a placeholder of its type ("string", 0...)."""
    if "$ref" in schema:
        return _swagger_ui_sample(definitions, definitions[schema["$ref"].rsplit("/", 1)[-1]])
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        return {name: _swagger_ui_sample(definitions, prop) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [_swagger_ui_sample(definitions, schema["items"])]
    return {"integer": schema.get("minimum", 0), "number": 0, "boolean": True}.get(kind, "string")


def test_swagger_ui_try_it_out_registers_a_dossier_with_the_documented_example(client, auth):
    """Swagger UI at /api/v1/docs: "Try it out" on POST /dossiers sends the spec's example body; it must be
    a body the service takes (it sent "email": "string", a 400 invalid_email)."""
    spec = client.get("/api/v1/swagger.json").json
    operation = spec["paths"]["/dossiers"]["post"]
    [body_param] = [p for p in operation["parameters"] if p["in"] == "body"]
    body = _swagger_ui_sample(spec["definitions"], body_param["schema"])
    answer = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    assert answer.status_code == 201, answer.json
    assert answer.json["applicant"]["email"] == body["applicant"]["email"]
