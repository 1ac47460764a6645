"""The NBU payment QR payload: fields, limits, UTF-8, base64url without padding, the address's length."""

from __future__ import annotations

import base64

import pytest

from merezha.core.money import Money
from merezha.portal import nbu_qr

IBAN = "UA213223130000026007233566001"


def payment(**kw):
    base = dict(
        recipient="КП «Водоканал»",
        iban=IBAN,
        code="03356128",
        purpose="Оплата за водопостачання, о/р W00000170, 11.2026",
        amount=Money(123456),
    )
    base.update(kw)
    return nbu_qr.NbuPayment(**base)


def test_format_002_worked_example():
    url = nbu_qr.payment_url(payment())
    assert url.startswith("https://bank.gov.ua/qr/")
    body = url.removeprefix("https://bank.gov.ua/qr/")
    assert "=" not in body and "+" not in body and "/" not in body
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert raw.decode("utf-8") == (
        "BCD\n002\n1\nUCT\n\nКП «Водоканал»\nUA213223130000026007233566001\nUAH1234.56\n03356128\n\n\n"
        "Оплата за водопостачання, о/р W00000170, 11.2026\n"
    )
    assert nbu_qr.payment_decode(url)[7] == "UAH1234.56"


def test_format_003_has_four_more_empty_fields_and_its_own_address():
    url = nbu_qr.payment_url(payment(), fmt="003")
    assert url.startswith("https://qr.bank.gov.ua/")
    fields = nbu_qr.payment_decode(url)
    assert len(fields) == 17 and fields[1] == "003" and fields[12:] == ["", "", "", "", ""]


def test_utf8_bytes_and_no_padding_for_every_length():
    for n in range(1, 8):
        url = nbu_qr.payment_url(payment(purpose="Ї" * n))
        assert not url.endswith("=")
        assert nbu_qr.payment_decode(url)[11] == "Ї" * n
    raw = "\n".join(nbu_qr.payload_fields(payment(purpose="Ї"))).encode("utf-8")
    assert "Ї".encode() == b"\xd0\x87" and b"\xd0\x87" in raw


def test_no_amount_when_nothing_is_owed():
    assert nbu_qr.payload_fields(payment(amount=Money(0)))[7] == ""
    assert nbu_qr.payload_fields(payment(amount=Money(-500)))[7] == ""
    assert nbu_qr.payload_fields(payment(amount=Money(5)))[7] == "UAH0.05"
    with pytest.raises(nbu_qr.NbuQrError, match="amount"):
        nbu_qr.payload_fields(payment(amount=Money(100_000_000_000)))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"recipient": "А" * 71}, "recipient: 71 characters, at most 70"),
        ({"recipient": "  "}, "recipient: empty"),
        ({"purpose": "П" * 141}, "purpose: 141 characters, at most 140"),
        ({"reference": "R" * 36}, "reference: 36 characters, at most 35"),
        ({"code": "1234567"}, "code: not an ЄДРПОУ"),
        ({"iban": "UA213223130000026007233566002"}, "iban"),
        ({"iban": "DE89370400440532013000"}, "iban: not a Ukrainian IBAN"),
        ({"purpose_code": "rent"}, "purpose code"),
    ],
)
def test_limits_refuse_with_the_field_named(kw, field):
    with pytest.raises(nbu_qr.NbuQrError) as exc:
        nbu_qr.payload_fields(payment(**kw))
    assert str(exc.value).startswith(field)


def test_limits_at_the_edge_are_accepted():
    fields = nbu_qr.payload_fields(payment(recipient="А" * 70, reference="R" * 35, purpose="П" * 140))
    assert len(fields[5]) == 70 and len(fields[10]) == 35 and len(fields[11]) == 140


def test_newlines_inside_a_field_cannot_shift_the_fields():
    fields = nbu_qr.payload_fields(payment(recipient="КП\nВодоканал"))
    assert fields[5] == "КП Водоканал" and len(fields) == 13


def test_purpose_is_shortened_in_the_service_name_only():
    text = nbu_qr.purpose_fit(service="Водопостачання " * 20, account="W00000170", period="11.2026")
    assert len(text) <= 140
    assert text.startswith("Оплата за водопостачання") and text.endswith("…, о/р W00000170, 11.2026")
    assert nbu_qr.purpose_fit(service="Водопостачання", account="W00000170", period="11.2026") == (
        "Оплата за водопостачання, о/р W00000170, 11.2026"
    )
    with pytest.raises(nbu_qr.NbuQrError, match="purpose"):
        nbu_qr.purpose_fit(service="x", account="9" * 140, period="11.2026")


def test_address_length_limit():
    # 70 Cyrillic letters of name and 140 of purpose are 420 bytes of UTF-8: 489 bytes of payload,
    # 652 of base64url (4 per 3, no padding) after 23 of address: 675 > 507
    with pytest.raises(nbu_qr.NbuQrError) as exc:
        nbu_qr.payment_url(payment(recipient="Б" * 70, purpose="П" * 140))
    assert str(exc.value) == "address: 675 characters, at most 507; shorten the purpose"
    assert len(nbu_qr.payment_url(payment(recipient="Б" * 70, purpose="П" * 60))) == 462


def test_picture_has_the_hryvnia_sign_in_a_white_circle():
    svg = nbu_qr.qr_svg(nbu_qr.payment_url(payment()))
    assert svg.startswith("<svg") and "<circle" in svg and 'fill="#fff"' in svg and "₴</text>" in svg
