"""HTTP routes of reconciliation (restx namespace `/reconciliation`)."""
from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource, fields

from kernel import audit
from kernel.clock import business_date, now_utc, parse_iso_day
from kernel.errors import ValidationError
from kernel.http import (REASON_IN, actor, choice_arg, content_disposition, day_arg, flag, int_arg, json_body, requires,
                         runtime, settings, transaction)
from kernel.money import MAX_MONEY_VND, parse_amount_vnd
from payments.service import parse_confirmation, payment_code_field
from payments.validation import clean_text
from reconciliation import days, exceptions, files, reports, resolutions, service, sweep
from reconciliation.profiles import PROFILE_NAMES
from reconciliation.statements import FORMATS
from reconciliation.views import import_view, line_views, resolution_view

recon_ns = Namespace("reconciliation", description="Bank statements, matching, exceptions, daily close and reports",
                     path="/reconciliation")

READERS = ("finance", "approver", "auditor")
allocation_in = recon_ns.model("AllocationIn", {
    "payment_code": fields.String(required=True, example="HS12345678978"),
    "amount_vnd": fields.Integer(example=100000, description="default: all that is in suspense"),
})
acknowledgement_in = recon_ns.model("AcknowledgementIn", {
    "reason": fields.String(required=True, max_length=1000),
    "expected_amount_vnd": fields.Integer(description="the exception's amount you saw (the page sends it): if it is "
                                                      "another now, 412 exception_changed with the amount now"),
})
resolution_in = recon_ns.model("ResolutionIn", {
    "reason": fields.String(required=True),
    "allocations": fields.List(fields.Nested(allocation_in), description="match only: one or several requests"),
    "amount_vnd": fields.Integer(description="write-off and refund: default all that is in suspense"),
    "expected_version": fields.Integer(description="refuse (409 line_changed) if the line changed meanwhile"),
    "as_adjustment": fields.Boolean(description="for a line of a closed day: record it in the next open day "
                                                "(default false; not a boolean: 400 invalid_parameter)"),
    "confirm_overpayment": fields.Boolean(description="match, and undo of an unmatch: put money on a request "
                                                      "already paid, or beyond what it owes, with "
                                                      "confirmed_outstanding_vnd (without them: 409 "
                                                      "confirmation_required with the request's status, "
                                                      "outstanding_vnd, overpayment_vnd, outstanding_by_code and "
                                                      "overpayment_by_code; default false; not a boolean: 400 "
                                                      "invalid_parameter)"),
    "confirmed_outstanding_vnd": fields.Raw(description="with confirm_overpayment: what each request owed when you "
                                                        "were asked, {payment_code: VND} (the 409's "
                                                        "outstanding_by_code); owing something else now: 409 "
                                                        "confirmation_stale with the fresh amounts"),
})
undo_in = recon_ns.model("UndoIn", {
    "reason": fields.String(required=True),
    "confirm_overpayment": resolution_in["confirm_overpayment"],
    "confirmed_outstanding_vnd": resolution_in["confirmed_outstanding_vnd"],
})


def _reason(body: dict) -> str:
    return clean_text(body.get("reason"), "reason", max_len=1000)


@recon_ns.route("/statements")
class Statements(Resource):
    @recon_ns.doc(security="bearer", params={
        "file": {"in": "formData", "type": "file", "required": True},
        "format": {"in": "formData", "type": "string", "enum": list(FORMATS), "description": "default: detected"},
        "account_number": {"in": "formData", "type": "string", "description": "default: from the file"},
        "profile": {"in": "formData", "type": "string", "enum": list(PROFILE_NAMES),
                    "description": "CSV/XLSX bank layout; default: detected from the header"}})
    @recon_ns.response(201, "imported: import_id, format, account_number, period, lines_total, lines_new, "
                            "lines_duplicate")
    @recon_ns.response(413, "payload_too_large: above HCCPAY_STATEMENT_MAX_MB, or a spreadsheet that unpacks to "
                            "far more than its size (suspicious_archive)")
    @recon_ns.response(415, "unsupported_media_type: not multipart/form-data, or a file in no format we read")
    @recon_ns.response(422, "unknown_account: the statement is of an account that is not one of ours")
    @requires("finance")
    def post(self):
        """Import a bank statement (camt.053, MT940, CSV, XLSX): store, match and credit its lines."""
        request.max_content_length = settings().statement_max_bytes
        if not (request.mimetype or "").startswith("multipart/form-data"):
            raise ValidationError("send the statement as multipart/form-data with a `file` field",
                                  code="unsupported_media_type", status=415)
        upload = request.files.get("file")
        if upload is None:
            raise ValidationError("the statement goes in the `file` field", code="missing_file")
        fmt, profile = request.form.get("format") or None, request.form.get("profile") or None
        import_id = service.import_statement(
            runtime().sessions, upload.stream, filename=upload.filename, fmt=fmt,
            account_number=request.form.get("account_number") or None, profile=profile, settings=settings(),
            actor=actor(), now=now_utc())
        with transaction() as session:
            return import_view(service.get_import(session, import_id)), 201

    @recon_ns.doc(security="bearer")
    @requires(*READERS)
    def get(self):
        """Recent imports, newest first (with their progress)."""
        with transaction() as session:
            return {"imports": [import_view(i) for i in service.list_imports(
                session, limit=int_arg("limit", 50, 1, 500))]}


