"""HTTP routes of the postal service and the courier's tracking webhook (restx namespaces)."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import partial

from flask import Response, request
from flask_restx import Namespace, Resource, fields

from kernel import inbox
from kernel.clock import business_date, now_utc
from kernel.db import lost_race, unavailable_reason
from kernel.errors import Conflict, DomainError, Unauthenticated, ValidationError
from kernel.http import (MAX_ID, REASON_IN, actor, choice_arg, content_disposition, day_arg, int_arg, json_body,
                         request_id, requires, runtime, settings, transaction)
from kernel.signing import HEADER, SignatureError, verify
from payments.channels.common import CallbackRejected, json_object
from payments.validation import clean_text
from postal import addresses, checks, cod, manifests, planner, scheduling, service, states, tracking
from postal.validation import ID_DOCUMENT_TYPES, WINDOW_TIMING_CODES, parse_day, parse_id_check, parse_shipment
from postal.views import check_view, event_view, route_view, shipment_view

postal_ns = Namespace("postal", description="Postal pickup of dossiers and delivery of results", path="/postal")
log = logging.getLogger("hccpay.postal")

courier_callbacks_ns = Namespace("courier-callbacks", description="Tracking webhooks from the courier",
                                 path="/callbacks")

CREATE = ("intake", "postal")
READ = ("postal", "intake", "auditor", "admin")

shipment_in = postal_ns.model("ShipmentIn", {
    "dossier_code": fields.String(required=True, example="000.00.12.H40-261125-0001"),
    "direction": fields.String(required=True, enum=["pickup", "delivery"]),
    "recipient": fields.Raw(required=True, example={"name": "Nguyễn Văn An", "phone": "0912345678",
                                                    "id_number": "022088001234"}),
    "address": fields.Raw(required=True, example={"street": "Số 12 phố Lê Thánh Tông", "ward_code": "06685",
                                                  "province_code": 22}),
    "window": fields.Raw(example={"date": "2026-11-26", "slot": "morning"}),
    "note": fields.String(), "weight_grams": fields.Integer(example=500),
    "documents": fields.Raw(example=[{"name": "Đơn đề nghị", "original": True, "copies": 1}]),
})
id_check_in = postal_ns.model("IdCheckIn", {
    "document_type": fields.String(required=True, enum=list(ID_DOCUMENT_TYPES)),
    "number": fields.String(required=True, example="022088001234"),
    "holder_name": fields.String(required=True, example="Nguyễn Văn An"),
})
outcome_in = postal_ns.model("ShipmentEventIn", {
    "event": fields.String(required=True, enum=list(service.STAFF_EVENTS)),
    "reason": fields.String(enum=list(states.FAILURE_REASONS), description="failed_attempt only"),
    "id_check": fields.Nested(id_check_in, description="required at the handover (picked_up, delivered)"),
    "note": fields.String(),
})
assignment_in = postal_ns.model("AssignmentIn", {
    "date": fields.String(required=True, example="2026-11-27"), "route": fields.String(required=True, example="HL1"),
    "slot": fields.String(required=True, enum=list(planner.SLOTS)), "reason": fields.String(required=True),
})
resolve_in = postal_ns.model("CheckResolveIn", {
    "note": fields.String(required=True, max_length=1000, description="what was done about the report (audited)")})
capacity_in = postal_ns.model("CapacityIn", {slot: fields.Integer(required=True, min=0) for slot in planner.SLOTS})


def _route_model(name: str, required: bool):
    """A route's body: every field for a new one, any subset for a change (PUT)."""
    code = {"code": fields.String(required=True, example="HL1", description="1-20 of A-Z, 0-9, - and _")}
    return postal_ns.model(name, {**(code if required else {}),
                                  "name": fields.String(required=required, example="Tuyến Hạ Long 1"),
                                  "ward_codes": fields.List(fields.String(example="06685"), required=required),
                                  "capacity": fields.Nested(capacity_in, required=required)})


