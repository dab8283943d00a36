"""Pull-request titles: `team HW-N`, and the close misses students actually type."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STRICT = re.compile(r"^(?P<team>[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?) HW-(?P<n>[1-7])$")
_LOOSE = re.compile(
    r"^\s*(?P<team>\w[\w -]*?)[\s_:-]*(?:hw|дз|homework)[\s_#.:-]*(?P<n>\d{1,2})\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Title:
    team: str
    homework: int

    def __str__(self) -> str:
        return f"{self.team} HW-{self.homework}"


def parse_title(text: str) -> Title | None:
    """The title exactly as the course asks for it, or None."""
    match = _STRICT.match(text)
    return Title(match["team"], int(match["n"])) if match else None


def guess_title(text: str) -> Title | None:
    """What a near-miss (`Team_1 HW 3`, `ml_masters hw-3`, `x HW3`) most likely meant."""
    match = _LOOSE.match(text)
    if not match:
        return None
    team = re.sub(r"\s+", "_", match["team"].strip()).lower().strip("_-")
    return Title(team, int(match["n"]))
