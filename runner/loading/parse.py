"""Inside the sandbox: parse the evaluation rows the fetch located, write them as JSON lines.

`python -m runner.loading.parse SOURCE.json SAMPLES`: one `row\t{json}` line per row on
stdout, then `parsed` (or one `error\t...` line). Parsing a dataset's files (pyarrow,
`datasets` features) is the part of the fetch that reads untrusted bytes, so it runs
sandboxed, with only the dataset's folder readable; its rows come back as lines, so no
file the sandbox wrote is ever opened outside."""

from __future__ import annotations

import sys
from pathlib import Path

from runner.errors import RunnerError
from runner.loading.data import DataSource, json_lines, read_rows


def main(source_file: str, samples: str) -> int:
    try:
        source = DataSource.from_json(Path(source_file).read_text(encoding="utf-8"))
        lines = list(json_lines(read_rows(source, int(samples))))
    except RunnerError as exc:
        print(f"error\t{exc}", flush=True)
        return 1
    except Exception as exc:  # a library failure on this data: its kind, not its text
        print(f"error\tthe evaluation rows cannot be parsed ({type(exc).__name__})", flush=True)
        return 1
    for line in lines:
        sys.stdout.write("row\t" + line)
    print("parsed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