route_in, route_change_in = _route_model("RouteIn", True), _route_model("RouteChangeIn", False)


def _pdf(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": content_disposition(
        filename, inline=True)})


@postal_ns.route("/wards")
class Wards(Resource):
    @postal_ns.doc(security="bearer", params={"province_code": "2025 province code, e.g. 22 (Quảng Ninh)",
                                              "legacy_name": "a pre-2025 ward/commune name to resolve"})
    @postal_ns.response(200, "the province's wards, or the one ward that replaced legacy_name")
    @postal_ns.response(409, "legacy_ward_split: the old unit became several wards (details.candidates)")
    @postal_ns.response(422, "unknown_province, or no pre-2025 unit of that name in the province")
    @requires(*READ)
    def get(self):
        """Wards, communes and special zones of a province (2025 units), or the unit that replaced an old one."""
        province = addresses.parse_province_code(request.args.get("province_code"))
        if request.args.get("legacy_name") is not None:
            ward = addresses.resolve_legacy_ward(province, request.args["legacy_name"])
            return {"ward": ward.as_dict(), "data_version": addresses.DATA_VERSION}
        return {"province_code": province, "province_name": addresses.province_name(province),
                "data_version": addresses.DATA_VERSION, "wards": [w.as_dict() for w in addresses.wards_of(province)]}


SHIPMENTS_PAGE = 200


@postal_ns.route("/shipments")
class Shipments(Resource):
    @postal_ns.doc(security="bearer")
    @postal_ns.expect(shipment_in, validate=False)
    @postal_ns.response(201, "booked")
    @postal_ns.response(200, "the same body again: the shipment booked the first time")
    @postal_ns.response(422, "slot_passed, not a working day, unknown_ward or unknown_province: well-formed but "
                             "unusable")
    @requires(*CREATE)
    def post(self):
        """Ask the post to collect a dossier or deliver a result; postage is added to the dossier's fees."""
        now, body = now_utc(), json_body()
        read = partial(parse_shipment, body, now=now, holidays=settings().holidays,
                       window_cutoff=timedelta(minutes=settings().postal_window_cutoff_minutes))
        try:
            data = read()
        except DomainError as exc:
            # The same body sent again after its window closed (a lost answer retried) is the shipment it booked,
            # as any replay is; a new booking for that window is still refused.
            if exc.code not in WINDOW_TIMING_CODES:
                raise
            try:
                as_booked = read(window_timing=False)
            except DomainError:  # no body a booking could have been made from (a past weekend): the first refusal
                raise exc from None
            with transaction() as session:
                before = service.booked_before(session, as_booked)
                if before is None:
                    raise
                return shipment_view(before), 200
        with transaction() as session:
            shipment, created = service.create_shipment(session, data=data, settings=settings(), actor=actor(), now=now)
            return shipment_view(shipment), (201 if created else 200)

    @postal_ns.doc(security="bearer", params={
        "status": "filter by status", "date": "planned date", "after": "the next_after of the previous page",
        "limit": f"1-500, default {SHIPMENTS_PAGE}"})
    @requires(*READ)
    def get(self):
        """Shipments, newest first, a page at a time (`next_after`: null on the last page)."""
        day = day_arg("date")
        status = choice_arg("status", states.STATUSES, code="invalid_status")
        after, limit = int_arg("after", 0, 0, MAX_ID), int_arg("limit", SHIPMENTS_PAGE, 1, 500)
        with transaction() as session:
            rows = service.list_shipments(session, status=status, day=day, after=after,
                                          limit=limit + 1)
            # Without pages the newest 200 were all anyone could read: the rest were cut off without a word.
            return {"shipments": [shipment_view(s) for s in rows[:limit]],
                    "next_after": rows[limit - 1].id if len(rows) > limit else None}


