"""The `hccpay` command line: wiring only; every command calls a service function."""
from __future__ import annotations

import os
import sys

import click

from config import ConfigError, Settings, load_settings
from kernel.clock import now_utc
from kernel.db import MAX_ID, make_engine, make_session_factory, unit_of_work
from kernel.heap import freeze_startup_objects


def _settings(**env: str) -> Settings:
    """The settings from the environment, `env` set over it (as if exported before the command)."""
    try:
        return load_settings({**os.environ, **env} if env else None)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


def _sessions(settings: Settings):
    return make_session_factory(make_engine(settings.database_url))


class Commands(click.Group):
    """The command group: a database that cannot serve the command (down, read-only, full, its schema behind
    this code) is a sentence naming the reason and exit code 1, as the API's 503 is, never a traceback."""

    def invoke(self, ctx: click.Context):
        from kernel.db import unavailable_reason

        try:
            return super().invoke(ctx)
        except Exception as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise  # a bug: its traceback is what finds it
            raise click.ClickException(f"{reason[0]}: {reason[1]} ({type(exc).__name__})") from exc


@click.group(cls=Commands)
def main() -> None:
    """HCC Pay: fee collection for the public-administration service centre."""


# --- serve ----------------------------------------------------------------------------

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="default: $PORT or 8000")
@click.option("--threads", type=int, default=8, show_default=True)
@click.option("--worker/--no-worker", default=None,
              help="run the worker (callbacks, outbox, jobs) in a thread (default: on for SQLite or in demo "
                   "mode, else off: on PostgreSQL `hccpay worker` processes do it)")
def serve(host: str, port: int | None, threads: int, worker: bool | None) -> None:
    """Serve the API and pages (waitress); in demo mode also the sandboxes."""
    import waitress

    from api import build_worker, create_app, start_sandboxes

    # --port P is PORT=P: the demo's public URL (pay pages, QR images, sandbox callbacks) follows it
    settings = _settings(**({"PORT": str(port)} if port else {}))
    port = settings.port
    app = create_app(settings)
    try:  # listen first: a port taken is a sentence naming the setting, and nothing else was started
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="hccpay")
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror or exc}); set PORT (or --port) "
                                   f"to a free port") from exc
    if settings.demo:
        try:
            sandboxes = start_sandboxes(settings)
        except OSError as exc:  # a port taken: say which setting moves them, not a traceback
            server.close()
            raise click.ClickException(
                f"a demo sandbox cannot listen on {settings.sandbox_host} ports {settings.sandbox_bank_port}-"
                f"{settings.sandbox_sms_port} ({exc.strerror or exc}); set HCCPAY_SANDBOX_PORT to a free port "
                f"(it and the next two are used)") from exc
        for sandbox in sandboxes:
            click.echo(f"sandbox on {sandbox.url}")
    # The demo is one process that must work alone (a sandbox payment turns the page paid), on SQLite or not
    if worker if worker is not None else settings.demo or settings.database_url.startswith("sqlite"):
        background = build_worker(settings, app.extensions["hccpay"].sessions)
        background.start_thread()
    click.echo(f"HCC Pay on http://{host}:{port}  (API docs: http://{host}:{port}/api/v1/docs)")
    freeze_startup_objects()
    server.run()


@main.command()
@click.option("--once", is_flag=True, help="deliver what is due now, then exit")
def worker(once: bool) -> None:
    """Apply queued callbacks, send the outbox, run periodic jobs (several may run on PostgreSQL)."""
    import signal

    from api import build_worker

    background = build_worker(_settings())
    freeze_startup_objects()
    if once:
        drained = background.drain()
        click.echo(f"applied {drained.callbacks} callback(s), handled {drained.messages} message(s)")
        return
    signal.signal(signal.SIGTERM, lambda *_: background.stop())
    signal.signal(signal.SIGINT, lambda *_: background.stop())
    background.run_forever()


# --- database -------------------------------------------------------------------------

@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from kernel import migrate

    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    try:
        migrate.upgrade(settings.database_url, revision)
    except migrate.MigrationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database at {migrate.current_revision(make_engine(settings.database_url))}")


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


# --- tokens ---------------------------------------------------------------------------

@main.group()
def token() -> None:
    """API tokens for systems and staff."""


