"""A simulated VNPost-like courier speaking the contract of postal.clients, over real HTTP.

- `POST /orders` (Bearer key, `Idempotency-Key`): books once per key; tracking numbers are
  UPU S10 style (`EB123456785VN`, with the S10 check digit). Each process numbers orders from a
  random serial and prefixes its event ids with a run token of its own: a restarted sandbox (`make run`
  again on the same database) never hands out a tracking number or event id of an earlier run.
- `POST /orders/<tracking>/cancel` (422 once the order was picked up: `CANCELLABLE_AFTER`),
  `GET /orders/<tracking>` (every event so far).
- Tracking webhooks: each new event is POSTed, signed with X-HCC-Signature, to the order's
  `callback_url` (unless webhooks are held, see below).

Control (tests, demos):
- `POST /_control {"mode": "ok"|"down"|"error"|"slow"|"lost_reply"|"not_home", "delay": s,
  "hold_webhooks": bool}` (`down` → 503, `error` → 500, `slow` sleeps `delay` s, `lost_reply` books
  but answers 504 as if the reply was lost, `not_home` fails every delivery attempt).
- `POST /_orders/<tracking>/events {"status_code", "occurred_at"?, "reason"?, "id_check"?, "note"?,
  "cod_amount_vnd"?}`: a new event (21 with the amount the postman collected).
- `POST /_orders/<tracking>/attempt`: the postman tries to hand over (10, or 11 in not_home mode).
- `POST /_webhooks/flush {"reverse": bool, "twice": bool}`: send the held webhooks.
- `GET /_orders`: every order.

A control request the sandbox cannot use (not a JSON object, an unknown mode, a status code outside 0-22, a COD
amount that is not a JSON integer >= 0) is a 400 `{"error", "field"}` and changes nothing; an order with such a
COD amount is refused (422) as any invalid order.
"""
from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime

import requests
from flask import Flask, jsonify, request

from kernel.clock import now_utc
from kernel.signing import HEADER, sign

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
# What VNPost names each status code 0-22 (a control event of any code reads as the courier's would).
STATUS_TEXT = {0: "Đã tạo đơn", 1: "Bưu cục đã tiếp nhận đơn", 2: "Đã phân công bưu tá", 3: "Bưu tá đang đi nhận",
               4: "Nhận hàng không thành công", 5: "Đã nhận hàng", 6: "Đã nhập bưu cục gốc", 7: "Đang vận chuyển",
               8: "Đã đến bưu cục phát", 9: "Bưu tá đang đi phát", 10: "Phát thành công",
               11: "Phát không thành công: người nhận vắng nhà", 12: "Phát không thành công: sai địa chỉ",
               13: "Phát không thành công: người nhận từ chối", 14: "Chờ phát lại", 15: "Đã duyệt chuyển hoàn",
               16: "Đang chuyển hoàn", 17: "Đã chuyển hoàn cho người gửi", 18: "Đã hủy đơn", 19: "Thất lạc",
               20: "Hư hỏng", 21: "Đã thu tiền COD", 22: "Đã trả tiền COD cho người gửi"}
# An order may be cancelled while nothing has left the citizen nor reached the post: booked (0, 1), a postman
# assigned or on his way (2, 3), a pickup that failed (4). After that the courier holds the dossier or result.
CANCELLABLE_AFTER = frozenset({0, 1, 2, 3, 4})
# What a control event may carry besides its code and time: 21 (COD collected) may name the amount collected.
EVENT_EXTRAS = ("reason", "id_check", "note", "cod_amount_vnd")


MODES = ("ok", "down", "error", "slow", "lost_reply", "not_home")
MAX_DELAY_SECONDS = 600
MAX_COD_VND = 10 ** 12  # far above any dossier; past it a number is no amount of đồng


