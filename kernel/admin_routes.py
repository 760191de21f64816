"""Admin API: API tokens and the outbox (failed deliveries, replay). Every change is audited."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import select

from kernel import audit
from kernel.auth import MAX_TTL_DAYS, ROLES, ApiToken, create_token, revoke_token
from kernel.clock import now_utc
from kernel.destinations import refusal
from kernel.events import EVENT_TYPES, WEBHOOK_TOPIC, Subscription, secret_for, unknown_patterns
from kernel.errors import NotFound, ValidationError
from kernel.http import (OPTIONAL_REASON_IN, actor, choice_arg, current_principal, int_arg, json_body,
                         optional_json_body, requires, settings, transaction)
from kernel.text import clean_text
from kernel.users import User, create_user, list_users, locked_out_until, update_user
from kernel.outbox import STATUSES, OutboxAttempt, OutboxMessage, replay

admin_ns = Namespace("admin", description="Staff users, API tokens, event subscriptions and outbound deliveries",
                     path="/admin")

token_in = admin_ns.model("TokenIn", {
    "role": fields.String(required=True, enum=list(ROLES)),
    "name": fields.String(required=True, example="Cổng dịch vụ công tỉnh"),
    "ttl_days": fields.Integer(min=1, max=MAX_TTL_DAYS, example=365,
                               description="days the token is valid (then 401 token_expired); "
                                           "left out or null: until revoked")})
user_in = admin_ns.model("UserIn", {
    "username": fields.String(required=True, example="lan.ketoan"),
    "full_name": fields.String(max_length=200, example="Lê Thị Lan",
                               description="blank, null or left out: the username (as on the admin page)"),
    "roles": fields.List(fields.String(enum=list(ROLES)), required=True, example=["finance"]),
    # An example Swagger's "Try it out" accepts: its default sample ("string") is a weak password.
    "password": fields.String(required=True, min_length=10, example="doi-mat-khau-ngay")})
user_change_in = admin_ns.model("UserChangeIn", {
    "roles": fields.List(fields.String(enum=list(ROLES))), "active": fields.Boolean(),
    "password": fields.String(min_length=10, description="a new password; the user's sessions end (null: unchanged)"),
    "reason": fields.String(max_length=1000, description="why (optional), kept in the audit log")})


def _subscription_model(name: str, required: bool):
    """A subscription's body: name, url and event_types for a new one, any subset for a change."""
    return admin_ns.model(name, {
        "name": fields.String(required=required, max_length=200),
        "url": fields.String(required=required, example="https://motcua.example.gov.vn/hooks"),
        "event_types": fields.List(fields.String(example="payment_request.*"), required=required),
        "active": fields.Boolean(description="default true")})


def token_view(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "role": token.role, "prefix": token.display_prefix,
            "created_at": token.created_at.isoformat(),
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None}


@admin_ns.route("/tokens")
class Tokens(Resource):
    @admin_ns.doc(security="bearer")
    @requires("admin")
    def get(self):
        """Every API token (never its value)."""
        with transaction() as session:
            return {"tokens": [token_view(t) for t in
                               session.execute(select(ApiToken).order_by(ApiToken.id)).scalars()]}

    @admin_ns.doc(security="bearer")
    @admin_ns.expect(token_in, validate=False)
    @admin_ns.response(201, "created; the token's value is in this answer only")
    @requires("admin")
    def post(self):
        """Create a token `{"role", "name", "ttl_days"?}`; its value is in this answer only."""
        body = json_body()
        if not isinstance(body.get("role"), str) or not isinstance(body.get("name"), str):
            raise ValidationError("role and name are required strings", code="missing_field")
        now = now_utc()
        with transaction() as session:
            token, raw = create_token(session, role=body["role"], name=body["name"], actor=actor(), now=now,
                                      ttl_days=body.get("ttl_days"))
            return {**token_view(token), "token": raw}, 201