@token.command("create")
@click.option("--role", required=True, help="intake, cashier, finance, approver, postal, auditor or admin")
@click.option("--name", required=True, help="who or what uses the token")
@click.option("--ttl-days", type=int, default=None, help="days the token is valid (default: until revoked)")
def token_create(role: str, name: str, ttl_days: int | None) -> None:
    """Create a token; the token itself is printed alone on the last line (shown once)."""
    from kernel.auth import create_token
    from kernel.errors import DomainError

    settings = _settings()
    try:
        with unit_of_work(_sessions(settings)) as session:
            created, raw = create_token(session, role=role, name=name, actor="cli", now=now_utc(),
                                        ttl_days=ttl_days)
            token_id, expires_at = created.id, created.expires_at
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    lasting = f"expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "valid until revoked"
    click.echo(f"token {token_id} for {name!r} with role {role}, {lasting} (store it now; it is not shown again):")
    click.echo(raw)


@main.group()
def user() -> None:
    """Staff who log in to the pages."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@click.password_option(help="at least 10 characters (prompted when not given)")
def user_create(username: str, full_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a staff login (audited, as the admin API and page audit theirs)."""
    from kernel import audit
    from kernel.errors import DomainError
    from kernel.users import create_user

    now = now_utc()
    try:
        with unit_of_work(_sessions(_settings())) as session:
            created = create_user(session, username=username, full_name=full_name, roles=list(roles),
                                  password=password, now=now)
            # The CLI is how the first admin is made: an account that can do everything must not appear
            # in the audit log from nowhere (`token create` records its token the same way).
            audit.record(session, actor="cli", action="user.create", subject_type="user", subject_id=created.id,
                         at=now, data={"username": created.username, "roles": created.roles})
            click.echo(f"user {created.id} {created.username} with roles {', '.join(created.roles)}")
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, MAX_ID))  # a larger id fits no row: a 404 through the API
@click.option("--reason", default=None, help="why (kept in the audit log)")
def token_revoke(token_id: int, reason: str | None) -> None:
    """Revoke a token by id."""
    from kernel.auth import revoke_token
    from kernel.errors import DomainError

    try:
        with unit_of_work(_sessions(_settings())) as session:
            revoke_token(session, token_id=token_id, actor="cli", now=now_utc(), reason=reason)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"token {token_id} revoked")


@token.command("list")
def token_list() -> None:
    """List tokens (never their values)."""
    from sqlalchemy import select

    from kernel.auth import ApiToken

    now = now_utc()
    with unit_of_work(_sessions(_settings())) as session:
        for t in session.execute(select(ApiToken).order_by(ApiToken.id)).scalars():
            state = (f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at
                     else f"expired {t.expires_at:%Y-%m-%d}" if t.expires_at and t.expires_at <= now
                     else f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "active")
            click.echo(f"{t.id:>4}  {t.role:<9} {t.display_prefix}…  {state:<18} {t.name}")


# --- audit ----------------------------------------------------------------------------

@main.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the chain and check its seals with the app key; exit 1 at the first row or seal that does
    not verify."""
    from kernel.audit import verify_chain

    settings = _settings()
    with unit_of_work(_sessions(settings)) as session:
        report = verify_chain(session, secrets=settings.secret_values("HCCPAY_SECRET_KEY"))
    if report.broken_at is not None:
        click.echo(f"audit chain BROKEN at row {report.broken_at} ({report.rows} rows read)", err=True)
        sys.exit(1)
    if report.broken_seal is not None:
        click.echo(f"audit chain BROKEN: seal {report.broken_seal} does not verify (rows rewritten, removed or "
                   f"cut off before it, or the seal itself changed)", err=True)
        sys.exit(1)
    sealed = (f"{report.seals} seal{'s' if report.seals != 1 else ''} ok, the last at "
              f"{report.last_sealed_at.isoformat()}" if report.seals else "no seal yet")
    click.echo(f"audit chain ok ({report.rows} rows; {sealed}; {report.unsealed} rows after the last seal)")


@audit.command("seal")
def audit_seal() -> None:
    """Seal the chain's head now (the worker does it every hour)."""
    from kernel.audit import seal

    settings = _settings()
    with unit_of_work(_sessions(settings)) as session:
        made = seal(session, secrets=settings.secret_values("HCCPAY_SECRET_KEY"), now=now_utc())
        said = f"sealed up to row {made.last_entry_id} ({made.rows} rows)" if made else "nothing new to seal"
    click.echo(said)


# --- ledger ---------------------------------------------------------------------------

@main.group()
def ledger() -> None:
    """The double-entry journal."""


