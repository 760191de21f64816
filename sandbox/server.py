"""Serve a sandbox WSGI app over real HTTP on a background thread (tests, make run, benches)."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server, select_address_family


@dataclass
class RunningServer:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start `app` on host:port (0 = any free port) and return at once. A port already taken raises
    OSError: we bind the socket ourselves, since werkzeug, binding it, would print and exit the process."""
    family = select_address_family(host, port)  # werkzeug's choice, which it reads the duplicate with
    with socket.create_server((host, port), family=family) as listener:  # werkzeug serves a duplicate of it
        server = make_server(host, port, app, threaded=True, fd=listener.fileno())
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox:{port}", daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread)