@recon_ns.route("/statements/<int:import_id>")
class StatementImport(Resource):
    @recon_ns.doc(security="bearer")
    @requires(*READERS)
    def get(self, import_id: int):
        """One import: counts and progress (`lines_processed` of `lines_total`)."""
        with transaction() as session:
            return import_view(service.get_import(session, import_id))


@recon_ns.route("/statements/<int:import_id>/file")
class StatementFile(Resource):
    @recon_ns.doc(security="bearer")
    @recon_ns.produces(["application/octet-stream", "application/json"])
    @requires(*READERS)
    def get(self, import_id: int):
        """The statement file exactly as it was uploaded (streamed: up to HCCPAY_STATEMENT_MAX_MB)."""
        with transaction() as session:
            found = service.get_import(session, import_id)
            sha256, filename, size = found.file_sha256, found.filename, files.size_of(session, found.file_sha256)
        return Response(files.stream(runtime().sessions, sha256), mimetype="application/octet-stream", headers={
            "Content-Disposition": content_disposition(filename), "X-Content-SHA256": sha256,
            "Content-Length": str(size)})


@recon_ns.route("/lines")
class Lines(Resource):
    @recon_ns.doc(security="bearer", params={"import_id": "lines of one import's file",
                                             "date": "or of a day (YYYY-MM-DD); one of the two is required "
                                                     "(neither: 400 missing_filter)",
                                             "status": "matched|proposed|unmatched|ignored",
                                             "limit": "1-1000 (default 100)", "offset": "default 0"})
    @requires(*READERS)
    def get(self):
        """Statement lines with status, score, reasons and allocations, in file order (paginated)."""
        import_id = int_arg("import_id", 0, 1, 2**62) or None
        day = day_arg("date")
        status = choice_arg("status", ("matched", "proposed", "unmatched", "ignored"))
        limit, offset = int_arg("limit", 100, 1, service.MAX_LIMIT), int_arg("offset", 0, 0, 2**62)
        with transaction() as session:
            page, total = service.list_lines(session, import_id=import_id, day=day, status=status, limit=limit,
                                             offset=offset)
            following = offset + len(page)
            return {"total": total, "limit": limit, "offset": offset,
                    "next_offset": following if following < total else None, "lines": line_views(session, page)}


@recon_ns.route("/lines/<int:line_id>")
class LineItem(Resource):
    @recon_ns.doc(security="bearer")
    @requires(*READERS)
    def get(self, line_id: int):
        """One line with suggestions, every decision taken on it (undone ones too) and its audit rows."""
        with transaction() as session:
            line = service.get_line(session, line_id)
            [view] = line_views(session, [(line.line_no, line, False)])
            decisions = service.resolutions_of(session, line_id)
            view["resolutions"] = [resolution_view(r) for r in decisions]
            view["audit"] = [audit.entry_view(e) for e in service.audit_of(session, line_id, decisions)]
            return view


def _allocations(body: dict) -> list[tuple[str, int | None]]:
    raw = body.get("allocations")
    if raw is None:  # the one-request form: its payment_code is then required like any
        raw = [{"payment_code": body.get("payment_code"), "amount_vnd": body.get("amount_vnd")}]
    if not isinstance(raw, list) or not raw or len(raw) > 50 or not all(isinstance(a, dict) for a in raw):
        raise ValidationError("allocations must be a list of {payment_code, amount_vnd}", code="invalid_allocations")
    return [(payment_code_field(a.get("payment_code"), settings()),
             None if a.get("amount_vnd") is None else parse_amount_vnd(a["amount_vnd"])) for a in raw]


def _confirmation(body: dict) -> dict[str, int] | None:
    return parse_confirmation(flag(body, "confirm_overpayment"), body.get("confirmed_outstanding_vnd"), settings())


