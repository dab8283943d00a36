"""Hardware names as people write them: `Tesla T4`, `T4`, `NVIDIA T4 16GB` are one GPU."""

from __future__ import annotations

import re

_MARKS = re.compile(r"\((r|tm)\)|@.*$", re.I)  # (R), (TM), and a clock speed after `@`
_NOISE = re.compile(
    r"\b(nvidia|tesla|geforce|quadro|pcie|sxm\d?|nvl|\d+\s*gb|gpu|graphics|intel|amd|cpu|"
    r"processor)\b",
    re.I,
)


def normalise(name: str | None) -> str | None:
    """A comparable key: lower-case, vendor words, marks and memory sizes dropped."""
    if not name:
        return None
    key = _NOISE.sub(" ", _MARKS.sub(" ", name.lower()))
    key = re.sub(r"[^a-z0-9]+", " ", key).strip()
    return key or None


def same(reported: str | None, measured: str | None) -> bool:
    left, right = normalise(reported), normalise(measured)
    return left is not None and left == right
