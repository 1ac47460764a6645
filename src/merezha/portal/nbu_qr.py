"""The NBU payment QR code (Resolution No. 97 of 19.08.2025), formats 002 and 003.

The payload is the fields joined by LF, UTF-8, encoded base64url without padding after the format's
address (`https://bank.gov.ua/qr/` for 002, `https://qr.bank.gov.ua/` for 003). Field limits and
the choices where sources disagree: docs/reference/nbu-qr.md.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass

from merezha.core.money import Money

PREFIX = {"002": "https://bank.gov.ua/qr/", "003": "https://qr.bank.gov.ua/"}
FORMATS = tuple(PREFIX)

#: Per-field limits in characters. The strictest reading of the sources for both formats (a shorter
#: field is valid under every reading): docs/reference/nbu-qr.md.
NAME_MAX = 70
CODE_MAX = 10
PURPOSE_CODE_MAX = 4
REFERENCE_MAX = 35
PURPOSE_MAX = 140
AMOUNT_MAX = Money(99_999_999_999)  # 999 999 999,99
#: The whole address (prefix + base64url), in characters: the QR code must stay small enough for
#: a phone to read it from paper.
URL_MAX = 507

_IBAN = re.compile(r"^UA\d{27}$")
_CODE = re.compile(r"^(\d{8}|\d{10})$")
_PURPOSE_CODE = re.compile(r"^[A-Z]{4}$")


class NbuQrError(ValueError):
    """The payment cannot be expressed as an NBU QR code (the reason names the field)."""


@dataclass(frozen=True)
class NbuPayment:
    recipient: str  # the recipient's name
    iban: str
    code: str  # ЄДРПОУ (8 digits) or РНОКПП (10)
    purpose: str
    amount: Money | None = None  # None or not positive: the payer enters the amount
    purpose_code: str = ""  # ISO 20022 category purpose, optional
    reference: str = ""


def iban_check(iban: str) -> str:
    """The IBAN without spaces, upper case, when it is a valid Ukrainian IBAN (mod-97); else NbuQrError."""
    compact = re.sub(r"\s+", "", iban or "").upper()
    if not _IBAN.match(compact):
        raise NbuQrError(f"iban: not a Ukrainian IBAN (UA and 27 digits): {iban!r}")
    try:
        from schwifty import IBAN

        IBAN(compact)
    except ImportError:  # pragma: no cover - schwifty is pinned; the checksum below is the same rule
        if int("".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])) % 97 != 1:
            raise NbuQrError(f"iban: wrong check digits: {iban!r}") from None
    except ValueError as exc:
        raise NbuQrError(f"iban: {exc}") from None
    return compact


def _clean(text: str) -> str:
    """One line: no LF/CR (they separate fields), runs of spaces as one."""
    return re.sub(r"\s+", " ", text or "").strip()


def purpose_fit(*, service: str, account: str, period: str, limit: int = PURPOSE_MAX) -> str:
    """`Оплата за <service>, о/р <account>, <MM.YYYY>`, shortening only the service's name (never the
    account or the period) to fit `limit` characters."""
    tail = f", о/р {_clean(account)}, {_clean(period)}"
    head = "Оплата за "
    room = limit - len(head) - len(tail)
    if room < 1:
        raise NbuQrError(f"purpose: the account and period alone exceed {limit} characters")
    name = _clean(service).lower() if service else "послуги"
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return head + name + tail


def amount_text(amount: Money | None) -> str:
    """`UAH1234.56`, or empty when there is nothing to pay (the payer enters the amount)."""
    if amount is None or not amount.is_positive():
        return ""
    if amount > AMOUNT_MAX:
        raise NbuQrError(f"amount: more than {AMOUNT_MAX}")
    return f"UAH{amount}"


def payload_fields(payment: NbuPayment, *, fmt: str = "002") -> list[str]:
    """The payload's fields in order, validated; NbuQrError names the first field that breaks a rule."""
    if fmt not in PREFIX:
        raise NbuQrError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    name = _clean(payment.recipient)
    if not name:
        raise NbuQrError("recipient: empty")
    if len(name) > NAME_MAX:
        raise NbuQrError(f"recipient: {len(name)} characters, at most {NAME_MAX}")
    code = _clean(payment.code)
    if not _CODE.match(code):
        raise NbuQrError(f"code: not an ЄДРПОУ (8 digits) or РНОКПП (10 digits): {code!r}")
    purpose_code = _clean(payment.purpose_code)
    if purpose_code and not _PURPOSE_CODE.match(purpose_code):
        raise NbuQrError(f"purpose code: not four capital letters: {purpose_code!r}")
    reference = _clean(payment.reference)
    if len(reference) > REFERENCE_MAX:
        raise NbuQrError(f"reference: {len(reference)} characters, at most {REFERENCE_MAX}")
    purpose = _clean(payment.purpose)
    if not purpose:
        raise NbuQrError("purpose: empty")
    if len(purpose) > PURPOSE_MAX:
        raise NbuQrError(f"purpose: {len(purpose)} characters, at most {PURPOSE_MAX}")
    fields = [
        "BCD",
        fmt,
        "1",  # UTF-8
        "UCT",
        "",  # the recipient's unique identifier: reserved
        name,
        iban_check(payment.iban),
        amount_text(payment.amount),
        code,
        purpose_code,
        reference,
        purpose,
        "",  # the display text: not used
    ]
    if fmt == "003":
        fields += ["", "", "", ""]  # field lock, invoice validity, invoice creation, signature: not used
    return fields


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def payment_url(payment: NbuPayment, *, fmt: str = "002") -> str:
    """The address the QR code holds; NbuQrError when a field or the whole address is too long."""
    data = "\n".join(payload_fields(payment, fmt=fmt)).encode("utf-8")
    url = PREFIX[fmt] + _b64url(data)
    if len(url) > URL_MAX:
        raise NbuQrError(f"address: {len(url)} characters, at most {URL_MAX}; shorten the purpose")
    return url


