"""A simulated SMS gateway speaking the contract of kernel.notify.

It keeps what it received (deduplicated by idempotency key) and can be told to misbehave:
`POST /_control {"mode": "ok" | "down" | "error" | "slow", "delay": seconds}`.
`GET /sms` lists the delivered messages: JSON, or a page for a browser (`Accept: text/html`).
"""
from __future__ import annotations

import itertools
import threading
import time

from flask import Flask, jsonify, render_template_string, request

PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>SMS sandbox</title></head>
<body><h1>Tin nhắn SMS đã gửi (sandbox)</h1>
{% if messages %}<table><thead><tr><th>Mã</th><th>Số điện thoại</th><th>Nội dung</th></tr></thead><tbody>
{% for m in messages %}<tr><td>{{ m.message_id }}</td><td>{{ m.to }}</td><td>{{ m.text }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p>Chưa có tin nhắn nào.</p>{% endif %}
</body></html>
"""


def create_sms_gateway(api_key: str) -> Flask:
    app = Flask("sandbox_sms")
    app.json.ensure_ascii = False  # Vietnamese text readable with curl
    lock = threading.Lock()
    state = {"mode": "ok", "delay": 0.0}
    by_key: dict[str, dict] = {}
    ids = itertools.count(1)

    @app.post("/sms")
    def send():
        if request.headers.get("Authorization") != f"Bearer {api_key}":
            return jsonify(error="unauthorised"), 401
        mode = state["mode"]
        if mode == "slow":
            time.sleep(state["delay"])  # simulating a slow provider is the point here
        if mode == "down":
            return jsonify(error="service unavailable"), 503
        if mode == "error":
            return jsonify(error="internal error"), 500
        body = request.get_json(silent=True) or {}
        to, text, key = body.get("to"), body.get("text"), body.get("idempotency_key")
        if not (isinstance(to, str) and to.isdigit() and isinstance(text, str) and text and key):
            return jsonify(error="invalid message"), 422
        with lock:
            if key not in by_key:  # at-least-once in, exactly-once out
                by_key[key] = {"message_id": f"SMS{next(ids):06d}", "to": to, "text": text}
            return jsonify(message_id=by_key[key]["message_id"]), 202

    @app.get("/sms")
    def received():
        with lock:
            messages = list(by_key.values())
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return render_template_string(PAGE, messages=messages[::-1])  # newest first
        return jsonify(messages=messages)

    @app.post("/_control")
    def control():
        body = request.get_json(silent=True) or {}
        with lock:
            state["mode"] = body.get("mode", "ok")
            state["delay"] = float(body.get("delay", 0))
            if body.get("reset"):
                by_key.clear()
        return jsonify(state)

    return app
