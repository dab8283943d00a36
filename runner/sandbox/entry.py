"""Inside the sandbox: run one job from its JSON file, print progress and the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


class Lines:
    """The harness's queue, as tab-separated lines on stdout."""

    def put(self, item: tuple[str, str]) -> None:
        kind, payload = item
        print(f"{kind}\t{payload}", flush=True)


def main(path: str) -> None:
    from runner.harness import child_main, job_from_dict

    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    child_main(job_from_dict(data), Lines())


if __name__ == "__main__":
    main(sys.argv[1])