def _resolve(line_id: int, action: str):
    body = json_body()
    reason = _reason(body)
    version = body.get("expected_version")
    if version is not None and type(version) is not int:
        raise ValidationError("expected_version must be an integer", code="invalid_parameter",
                              details={"parameter": "expected_version"})
    as_adjustment = flag(body, "as_adjustment")
    kwargs = {}
    if action == "match":
        kwargs["allocations"] = _allocations(body)
        kwargs["confirmed_outstanding_vnd"] = _confirmation(body)
    if action in ("write_off", "refund") and body.get("amount_vnd") is not None:
        kwargs["amount_vnd"] = parse_amount_vnd(body["amount_vnd"], maximum=MAX_MONEY_VND)
    with transaction() as session:
        resolution = resolutions.resolve_line(session, line_id=line_id, action=action, reason=reason,
                                              settings=settings(), actor=actor(), now=now_utc(),
                                              expected_version=version, as_adjustment=as_adjustment,
                                              **kwargs)
        line = service.get_line(session, line_id)
        [view] = line_views(session, [(line.line_no, line, False)], suggest=False)
        return {"resolution": resolution_view(resolution), "line": view}, 201


def _line_action(action: str, doc: str):
    class LineAction(Resource):
        @recon_ns.doc(security="bearer")
        @recon_ns.expect(resolution_in, validate=False)
        @recon_ns.response(201, "the decision recorded, with the line as it is now")
        @requires("finance")
        def post(self, line_id: int):
            return _resolve(line_id, action)

    LineAction.post.__doc__ = doc
    LineAction.__name__ = f"Line{action.title().replace('_', '')}"
    return LineAction


for _path, _action, _doc in (
        ("match", "match", "Match a line to one or several requests (`allocations`), with a reason."),
        ("unmatch", "unmatch", "Take a line's money back off its requests into suspense, with a reason."),
        ("refund", "refund", "Mark a line's money for refund (recorded; the refund service carries it out)."),
        ("write-off", "write_off", "Write off money in suspense as other income, with a reason."),
        ("ignore", "ignore", "Ignore a line (not a fee payment: interest, internal transfer), with a reason."),
        ("correct-amount", "correct_amount", "Correct a callback's payment to the smaller amount its statement line "
                                             "shows: the difference is taken back from suspense, then its requests.")):
    recon_ns.route(f"/lines/<int:line_id>/{_path}")(_line_action(_action, _doc))


@recon_ns.route("/resolutions/<int:resolution_id>/undo")
class Undo(Resource):
    @recon_ns.doc(security="bearer")
    @recon_ns.expect(undo_in, validate=False)
    @requires("finance")
    def post(self, resolution_id: int):
        """Undo a decision (the latest on its line) while its day is open, with a reason. An unmatch undone puts
        the money back on its requests: onto one paid meanwhile, only confirmed as a match is."""
        body = json_body()
        reason, confirmed = _reason(body), _confirmation(body)
        with transaction() as session:
            return resolution_view(resolutions.undo(session, resolution_id=resolution_id, reason=reason,
                                                    settings=settings(), actor=actor(), now=now_utc(),
                                                    confirmed_outstanding_vnd=confirmed))


@recon_ns.route("/days")
class Days(Resource):
    @recon_ns.doc(security="bearer")
    @requires(*READERS)
    def get(self):
        """The past days of the last month still open with money or statement lines in them, weekends and
        holidays included (money booked then counts in that day: it must be closed too), oldest first;
        and the days awaiting an approver."""
        with transaction() as session:
            today = business_date(now_utc())
            return {"days": [d.isoformat() for d in days.left_open(session, today)],
                    "awaiting_approval": [d.isoformat() for d in days.awaiting_approval(session)]}


@recon_ns.route("/days/<string:day>")
class Day(Resource):
    @recon_ns.doc(security="bearer")
    @requires(*READERS)
    def get(self, day: str):
        """The day's summary: lines, balances, totals by agency/channel/type/status, exceptions, sweep."""
        parsed = parse_iso_day(day)
        with transaction() as session:
            return days.summary(session, parsed, settings=settings(), now=now_utc())


@recon_ns.route("/days/<string:day>/match")
class DayMatch(Resource):
    @recon_ns.doc(security="bearer")
    @requires("finance")
    def post(self, day: str):
        """Re-derive the day's lines from the ledger as it is now."""
        parsed = parse_iso_day(day)
        with transaction() as session:
            return service.match_day(session, parsed, settings=settings(), now=now_utc())


@recon_ns.route("/days/<string:day>/exceptions")
class DayExceptions(Resource):
    @recon_ns.doc(security="bearer", params={"state": "open (default) or all"})
    @requires(*READERS)
    def get(self, day: str):
        """The typed exception queue of the day."""
        parsed = parse_iso_day(day)
        state = choice_arg("state", ("open", "all"), default="open")
        with transaction() as session:
            found = exceptions.shown(session, parsed, settings=settings(), today=business_date(now_utc()))
            listed = [e.view() for e in found if state == "all" or e.open]
            return {"date": parsed.isoformat(), "count": len(listed), "exceptions": listed}


