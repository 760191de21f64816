"""Hostile input over the whole OpenAPI: schemathesis generates requests for every operation,
authenticated as a role that may call it; no answer may be a 5xx, and documented answers must
match their documented schema and content type."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.api.test_access_control import ANYONE, LOGIN_FORM, SIGNED, TABLE

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _role_for(method: str, path: str) -> str | None:
    """A role allowed to call the operation (none for public and signed ones)."""
    for (m, rule), allowed in TABLE.items():
        bare = rule.replace("<int:", "<").replace("<string:", "<").replace("<", "{").replace(">", "}")
        if m == method and bare == "/api/v1" + path:
            return None if allowed in (ANYONE, LOGIN_FORM, SIGNED) else sorted(allowed)[0]
    raise AssertionError(f"{method} {path} is not in the permission table")


def test_no_operation_answers_5xx_or_breaks_its_documented_schema(app, tokens):
    schema = schemathesis.openapi.from_wsgi("/api/v1/swagger.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80  # every operation of the API, not a sample
    for operation in operations:
        role = _role_for(operation.method.upper(), operation.path)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def exercise(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        exercise()
