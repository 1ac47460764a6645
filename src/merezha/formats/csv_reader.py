"""CSV: encoding (UTF-8 with or without BOM, or cp1251) and delimiter (`;`, `,` or tab) detected;
`line` is the physical line where a row starts (the header is line 1, after any blank lines above it).
A CSV table also gives its rows as `records`, lists of texts in the order of its columns."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from typing import IO, Any

from merezha.formats.encoding import best_decoding
from merezha.formats.errors import FormatError
from merezha.formats.limits import Limits
from merezha.formats.table import SAMPLE_BYTES, Row, Table, header_check, norm_header


def _detect_text_encoding(fh: IO[bytes], line_bytes: int) -> str:
    start = fh.read(3)
    if start == codecs.BOM_UTF8:
        fh.seek(0)
        return "utf-8-sig"
    fh.seek(0)
    while True:
        chunk = fh.read(SAMPLE_BYTES)
        if not chunk:
            fh.seek(0)
            return "utf-8"
        if any(b > 127 for b in chunk):
            # complete the last line so that no multi-byte character is cut
            chunk += fh.readline(line_bytes)
            fh.seek(0)
            try:
                chunk.decode("utf-8")
                return "utf-8"
            except UnicodeDecodeError:
                pass
            found = best_decoding(chunk, ["cp1251"], max_bad_share=0.05)
            if found is None:
                raise FormatError("cannot decode the file: it is neither UTF-8 nor cp1251")
            return found


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding.startswith("utf-8") else encoding


def _check_nul(fh: IO[bytes]) -> None:
    """A text file holds no NUL byte (PostgreSQL could not store one): one pass of memchr in C."""
    line = 1
    while True:
        chunk = fh.read(SAMPLE_BYTES)
        if not chunk:
            break
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise FormatError(
                "the file holds NUL bytes, which CSV text never has (binary data or UTF-16?)",
                line=line + chunk.count(b"\n", 0, nul),
            )
        line += chunk.count(b"\n")
    fh.seek(0)


def _decoding_error(fh: IO[bytes], encoding: str) -> FormatError:
    """The refusal of a text that does not decode, at the line of its first bad byte.

    Only called once the text reader has failed: it decodes ahead in blocks, so where it stopped
    says little; this pass over the bytes finds the line. A valid file never pays for it.
    """
    fh.seek(0)
    if encoding == "utf-8-sig":  # so that an error's position counts from the start of the text
        fh.read(3)
    decoder = codecs.getincrementaldecoder(encoding.replace("-sig", ""))("strict")
    bom = " (it starts with a UTF-8 byte-order mark)" if encoding == "utf-8-sig" else ""
    reason = f"the text is not valid {_encoding_name(encoding)}{bom}"
    line = 1
    while True:
        chunk = fh.read(SAMPLE_BYTES)
        if not chunk:
            break
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return FormatError(reason, line=line + chunk.count(b"\n", 0, max(0, exc.start - pending)))
        line += chunk.count(b"\n")
    return FormatError(f"{reason}: it ends inside a character", line=line)


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters (a quote left open?)"
    if "unexpected end of data" in text:
        return "a quoted field is not closed before the end of the file"
    return f"malformed CSV: {text}"


#: DOS's end-of-file mark (Ctrl-Z), with which legacy software ends a text file.
_DOS_EOF = b"\x1a"


class _Prefix(io.RawIOBase):
    """The first `size` bytes of a seekable binary file, read through to it (the rest is not there)."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        super().__init__()
        self._fh, self._size, self._pos = fh, size, 0
        fh.seek(0)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        self._fh.seek(self._pos)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        data = self._fh.read(min(len(buffer), self._size - self._pos))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _without_dos_eof(fh: IO[bytes]) -> IO[bytes]:
    """The text without the Ctrl-Z bytes (0x1A) it ends with, if it does: DOS's end-of-file mark, after
    the last line break or right after the last value. A Ctrl-Z anywhere else is text, as it was."""
    fh.seek(0, os.SEEK_END)
    end = size = fh.tell()
    while end:
        step = min(end, 4096)
        fh.seek(end - step)
        block = fh.read(step)
        kept = len(block.rstrip(_DOS_EOF))
        end -= step - kept
        if kept:
            break
    fh.seek(0)
    if end == size:  # the usual file: read as it is, with no layer in between
        return fh
    return io.BufferedReader(_Prefix(fh, end), buffer_size=SAMPLE_BYTES)