@recon_ns.route("/days/<string:day>/exceptions/<string:key>/acknowledge")
class Acknowledge(Resource):
    @recon_ns.doc(security="bearer")
    @recon_ns.expect(acknowledgement_in, validate=False)
    @recon_ns.response(201, "the acknowledgement recorded")
    @recon_ns.response(412, "exception_changed: its amount is not the expected_amount_vnd seen")
    @requires("finance")
    def post(self, day: str, key: str):
        """Accept an exception as it is (it stops blocking the close), with a reason; its amount is recorded
        (`data.amount_vnd`): should it grow, it is open again."""
        parsed = parse_iso_day(day)
        body = json_body()
        reason = _reason(body)
        expected = None if body.get("expected_amount_vnd") is None else parse_amount_vnd(
            body["expected_amount_vnd"], field="expected_amount_vnd", minimum=0, maximum=MAX_MONEY_VND)
        with transaction() as session:
            return resolution_view(resolutions.acknowledge(session, day=parsed, key=key, reason=reason,
                                                           settings=settings(), actor=actor(), now=now_utc(),
                                                           expected_amount_vnd=expected)), 201


@recon_ns.route("/days/<string:day>/close")
class Close(Resource):
    @recon_ns.doc(security="bearer")
    @recon_ns.response(202, "close_requested: the day's summary, waiting for an approver")
    @requires("finance")
    def post(self, day: str):
        """Ask to close the day (an approver confirms); refused while blocking exceptions are open, a statement
        import that may bring it lines is processing (`import_in_progress`) or payment callbacks received
        before it still wait to be applied (`callbacks_pending`)."""
        parsed = parse_iso_day(day)
        with transaction() as session:
            days.request_close(session, parsed, settings=settings(), actor=actor(), now=now_utc())
            return days.summary(session, parsed, settings=settings(), now=now_utc()), 202


@recon_ns.route("/days/<string:day>/close/approve")
class CloseApprove(Resource):
    @recon_ns.doc(security="bearer")
    @requires("approver")
    def post(self, day: str):
        """Confirm the close (not the person who asked): totals and reports are frozen with their hashes;
        refused as the request is (`open_exceptions`, `import_in_progress`, `callbacks_pending`)."""
        parsed = parse_iso_day(day)
        with transaction() as session:
            days.approve_close(session, parsed, settings=settings(), actor=actor(), now=now_utc())
        with transaction() as session:  # after the commit, which rendered the XLSX and PDF: every hash
            return days.summary(session, parsed, settings=settings(), now=now_utc())


@recon_ns.route("/days/<string:day>/close/reject")
class CloseReject(Resource):
    @recon_ns.doc(security="bearer")
    @recon_ns.expect(REASON_IN, validate=False)
    @requires("approver")
    def post(self, day: str):
        """Send the close request back to finance, with a reason."""
        parsed = parse_iso_day(day)
        reason = _reason(json_body())
        with transaction() as session:
            days.reject_close(session, parsed, reason=reason, actor=actor(), now=now_utc())
            return days.summary(session, parsed, settings=settings(), now=now_utc())


def _report(day: str, fmt: str) -> Response:
    parsed = parse_iso_day(day)
    reports.freeze_after_close(runtime().sessions, parsed)  # a closed day's files its close left to render
    with transaction() as session:
        row = days.day_row(session, parsed) if days.status_of(session, parsed) == days.CLOSED else None
        if row is not None and row.reports and fmt in row.reports:
            sha256 = row.reports[fmt]["sha256"]
            data = files.read_all(session, sha256)
        else:
            summary = days.summary(session, parsed, settings=settings(), now=now_utc())
            data = reports.render_report(session, fmt, summary, summary, now_utc())
            sha256 = reports.digest(data)
    return Response(data, content_type=reports.FORMATS[fmt], headers={  # charset included: not a mimetype
        "Content-Disposition": content_disposition(f"doi-soat-{parsed.isoformat()}.{fmt}"),
        "X-Content-SHA256": sha256})


for _fmt in reports.FORMATS:
    def _make(fmt: str):
        class Report(Resource):
            @recon_ns.doc(security="bearer")
            @recon_ns.produces([reports.FORMATS[fmt], "application/json"])
            @requires(*READERS)
            def get(self, day: str):
                return _report(day, fmt)

        Report.get.__doc__ = f"The day's reconciliation report as .{fmt} (frozen and hashed once the day is closed)."
        Report.__name__ = f"Report{fmt.title()}"
        return Report

    recon_ns.route(f"/days/<string:day>/report.{_fmt}")(_make(_fmt))


@recon_ns.route("/sweep")
class Sweep(Resource):
    @recon_ns.doc(security="bearer")
    @requires("finance")
    def post(self):
        """Run the missed-callback sweep now (it also runs as a periodic job)."""
        with transaction() as session:
            return sweep.sweep(session, settings=settings(), now=now_utc())
