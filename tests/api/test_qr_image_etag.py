"""The QR images' ETag revalidation follows RFC 9110: If-None-Match compares weakly."""
import pytest

from tests.factories import make_request


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_weak_if_none_match_naming_the_current_image_gets_a_304(client, auth, kind):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    url = f"/api/v1/payment-requests/{code}/qr.{kind}"
    etag = client.get(url).headers["ETag"]
    # A proxy that compresses the image on the way may weaken the tag it passes on (W/"...").
    for header in (etag, f"W/{etag}", f'"other", W/{etag}', "*"):
        again = client.get(url, headers={"If-None-Match": header})
        assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", etag), header


@pytest.mark.parametrize("header", ['W/"other"', '"other"'])
def test_an_if_none_match_naming_another_image_gets_the_image(client, auth, header):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    again = client.get(f"/api/v1/payment-requests/{code}/qr.png", headers={"If-None-Match": header})
    assert again.status_code == 200 and again.mimetype == "image/png" and again.data.startswith(b"\x89PNG")
