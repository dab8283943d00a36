"""benchmarks/gpu_check.sh's Python half: rows from a record, and the one table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

HELPER = REPO / "benchmarks" / "gpu_check.py"


def helper(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(HELPER), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_a_record_becomes_a_row_per_run_with_its_reason(tmp_path: Path) -> None:
    record = {
        "runs": [
            {
                "method": "fp16",
                "status": "ok",
                "gpu": {"device": "cuda", "ms": {"median": 1.25}},
                "memory": {"vram_peak_allocated_mb": 3.5, "vram_nvml_mb": 410.0},
                "quality": {"metric": "accuracy", "value": 0.5},
            },
            {"method": "bnb-4bit", "status": "unsupported", "error": "needs bitsandbytes"},
        ]
    }
    (tmp_path / "verification.json").write_text(json.dumps(record))
    rows = helper("record", str(tmp_path / "verification.json"), "reproduce").splitlines()
    assert rows == [
        "row\treproduce: fp16\tok\t"
        "cuda 1.250 ms; VRAM torch 3.50 MB; NVML 410.0 MB; accuracy 0.500",
        "row\treproduce: bnb-4bit\tunsupported\tneeds bitsandbytes",
    ]
    assert "no record" in helper("record", str(tmp_path / "missing.json"), "reproduce")


def test_the_table_lines_up_every_row(tmp_path: Path) -> None:
    rows = tmp_path / "rows.tsv"
    rows.write_text("row\tCUDA device\tmissing\tno CUDA device\nnoise\nrow\tinstall\tok\t\n")
    lines = helper("table", str(rows)).splitlines()
    assert lines[0].split() == ["step", "status", "detail"]
    assert lines[2].split() == ["CUDA", "device", "missing", "no", "CUDA", "device"]
    assert lines[3].split() == ["install", "ok"]
    assert len(lines) == 4


def test_the_script_parses_and_says_how_it_is_used() -> None:
    script = REPO / "benchmarks" / "gpu_check.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    usage = subprocess.run(
        ["bash", str(script), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--cpu-fallback" in usage
    assert "--fetch" in usage
