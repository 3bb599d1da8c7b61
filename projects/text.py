"""Small text helpers."""

from __future__ import annotations

import re
import unicodedata

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def german_slug(name: str) -> str:
    """Lower-case ASCII slug: ä→ae, ö→oe, ü→ue, ß→ss, every other character → '-'.

    >>> german_slug("Bad Soden-Salmünster")
    'bad-soden-salmuenster'
    """
    text = name.translate(_GERMAN).lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text)
    return text.strip("-")
