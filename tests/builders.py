"""Shared builders: a clean manifest as data, written where `mcv check` expects it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from validator.findings import Finding
from validator.pipeline import run_check
from validator.rules.base import PullRequest

CLEAN: dict[str, Any] = {
    "schema_version": 1,
    "team": "ml_masters",
    "homework": 2,
    "model": {"id": "dslim/bert-base-NER", "revision": "7b3f2c1", "task": "token-classification"},
    "evaluation": {
        "dataset": "conll2003",
        "revision": "0123456789abcdef0123456789abcdef01234567",
        "split": "validation",
        "samples": 500,
        "metric": "f1",
    },
    "runs": [
        {
            "label": "Оригинал",
            "method": "original",
            "reported": {
                "size_mb": 411.2,
                "cpu_ms": 88.31,
                "gpu_ms": 7.92,
                "ram_mb": 903.4,
                "vram_mb": 512.7,
                "quality": 0.9112,
            },
            "hardware": {"gpu": "Tesla T4"},
        },
        {
            "label": "INT8 dynamic",
            "method": "dynamic-int8",
            "reported": {"size_mb": 181.6, "cpu_ms": 41.07, "ram_mb": 640.2, "quality": 0.9031},
        },
    ],
}


def manifest(**changes: Any) -> dict[str, Any]:
    """A deep copy of CLEAN with top-level keys replaced."""
    data = copy.deepcopy(CLEAN)
    data.update(copy.deepcopy(changes))
    return data


def with_run(data: dict[str, Any], **run: Any) -> dict[str, Any]:
    data["runs"].append(run)
    return data


def write(
    root: Path, content: dict[str, Any] | str | bytes, team: str = "ml_masters", homework: int = 2
) -> Path:
    path = root / "submissions" / team / f"hw-{homework}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, dict):
        content = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def check(
    root: Path, content: dict[str, Any] | str | bytes, pr: PullRequest | None = None, **where: Any
) -> list[Finding]:
    return run_check([write(root, content, **where)], pr or PullRequest())


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]
