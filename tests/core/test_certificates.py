import pytest

from merezha.core.certificates import certificate_issue, certificate_verify, qr_data_uri, render_pdf
from merezha.core.models import Certificate
from merezha.core.roles import OrgKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def cert(make_org):
    office = make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-01")
    return certificate_issue(
        kind=Certificate.Kind.FAMILY_COMPOSITION,
        issuer=office,
        user=None,
        subject="dwelling:1",
        payload={"persons": 3},
    )


def test_issued_certificate_verifies(cert):
    assert cert.number.endswith(f"{cert.pk:07d}")
    result = certificate_verify(number=cert.number, code=cert.code)
    assert (result.genuine, result.certificate) == (True, cert)


def test_forged_code_fails(cert):
    assert (
        certificate_verify(number=cert.number, code="0" * 20).reason
        == "the verification code does not match this number"
    )
    assert certificate_verify(number="2026-9999999", code=cert.code).reason == "unknown certificate number"


def test_altered_figures_fail(cert):
    Certificate.objects.filter(pk=cert.pk).update(payload={"persons": 2})
    result = certificate_verify(number=cert.number, code=cert.code)
    assert (result.genuine, result.reason) == (False, "the certificate's figures have been altered")


def test_verify_page_is_public(client, cert):
    ok = client.get(f"/verify/{cert.number}/?c={cert.code}")
    assert ok.status_code == 200 and cert.issuer_name in ok.content.decode()
    assert client.get(f"/verify/{cert.number}/?c=bad").status_code == 404


def test_pdf_and_qr():
    assert qr_data_uri("https://example.test/verify/1").startswith("data:image/svg+xml;base64,")
    pdf = render_pdf(template="core/certificate_verify.html", context={"result": None})
    assert pdf.startswith(b"%PDF")
