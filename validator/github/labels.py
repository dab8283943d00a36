"""One verdict label at a time; the others are removed. Only labels with our prefix move."""

from __future__ import annotations

PREFIX = "mcv:"
LABELS = {
    "verified": "mcv:verified",
    "discrepancies": "mcv:discrepancy",
    "incomplete": "mcv:incomplete",
}


def changes(current: list[str], verdict: str) -> tuple[list[str], list[str]]:
    """(labels to add, labels to remove) so that exactly the verdict's label is on."""
    wanted = LABELS[verdict]
    add = [] if wanted in current else [wanted]
    remove = sorted(label for label in current if label in LABELS.values() and label != wanted)
    return add, remove
