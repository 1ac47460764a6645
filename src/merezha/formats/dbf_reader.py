"""DBF (dBase III): the code page from the language-driver byte or told from the text; `line` is the
record number counted from 2, so that it reads like a file with a header line."""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from typing import IO

from merezha.formats.encoding import best_decoding
from merezha.formats.errors import FormatError
from merezha.formats.limits import Limits
from merezha.formats.table import SAMPLE_BYTES, Row, Table, header_check

#: DBF language-driver bytes of exchange-v1.
DBF_LANGUAGE_DRIVERS = {0x57: "cp1251", 0xC9: "cp1251", 0x26: "cp866", 0x65: "cp866"}


def _dbf_encoding(raw: bytes, language_driver: int) -> str:
    declared = DBF_LANGUAGE_DRIVERS.get(language_driver)
    if declared == "cp1251":
        return "cp1251"
    # zero or cp866: tell cp1125, cp866 and cp1251 apart from the text itself
    order = ["cp866", "cp1125", "cp1251"] if declared == "cp866" else ["cp1125", "cp866", "cp1251"]
    found = best_decoding(raw, order)
    if found in ("cp866", "cp1125") and declared is None and _cp866_or_cp1125_undecided(raw):
        found = None
    if found is None:
        raise FormatError(
            "cannot tell the DBF file's code page (cp1125, cp866 or cp1251) with confidence; "
            "set the language-driver byte or re-save it in cp1251"
        )
    if found == "cp1125" and declared is None and _LATIN_I_IN_CYRILLIC.search(raw):
        found = "cp866" if not any(b in raw for b in _CP1125_ONLY) else found
    return found


#: Bytes 0xF2-0xF5: `Ґ ґ Є є` in cp1125 but `Є є Ї ї` in cp866 - both plausible Ukrainian.
_CP866_CP1125_SHARED = (b"\xf2", b"\xf3", b"\xf4", b"\xf5")
#: Bytes 0xF6-0xF9: `І і Ї ї` in cp1125, `Ў ў ° ∙` in cp866 (which the scoring already finds implausible).
_CP1125_ONLY = (b"\xf6", b"\xf7", b"\xf8", b"\xf9")
#: A Latin `i` between DOS Cyrillic letters (0x80-0xAF, 0xE0-0xEF): how cp866 writers spell `і`.
_LATIN_I_IN_CYRILLIC = re.compile(rb"[\x80-\xaf\xe0-\xef][iI]|[iI][\x80-\xaf\xe0-\xef]")


def _cp866_or_cp1125_undecided(raw: bytes) -> bool:
    """True when the text reads as plausible Ukrainian in both cp866 and cp1125 and differs between them.

    Only bytes 0xF2-0xF5 then tell the pages apart, and each reading is plausible. A cp1125 writer's
    Ukrainian almost always has `і` (0xF7), which would have settled it; without it, a Latin `i` among
    the Cyrillic letters is the cp866 writer's `і`. With neither, the hub does not guess.
    """
    if not any(b in raw for b in _CP866_CP1125_SHARED) or any(b in raw for b in _CP1125_ONLY):
        return False
    return _LATIN_I_IN_CYRILLIC.search(raw) is None


_NON_ASCII_BYTE = re.compile(rb"[\x80-\xff]")


