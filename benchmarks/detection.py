"""Precision and recall of `mismatch` over the planted-discrepancy suite (tests/compare)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.compare.detection import tally


def main() -> None:
    result = tally()
    print(f"cells judged: {result.cells}; planted mismatches found: {result.true_positive}")
    print(f"precision {result.precision:.3f}   recall {result.recall:.3f}")
    for line in result.wrong:
        print(f"  wrong: {line}")


if __name__ == "__main__":
    main()
