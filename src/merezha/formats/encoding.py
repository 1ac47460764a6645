"""Telling legacy code pages apart from the text itself.

Ukrainian partners write UTF-8, cp1251, cp866 and cp1125 (the Ukrainian DOS code page that
cp866 misreads silently: `і` becomes `ў`). A candidate decoding is scored by the share of
its non-ASCII characters that do not occur in Ukrainian or Russian text; the best wins, and a
text that no candidate decodes plausibly is refused rather than guessed.
"""

from __future__ import annotations

import codecs

_GOOD_EXTRA = set("«»’‘“”–—№…\u00a0")
_BAD_LETTERS = set("ўЎ")  # Belarusian letters: in a Ukrainian file they betray cp1125 read as cp866


def _is_good(ch: str) -> bool:
    if ch in _BAD_LETTERS:
        return False
    code = ord(ch)
    if 0x0410 <= code <= 0x044F or ch in "ІіЇїЄєҐґЁё":
        return True
    return ch in _GOOD_EXTRA


def implausibility(text: str) -> tuple[int, int]:
    """(bad non-ASCII characters, all non-ASCII characters) of a decoded text."""
    bad = total = 0
    for ch in text:
        if ord(ch) < 128:
            if ord(ch) < 32 and ch not in "\t\r\n":
                bad += 1
                total += 1
            continue
        total += 1
        if not _is_good(ch):
            bad += 1
    return bad, total


def best_decoding(sample: bytes, candidates: list[str], *, max_bad_share: float = 0.02) -> str | None:
    """The candidate code page that decodes `sample` most plausibly, or None when none does.

    On a tie the earlier candidate wins, so callers list their preferred page first.
    """
    best: tuple[float, int, str] | None = None
    for order, name in enumerate(candidates):
        try:
            text = codecs.decode(sample, name)
        except UnicodeDecodeError:
            continue
        bad, total = implausibility(text)
        share = bad / total if total else 0.0
        key = (share, order, name)
        if best is None or key < best:
            best = key
    if best is None or best[0] > max_bad_share:
        return None
    return best[2]
