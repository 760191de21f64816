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