def payment_decode(url: str) -> list[str]:
    """The fields of an NBU QR address (for tests and checks); NbuQrError when it is not one."""
    for prefix in PREFIX.values():
        if url.startswith(prefix):
            text = url[len(prefix) :]
            if "=" in text:
                raise NbuQrError("padding in the payload")
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            return data.decode("utf-8").split("\n")
    raise NbuQrError("not an NBU QR address")


# --- the picture ---------------------------------------------------------------------------------

_HRYVNIA_SVG = (
    '<circle cx="{c}" cy="{c}" r="{r}" fill="#fff" stroke="#000" stroke-width="{w}"/>'
    '<text x="{c}" y="{c}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="{f}" '
    'text-anchor="middle" dominant-baseline="central">₴</text>'
)


def qr_svg(url: str, *, scale: int = 3) -> str:
    """The QR code (error level M, as the regulation asks) as SVG, with ₴ in a white circle in the centre.

    The circle covers about 5% of the symbol; level M corrects 15%.
    """
    import segno

    qr = segno.make(url, error="m", micro=False, boost_error=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, nl=False)
    svg = buffer.getvalue().decode("utf-8")
    width, _height = qr.symbol_size(scale=scale, border=2)
    centre = width / 2
    overlay = _HRYVNIA_SVG.format(
        c=f"{centre:.1f}", r=f"{width * 0.11:.1f}", w=f"{scale * 0.4:.1f}", f=f"{width * 0.15:.1f}"
    )
    return svg.replace("</svg>", overlay + "</svg>")


def qr_data_uri(url: str, *, scale: int = 3) -> str:
    """qr_svg as a data URI, for HTML and PDF."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url, scale=scale).encode()).decode()


def qr_png_data_uri(text: str, *, scale: int = 3, border: int = 2) -> str:
    """The QR code (error level M) as a PNG data URI, for the bill: one grey pixel per module (plus a
    `border` of quiet zone) by default, which the bill scales up with `image-rendering: pixelated` (drawn
    without interpolation in the PDF, so the modules stay sharp at any zoom or printer resolution).

    A raster image costs a PDF far less to lay out and draw than an SVG; a tiny one costs WeasyPrint
    almost nothing to re-encode (a 4-pixel-per-module bitmap took a tenth of a bill's time); and a
    fixed mask pattern (any of the eight is standard; the encoder's scoring of all eight took most of a
    bill's time) makes a batch several times faster. The bill lays the ₴ circle over it in HTML
    (`portal/bill_pdf.html`)."""
    import segno
    from PIL import Image

    qr = segno.make(text, error="m", micro=False, boost_error=False, mask=BILL_QR_MASK)
    # segno's own PNG writer is pure Python; Pillow writes the same picture in C. Mode "L" (8-bit
    # grey) is what WeasyPrint embeds as it is; a 1-bit image it would first convert to RGB.
    size = len(qr.matrix) + 2 * border
    quiet = b"\xff" * (border * size)
    rows = [quiet]
    for row in qr.matrix:
        rows.append(b"\xff" * border + bytes(0 if dark else 255 for dark in row) + b"\xff" * border)
    rows.append(quiet)
    image = Image.frombytes("L", (size, size), b"".join(rows))
    if scale > 1:
        image = image.resize((size * scale, size * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)  # WeasyPrint decodes and compresses it again
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


#: the mask pattern of the bill's QR codes (see qr_png_data_uri)
BILL_QR_MASK = 2