@admin_ns.route("/tokens/<int:token_id>")
class TokenItem(Resource):
    @admin_ns.doc(security="bearer")
    @admin_ns.expect(OPTIONAL_REASON_IN, validate=False)
    @requires("admin")
    def delete(self, token_id: int):
        """Revoke a token at once; an optional body `{"reason"}` is kept in the audit log."""
        body = optional_json_body()
        _refuse_unknown_fields(body, ("reason",), "a revocation")
        now = now_utc()
        with transaction() as session:
            token = revoke_token(session, token_id=token_id, actor=actor(), now=now, reason=body.get("reason"))
            return token_view(token)


def message_view(message: OutboxMessage, attempts: list[OutboxAttempt] | None = None) -> dict:
    view = {"id": message.id, "topic": message.topic, "key": message.key, "status": message.status,
            "attempts": message.attempts, "claims": message.claims, "next_attempt_at": message.next_attempt_at.isoformat(),
            "last_error": message.last_error, "created_at": message.created_at.isoformat(),
            "done_at": message.done_at.isoformat() if message.done_at else None}
    if attempts is not None:
        view["log"] = [{"attempt": a.attempt, "at": a.at.isoformat(), "ok": a.ok, "detail": a.detail,
                        "duration_ms": a.duration_ms} for a in attempts]
    return view


@admin_ns.route("/outbox")
class Outbox(Resource):
    @admin_ns.doc(security="bearer", params={"status": "pending|done|failed|stuck", "limit": "1-500 (default 100)",
                                             "offset": "default 0",
                                             "topic": "an outbox topic, e.g. sms (another: 400 invalid_topic)"})
    @requires("admin", "auditor")
    def get(self):
        """Outbound messages, newest first, a page at a time (`next_offset`); `status=failed` lists the alerts,
        `status=stuck` those whose sending ended the worker every time (replay once the cause is found)."""
        status = choice_arg("status", STATUSES, code="invalid_status")
        limit, offset = int_arg("limit", 100, 1, 500), int_arg("offset", 0, 0, 2**62)
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).offset(offset).limit(limit + 1)
        if status:
            query = query.where(OutboxMessage.status == status)
        if "topic" in request.args:  # present but empty is a filter left blank: refused, never "all topics"
            query = query.where(OutboxMessage.topic == _topic(request.args["topic"]))
        with transaction() as session:
            rows = session.execute(query).scalars().all()
            return {"messages": [message_view(m) for m in rows[:limit]], "limit": limit, "offset": offset,
                    "next_offset": offset + limit if len(rows) > limit else None}


def _topic(name: str) -> str:
    """One of the app's outbox topics: a mistyped one would list nothing, read as "nothing failed"."""
    topics = sorted(current_app.extensions["hccpay_outbox_topics"])
    if name not in topics:
        raise ValidationError(f"topic must be one of {', '.join(topics)}", code="invalid_topic",
                              details={"topic": name[:100], "topics": topics})
    return name


@admin_ns.route("/outbox/<int:message_id>")
class OutboxItem(Resource):
    @admin_ns.doc(security="bearer")
    @requires("admin", "auditor")
    def get(self, message_id: int):
        """One message with its delivery log (one row per attempt)."""
        with transaction() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None:
                raise NotFound(f"no outbox message {message_id}", code="outbox_message_not_found")
            attempts = list(session.execute(select(OutboxAttempt).where(OutboxAttempt.message_id == message_id)
                                            .order_by(OutboxAttempt.id)).scalars())
            return message_view(message, attempts)


@admin_ns.route("/outbox/<int:message_id>/replay")
class OutboxReplay(Resource):
    @admin_ns.doc(security="bearer")
    @requires("admin")
    def post(self, message_id: int):
        """Deliver a message again, starting now (manual replay)."""
        now = now_utc()
        with transaction() as session:
            message = replay(session, message_id=message_id, now=now)
            audit.record(session, actor=actor(), action="outbox.replay", subject_type="outbox",
                         subject_id=message.id, at=now)
            return message_view(message)


