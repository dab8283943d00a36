"""Inside the sandbox: turn the parsed evaluation rows into samples, with no team code.

`python -m runner.prepare SPEC.json`: the task adapter's `prepare` over the rows (the
model folder's tokenizer or feature extractor, images and audio decoded), then one
`sample\t{json}` line per sample (inputs, references, what scoring needs), a `state\t{json}`
line (what a worker needs to predict: a generating task's decoding budget) and `prepared`;
or one `error\t...` line. The coordinator keeps the references; workers get inputs only.
Decoding a dataset's images and audio reads untrusted bytes, so this runs sandboxed, and
its output is JSON read with `runner.protocol.unpack` (no pickle).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from runner.errors import RunnerError


def main(spec_file: str) -> int:
    from runner.harness import quiet
    from runner.loading.data import read_jsonl
    from runner.protocol import pack
    from runner.tasks import TASKS

    try:
        spec: dict[str, Any] = json.loads(Path(spec_file).read_text(encoding="utf-8"))
        quiet()
        task = TASKS[spec["task"]](Path(spec["folder"]), spec.get("columns") or {})
        samples = task.prepare(read_jsonl(Path(spec["rows"]), int(spec["samples"])))
        lines = [
            json.dumps(pack({"inputs": s.inputs, "reference": s.reference, "aux": s.aux}))
            for s in samples
        ]
        state = json.dumps(pack(task.serving_state()))
    except RunnerError as exc:
        print(f"error\t{exc}", flush=True)
        return 1
    except Exception as exc:  # a library failure on this data: its kind and first line
        text = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(f"error\tthe evaluation samples cannot be prepared ({type(exc).__name__}: {text})")
        return 1
    for line in lines:
        sys.stdout.write("sample\t" + line + "\n")
    print("state\t" + state)
    print("prepared", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
