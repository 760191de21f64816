"""Round 11: what an operator gets by following README and DESIGN §10 literally."""
import pytest


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
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: seen.setdefault("listen", kw))
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