@postal_ns.route("/shipments/<int:shipment_id>")
class ShipmentItem(Resource):
    @postal_ns.doc(security="bearer")
    @requires(*READ)
    def get(self, shipment_id: int):
        """A shipment with every event (staff, courier webhooks and polls)."""
        with transaction() as session:
            shipment = service.get_shipment(session, shipment_id)
            return {**shipment_view(shipment),
                    "events": [event_view(e) for e in service.shipment_events(session, shipment)]}


@postal_ns.route("/shipments/<int:shipment_id>/cancel")
class ShipmentCancel(Resource):
    @postal_ns.doc(security="bearer")
    @postal_ns.expect(REASON_IN, validate=False)
    @requires(*CREATE)
    def post(self, shipment_id: int):
        """Cancel before pickup (`{"reason"}`); the courier is told after commit."""
        reason = clean_text(json_body().get("reason"), "reason", max_len=1000)
        with transaction() as session:
            shipment = service.cancel_shipment(session, shipment_id=shipment_id, reason=reason, settings=settings(),
                                               actor=actor(), now=now_utc())
            return shipment_view(shipment)


@postal_ns.route("/shipments/<int:shipment_id>/events")
class ShipmentOutcome(Resource):
    @postal_ns.doc(security="bearer")
    @postal_ns.expect(outcome_in, validate=False)
    @requires("postal")
    def post(self, shipment_id: int):
        """Record what happened: `{"event": picked_up|out_for_delivery|delivered|failed_attempt, "reason"?,
        "id_check"?: {document_type, number, holder_name}, "note"?}`."""
        body = json_body()
        id_check = parse_id_check(body["id_check"]) if body.get("id_check") is not None else None
        note = clean_text(body.get("note"), "note", max_len=1000, required=False)
        with transaction() as session:
            shipment = service.record_outcome(session, shipment_id=shipment_id, event=body.get("event"),
                                              reason=body.get("reason"), id_check=id_check, note=note,
                                              settings=settings(), actor=actor(), now=now_utc())
            return shipment_view(shipment)


@postal_ns.route("/shipments/<int:shipment_id>/assignment")
class ShipmentAssignment(Resource):
    @postal_ns.doc(security="bearer")
    @postal_ns.expect(assignment_in, validate=False)
    @postal_ns.response(200, "moved; over_capacity and outside_route say what the planner would have refused")
    @postal_ns.response(400, "date_too_far: past the farthest day a window may name (60 days, the holiday list)")
    @postal_ns.response(409, "round_departed: that round has left (its time, or a stop handed over); cannot_move, "
                             "too_early_for_retry")
    @postal_ns.response(422, "not_a_working_day")
    @requires("postal")
    def post(self, shipment_id: int):
        """Manual override of the plan: `{"date", "route", "slot", "reason"}` (audited; may exceed capacity)."""
        body = json_body()
        day = parse_day(body.get("date"), "date")
        reason = clean_text(body.get("reason"), "reason", max_len=1000)
        route = clean_text(body.get("route"), "route", max_len=20)
        with transaction() as session:
            shipment, over, outside = scheduling.move_shipment(
                session, shipment_id=shipment_id, day=day, route_code=route, slot=body.get("slot"), reason=reason,
                settings=settings(), actor=actor(), now=now_utc())
            return {**shipment_view(shipment), "over_capacity": over, "outside_route": outside}


CHECKS_PAGE = 100
QUEUE_PAGE = 200  # as many as the board shows


def _resolved_arg() -> bool | None:
    """`?resolved=true|false`; omitted lists every report."""
    raw = request.args.get("resolved")
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ValidationError("resolved must be true or false", code="invalid_parameter",
                              details={"parameter": "resolved"})
    return raw == "true"


def _check(row) -> dict:
    event, shipment, resolution = row
    return check_view(event, shipment, resolution, kind=checks.check_kind(event))