# --- event subscriptions ----------------------------------------------------------------

def subscription_view(subscription: Subscription) -> dict:
    return {"id": subscription.id, "name": subscription.name, "url": _without_password(subscription.url),
            "event_types": subscription.event_types, "active": subscription.active, "alert": subscription.alert,
            "secret_version": subscription.secret_version, "created_at": subscription.created_at.isoformat()}


def _without_password(url: str) -> str:
    """A URL as listings show it: a password stored before URLs with credentials were refused is masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def _carries_credentials(url: str) -> bool:
    """`https://user:pw@host/...`: deliveries are signed with the subscription's own secret, and credentials in
    the URL would be stored in clear and shown by every listing."""
    parts = urlsplit(url)
    return parts.username is not None or parts.password is not None


def _deliverable_url(url: object) -> bool:
    """An http(s) URL the worker can actually post to: a host, a valid port, no spaces or control characters."""
    if not isinstance(url, str) or len(url) > 500 or not url.isprintable() or any(ch.isspace() for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


SUBSCRIPTION_FIELDS = ("name", "url", "event_types", "active")


def _refuse_unknown_fields(body: dict, known: tuple[str, ...], of: str) -> None:
    """A field we do not take (a typo, or one only another call changes) is refused rather than ignored:
    a 200 or 201 would tell the caller it took effect."""
    unknown = sorted(key for key in body if key not in known)
    if unknown:
        raise ValidationError(f"{unknown[0]} is not a field of {of} (give {', '.join(known)})",
                              code="unknown_field", details={"field": unknown[0][:100]})


def _subscription_fields(body: dict, partial: bool) -> dict:
    _refuse_unknown_fields(body, SUBSCRIPTION_FIELDS, "a subscription")  # `secret`: only rotate-secret changes it
    fields_: dict = {}
    if "name" in body or not partial:
        fields_["name"] = clean_text(body.get("name"), "name", max_len=200, code="invalid_name")
    if "url" in body or not partial:
        url = body.get("url")
        if not _deliverable_url(url):
            raise ValidationError("url must be an http(s) URL with a host, such as https://example.gov.vn/hooks",
                                  code="invalid_url")
        refused = None if settings().demo else refusal(url, settings().webhook_private_networks)
        if refused:
            raise ValidationError(refused[1], code=refused[0], details={"url": url})
        if _carries_credentials(url):
            raise ValidationError("url must not carry a user name or password (each delivery is signed with the "
                                  "subscription's secret instead)", code="invalid_url")
        fields_["url"] = url
    if "event_types" in body or not partial:
        types = body.get("event_types")
        if not isinstance(types, list) or not types or len(types) > 50 \
                or not all(isinstance(t, str) and 0 < len(t) <= 100 for t in types):
            raise ValidationError("event_types must be a list of patterns such as payment_request.*, shipment.*",
                                  code="invalid_event_types", details={"known": list(EVENT_TYPES)})
        unknown = unknown_patterns(types)
        if unknown:
            raise ValidationError(f"unknown event type(s) {', '.join(unknown)}: each must name or match one of "
                                  f"{', '.join(EVENT_TYPES)} (patterns such as payment_request.* allowed)",
                                  code="unknown_event_type", details={"unknown": unknown, "known": list(EVENT_TYPES)})
        fields_["event_types"] = types
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise ValidationError("active must be true or false", code="invalid_field")
        fields_["active"] = body["active"]
    return fields_


def _get_subscription(session, subscription_id: int) -> Subscription:
    subscription = session.get(Subscription, subscription_id, with_for_update=True)
    if subscription is None:
        raise NotFound(f"no subscription {subscription_id}", code="subscription_not_found")
    return subscription


@admin_ns.route("/subscriptions")
class Subscriptions(Resource):
    @admin_ns.doc(security="bearer")
    @requires("admin", "auditor")
    def get(self):
        """Systems subscribed to our events."""
        with transaction() as session:
            rows = session.execute(select(Subscription).order_by(Subscription.id)).scalars()
            return {"subscriptions": [subscription_view(s) for s in rows]}

    @admin_ns.doc(security="bearer")
    @admin_ns.expect(_subscription_model("SubscriptionIn", True), validate=False)
    @admin_ns.response(201, "created; the signing secret is in this answer only")
    @requires("admin")
    def post(self):
        """Subscribe `{"name", "url", "event_types": ["payment_request.*"]}`; the signing secret is in this answer only."""
        values = _subscription_fields(json_body(), partial=False)
        now = now_utc()
        with transaction() as session:
            subscription = Subscription(**{"active": True, **values}, secret_version=1, alert=False, created_at=now)
            session.add(subscription)
            session.flush()
            audit.record(session, actor=actor(), action="subscription.create", subject_type="subscription",
                         subject_id=subscription.id, at=now, data=values)
            return {**subscription_view(subscription),
                    "secret": secret_for(settings().secret("HCCPAY_SECRET_KEY"), subscription.id, 1)}, 201


@admin_ns.route("/subscriptions/<int:subscription_id>")
class SubscriptionItem(Resource):
    @admin_ns.doc(security="bearer")
    @admin_ns.expect(_subscription_model("SubscriptionChangeIn", False), validate=False)
    @requires("admin")
    def patch(self, subscription_id: int):
        """Change name, url, event_types or active; clears the alert."""
        values = _subscription_fields(json_body(), partial=True)
        now = now_utc()
        with transaction() as session:
            subscription = _get_subscription(session, subscription_id)
            for key, value in values.items():
                setattr(subscription, key, value)
            subscription.alert = False
            audit.record(session, actor=actor(), action="subscription.update", subject_type="subscription",
                         subject_id=subscription.id, at=now, data=values)
            return subscription_view(subscription)


@admin_ns.route("/subscriptions/<int:subscription_id>/rotate-secret")
class RotateSubscriptionSecret(Resource):
    @admin_ns.doc(security="bearer")
    @requires("admin")
    def post(self, subscription_id: int):
        """A new signing secret; for three days deliveries are signed with both the new and the old one."""
        now = now_utc()
        with transaction() as session:
            subscription = _get_subscription(session, subscription_id)
            subscription.previous_version = subscription.secret_version
            subscription.secret_version += 1
            subscription.rotated_at = now
            audit.record(session, actor=actor(), action="subscription.rotate_secret", subject_type="subscription",
                         subject_id=subscription.id, at=now)
            return {**subscription_view(subscription),
                    "secret": secret_for(settings().secret("HCCPAY_SECRET_KEY"), subscription.id,
                                         subscription.secret_version)}


@admin_ns.route("/subscriptions/<int:subscription_id>/deliveries")
class SubscriptionDeliveries(Resource):
    @admin_ns.doc(security="bearer")
    @requires("admin", "auditor")
    def get(self, subscription_id: int):
        """This subscription's deliveries, newest first, each with its attempt log; replay with /admin/outbox/<id>/replay."""
        with transaction() as session:
            if session.get(Subscription, subscription_id) is None:
                raise NotFound(f"no subscription {subscription_id}", code="subscription_not_found")
            messages = [m for m in session.execute(
                select(OutboxMessage).where(OutboxMessage.topic == WEBHOOK_TOPIC)
                .where(OutboxMessage.key.startswith(f"webhook:{subscription_id}:", autoescape=True))
                .order_by(OutboxMessage.id.desc()).limit(200)).scalars()]
            attempts = {}
            for a in session.execute(select(OutboxAttempt).where(
                    OutboxAttempt.message_id.in_([m.id for m in messages])).order_by(OutboxAttempt.id)).scalars():
                attempts.setdefault(a.message_id, []).append(a)
            return {"deliveries": [{**message_view(m, attempts.get(m.id, [])),
                                    "event": m.payload["event"]} for m in messages]}