def _dbf_sample(fh: IO[bytes], header_len: int, record_len: int, numrecords: int) -> bytes:
    """The first records that hold a non-ASCII byte, up to 256 KiB of them: what the code page is told from.

    Records of ASCII only (Latin names, numbers, dates) read alike in every code page, so a file whose
    first part is all ASCII is read on, in blocks of about 1 MiB, until the sample is full or the
    records end (`isascii`, in C, passes over 64 KiB of ASCII records at once, so such a stretch
    costs little).
    """
    per_piece = max(1, (1 << 16) // record_len)  # records looked at by one `isascii`, in C
    piece = per_piece * record_len
    per_block = per_piece * 16
    parts: list[bytes] = []
    sampled = 0
    left = numrecords
    fh.seek(header_len)
    while left and sampled < SAMPLE_BYTES:
        count = min(per_block, left)
        block = fh.read(count * record_len)
        left -= count
        for offset in range(0, len(block), piece):
            if sampled >= SAMPLE_BYTES:
                break
            part = block[offset : offset + piece]
            if part.isascii():
                continue
            pos = 0
            while sampled < SAMPLE_BYTES:
                found = _NON_ASCII_BYTE.search(part, pos)
                if found is None:
                    break
                start = found.start() - found.start() % record_len
                parts.append(part[start : start + record_len])
                sampled += record_len
                pos = start + record_len
    return b"".join(parts)


def open_dbf(fh: IO[bytes], display: str, dbf_fields: dict[str, str], *, limits: Limits) -> Table:
    """A DBF table; `limits`: its fields (columns) and records (rows), as the header announces them."""
    header = fh.read(32)
    numrecords, header_len, record_len = struct.unpack("<IHH", header[4:12])
    language_driver = header[29]
    descriptors = fh.read(max(0, header_len - 32))
    fields: list[tuple[str, str, int]] = []
    written: list[str] = []  # the field names as the file writes them, for a refusal to quote
    for i in range(0, len(descriptors) - 31, 32):
        d = descriptors[i : i + 32]
        if d[0] == 0x0D:
            break
        written.append(d[:11].split(b"\x00")[0].decode("ascii", "replace").strip())
        fname = written[-1].upper()
        ftype = chr(d[11])
        # a character field has no decimals: Clipper and Harbour keep the high byte of a length
        # above 255 there (dBase III writes 0, so nothing changes for its files)
        fields.append((fname, ftype, d[16] | d[17] << 8 if ftype == "C" else d[16]))
    if not fields or sum(f[2] for f in fields) + 1 != record_len:
        raise FormatError("not a valid dBase III file: the field descriptors do not add up")
    if len(fields) > limits.columns:
        raise FormatError(f"the DBF header has {len(fields)} fields, more than {limits.columns}")
    if numrecords > limits.rows:
        raise FormatError(f"the DBF header announces {numrecords} records, more than {limits.rows}")
    for fname in written:
        if written.count(fname) > 1:
            raise FormatError(f"field {fname} appears twice in the DBF header", column=fname)
    columns = [dbf_fields.get(f[0], f[0].lower()) for f in fields]
    # two fields read as one column (`LS` and `ACCOUNT`, `ls` and `LS`) would overwrite each other
    header_check(columns, None, written)
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    complete = (size - header_len) // record_len if size > header_len else 0
    if complete < numrecords:
        raise FormatError(
            f"truncated DBF: the header announces {numrecords} records, the file holds {complete}"
        )
    if complete > numrecords:
        # after the records comes the end-of-file mark (or nothing, or padding); more records there
        # mean a stale count, and reading only what it announces would silently drop the rest
        fh.seek(header_len + numrecords * record_len)
        held = numrecords
        while held < complete and fh.read(1) in (b" ", b"*"):
            held += 1
            fh.seek(record_len - 1, os.SEEK_CUR)
        if held > numrecords:
            raise FormatError(
                f"the DBF header announces {numrecords} records, but the file holds {held}: "
                "its record count is stale"
            )
    # the code page is told from the text only when the language-driver byte does not say cp1251
    told = DBF_LANGUAGE_DRIVERS.get(language_driver) == "cp1251"
    sample = b"" if told else _dbf_sample(fh, header_len, record_len, numrecords)
    encoding = _dbf_encoding(sample, language_driver)

    def rows() -> Iterator[Row]:
        fh.seek(header_len)
        for index in range(numrecords):
            record = fh.read(record_len)
            if len(record) < record_len:
                raise FormatError("truncated DBF record", line=index + 2)
            if record[:1] == b"*":  # deleted
                continue
            values: dict[str, str] = {}
            pos = 1
            for (fname, ftype, flen), column in zip(fields, columns, strict=True):
                chunk = record[pos : pos + flen]
                pos += flen
                values[column] = _dbf_value(chunk, ftype, encoding, index + 2, fname)
            yield index + 2, values

    return Table(display, "dbf", encoding, columns, rows())


def _dbf_value(chunk: bytes, ftype: str, encoding: str, line: int, fname: str) -> str:
    if ftype == "D":
        # an empty date is spaces, zeros or NUL bytes; one that is no YYYYMMDD is given as written, for
        # its column to refuse (a row rejected, or nothing at all in a column the import does not read)
        text = chunk.strip(b" \x00").decode("ascii", "replace").strip()
        if not text or text.strip("0") == "":
            return ""
        if len(text) == 8 and text.isdigit():
            return f"{text[:4]}-{text[4:6]}-{text[6:]}"
        return text
    if ftype == "L":
        text = chunk.decode("ascii", "replace").strip().upper()
        return {"T": "1", "Y": "1", "F": "0", "N": "0"}.get(text, "")
    if ftype in "NF":  # an empty number is spaces, or NUL bytes from some writers
        return chunk.strip(b" \x00").decode("ascii", "replace").strip().replace(",", ".")
    if b"\x00" in chunk:  # a C string: legacy writers end the text with NUL and leave garbage after it
        chunk = chunk[: chunk.index(b"\x00")]
    return chunk.decode(encoding, "replace").strip()
