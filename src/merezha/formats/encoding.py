"""Telling legacy code pages apart from the text itself.

Ukrainian partners write UTF-8, cp1251, cp866 and cp1125 (the Ukrainian DOS code page that
cp866 misreads silently: `і` becomes `ў`). A candidate decoding is scored by the share of
its non-ASCII characters that do not occur in Ukrainian or Russian text; the best wins, and a
text that no candidate decodes plausibly is refused rather than guessed.
"""

from __future__ import annotations

import codecs
import re

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_GOOD = re.compile("[\u0410-\u044fІіЇїЄєҐґЁё«»’‘“”–—№…\u00a0]")


def implausibility(text: str) -> tuple[int, int]:
    """(bad non-ASCII characters, all non-ASCII characters) of a decoded text; control characters count as bad."""
    control = len(_CONTROL.findall(text))
    total = len(_NON_ASCII.findall(text))
    good = len(_GOOD.findall(text))
    return total - good + control, total + control


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
