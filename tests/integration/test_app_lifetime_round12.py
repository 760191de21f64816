"""An app that is no longer used is freed: the module-level flask-restx namespaces kept every app built
(and its engine, its URL map, its compiled SQL) alive, so a process that builds many apps (the test suite
builds one a test) grew without bound: 5.4 GB by the end of the PostgreSQL pass. (flask-restx also hangs
a lambda naming the latest Api on each Resource class: the newest app stays referenced until the next is
built, which is bounded.)"""
import gc
import weakref

from api import create_app


def _used_and_dropped(settings) -> weakref.ref:
    app = create_app(settings)
    app.test_client().get("/healthz")
    app.extensions["hccpay"].engine.dispose()
    return weakref.ref(app)


def test_an_app_no_longer_referenced_is_freed_once_another_is_built(test_settings):
    first = _used_and_dropped(test_settings)
    _used_and_dropped(test_settings)  # the newest may linger (see above); older apps must go
    gc.collect()
    assert first() is None
