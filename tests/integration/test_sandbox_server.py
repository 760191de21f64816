"""The sandboxes' HTTP server (tests, make run, benches)."""
import socket

import pytest
import requests

from sandbox.server import serve_in_thread


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
@pytest.mark.parametrize("host", ["::1", "::"])
def test_a_sandbox_serves_on_an_ipv6_host_as_on_an_ipv4_one(host):
    """Binding the socket ourselves (a taken port is an OSError, not werkzeug's exit) must keep the
    hosts werkzeug took: an IPv6 address is an AF_INET6 socket, and the URL brackets it."""
    server = serve_in_thread(_hello, host)
    try:
        port = server.server.port
        assert server.url == f"http://[{host}]:{port}"
        assert requests.get(f"http://[::1]:{port}/", timeout=5).text == "ok"
    finally:
        server.stop()


def test_the_port_of_a_stopped_sandbox_can_be_served_again_at_once():
    server = serve_in_thread(_hello)
    port = server.server.port
    assert requests.get(f"{server.url}/", timeout=5).text == "ok"
    server.stop()
    again = serve_in_thread(_hello, port=port)
    try:
        assert requests.get(f"{again.url}/", timeout=5).text == "ok"
    finally:
        again.stop()


def test_sandboxes_that_cannot_all_start_leave_none_listening(test_settings):
    """A taken bank port stops `serve`; the SMS sandbox started before it must not stay on its port."""
    from api import start_sandboxes

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = test_settings.with_overrides(sandbox_bank_port=port, sandbox_courier_port=port + 1,
                                                sandbox_sms_port=port + 2)
        with pytest.raises(OSError):
            start_sandboxes(settings)
    with socket.create_server(("127.0.0.1", port + 2)):
        pass  # free again
