"""`hccpay worker` has no app to set up logging: it logs the same JSON lines as the app nodes."""
import logging

from kernel.logs import JSONFormatter


def test_a_worker_built_on_its_own_logs_json_lines(test_settings, sessions, monkeypatch):
    from api import build_worker

    logger = logging.getLogger("hccpay")
    monkeypatch.setattr(logger, "handlers", [])  # as in a fresh `hccpay worker` process
    monkeypatch.setattr(logger, "level", logger.level)  # put back after the test
    monkeypatch.setattr(logger, "propagate", logger.propagate)
    build_worker(test_settings.with_overrides(log_level="WARNING"), sessions)
    assert [type(h.formatter) for h in logger.handlers] == [JSONFormatter] and logger.level == logging.WARNING