# --- staff users (people who log in to the pages) -------------------------------------------

# What each call takes. Neither a full name nor a username can be changed: `{"full_name": ...}` in a PATCH
# is a 400, not a 200 that changed nothing; `fullname` for `full_name` in a POST is a 400, not a user
# silently named after their username.
USER_FIELDS = ("username", "full_name", "roles", "password")
USER_CHANGE_FIELDS = ("roles", "active", "password", "reason")

def user_view(user: User, now: datetime) -> dict:
    """A user as the API shows them: `locked_until` only while the lock-out lasts (`locked_out_until`)."""
    locked_until = locked_out_until(user, now)
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "roles": user.roles,
            "active": user.active, "locked_until": locked_until.isoformat() if locked_until else None,
            "created_at": user.created_at.isoformat()}


@admin_ns.route("/users")
class Users(Resource):
    @admin_ns.doc(security="bearer", params={"limit": "1-500 (default 100)", "offset": "default 0"})
    @requires("admin")
    def get(self):
        """Staff who log in to the pages, by id, a page at a time (`total`, `next_offset`)."""
        limit, offset = int_arg("limit", 100, 1, 500), int_arg("offset", 0, 0, 2**62)
        with transaction() as session:
            now = now_utc()
            page, total = list_users(session, limit=limit, offset=offset)
            following = offset + len(page)
            return {"users": [user_view(u, now) for u in page], "total": total, "limit": limit, "offset": offset,
                    "next_offset": following if following < total else None}

    @admin_ns.doc(security="bearer")
    @admin_ns.expect(user_in, validate=False)
    @admin_ns.response(201, "created")
    @requires("admin")
    def post(self):
        """Create `{"username", "full_name", "roles": [...], "password"}` (at least 10 characters); a full name
        left out is the username."""
        body = json_body()
        _refuse_unknown_fields(body, USER_FIELDS, "a user")
        now = now_utc()
        with transaction() as session:
            # As given: create_user refuses what is not text (`or ""` made false, 0, [] and {} a blank name).
            user = create_user(session, username=body.get("username"), full_name=body.get("full_name"),
                               roles=body.get("roles") if isinstance(body.get("roles"), list) else [],
                               password=body.get("password"), now=now)
            audit.record(session, actor=actor(), action="user.create", subject_type="user", subject_id=user.id,
                         at=now, data={"username": user.username, "roles": user.roles})
            return user_view(user, now), 201