class Refused(ValueError):
    """A control request or order the sandbox cannot use: answered 400 naming the field, never a 500."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _whole(value, lowest: int, highest: int) -> bool:
    return type(value) is int and lowest <= value <= highest  # not True, not 1.5, not "30000"


def read_event(body: dict) -> tuple[int, str | None, dict]:
    """(status code, occurred_at, extras) of a control event, as VNPost could report it."""
    code = body.get("status_code")
    if not _whole(code, 0, max(STATUS_TEXT)):
        raise Refused("status_code", f"status_code must be a VNPost status code 0-{max(STATUS_TEXT)}")
    occurred_at = body.get("occurred_at")
    if occurred_at is not None and not isinstance(occurred_at, str):
        raise Refused("occurred_at", "occurred_at must be a date and time (text)")
    if "cod_amount_vnd" in body and not _whole(body["cod_amount_vnd"], 0, MAX_COD_VND):
        raise Refused("cod_amount_vnd", "cod_amount_vnd must be a whole number of đồng (a JSON integer >= 0)")
    return code, occurred_at, {k: body[k] for k in EVENT_EXTRAS if k in body}


def read_control(body: dict, state: dict) -> dict:
    """The settings `body` asks for, on top of `state` (mode defaults to ok, as before)."""
    mode, delay, hold = body.get("mode", "ok"), body.get("delay", 0), body.get("hold_webhooks", state["hold_webhooks"])
    if mode not in MODES:
        raise Refused("mode", f"mode must be one of {', '.join(MODES)}")
    if type(delay) not in (int, float) or not 0 <= delay <= MAX_DELAY_SECONDS:
        raise Refused("delay", f"delay must be a number of seconds from 0 to {MAX_DELAY_SECONDS}")
    if not isinstance(hold, bool):
        raise Refused("hold_webhooks", "hold_webhooks must be true or false")
    return {"mode": mode, "delay": float(delay), "hold_webhooks": hold}


def json_object() -> dict:
    """The request's JSON object; an empty body is {} (the control calls have defaults)."""
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refused("body", "the body must be a JSON object")
    return body


def s10_tracking_number(serial: int, prefix: str = "EB") -> str:
    """`EB` + 8 digits + UPU S10 check digit + `VN`."""
    digits = f"{serial:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, S10_WEIGHTS)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    return f"{prefix}{digits}{check}VN"