@postal_ns.route("/queues")
class Queues(Resource):
    @postal_ns.doc(security="bearer", params={"limit": f"1-500 shipments per queue, default {QUEUE_PAGE}"})
    @requires(*READ)
    def get(self):
        """What the board lists apart from the day's lanes, nearest deadline first, each queue with its total:
        `waiting` for a place a plan can give; `unserved`, in a ward no route serves (`unserved_reason`:
        out_of_province or no_route_for_ward; empty while there is no route at all); `under_way`, collected or
        out for delivery without a place in our plan."""
        limit = int_arg("limit", QUEUE_PAGE, 1, 500)
        with transaction() as session:
            queues = scheduling.board_queues(session, today=business_date(now_utc()), limit=limit)
            home = settings().postal_province_code

            def unserved(s) -> dict:
                return {**shipment_view(s), "unserved_reason": scheduling.unplanned_reason(
                    s, planner.NO_ROUTE, province_code=home)}

            return {"waiting": _queue_view(queues.waiting, shipment_view),
                    "unserved": _queue_view(queues.unserved, unserved),
                    "under_way": _queue_view(queues.under_way, shipment_view)}


def _queue_view(queue: scheduling.Queue, view) -> dict:
    return {"shipments": [view(s) for s in queue.shipments], "total": queue.total}


@postal_ns.route("/checks")
class Checks(Resource):
    @postal_ns.doc(security="bearer", params={
        "resolved": "true (dealt with), false (still to check, the board's list) or omitted (all)",
        "after": "the next_after of the previous page", "limit": f"1-500, default {CHECKS_PAGE}"})
    @requires(*READ)
    def get(self):
        """Courier reports listed for people (COD checks, conflicts), oldest first, with their resolution."""
        resolved = _resolved_arg()
        after, limit = int_arg("after", 0, 0, MAX_ID), int_arg("limit", CHECKS_PAGE, 1, 500)
        with transaction() as session:
            rows = checks.events_to_check(session, resolved=resolved, after=after, limit=limit + 1)
            return {"checks": [_check(row) for row in rows[:limit]],
                    "next_after": rows[limit - 1][0].id if len(rows) > limit else None}


@postal_ns.route("/checks/<int:event_id>/resolve")
class CheckResolve(Resource):
    @postal_ns.doc(security="bearer")
    @postal_ns.expect(resolve_in, validate=False)
    @postal_ns.response(201, "resolved: who, when and the note recorded and audited")
    @postal_ns.response(200, "already resolved: the first resolution, unchanged")
    @postal_ns.response(404, "check_not_found: no listed courier report has this id")
    @requires("postal")
    def post(self, event_id: int):
        """Mark a listed courier report as dealt with (`{"note"}`, required); it leaves the board's list."""
        note = clean_text(json_body().get("note"), "note", max_len=1000)
        with transaction() as session:
            row, created = checks.resolve(session, event_id=event_id, note=note, actor=actor(), now=now_utc())
            return _check(row), (201 if created else 200)


@postal_ns.route("/shipments/<int:shipment_id>/consignment-note.pdf")
class ConsignmentNote(Resource):
    @postal_ns.doc(security="bearer")
    @postal_ns.produces(["application/pdf", "application/json"])
    @requires(*READ)
    def get(self, shipment_id: int):
        """Phiếu gửi hồ sơ (PDF)."""
        with transaction() as session:
            shipment = service.get_shipment(session, shipment_id)
            body = manifests.consignment_note_pdf(shipment, printed_at=now_utc())
        return _pdf(body, f"phieu-gui-{shipment_id}.pdf")


@postal_ns.route("/routes")
class Routes(Resource):
    @postal_ns.doc(security="bearer")
    @requires(*READ)
    def get(self):
        """Every route with its wards and capacity per slot."""
        with transaction() as session:
            return {"routes": [route_view(r) for r in scheduling.list_routes(session)]}

    @postal_ns.doc(security="bearer")
    @postal_ns.expect(route_in, validate=False)
    @postal_ns.response(201, "created (the same code again is 409 route_exists)")
    @postal_ns.response(422, "unknown_ward: a ward code not in the centre's province")
    @requires("postal")
    def post(self):
        """Create a route `{"code", "name", "ward_codes": [...], "capacity": {"morning", "afternoon"}}`."""
        body = json_body()
        code = scheduling.parse_route_code(body.get("code"))  # the route's identity is checked first
        values = scheduling.parse_route(body, province_code=settings().postal_province_code)
        with transaction() as session:
            route = scheduling.create_route(session, code=code, values=values, actor=actor(), now=now_utc())
            return route_view(route), 201


