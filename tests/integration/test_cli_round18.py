"""Round 18: the `hccpay` command line answers a mistake or an outage with a sentence and a non-zero exit
code, never a Python traceback (an operator at 2 a.m. reads the first line, not the last)."""
from click.testing import CliRunner

from cli import main


def _run(monkeypatch, *args, database_url):
    """The command as an operator runs it: errors not caught by the test (`catch_exceptions=True`, what
    `standalone_mode` does for a real process), so a traceback shows up as an exception left in the result."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HCCPAY_DEMO", "1")
    return CliRunner().invoke(main, list(args))


def _said_plainly(result) -> None:
    assert result.exit_code != 0
    # A ClickException is click's own SystemExit; anything else is the traceback an operator would see.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def test_revoking_a_token_id_too_large_for_any_row_says_there_is_no_such_token(monkeypatch, database_url, db):
    result = _run(monkeypatch, "token", "revoke", "99999999999999999999999", database_url=database_url)
    _said_plainly(result)
    assert "99999999999999999999999" in result.output


def test_upgrading_to_a_revision_that_does_not_exist_names_it(monkeypatch, database_url, db):
    result = _run(monkeypatch, "db", "upgrade", "--revision", "zzz", database_url=database_url)
    _said_plainly(result)
    assert "zzz" in result.output


def test_a_database_that_does_not_answer_is_a_sentence_not_a_traceback(monkeypatch, db):
    # Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    for args in (("token", "list"), ("audit", "verify"), ("ledger", "check"), ("jobs", "expire")):
        result = _run(monkeypatch, *args, database_url="postgresql+psycopg://postgres@127.0.0.1:1/hccpay")
        _said_plainly(result)
        assert "database is not reachable" in result.output, args
