"""Round 11: what an operator gets by following README and DESIGN §10 literally."""
import pytest


class _NoThread:
    def start_thread(self):
        pass


class _NoServer:
    def run(self):
        pass

    def close(self):
        pass


@pytest.fixture
def served(monkeypatch):
    """Run `hccpay serve` up to the point it would listen: what the app and the sandboxes were built with."""
    import waitress

    import api

    seen = {}
    real_create_app = api.create_app

    def create_app(settings=None):
        seen["settings"] = settings
        return real_create_app(settings)

    monkeypatch.setattr(api, "create_app", create_app)
    monkeypatch.setattr(api, "start_sandboxes", lambda settings: seen.setdefault("sandboxes", settings) and [])
    monkeypatch.setattr(waitress, "create_server", lambda app, **kw: seen.setdefault("listen", kw) and _NoServer())
    monkeypatch.setattr(api, "build_worker", lambda settings, sessions: seen.setdefault("worker", _NoThread()))
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("HCCPAY_PUBLIC_URL", raising=False)
    return seen


def test_serve_port_option_moves_the_demo_links_with_it(cli, served):
    """DESIGN §10 `hccpay serve --port P`: the demo's pay pages, QR images and the sandbox bank's callbacks
    must point at the port served, not at 8000 where nothing (or another service) listens."""
    result = cli("serve", "--no-worker", "--host", "127.0.0.1", "--port", "8170")
    assert result.exit_code == 0, result.output
    assert served["listen"]["port"] == 8170 and served["listen"]["host"] == "127.0.0.1"
    assert served["settings"].public_url == "http://127.0.0.1:8170"
    assert served["sandboxes"].public_url == "http://127.0.0.1:8170"


def test_serve_port_option_leaves_a_configured_public_url_alone(cli, served, monkeypatch):
    monkeypatch.setenv("HCCPAY_PUBLIC_URL", "https://pay.hcc.example.gov.vn")
    assert cli("serve", "--no-worker", "--port", "8170").exit_code == 0
    assert served["settings"].public_url == "https://pay.hcc.example.gov.vn"


def test_serve_refuses_a_port_out_of_range_by_naming_the_option(cli, served):
    result = cli("serve", "--no-worker", "--port", "70000")
    assert result.exit_code == 2 and "--port" in result.output and "listen" not in served


def test_sandbox_sms_page_shows_the_messages_to_a_browser_and_json_to_programs():
    """README: "the SMS appears at http://127.0.0.1:8003/sms": a browser gets a readable page (not JSON with
    \\u escapes for every Vietnamese letter), a program keeps the JSON list."""
    from sandbox.sms import create_sms_gateway

    client = create_sms_gateway("k").test_client()
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    assert "Chưa có tin nhắn nào" in client.get("/sms", headers=browser).get_data(as_text=True)
    text = "TT Phục vụ HCC: Hồ sơ <E-1> đã nộp đủ 10.000 ₫"
    sent = client.post("/sms", json={"to": "0901234561", "text": text, "idempotency_key": "a"},
                       headers={"Authorization": "Bearer k"})
    assert sent.status_code == 202
    page = client.get("/sms", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "0901234561" in html and "Hồ sơ &lt;E-1&gt; đã nộp đủ 10.000 ₫" in html and "<E-1>" not in html
    for accept in (None, "application/json", "*/*"):
        answer = client.get("/sms", headers={"Accept": accept} if accept else {})
        assert answer.mimetype == "application/json"
        assert answer.get_json() == {"messages": [{"message_id": "SMS000001", "to": "0901234561", "text": text}]}
        assert "Hồ sơ" in answer.get_data(as_text=True)  # readable with curl too


def test_the_demo_on_postgresql_applies_the_payments_it_is_sent(cli, served, monkeypatch):
    """README: `make run` "runs the worker in a thread, so the whole flow works offline"; with
    DATABASE_URL naming PostgreSQL (DESIGN §10: it selects the database) a sandbox payment must still turn
    the page paid, so the demo serves with its worker thread whatever the database."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected here
    assert cli("serve", "--port", "8170").exit_code == 0
    assert "worker" in served
    served.clear()
    monkeypatch.setenv("HCCPAY_DEMO", "0")
    from tests.unit.test_config import FULL

    for name, value in FULL.items():
        if name != "DATABASE_URL":
            monkeypatch.setenv(name, value)
    assert cli("serve", "--port", "8170").exit_code == 0
    assert "listen" in served and "worker" not in served  # a deployment: `hccpay worker` processes do it
    served.clear()
    assert cli("serve", "--port", "8170", "--worker").exit_code == 0 and "worker" in served


def test_serve_names_the_setting_that_moves_it_when_its_port_is_taken(cli, monkeypatch, taken_port):
    """`make run` with 8000 taken: a sentence naming PORT (as README says to set it), not a traceback; and
    no sandbox left started."""
    import api

    monkeypatch.setattr(api, "start_sandboxes", lambda settings: (_ for _ in ()).throw(AssertionError("started")))
    monkeypatch.setenv("PORT", str(taken_port))
    result = cli("serve", "--no-worker")
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{taken_port}" in result.output and "set PORT (or --port)" in result.output