@postal_ns.route("/routes/<string:code>")
class RouteItem(Resource):
    @postal_ns.doc(security="bearer")
    @postal_ns.expect(route_change_in, validate=False)
    @postal_ns.response(200, "changed (a body changing nothing is 400 nothing_to_change)")
    @postal_ns.response(422, "unknown_ward: a ward code not in the centre's province")
    @requires("postal")
    def put(self, code: str):
        """Change a route's name, wards or capacity (any subset)."""
        values = scheduling.parse_route(json_body(), province_code=settings().postal_province_code, partial=True)
        with transaction() as session:
            return route_view(scheduling.update_route(session, code=code, values=values, actor=actor(), now=now_utc()))


@postal_ns.route("/plan")
class Plan(Resource):
    @postal_ns.doc(security="bearer", params={"date": "the day to plan (YYYY-MM-DD)"})
    @postal_ns.response(200, "assigned, unplanned (with reasons), past_due (assigned after their due date) and the "
                             "use of every route and slot")
    @postal_ns.response(400, "invalid_date, date_in_past, or date_too_far (more than "
                             f"{scheduling.PLAN_HORIZON_WORKING_DAYS} working days ahead)")
    @postal_ns.response(422, "not_a_working_day")
    @requires("postal")
    def post(self):
        """Assign unscheduled shipments to routes by deadline then area, within capacity; report the rest."""
        day = parse_day(request.args.get("date"), "date")
        with transaction() as session:
            return scheduling.plan_day(session, day=day, settings=settings(), actor=actor(), now=now_utc())


def _day_and_route(day: str, required: bool) -> tuple[date, str | None]:
    route = request.args.get("route")
    if required and not route:
        raise ValidationError("route is required (?route=CODE)", code="missing_field", details={"field": "route"})
    return parse_day(day, "date"), route


def _fees(session):
    return lambda s: service.cash_to_collect(session, s)


def _route_day_pdf(day: str, render, filename: str) -> Response:
    """A PDF about one route and day: `render(shipments, route, when)` inside the request's transaction."""
    when, route_code = _day_and_route(day, required=True)
    with transaction() as session:
        route = scheduling.get_route(session, route_code)
        body = render(session, scheduling.day_shipments(session, when, route.code, stops_only=True), route, when)
    return _pdf(body, f"{filename}-{route_code}-{when.isoformat()}.pdf")


@postal_ns.route("/manifests/<string:day>.pdf")
class ManifestPdf(Resource):
    @postal_ns.doc(security="bearer", params={"route": "route code"})
    @postal_ns.produces(["application/pdf", "application/json"])
    @requires(*READ)
    def get(self, day: str):
        """The printable manifest of one route and day (Vietnamese), in stop order."""
        return _route_day_pdf(day, lambda session, shipments, route, when: manifests.route_manifest_pdf(
            shipments, day=when, route_code=route.code, route_name=route.name, fees_to_collect=_fees(session),
            printed_at=now_utc()), "manifest")