def _bounded_lines(text: IO[str], limit: int, first: int) -> Iterator[str]:
    """The lines of `text`, refusing one longer than `limit` characters (a FormatError at its line,
    `first` being the line number of the first) before it is read whole."""
    readline, size, line = text.readline, limit + 1, first
    while True:
        chunk = readline(size)
        if not chunk:
            return
        if len(chunk) == size and chunk[-1] not in "\r\n":
            raise FormatError(f"the line is longer than {limit} characters", line=line)
        yield chunk
        line += 1


def open_csv(fh: IO[bytes], display: str, *, limits: Limits, row_faults: bool = False) -> Table:
    """A CSV table; `limits`: line length, field length (the csv module's field limit), columns, rows."""
    fh = _without_dos_eof(fh)
    encoding = _detect_text_encoding(fh, limits.line_chars * 4)
    _check_nul(fh)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="", errors="strict")
    header_line = 1
    csv.field_size_limit(limits.cell_chars)  # the module's one limit: the same for every reader
    lines = _bounded_lines(text, limits.line_chars, 1)
    try:
        first = next(lines, "")
        while first and not first.strip():
            header_line += 1
            first = next(lines, "")
    except UnicodeDecodeError:
        raise _decoding_error(fh, encoding) from None
    if not first:
        raise FormatError("the file is empty")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    if first.count(";") == 0 and first.count(",") == 0 and "\t" in first:
        delimiter = "\t"
    try:
        names = next(csv.reader([first], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise FormatError(_csv_error(exc), line=header_line) from None
    header = [norm_header(h) for h in names]
    if len(header) > limits.columns:
        raise FormatError(
            f"the header has {len(header)} columns, more than {limits.columns}", line=header_line
        )
    header_check(header, header_line)
    reader = csv.reader(
        _bounded_lines(text, limits.line_chars, header_line + 1), delimiter=delimiter, strict=True
    )
    most_rows = limits.rows
    width = len(header)
    offset = header_line + 1  # line of the text reader's first line
    faults: list[tuple[int, str, str]] | None = [] if row_faults else None

    def records() -> Iterator[tuple[int, list[str]]]:
        line = offset  # where the next row starts: the line a malformed row is reported at
        count = 0
        try:
            for values in reader:
                start = line
                line = reader.line_num + offset
                stripped = list(map(str.strip, values))
                if not any(stripped):
                    continue
                count += 1
                if count > most_rows:
                    raise FormatError(f"the file has more than {most_rows} rows", line=start)
                if len(stripped) != width:
                    if len(stripped) > width and any(stripped[width:]):
                        reason = (
                            f"{len(values)} fields where the header has {width} "
                            "(a delimiter inside a value that is not quoted?)"
                        )
                        if faults is None:
                            raise FormatError(reason, line=start)
                        faults.append((start, "", reason))
                    stripped = (stripped + [""] * width)[:width]
                yield start, stripped
        except csv.Error as exc:
            raise FormatError(_csv_error(exc), line=line) from None
        except UnicodeDecodeError:
            raise _decoding_error(fh, encoding) from None

    lists = records()

    def rows() -> Iterator[Row]:
        for start, values in lists:
            yield start, dict(zip(header, values, strict=True))

    return Table(
        display,
        "csv",
        encoding.replace("-sig", ""),
        header,
        rows(),
        header_line=header_line,
        records=lists,
        row_faults=faults,
    )
