"""Run the planted suite through `compare` and count what it flags (shared by the test and
benchmarks/detection.py)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.compare.planted import SHA, scenarios
from validator.compare.report import Report, build
from validator.config import CourseConfig
from validator.manifest.schema import Manifest
from validator.pipeline import run_check
from validator.rules.base import PullRequest
from validator.verification import VerificationRecord


def judge(data: dict[str, Any], record: VerificationRecord, root: Path) -> Report:
    path = root / "submissions" / data["team"] / f"hw-{data['homework']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    findings = run_check([path], PullRequest())
    return build(Manifest.model_validate(data), record, findings, CourseConfig(), SHA)


@dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    cells: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        planted = self.true_positive + self.false_negative
        return self.true_positive / planted if planted else 1.0


def tally() -> Tally:
    result = Tally()
    with tempfile.TemporaryDirectory() as scratch:
        for number, (name, data, record, expected) in enumerate(scenarios()):
            report = judge(data, record, Path(scratch, str(number)))
            flagged = {
                (run.label, cell.metric): cell.verdict == "mismatch"
                for run in report.runs
                for cell in run.cells
            }
            for key, should in expected.items():
                result.cells += 1
                got = flagged.get(key, False)
                if got and should:
                    result.true_positive += 1
                elif got and not should:
                    result.false_positive += 1
                    result.wrong.append(f"{name}: {key} flagged, should not be")
                elif should:
                    result.false_negative += 1
                    result.wrong.append(f"{name}: {key} missed")
    return result