@postal_ns.route("/manifests/<string:day>.csv")
class ManifestCsv(Resource):
    @postal_ns.doc(security="bearer", params={
        "route": "route code (optional)",
        "labels": "codes (default: English columns and codes, ISO dates) or vi (for people: Vietnamese headers, "
                  "names and dd/mm/yyyy dates, the codes in extra columns)"})
    @postal_ns.produces(["text/csv", "application/json"])
    @postal_ns.response(200, "the plan as CSV (UTF-8 with BOM)")
    @postal_ns.response(404, "route_not_found: ?route= names no route")
    @requires(*READ)
    def get(self, day: str):
        """The day's plan as CSV (every route unless ?route=)."""
        when, route_code = _day_and_route(day, required=False)
        labels = request.args.get("labels", "codes")
        if labels not in manifests.CSV_LABELS:
            raise ValidationError(f"labels must be one of {', '.join(manifests.CSV_LABELS)}",
                                  code="invalid_parameter", details={"field": "labels"})
        with transaction() as session:
            if route_code:  # a mistyped route is not "nothing planned on it": 404, as the PDFs answer
                route_code = scheduling.get_route(session, route_code).code
            shipments = scheduling.day_shipments(session, when, route_code, stops_only=True)
            body = manifests.day_csv(shipments, fees_to_collect=_fees(session), labels=labels)
        return Response(body, mimetype="text/csv",
                        headers={"Content-Disposition": content_disposition(f"postal-{day}.csv")})


@postal_ns.route("/handovers/<string:day>.pdf")
class HandoverPdf(Resource):
    @postal_ns.doc(security="bearer", params={"route": "route code (optional: every route, and shipments "
                                                         "the courier moved on without a plan)"})
    @postal_ns.produces(["application/pdf", "application/json"])
    @requires(*READ)
    def get(self, day: str):
        """Biên bản giao nhận hồ sơ of one day (PDF): the dossiers and results that changed hands that
        day (collected, taken out), whatever day they were planned for."""
        when, route_code = _day_and_route(day, required=False)
        with transaction() as session:
            if route_code:
                route_code = scheduling.get_route(session, route_code).code
            body = manifests.handover_pdf(scheduling.handed_over_on(session, when, route_code), day=when,
                                          route_code=route_code, printed_at=now_utc())
        return _pdf(body, f"bien-ban-{route_code or 'tat-ca'}-{when.isoformat()}.pdf")


@courier_callbacks_ns.route("/courier")
class CourierWebhook(Resource):
    @courier_callbacks_ns.expect((courier_callbacks_ns.model("CourierEventIn", {}),
                                  "the courier's tracking event {event_id, tracking_number, reference, status_code, "
                                  "occurred_at, id_check?, note?, cod_amount_vnd?}, signed with X-HCC-Signature: "
                                  "t=<unix>,v1=<hex> (HMAC-SHA256 of \"{t}.{body}\")"), validate=False)
    @courier_callbacks_ns.response(200, '{"received": true, "outcome"}; a COD report kept for people, not credited, '
                                        'is cod_already_collected or cod_amount_out_of_range')
    @courier_callbacks_ns.response(400, "malformed_json (not a JSON object of text) or malformed_event (a field "
                                        "missing or invalid): refused, kept with the reason")
    @courier_callbacks_ns.response(401, "invalid_signature: refused, kept with the reason")
    @courier_callbacks_ns.response(409, "shipment_mismatch or event_conflict (kept, not applied)")
    @courier_callbacks_ns.response(500, "courier_event_processing_failed: kept (`received`, with the failure), not "
                                        "applied; send the event again")
    @courier_callbacks_ns.response(503, "concurrent_update (with Retry-After): lost a race with another change, kept "
                                        "(`received`), not applied; send the event again")
    def post(self):
        """Tracking event from the courier, signed with X-HCC-Signature; stored raw first, applied once."""
        now = now_utc()
        sessions = runtime().sessions
        if inbox.readable_body(request) is None:  # over the size limit: kept unread, refused as the payment callbacks
            message = inbox.too_large(request)  # stored with its verdict at once: a later note adds to what storing said
            inbox.store_raw(sessions, provider="courier", request=request, now=now, status=inbox.REJECTED,
                            reason=f"payload_too_large: {message}")
            raise DomainError(message, code="payload_too_large", status=413)
        inbox_id = inbox.store_raw(sessions, provider="courier", request=request, now=now)
        try:
            verify(request.headers.get(HEADER), request.get_data(cache=True),
                   settings().secret_values("HCCPAY_COURIER_WEBHOOK_SECRET"), now=now)
        except SignatureError as exc:
            inbox.mark_alone(sessions, inbox_id, status=inbox.REJECTED, reason=str(exc), now=now)
            raise Unauthenticated(f"courier webhook refused: {exc}", code="invalid_signature") from None
        try:
            # Read as the payment callbacks read theirs: a lone surrogate escape is malformed_json (it could
            # not be written to any column, the inbox's own included) and NUL, which PostgreSQL text cannot
            # hold, is dropped; parse_courier_event then refuses other control characters in identifiers.
            event = tracking.parse_courier_event(json_object(request.get_data(cache=True)), now=now)
        except (CallbackRejected, ValidationError) as exc:
            inbox.mark_alone(sessions, inbox_id, status=inbox.REJECTED, reason=f"{exc.code}: {exc.message}", now=now)
            raise
        try:
            with transaction() as session:
                outcome = tracking.apply_courier_event(session, event=event, source="courier_webhook",
                                                       settings=settings(), now=now)
                inbox.mark(session, inbox_id, status=_INBOX_STATUS[outcome], now=now, external_id=event.event_id,
                           reason=None if outcome == "applied" else outcome)
        except Exception as exc:
            failure = _processing_failed(sessions, inbox_id, exc, now=now)
            if failure is None:
                raise
            raise failure from exc
        if outcome == "mismatch":  # marked rejected in the committed transaction above, then refused
            raise Conflict("tracking_number and reference name different shipments", code="shipment_mismatch",
                           details={"tracking_number": event.tracking_number, "reference": event.reference})
        if outcome == "conflict":  # kept (inbox and the shipment's history) in the committed transaction above
            raise Conflict(f"event_id {event.event_id} was already recorded with other content: not applied",
                           code="event_conflict", details={"event_id": event.event_id})
        return {"received": True, "outcome": outcome}


