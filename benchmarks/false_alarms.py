"""False alarms and caught lies: honest re-runs against a team record the tool made.

For the built-in demo and two tiny real-architecture tasks (BERT text classification and
BERT token classification, random weights): `mcv reproduce` once, in its own process, as a
team would, and a manifest whose reported values are that record's own figures; then
`--reruns` more reproductions, each in a fresh process, as the runner would, and
`mcv compare` of the team manifest against each: once naming this machine's CPU (same
hardware) and once another CPU (other hardware). Every `mismatch` there is a false alarm.
Then planted lies on the same-hardware manifest, each of which must be caught (a
`mismatch` on its cell) against every re-run:

- a compressed run claimed 2x faster than the team measured it;
- +0.05 quality (only where the evaluation has n >= 300 samples);
- size x 0.5;
- a compressed run's latency copied from the original's (on the run whose measured
  speed-up is furthest from 1).

Prints the counts. `python benchmarks/false_alarms.py [--reruns 3] [--min-seconds 1]`.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MCV = [sys.executable, "-m", "validator"]
OTHER_CPU = "Some other CPU, 64 cores"
SEEN: dict[tuple[str, str], list[Any]] = {}  # (task, run) -> (ms, speed-up, interval) each


def sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=REPO)


def tasks(root: Path) -> dict[str, Path]:
    """Manifests to reproduce: the demo's, and two written over tiny models."""
    from tests.runner.test_reproduce import write_manifest
    from tests.runner.tiny_models import build_all

    sh(sys.executable, "-m", "runner.demo")
    demo = root / "demo" / "submissions" / "demo"  # a copy: plants are written beside it
    shutil.copytree(REPO / "submissions" / "demo", demo)
    hw3 = demo / "hw-3.yaml"
    models = build_all(root / "models")
    runs = [
        {"label": "Оригинал", "method": "original"},
        {"label": "INT8", "method": "dynamic-int8"},
        {"label": "ONNX", "method": "onnx"},
    ]
    text = write_manifest(
        root / "text",
        models["text-classification"],
        "text-classification",
        "sentiment.jsonl",
        "accuracy",
        runs,
    )
    ner = write_manifest(
        root / "ner", models["token-classification"], "token-classification", "ner.jsonl", "f1",
        runs,
    )  # fmt: skip
    return {"demo": hw3, "text": text, "ner": ner}


def reproduce(manifest: Path, out: Path, min_seconds: float, name: str) -> dict[str, Any]:
    done = sh(
        *MCV, "reproduce", str(manifest), "--out", str(out), "--min-seconds", str(min_seconds)
    )
    path = out / "verification.json"
    if not path.exists():
        raise SystemExit(f"reproduce failed for {manifest}: {done.stderr[-2000:]}")
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for run in record["runs"]:
        speedup, cpu = run.get("speedup"), run.get("cpu") or {}
        if cpu:
            SEEN.setdefault((name, run["label"]), []).append(
                (cpu["ms"]["median"], speedup and speedup["value"],
                 speedup and (speedup["ci_low"], speedup["ci_high"]))
            )  # fmt: skip
    return record


def team_manifest(
    manifest: Path, record: dict[str, Any], record_path: Path, cpu: str, target: Path
) -> Path:
    """The manifest with the team record's own figures as its reported values: what
    `mcv compare` reads from that record for each cell (a theoretical size where the run
    says so)."""
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    runs = {r["label"]: r for r in record["runs"]}
    for run in data["runs"]:
        got = runs[run["label"]]
        if got["status"] != "ok":
            raise SystemExit(f"{manifest}: run {run['label']} is {got['status']}: {got['error']}")
        reported = {
            "size_mb": round(got["size"]["size_mb"], 6),
            "cpu_ms": round(got["cpu"]["ms"]["median"], 6),
            "quality": round(got["quality"]["value"], 6),
            "ram_mb": round(got["memory"]["ram_peak_mb"], 3),
        }
        run["reported"] = reported
        run["hardware"] = {"cpu": cpu}
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = compare(target, record_path, target.parent / f"{target.stem}-own")
    for run, judged in zip(data["runs"], report["runs"], strict=True):
        for cell in judged["cells"]:
            if cell["reproduced"] is not None and cell["metric"] in run["reported"]:
                run["reported"][cell["metric"]] = round(float(cell["reproduced"]), 6)
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def compare(manifest: Path, record: Path, out: Path) -> dict[str, Any]:
    done = sh(*MCV, "compare", str(manifest), str(record), "--out", str(out), "--lang", "en")
    path = out / "report.json"
    if not path.exists():
        raise SystemExit(f"mcv compare {manifest.name} wrote no report: {done.stderr[-1500:]}")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def cells(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["label"], c["metric"], c["verdict"]) for r in report["runs"] for c in r["cells"]]