@ledger.command("check")
def ledger_check() -> None:
    """Prove Σ debits = Σ credits, every balance equals its entries, each payment's money in suspense is what
    its entries put there, and each payment's amount is in its requests, suspense or refunds; exit 1 otherwise."""
    from payments.ledger import check

    with unit_of_work(_sessions(_settings())) as session:
        report = check(session)
    click.echo(f"debits {report.total_debit_vnd:,} VND, credits {report.total_credit_vnd:,} VND")
    if not report.ok:
        if report.unbalanced_entries:
            click.echo(f"unbalanced entries: {report.unbalanced_entries[:20]}", err=True)
        if report.wrong_balances:
            click.echo(f"balances that differ from their entries: {report.wrong_balances[:20]}", err=True)
        if report.suspense_differs:
            click.echo(f"payments whose money in suspense differs from their entries: {report.suspense_differs[:20]}",
                       err=True)
        if report.suspense_of_no_payment_vnd:
            click.echo(f"suspense moved by entries of no payment: {report.suspense_of_no_payment_vnd:,} VND", err=True)
        if report.unaccounted_payments:
            click.echo("payments whose amount is not what their requests, suspense, refunds and write-offs hold: "
                       f"{report.unaccounted_payments[:20]}", err=True)
        click.echo("ledger check FAILED", err=True)
        sys.exit(1)
    click.echo("ledger check ok")


# --- jobs -----------------------------------------------------------------------------

@main.group()
def jobs() -> None:
    """Periodic jobs, for cron or systemd timers."""


@jobs.command("expire")
def jobs_expire() -> None:
    """Expire pending payment requests whose time has passed."""
    from payments.service import expire_due_requests

    total = 0
    settings = _settings()
    sessions = _sessions(settings)
    while True:
        with unit_of_work(sessions) as session:
            moved = expire_due_requests(session, settings=settings, now=now_utc())
        total += moved
        if moved == 0:
            break
    click.echo(f"expired {total} payment request(s)")


# --- sandbox --------------------------------------------------------------------------

@main.group()
def sandbox() -> None:
    """The simulated bank and gateways."""


@sandbox.command("pay")
@click.argument("payment_code")
@click.option("--amount", type=int, default=None,
              help="VND (default: what is still owed; with --via vnpay only that, as its checkout charges what is owed)")
@click.option("--via", type=click.Choice(["sepay", "payos", "bank", "pos", "vnpay"]), default="bank",
              show_default=True)
@click.option("--url", default=None, help="the running service (default: $HCCPAY_PUBLIC_URL)")
def sandbox_pay(payment_code: str, amount: int | None, via: str, url: str | None) -> None:
    """Send a correctly signed payment callback for PAYMENT_CODE to the running service."""
    import requests

    from sandbox.bank import SandboxError, pay

    settings = _settings()
    if not settings.demo:
        # It signs with this server's own secrets: outside a demo it would credit money that never arrived.
        raise click.ClickException("sandbox pay runs only with HCCPAY_DEMO=1")
    try:
        response = pay(url or settings.public_url, payment_code.upper(), settings=settings, amount_vnd=amount, via=via)
    except (SandboxError, requests.RequestException) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{via}: HTTP {response.status_code} {response.text.strip()}")
    if response.status_code >= 300:
        sys.exit(1)


# --- postal ---------------------------------------------------------------------------

@main.group()
def postal() -> None:
    """Postal pickups and deliveries."""


@postal.command("poll")
def postal_poll() -> None:
    """Ask the courier for the tracking of every shipment in progress and apply what is new."""
    from postal.clients import CourierClient
    from postal.tracking import poll_now

    settings = _settings()
    if not (settings.courier_url and settings.courier_api_key):
        raise click.ClickException("no courier configured: set HCCPAY_COURIER_URL and HCCPAY_COURIER_API_KEY")
    handled = poll_now(_sessions(settings), CourierClient(settings.courier_url, settings.courier_api_key),
                       settings, now_utc)
    click.echo(f"polled {handled} shipment(s)")


@postal.command("plan")
@click.option("--date", "day", required=True, help="the day to plan, YYYY-MM-DD")
def postal_plan(day: str) -> None:
    """Assign the day's unscheduled shipments to routes (what `POST /postal/plan` does)."""
    from kernel.errors import DomainError
    from postal.scheduling import plan_day
    from postal.validation import parse_day

    settings = _settings()
    try:
        with unit_of_work(_sessions(settings)) as session:
            report = plan_day(session, day=parse_day(day, "date"), settings=settings, actor="cli", now=now_utc())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{day}: {len(report['assigned'])} assigned, {len(report['unplanned'])} did not fit")
    for row in report["unplanned"]:
        click.echo(f"  shipment {row['shipment_id']}: {row['reason']} (ward {row['ward_code']}, due {row['due_date']})")


# --- reconciliation -------------------------------------------------------------------

@main.group()
def reconcile() -> None:
    """Bank statements: import, sweep."""


@reconcile.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["camt053", "mt940", "csv", "xlsx"]), default=None,
              help="default: detected from the file")