def _processing_failed(sessions, inbox_id: int, exc: Exception, *, now: datetime) -> DomainError | None:
    """A verified event whose applying failed (rolled back): its row stays `received` with the failure, as
    the payment callbacks' (the exception's type only: its text may carry what the event said), and the
    courier is answered 5xx, so it sends the event again, as a VNPay IPN applied as it comes is answered 99
    whatever failed. A lost race too: answered as the API answers it (409 concurrent_update), a courier that
    never sends a 4xx again lost the event for good; it is 503 concurrent_update with Retry-After. The
    database away keeps the service's own answer (503)."""
    try:
        inbox.mark_alone(sessions, inbox_id, status=inbox.RECEIVED, reason=f"processing failed ({type(exc).__name__})",
                         now=now)
    except Exception:  # the database is away: the row stays `received`, and the answer below still stands
        log.warning("courier event failure not recorded", extra={"request_id": request_id(), "inbox_id": inbox_id})
    if lost_race(exc):
        return DomainError("another change to the same shipment ran at the same moment and this event was undone; "
                           "it is kept: send it again", code="concurrent_update", status=503,
                           details={"request_id": request_id()}, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if unavailable_reason(exc) is not None:
        return None
    log.exception("courier event could not be applied", extra={"request_id": request_id(), "inbox_id": inbox_id})
    return DomainError("the courier event could not be applied; it is kept and has been logged: send it again",
                       code="courier_event_processing_failed", status=500, details={"request_id": request_id()})


RETRY_AFTER_SECONDS = 5  # a lost race is over at once: the repeat normally applies

# A COD report kept for people is a conflict with what we recorded (finance's list of conflicts),
# answered 200: it is stored, and nothing the courier sends again would change it.
_INBOX_STATUS = {"applied": inbox.APPLIED, "recorded": inbox.APPLIED, "duplicate": inbox.DUPLICATE,
                 "conflict": inbox.CONFLICT, cod.ALREADY_COLLECTED: inbox.CONFLICT,
                 cod.AMOUNT_OUT_OF_RANGE: inbox.CONFLICT,
                 "unknown_shipment": inbox.IGNORED, "mismatch": inbox.REJECTED}
