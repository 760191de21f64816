"""Outbound HTTP to the card acquirer: the refund call for card payments.

Contract (the sandbox implements it): `POST {base}/refunds` JSON `{refund_id, original_transaction_id,
terminal_id, amount_vnd}` signed with `X-HCC-Signature` (the POS secret) and an `Idempotency-Key`;
2xx `{"refund_ref"}`. 4xx (other than 408/429) is a refusal for good; the rest is retried.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from config import Settings
from kernel.outbound import OutboundClient, Unavailable, quick_retries
from kernel.outbox import Delivery, PermanentError, Topic
from kernel.signing import HEADER, sign
from payments import refunds
from payments.models import Payment


class AcquirerUnavailable(Unavailable):
    pass


class PosGatewayClient(OutboundClient):
    """The acquirer authenticates us by signing each request like our own webhooks."""

    name, unavailable = "acquirer", AcquirerUnavailable

    def __init__(self, base_url: str, secrets: tuple[str, ...], *, clock, timeout: tuple[float, float] = (3.05, 15.0),
                 **kwargs):
        super().__init__(base_url, headers={"Content-Type": "application/json"}, timeout=timeout, **kwargs)
        self.secrets, self.clock = secrets, clock

    @quick_retries
    def refund(self, *, body: dict[str, Any], idempotency_key: str) -> str:
        data = json.dumps(body).encode()
        headers = {HEADER: sign(self.secrets[:1], data, int(self.clock().timestamp())),
                   "Idempotency-Key": idempotency_key}
        return str(self.json_object(self.request("POST", "/refunds", data=data, headers=headers))["refund_ref"])


def pos_refund_topic(client: PosGatewayClient, sessions, settings: Settings) -> Topic:
    """Card refunds through the outbox: sent after commit, retried, and settled in the ledger."""
    def send(delivery: Delivery) -> dict[str, Any]:
        with sessions() as session:
            refund = refunds.get_refund(session, delivery.payload["refund_id"])
            if refund.status != refunds.SENDING:  # decided meanwhile: the card must not be refunded (again)
                raise PermanentError(f"refund {refund.id} is {refund.status}, no longer sending: not sent")
            payment = session.get(Payment, refund.payment_id)
            details = payment.details or {}  # the terminal's own id (provider_ref is `<terminal>:<id>`)
            body = {"refund_id": refund.id, "original_transaction_id": details.get("transaction_id",
                                                                                   payment.provider_ref),
                    "terminal_id": details.get("terminal_id"), "amount_vnd": refund.amount_vnd}
        return {"refund_ref": client.refund(body=body, idempotency_key=delivery.idempotency_key)}

    def on_success(session: Session, delivery: Delivery, result: dict, now: datetime) -> None:
        refunds.mark_executed(session, refund_id=delivery.payload["refund_id"], reference=result["refund_ref"],
                              settings=settings, actor="system:pos", now=now, by_acquirer=True)

    def on_failure(session: Session, delivery: Delivery, error: str, now: datetime) -> None:
        if refunds.get_refund(session, delivery.payload["refund_id"]).status != refunds.SENDING:
            return  # not sent because it was already decided: nothing to give back
        refunds.mark_failed(session, refund_id=delivery.payload["refund_id"], reason=error, settings=settings,
                            actor="system:pos", now=now, by_acquirer=True)

    # Only a refusal (4xx) decides a refund failed. A timeout or a 5xx does not tell whether the
    # acquirer refunded the card: failing it then would give the money back to the request, to be
    # refunded a second time. So it is retried (idempotency key: at most one refund) until it is decided.
    return Topic(refunds.POS_REFUND_TOPIC, send=send, on_success=on_success, on_failure=on_failure, keep_trying=True)