@click.option("--account", "account_number", default=None, help="default: the account the file names")
@click.option("--profile", default=None, help="CSV/XLSX bank layout (default: detected)")
def reconcile_import(file: str, fmt: str | None, account_number: str | None, profile: str | None) -> None:
    """Import FILE (what `POST /reconciliation/statements` does), with a progress bar."""
    from pathlib import Path

    from kernel.errors import DomainError
    from reconciliation import importer, service

    settings = _settings()
    sessions = _sessions(settings)
    freeze_startup_objects()
    try:
        with open(file, "rb") as source:
            parsed = importer.parse_upload(source, fmt=fmt, profile=profile, account=account_number)
            click.echo(f"{parsed.info.format}: {parsed.lines_total} line(s) read")
            try:
                with click.progressbar(length=parsed.lines_total, label="matching and crediting") as bar:
                    done = [0]

                    def progress(processed: int, _total: int) -> None:
                        bar.update(processed - done[0])
                        done[0] = processed

                    import_id = importer.run_import(sessions, parsed, filename=Path(file).name,
                                                    account_number=account_number, settings=settings, actor="cli",
                                                    now=now_utc(), on_progress=progress)
            finally:
                parsed.close()
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    with unit_of_work(sessions) as session:
        found = service.get_import(session, import_id)
        click.echo(f"import {found.id}: account {found.account_number}, {found.period_from} to {found.period_to}, "
                   f"{found.lines_total} line(s), {found.lines_new} new, {found.lines_duplicate} already known")


@reconcile.command("sweep")
def reconcile_sweep() -> None:
    """Record statement credits no callback announced, and callbacks no statement showed."""
    from reconciliation.sweep import sweep

    settings = _settings()
    with unit_of_work(_sessions(settings)) as session:
        result = sweep(session, settings=settings, now=now_utc())
    for found in result["findings"]:  # one line each, oldest day first
        if found["kind"] == "missed_callback":
            click.echo(f"{found['date']}  statement credit without callback  {found['amount_vnd']:>15,} VND  "
                       f"line {found['statement_line_id']}  ref {found['bank_ref'] or '-'}  {found['memo']}")
        else:
            click.echo(f"{found['date']}  callback without statement line    {found['amount_vnd']:>15,} VND  "
                       f"payment {found['payment_id']}  {found['provider']} {found['provider_ref']}")
    click.echo(f"{result['new_findings']} new finding(s); open: "
               f"{result['open']['missed_callback']} statement credit(s) without callback, "
               f"{result['open']['callback_without_statement']} callback(s) without statement line")
    if result["reversals_without_sale"]["open"]:  # finance's conflicts, listed on the callbacks page
        click.echo(f"{result['reversals_without_sale']['open']} card void(s) without their sale "
                   f"({result['reversals_without_sale']['new']} new): see the finance conflicts")


# --- demo -----------------------------------------------------------------------------

@main.group()
def demo() -> None:
    """Demo data (demo mode only)."""


@demo.command("seed")
def demo_seed() -> None:
    """Create demo tokens and dossiers (idempotent) and print them."""
    from payments.states import OPEN
    from sandbox.demo import seed

    settings = _settings()
    if not settings.demo:
        raise click.ClickException("demo seed runs only with HCCPAY_DEMO=1")
    with unit_of_work(_sessions(settings)) as session:
        result = seed(session, settings=settings, now=now_utc())
    click.echo("Demo tokens (Authorization: Bearer <token>):")
    for role, raw in result.tokens.items():
        click.echo(f"  {role:<9} {raw}")
    from sandbox.demo import DEMO_PASSWORD

    click.echo(f"Demo staff logins at {settings.public_url}/staff/login (password {DEMO_PASSWORD}):")
    click.echo("  " + ", ".join(result.users))
    click.echo("Demo payment requests:")
    for code, url in result.pay_urls.items():
        click.echo(f"  {code}  {url}  ({result.statuses[code]})")
    unpaid = [code for code, status in result.statuses.items() if status in OPEN]
    if unpaid:  # paying a paid one would make it overpaid
        # another terminal lacks PORT/HCCPAY_PUBLIC_URL: a service elsewhere than the default is named
        where = "" if settings.public_url == Settings.public_url else f" --url {settings.public_url}"
        click.echo(f"Pay one from another terminal: HCCPAY_DEMO=1 .venv/bin/hccpay sandbox pay {unpaid[0]} --via sepay"
                   f"{where}")
    else:
        click.echo("Every demo request is paid; intake can open new ones with POST /api/v1/dossiers (README).")


if __name__ == "__main__":
    main()
