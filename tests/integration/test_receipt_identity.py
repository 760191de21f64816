"""The receipt names who collects: the organisation's tax code and the agency's name."""
import io

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from api import create_app
from config import ConfigError, load_settings
from tests.conftest import applies_queued_callbacks
from tests.factories import make_request, send_callback


def receipt_text(client, auth, settings) -> str:
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, settings, "bank", code=code, amount=100_000)
    r = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert r.status_code == 200
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)


def test_the_receipt_shows_the_tax_code_and_the_agency_name(test_settings, db, auth):
    settings = test_settings.with_overrides(tax_code="5701234567-001",
                                            agency_names={"H40.22": "Sở Tư pháp tỉnh Quảng Ninh"})
    app = create_app(settings)
    app.test_client_class = applies_queued_callbacks(FlaskClient)
    try:
        text = receipt_text(app.test_client(), auth, settings)
    finally:
        app.extensions["hccpay"].engine.dispose()
    assert "Mã số thuế: 5701234567-001" in text
    assert "Sở Tư pháp tỉnh Quảng Ninh (H40.22)" in text


def test_an_agency_without_a_configured_name_shows_its_code(client, auth, test_settings):
    text = receipt_text(client, auth, test_settings)
    assert "Mã số thuế: 5700000000" in text  # the demo default
    assert "Cơ quan:" in text and "H40.22" in text and "(H40.22)" not in text


def test_the_tax_code_and_agency_names_come_from_the_environment():
    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_TAX_CODE": "5701234567",
                              "HCCPAY_AGENCY_NAMES": '{"H40.22": " Sở Tư pháp tỉnh Quảng Ninh "}'})
    assert settings.tax_code == "5701234567" and settings.agency_names == {"H40.22": "Sở Tư pháp tỉnh Quảng Ninh"}


@pytest.mark.parametrize("env", [{"HCCPAY_TAX_CODE": "57012345"}, {"HCCPAY_TAX_CODE": "570123456７"},
                                 {"HCCPAY_TAX_CODE": "5701234567-01"}, {"HCCPAY_AGENCY_NAMES": "[1]"},
                                 {"HCCPAY_AGENCY_NAMES": '{"H40.22": ""}'}, {"HCCPAY_AGENCY_NAMES": "{"}])
def test_a_malformed_tax_code_or_agency_names_stops_start_up(env):
    with pytest.raises(ConfigError):
        load_settings({"HCCPAY_DEMO": "1", **env})