def create_courier(api_key: str, webhook_secret: str, *, clock: Callable[[], datetime] = now_utc) -> Flask:
    app = Flask("sandbox_courier")

    @app.errorhandler(Refused)
    def refused(exc: Refused):
        return jsonify(error=str(exc), field=exc.field), 400

    lock = threading.Lock()
    state = {"mode": "ok", "delay": 0.0, "hold_webhooks": False}
    orders: dict[str, dict] = {}
    by_key: dict[str, str] = {}
    held: list[tuple[str, dict]] = []
    serials, event_ids = itertools.count(10_000_000 + secrets.randbelow(80_000_000)), itertools.count(1)
    run = secrets.token_hex(4)

    def add_event(order: dict, code: int, occurred_at: str | None = None, **extra) -> dict:
        event = {"event_id": f"VNP-EV{run}-{next(event_ids):07d}", "status_code": code,
                 "status_text": STATUS_TEXT.get(code, ""), "occurred_at": occurred_at or clock().isoformat(), **extra}
        order["events"].append(event)
        body = {"tracking_number": order["tracking_number"], "reference": order["reference"], **event}
        if order.get("callback_url"):
            held.append((order["callback_url"], body))
        return event

    def send_webhooks(reverse: bool = False, twice: bool = False) -> list[int]:
        with lock:
            batch = list(reversed(held)) if reverse else list(held)
            held.clear()
        statuses = []
        for url, body in batch:
            for _ in range(2 if twice else 1):
                raw = json.dumps(body, ensure_ascii=False).encode()
                headers = {"Content-Type": "application/json", HEADER: sign([webhook_secret], raw, int(time.time()))}
                try:
                    statuses.append(requests.post(url, data=raw, headers=headers, timeout=10).status_code)
                except requests.RequestException:
                    statuses.append(0)
        return statuses

    def unknown():
        return jsonify(error="unknown order"), 404

    def misbehave():
        if request.headers.get("Authorization") != f"Bearer {api_key}":
            return jsonify(error="unauthorised"), 401
        if state["mode"] == "slow":
            time.sleep(state["delay"])  # simulating a slow provider is the point here
        if state["mode"] == "down":
            return jsonify(error="service unavailable"), 503
        if state["mode"] == "error":
            return jsonify(error="internal error"), 500
        return None

    @app.post("/orders")
    def create_order():
        if (failure := misbehave()) is not None:
            return failure
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        key = request.headers.get("Idempotency-Key")
        citizen = body.get("citizen") if isinstance(body.get("citizen"), dict) else {}
        if not key or not body.get("reference") or not str(citizen.get("phone", "")).isdigit() \
                or not citizen.get("ward_code") or not _whole(body.get("cod_amount_vnd", 0), 0, MAX_COD_VND):
            return jsonify(error="invalid order"), 422
        with lock:
            if key in by_key:  # the same booking again: the same order
                order = orders[by_key[key]]
                return jsonify(order_id=order["order_id"], tracking_number=order["tracking_number"], status_code=0), 200
            tracking = s10_tracking_number(next(serials))
            order = {"order_id": f"VNP{len(orders) + 1:06d}", "tracking_number": tracking, "events": [],
                     "cancelled": False, **body}
            orders[tracking], by_key[key] = order, tracking
            add_event(order, 0)
        if not state["hold_webhooks"]:
            threading.Thread(target=send_webhooks, daemon=True).start()  # after this answer, like a real courier
        if state["mode"] == "lost_reply":
            return jsonify(error="gateway timeout"), 504
        return jsonify(order_id=order["order_id"], tracking_number=tracking, status_code=0), 201

    def on_order(tracking: str, act: Callable[[dict], dict | tuple], *, api: bool = True, notify: bool = False):
        """Run `act(order)` under the lock (404 when unknown; a tuple it returns is a refusal, answered as is);
        `api` calls may misbehave on purpose."""
        if api and (failure := misbehave()) is not None:
            return failure
        with lock:
            order = orders.get(tracking)
            if order is None:
                return unknown()
            answer = act(order)
        if isinstance(answer, tuple):  # a refusal, answered as it is
            return answer
        if notify:
            answer["webhooks"] = [] if state["hold_webhooks"] else send_webhooks()
        return jsonify(answer)

    @app.post("/orders/<tracking>/cancel")
    def cancel_order(tracking: str):
        def cancel(order: dict) -> dict | tuple:
            if not order["cancelled"] and any(e["status_code"] not in CANCELLABLE_AFTER for e in order["events"]):
                return jsonify(error="the order was already picked up: it cannot be cancelled"), 422
            if not order["cancelled"]:
                order["cancelled"] = True
                add_event(order, 18)
            return {"tracking_number": tracking, "status_code": 18}

        return on_order(tracking, cancel)

    @app.get("/orders/<tracking>")
    def track(tracking: str):
        return on_order(tracking, lambda order: {"tracking_number": tracking, "reference": order["reference"],
                                                 "events": list(order["events"])})

    @app.post("/_orders/<tracking>/events")
    def new_event(tracking: str):
        code, occurred_at, extra = read_event(json_object())
        return on_order(tracking, lambda order: {"event": add_event(order, code, occurred_at, **extra)},
                        api=False, notify=True)

    @app.post("/_orders/<tracking>/attempt")
    def attempt(tracking: str):
        at = json_object().get("occurred_at")
        if at is not None and not isinstance(at, str):
            raise Refused("occurred_at", "occurred_at must be a date and time (text)")

        def hand_over(order: dict) -> dict:
            if state["mode"] == "not_home":
                return {"event": add_event(order, 11, at, reason="not_home")}
            id_check = {"document_type": "cccd", "number": "022088001234",
                        "holder_name": order["citizen"].get("name", "")}
            return {"event": add_event(order, 10, at, id_check=id_check)}

        return on_order(tracking, hand_over, api=False, notify=True)

    @app.post("/_webhooks/flush")
    def flush():
        body = json_object()
        return jsonify(webhooks=send_webhooks(reverse=bool(body.get("reverse")), twice=bool(body.get("twice"))))

    @app.get("/_orders")
    def all_orders():
        with lock:
            return jsonify(orders=list(orders.values()))

    @app.post("/_control")
    def control():
        body = json_object()
        with lock:
            state.update(read_control(body, state))  # all or nothing: a refused setting changes none
        return jsonify(state)

    return app