def plants(
    manifest: Path, record: dict[str, Any], samples: int
) -> dict[str, tuple[Path, str, str]]:
    """name -> (planted manifest, run label, metric) on copies of the team manifest."""
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    runs = {r["label"]: r for r in record["runs"]}
    compressed = [r for r in data["runs"] if r["method"] != "original"]
    original = next(r for r in data["runs"] if r["method"] == "original")
    fastest = max(compressed, key=lambda r: runs[r["label"]]["speedup"]["value"])
    furthest = max(compressed, key=lambda r: abs(math.log(runs[r["label"]]["speedup"]["value"])))
    out: dict[str, tuple[Path, str, str]] = {}

    def plant(name: str, run: dict[str, Any], field: str, value: float) -> None:
        changed = copy.deepcopy(data)
        target = next(r for r in changed["runs"] if r["label"] == run["label"])
        target["reported"][field] = value
        path = manifest.with_name(f"plant-{name}.yaml")
        path.write_text(yaml.safe_dump(changed, allow_unicode=True, sort_keys=False))
        out[name] = (path, run["label"], "quality" if field == "quality" else field)

    plant("2x faster", fastest, "cpu_ms", fastest["reported"]["cpu_ms"] / 2)
    if samples >= 300:
        run = compressed[0]
        plant("+0.05 quality", run, "quality", min(1.0, run["reported"]["quality"] + 0.05))
    plant("size x0.5", compressed[-1], "size_mb", compressed[-1]["reported"]["size_mb"] / 2)
    speedup = runs[furthest["label"]]["speedup"]
    if speedup["ci_low"] > 1.5 or speedup["ci_high"] < 1 / 1.5:
        plant("latency copied", furthest, "cpu_ms", original["reported"]["cpu_ms"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=3)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--only", nargs="*", help="task names: demo text ner")
    args = parser.parse_args()
    started = time.perf_counter()
    false_alarms = grey = judged = 0
    caught = planted = 0
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mcv-false-alarms-") as scratch:
        root = Path(scratch)
        for name, manifest in tasks(root).items():
            if args.only and name not in args.only:
                continue
            work = root / f"out-{name}"
            print(f"[{name}] team record (one process)", file=sys.stderr)
            team = reproduce(manifest, work / "team", args.min_seconds, name)
            cpu = team["fingerprint"]["cpu_model"]
            folder = manifest.parent
            team_path = work / "team" / "verification.json"
            same_hw = team_manifest(
                manifest, team, team_path, cpu, folder / f"team-same-{name}.yaml"
            )
            other_hw = team_manifest(
                manifest, team, team_path, OTHER_CPU, folder / f"team-other-{name}.yaml"
            )
            samples = yaml.safe_load(manifest.read_text())["evaluation"]["samples"]
            planted_files = plants(same_hw, team, samples)
            for rerun in range(args.reruns):
                print(f"[{name}] runner re-run {rerun + 1}/{args.reruns}", file=sys.stderr)
                out = work / f"rerun-{rerun}"
                reproduce(manifest, out, args.min_seconds, name)
                record = out / "verification.json"
                for hw, team_file in (("same", same_hw), ("other", other_hw)):
                    report = compare(team_file, record, out / f"cmp-{hw}")
                    for label, metric, verdict in cells(report):
                        judged += 1
                        grey += verdict == "unverifiable"
                        if verdict == "mismatch":
                            false_alarms += 1
                            lines.append(f"  false alarm: {name} re-run {rerun + 1} {hw} "
                                         f"hardware: {label} {metric}")  # fmt: skip
                for plant_name, (path, label, metric) in planted_files.items():
                    report = compare(path, record, out / f"plant-{plant_name}")
                    verdicts = {(r[0], r[1]): r[2] for r in cells(report)}
                    planted += 1
                    hit = verdicts.get((label, metric)) == "mismatch"
                    caught += hit
                    if not hit:
                        got = verdicts.get((label, metric))
                        lines.append(
                            f"  missed: {name} re-run {rerun + 1}: {plant_name} on "
                            f"{label} {metric} ({got})"
                        )
    print("\n".join(lines))
    print("median ms and speed-up [95% interval], process by process (the first: the team's):")
    for (task, label), seen in SEEN.items():
        figures = ", ".join(
            f"{ms:.3g}" + (f" x{s:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]" if s else "")
            for ms, s, ci in seen
        )
        print(f"  {task} {label}: {figures}")
    print(f"false alarms: {false_alarms} of {judged} honest cells ({grey} grey: not resolved here)")
    print(f"planted lies caught: {caught} of {planted}")
    print(f"took {time.perf_counter() - started:.0f} s")
    return 0 if false_alarms == 0 and caught == planted else 1


if __name__ == "__main__":
    sys.exit(main())
