"""Shipment states, the transitions between them and VNPost's status codes. Pure.

    requested ─► booked ─► scheduled ─► picked_up ─────────► delivered      (pickup)
        │          │          │    └──► out_for_delivery ─► delivered      (delivery)
        │          │          │                 ├──► failed_attempt ─► scheduled (retry)
        │          │          │                 └──► returned_to_agency ◄──┘ (2nd failure, or VNPost 17;
        │          │          │                          also from a retry's scheduled)
        └──────────┴──────────┴──► cancelled (before pickup; VNPost 17 for a delivery never taken out)

A courier may report steps out of order or skip some, so forward jumps are allowed
(e.g. `scheduled → delivered` for a delivery), except past the step that takes a dossier from
the citizen: a pickup reaches the centre (`delivered`) only from `picked_up`, the step with the
ID check that fixes J. A delivery fails an attempt only once the result left the centre: out for
delivery, or on its retry after a first failure (`booked`/`scheduled` with no failed attempt is a
result still at the centre: no visit to fail). Nothing ever leaves a terminal state.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import Conflict

REQUESTED, BOOKED, SCHEDULED = "requested", "booked", "scheduled"
PICKED_UP, OUT_FOR_DELIVERY, DELIVERED = "picked_up", "out_for_delivery", "delivered"
FAILED_ATTEMPT, RETURNED, CANCELLED = "failed_attempt", "returned_to_agency", "cancelled"
STATUSES = (REQUESTED, BOOKED, SCHEDULED, PICKED_UP, OUT_FOR_DELIVERY, DELIVERED, FAILED_ATTEMPT,
            RETURNED, CANCELLED)
# The statuses announced to subscribed systems as `shipment.<status>` (kernel.events.EVENT_TYPES): not
# scheduling, as planning moves thousands at once and is internal.
ANNOUNCED = tuple(s for s in STATUSES if s != SCHEDULED)
TERMINAL = frozenset({DELIVERED, RETURNED, CANCELLED})
PLANNABLE = frozenset({BOOKED, FAILED_ATTEMPT})

PICKUP, DELIVERY = "pickup", "delivery"
DIRECTIONS = (PICKUP, DELIVERY)

NOT_HOME, WRONG_ADDRESS, REFUSED = "not_home", "wrong_address", "refused"
FAILURE_REASONS = (NOT_HOME, WRONG_ADDRESS, REFUSED)
MAX_FAILED_ATTEMPTS = 2
# Why a shipment ended cancelled without anyone asking for it (the citizen is told by SMS).
TWO_FAILED_ATTEMPTS, COURIER_CANCELLED = "two_failed_attempts", "courier_cancelled"

_COMMON = {
    REQUESTED: {BOOKED, CANCELLED},
    BOOKED: {SCHEDULED, FAILED_ATTEMPT, CANCELLED},
    SCHEDULED: {SCHEDULED, FAILED_ATTEMPT, CANCELLED},
    FAILED_ATTEMPT: {SCHEDULED, FAILED_ATTEMPT},
}
# The step that takes the item from the citizen (pickup) or towards the citizen (delivery).
_FORWARD = {
    PICKUP: {BOOKED: {PICKED_UP}, SCHEDULED: {PICKED_UP}, FAILED_ATTEMPT: {PICKED_UP, CANCELLED},
             PICKED_UP: {DELIVERED}},
    # SCHEDULED → RETURNED: VNPost 17 for a result planned again after a failed attempt (courier_target).
    DELIVERY: {BOOKED: {OUT_FOR_DELIVERY, DELIVERED}, SCHEDULED: {OUT_FOR_DELIVERY, DELIVERED, RETURNED},
               FAILED_ATTEMPT: {OUT_FOR_DELIVERY, DELIVERED, RETURNED},
               # VNPost 17 (returned to the sender) while out: the post may send a result back with no
               # failed attempt reported (a refusal at the door, a return it approved: 15, 16). It is back.
               OUT_FOR_DELIVERY: {DELIVERED, FAILED_ATTEMPT, RETURNED}},
}


class IllegalTransition(Conflict):
    def __init__(self, current: str, target: str, direction: str):
        super().__init__(f"this {direction} shipment cannot go from {current} to {target}",
                         code="illegal_transition", details={"from": current, "to": target})


def allowed(direction: str, current: str, target: str, failed_attempts: int = 0) -> bool:
    """True when `current → target` is a legal step for a shipment of `direction` that has failed
    `failed_attempts` times so far."""
    if current in TERMINAL:
        return False
    if target == FAILED_ATTEMPT and never_taken_out(direction, current, failed_attempts):
        return False
    return target in _COMMON.get(current, set()) | _FORWARD[direction].get(current, set())


def never_taken_out(direction: str, current: str, failed_attempts: int) -> bool:
    """A delivery whose result is still at the centre: not out for delivery, never tried (a retry's
    `scheduled` follows a visit that failed, and the courier may skip reporting it out again)."""
    return direction == DELIVERY and current in (REQUESTED, BOOKED, SCHEDULED) and failed_attempts == 0


def cancellable(direction: str, current: str, failed_attempts: int = 0) -> bool:
    """Before pickup: a pickup still with the citizen (even after a failed attempt), a delivery not yet out
    and never tried. A delivery the post failed to hand over is with the post and goes back to the agency,
    its postage due, also once planned again for its retry (`scheduled`, as VNPost 17 reads it there:
    `courier_target`): cancelled, the result was left with the post and its postage refunded."""
    if direction == DELIVERY and failed_attempts > 0:
        return False
    return allowed(direction, current, CANCELLED, failed_attempts)


def check_transition(direction: str, current: str, target: str, failed_attempts: int = 0) -> None:
    if not allowed(direction, current, target, failed_attempts):
        raise IllegalTransition(current, target, direction)


def after_failure(direction: str, failed_attempts: int) -> str:
    """Where a shipment goes after its `failed_attempts`-th failure."""
    if failed_attempts < MAX_FAILED_ATTEMPTS:
        return FAILED_ATTEMPT
    return RETURNED if direction == DELIVERY else CANCELLED


# --- VNPost status codes (0–22) ----------------------------------------------------------

@dataclass(frozen=True)
class CourierStatus:
    code: int
    text: str  # as the courier's staff read it
    pickup: str | None  # our state for a pickup shipment, None = informational only
    delivery: str | None
    reason: str | None = None  # failure reason, for the failure codes

    def target(self, direction: str) -> str | None:
        return self.pickup if direction == PICKUP else self.delivery


COURIER_STATUSES = {s.code: s for s in (
    CourierStatus(0, "Đã tạo đơn", BOOKED, BOOKED),
    CourierStatus(1, "Bưu cục đã tiếp nhận đơn", BOOKED, BOOKED),
    CourierStatus(2, "Đã phân công bưu tá", SCHEDULED, SCHEDULED),
    CourierStatus(3, "Bưu tá đang đi nhận", SCHEDULED, None),
    CourierStatus(4, "Nhận hàng không thành công", FAILED_ATTEMPT, None, NOT_HOME),
    CourierStatus(5, "Đã nhận hàng", PICKED_UP, None),
    CourierStatus(6, "Đã nhập bưu cục gốc", PICKED_UP, None),
    CourierStatus(7, "Đang vận chuyển", PICKED_UP, None),
    CourierStatus(8, "Đã đến bưu cục phát", PICKED_UP, None),
    CourierStatus(9, "Bưu tá đang đi phát", PICKED_UP, OUT_FOR_DELIVERY),
    CourierStatus(10, "Phát thành công", DELIVERED, DELIVERED),
    CourierStatus(11, "Phát không thành công: người nhận vắng nhà", FAILED_ATTEMPT, FAILED_ATTEMPT, NOT_HOME),
    CourierStatus(12, "Phát không thành công: sai địa chỉ", FAILED_ATTEMPT, FAILED_ATTEMPT, WRONG_ADDRESS),
    CourierStatus(13, "Phát không thành công: người nhận từ chối", FAILED_ATTEMPT, FAILED_ATTEMPT, REFUSED),
    CourierStatus(14, "Chờ phát lại", None, None),
    CourierStatus(15, "Đã duyệt chuyển hoàn", None, None),
    CourierStatus(16, "Đang chuyển hoàn", None, None),
    CourierStatus(17, "Đã chuyển hoàn cho người gửi", CANCELLED, RETURNED),
    CourierStatus(18, "Đã hủy đơn", CANCELLED, CANCELLED),
    CourierStatus(19, "Thất lạc", None, None),
    CourierStatus(20, "Hư hỏng", None, None),
    CourierStatus(21, "Đã thu tiền COD", None, None),
    CourierStatus(22, "Đã trả tiền COD cho người gửi", None, None),
)}


# Money, not movement: 21 credits what the postman collected (postal.cod); 22 (the post paid it over
# to the centre) is recorded as information: the money reaches the bank as a statement line.
COD_COLLECTED, COD_REMITTED = 21, 22


def courier_status(code: int) -> CourierStatus:
    """The meaning of a VNPost status code; unknown codes are a ValueError."""
    try:
        return COURIER_STATUSES[code]
    except KeyError:
        raise ValueError(f"unknown courier status code {code}") from None


SENT_BACK, ORDER_CANCELLED = 17, 18  # "Đã chuyển hoàn cho người gửi", "Đã hủy đơn"


def courier_target(code: int, direction: str, current: str, failed_attempts: int) -> str | None:
    """Our state for VNPost `code` reported on a shipment in `current` (None: informational).

    17 and 18 end a delivery by where it is. One the post never tried to hand over (not out yet, no failed
    attempt) was not carried: it ends as an order the courier cancelled (postage withdrawn), not a return.
    One it tried (out, or failed and maybe planned again) holds the result: it comes back to the agency, its
    postage due. An 18 there was a cancellation (refunded) once planned again and ignored before, leaving
    a failed delivery planned for good on an order the post no longer had."""
    target = courier_status(code).target(direction)
    if direction == DELIVERY and code in (SENT_BACK, ORDER_CANCELLED):
        never_tried = current in (REQUESTED, BOOKED, SCHEDULED) and failed_attempts == 0
        return CANCELLED if never_tried else RETURNED
    return target
