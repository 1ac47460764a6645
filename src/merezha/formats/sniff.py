"""Which exchange format a file is, from its first bytes (exchange-v1: "detected from the content")."""

from __future__ import annotations

import struct

from merezha.formats.errors import FormatError

#: Files that are not an exchange format, recognised by their first bytes, and what to tell the sender.
_NOT_EXCHANGE = (
    (b"\xff\xfe", "UTF-16 text: save the file as UTF-8 or cp1251"),
    (b"\xfe\xff", "UTF-16 text: save the file as UTF-8 or cp1251"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (.xls) or another old Office document: save it as XLSX or CSV",
    ),
    (b"%PDF", "a PDF document, not CSV, XLSX, DBF or JSON"),
    (b"\x1f\x8b", "a gzip archive: unpack it and send the file inside"),
    (b"Rar!", "a RAR archive: unpack it and send the file inside"),
    (b"7z\xbc\xaf", "a 7-Zip archive: unpack it and send the file inside"),
)


def sniff_format(head: bytes) -> str:
    """`xlsx`, `dbf`, `json` or `csv` from the first bytes; FormatError for a known non-exchange file."""
    for magic, reason in _NOT_EXCHANGE:
        if head.startswith(magic):
            raise FormatError(f"not an exchange file: {reason}")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    if len(head) >= 32 and head[0] in (
        0x02,
        0x03,
        0x04,
        0x05,
        0x30,
        0x31,
        0x43,
        0x63,
        0x83,
        0x8B,
        0x8E,
        0xF5,
    ):
        header_len, record_len = struct.unpack("<HH", head[8:12])
        month, day = head[2], head[3]
        # the last update's date; some writers leave it zero
        dated = 1 <= month <= 12 and 1 <= day <= 31 or month == day == 0
        if header_len > 32 and record_len > 0 and dated:
            return "dbf"
    return "csv"
