"""Outbound HTTP to the card acquirer: the refund call for card payments.

Contract (the sandbox implements it): `POST {base}/refunds` JSON `{refund_id, original_transaction_id,
terminal_id, amount_vnd}` signed with `X-HCC-Signature` (the POS secret) and an `Idempotency-Key`;
2xx `{"refund_ref"}`. 4xx (other than 408/429) is a refusal for good; the rest is retried.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import requests
from sqlalchemy.orm import Session
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from config import Settings
from kernel.outbox import Delivery, PermanentError, Topic
from kernel.signing import HEADER, sign
from payments import refunds
from payments.models import Payment


class AcquirerUnavailable(Exception):
    pass


class PosGatewayClient:
    def __init__(self, base_url: str, secrets: tuple[str, ...], *, clock, timeout: tuple[float, float] = (3.05, 15.0)):
        self.base_url, self.secrets, self.clock, self.timeout = base_url.rstrip("/"), secrets, clock, timeout
        self.http = requests.Session()
        self.http.headers.update({"Content-Type": "application/json", "User-Agent": "hccpay/1"})

    @retry(retry=retry_if_exception_type(AcquirerUnavailable), stop=stop_after_attempt(3),
           wait=wait_exponential(multiplier=0.2, max=2), reraise=True)
    def refund(self, *, body: dict[str, Any], idempotency_key: str) -> str:
        data = json.dumps(body).encode()
        headers = {HEADER: sign(self.secrets[:1], data, int(self.clock().timestamp())),
                   "Idempotency-Key": idempotency_key}
        try:
            response = self.http.post(f"{self.base_url}/refunds", data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise AcquirerUnavailable(f"acquirer unreachable: {type(exc).__name__}") from exc
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise AcquirerUnavailable(f"acquirer answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(f"acquirer refused the refund: {response.status_code} {response.text[:200]}")
        return str(response.json()["refund_ref"])


def pos_refund_topic(client: PosGatewayClient, sessions, settings: Settings) -> Topic:
    """Card refunds through the outbox: sent after commit, retried, and settled in the ledger."""
    def send(delivery: Delivery) -> dict[str, Any]:
        with sessions() as session:
            refund = refunds.get_refund(session, delivery.payload["refund_id"])
            payment = session.get(Payment, refund.payment_id)
            body = {"refund_id": refund.id, "original_transaction_id": payment.provider_ref,
                    "terminal_id": (payment.details or {}).get("terminal_id"), "amount_vnd": refund.amount_vnd}
        return {"refund_ref": client.refund(body=body, idempotency_key=delivery.idempotency_key)}

    def on_success(session: Session, delivery: Delivery, result: dict, now: datetime) -> None:
        refunds.mark_executed(session, refund_id=delivery.payload["refund_id"], reference=result["refund_ref"],
                              settings=settings, actor="system:pos", now=now)

    def on_failure(session: Session, delivery: Delivery, error: str, now: datetime) -> None:
        refunds.mark_failed(session, refund_id=delivery.payload["refund_id"], reason=error, settings=settings,
                            actor="system:pos", now=now)

    return Topic(refunds.POS_REFUND_TOPIC, send=send, on_success=on_success, on_failure=on_failure)
