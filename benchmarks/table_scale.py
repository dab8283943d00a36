"""Regenerate a README leaderboard of 5,000 rows across 7 homeworks: time and peak memory.

1,000 manifests of 5 runs each (with their verification records) are written to a scratch
folder once; then `collect` + `markdown` + the marker rewrite are timed (median of 5), and
peak Python memory is taken with tracemalloc. Plots are timed apart.
"""

from __future__ import annotations

import copy
import hashlib
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.compare.planted import honest  # noqa: E402
from validator.config import CourseConfig  # noqa: E402
from validator.leaderboard import readme  # noqa: E402
from validator.leaderboard.markers import END, START  # noqa: E402
from validator.leaderboard.pareto import draw  # noqa: E402
from validator.leaderboard.table import collect, markdown  # noqa: E402

MANIFESTS = 1000


def build(root: Path) -> None:
    data, record = honest(500)
    extra = {**copy.deepcopy(data["runs"][1]), "label": "FP16", "method": "fp16"}
    data["runs"].append(extra)
    record = record.model_copy(
        update={
            "runs": [
                *record.runs,
                record.runs[1].model_copy(update={"label": "FP16", "method": "fp16"}),
            ]
        }
    )
    for index in range(MANIFESTS):
        homework = index % 7 + 1
        team = f"team-{index:04d}"
        data.update(team=team, homework=homework)
        for number, run in enumerate(data["runs"]):  # every team measures its own numbers
            run["reported"]["size_mb"] = round(100 + (index * 37 + number * 11) % 400, 1)
            run["reported"]["quality"] = round(0.7 + ((index * 13 + number) % 29) / 100, 4)
        raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
        folder = root / "submissions" / team
        folder.mkdir(parents=True)
        (folder / f"hw-{homework}.yaml").write_bytes(raw)
        results = root / "results" / team
        results.mkdir(parents=True)
        (results / f"hw-{homework}.json").write_text(
            record.model_copy(
                update={"manifest_sha256": hashlib.sha256(raw).hexdigest()}
            ).model_dump_json()
        )
    (root / "README.md").write_text(f"# Course\n\n{START}\n{END}\n")


def regenerate(root: Path, config: CourseConfig) -> int:
    rows, _, _ = collect(root, config)
    readme.regenerate(root / "README.md", markdown(rows, config, "ru"))
    return len(rows)


def main() -> None:
    config = CourseConfig()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        build(root)
        rows = regenerate(root, config)  # warm: imports, pandas
        times = []
        for _ in range(5):
            (root / "README.md").write_text(f"# Course\n\n{START}\n{END}\n")
            start = time.perf_counter()
            regenerate(root, config)
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        regenerate(root, config)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        start = time.perf_counter()
        plots = draw(collect(root, config)[0], root / "docs")
        plot_time = time.perf_counter() - start
    print(f"rows: {rows} in 7 homeworks ({MANIFESTS} manifests with records)")
    print(
        f"regenerate README: median {statistics.median(times) * 1e3:.0f} ms "
        f"(min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f}), "
        f"peak Python memory {peak / 2**20:.1f} MiB"
    )
    print(f"Pareto plots: {len(plots)} in {plot_time:.2f} s")


if __name__ == "__main__":
    main()