@admin_ns.route("/users/<int:user_id>")
class UserItem(Resource):
    @admin_ns.doc(security="bearer")
    @admin_ns.expect(user_change_in, validate=False)
    @requires("admin")
    def patch(self, user_id: int):
        """Change `roles`, `active` or set a new `password`, with an optional `reason` for the audit log; the user's
        sessions end."""
        body = json_body()
        _refuse_unknown_fields(body, USER_CHANGE_FIELDS, "a user's change")
        reason = audit.given_reason(body.get("reason"))
        # A null field is a field not given, for each of the three alike (update_user leaves None alone).
        roles, active, password = body.get("roles"), body.get("active"), body.get("password")
        if roles is not None and not isinstance(roles, list) or active is not None and not isinstance(active, bool):
            raise ValidationError("roles must be a list and active a boolean", code="invalid_field")
        now = now_utc()
        with transaction() as session:
            user = update_user(session, user_id=user_id, roles=roles, active=active, password=password,
                               by_user_id=current_principal().user_id, now=now)
            # What was done, not what was sent: `"password": null` resets nothing, and roles are kept
            # sorted and without repeats.
            audit.record(session, actor=actor(), action="user.update", subject_type="user", subject_id=user.id,
                         at=now, reason=reason, data={"roles": user.roles if roles is not None else None,
                                                      "active": active, "password_reset": password is not None})
            return user_view(user, now)
