"""The report a team reads: golden Markdown in both languages, JSON, annotations, verdicts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compare.detection import judge
from tests.compare.planted import honest
from tests.conftest import REPO
from validator.compare import render
from validator.compare.hardware import normalise, same
from validator.compare.strings import STRINGS
from validator.config import CourseConfig, load_config
from validator.errors import UserError
from validator.verification import RunRecord, VerificationRecord

SNAPSHOTS = REPO / "tests" / "snapshots"


def mixed() -> tuple[dict[str, Any], VerificationRecord]:
    """One of each: verified, a copied latency, a GPU claim on a CPU runner, a failed run."""
    data, record = honest(500)
    data["runs"][1]["reported"]["cpu_ms"] = data["runs"][0]["reported"]["cpu_ms"]
    data["runs"][2]["reported"]["gpu_ms"] = 9.5
    data["runs"][2]["hardware"] = {"cpu": "AMD Ryzen 7 5800X", "gpu": "Tesla T4"}
    failed = RunRecord(
        label="K-means",
        method="kmeans",
        status="failed",
        error="timed out after 1800 s",
        duration_s=1800.0,
    )
    record = record.model_copy(update={"runs": [*record.runs[:3], failed]})
    return data, record


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_golden_markdown(lang: str, tmp_path: Path) -> None:
    data, record = mixed()
    text = render.markdown(judge(data, record, tmp_path), lang, "compare.png")  # type: ignore[arg-type]
    golden = SNAPSHOTS / f"compare_{lang}.md"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_verdicts_of_the_mixed_submission(tmp_path: Path) -> None:
    data, record = mixed()
    report = judge(data, record, tmp_path)
    assert report.verdict == "discrepancies"
    assert [r.verdict for r in report.runs] == [
        "verified",
        "discrepancies",
        "incomplete",
        "incomplete",
    ]
    assert render.marker(report) == "<!-- mcv:report team=ml_masters hw=2 -->"
    cells = {(r.label, c.metric): c.verdict for r in report.runs for c in r.cells}
    assert cells[("Прунинг", "gpu_ms")] == "unverifiable"
    assert cells[("K-means", "size_mb")] == "run-failed"
    assert cells[("Оригинал", "cpu_ms")] == "unverifiable"  # the baseline elsewhere: an anchor


def test_honest_submission_is_verified(tmp_path: Path) -> None:
    data, record = honest(500)
    assert judge(data, record, tmp_path).verdict == "verified"


def test_a_record_of_another_manifest_version_is_incomplete(tmp_path: Path) -> None:
    data, record = honest(500)
    other = record.model_copy(update={"manifest_sha256": "1" * 64})
    from tests.compare.detection import build, run_check  # type: ignore[attr-defined]

    del build, run_check
    report = judge(data, other, tmp_path)
    assert report.manifest_changed
    assert report.verdict == "incomplete"


def test_json_has_the_same_content(tmp_path: Path) -> None:
    data, record = mixed()
    document = render.as_json(judge(data, record, tmp_path), "en")
    assert document["version"] == 2
    assert document["verdict"] == "discrepancies"
    size, _, ram, quality = document["runs"][0]["cells"]
    assert size["tolerance"] == {"relative": 0.05}
    assert ram["tolerance"] == {"relative": 0.5}
    assert quality["tolerance"] == {"absolute": 0.025}
    assert quality["tolerance_basis"] == "ci"
    assert quality["spread"] == {"low": 0.892, "high": 0.932, "n": 500}
    assert quality["tolerance_text"] == "±0.025 (95% CI at n=500)"
    latency = document["runs"][1]["cells"][1]
    assert latency["spread"] == {"p90": 20.6, "cv": 0.02, "n": 120}
    numbers = [v for run in document["runs"] for c in run["cells"] for v in c.values()]
    assert not any(isinstance(v, str) and v[:1].isdigit() for v in numbers)  # no "0.025"
    copied = next(c for c in document["runs"][1]["cells"] if c["metric"] == "cpu_ms")
    assert copied["verdict"] == "mismatch"
    assert copied["message"].startswith("The claimed speed-up over the original, ×1.00")
    assert document["runs"][1]["findings"][0]["code"] == "MCV401"


def test_annotations_point_at_the_manifest_line(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, record = mixed()
    monkeypatch.chdir(tmp_path)
    manifest = tmp_path / "submissions" / "ml_masters" / "hw-2.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    import hashlib

    sha = hashlib.sha256(manifest.read_bytes()).hexdigest()
    (tmp_path / "v.json").write_text(
        record.model_copy(update={"manifest_sha256": sha}).model_dump_json()
    )
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    from validator.manifest import load as load_module

    reads: list[object] = []
    read_yaml = load_module.read_yaml
    monkeypatch.setattr(load_module, "read_yaml", lambda *a: reads.append(a) or read_yaml(*a))
    code, out, _ = cli(
        "compare",
        "submissions/ml_masters/hw-2.yaml",
        "v.json",
        "--format",
        "github",
        "--lang",
        "en",
    )
    assert code == 1
    lines = manifest.read_text().splitlines()
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    assert errors
    copied = next(e for e in errors if "cpu_ms mismatch" in e)
    line_no = int(copied.split("line=")[1].split(",")[0])
    assert lines[line_no - 1].strip().startswith("cpu_ms:")
    assert "<!-- mcv:report team=ml_masters hw=2 -->" in summary.read_text()
    assert len(reads) == 1, "the static checks re-read the manifest compare had loaded"


def test_out_writes_markdown_json_and_plot(tmp_path: Path, cli: Any) -> None:
    data, record = mixed()
    manifest = tmp_path / "submissions" / "ml_masters" / "hw-2.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True))
    (tmp_path / "v.json").write_text(record.model_dump_json())
    code, out, err = cli(
        "compare", str(manifest), str(tmp_path / "v.json"), "--out", str(tmp_path / "report")
    )
    assert code == 1
    assert out.startswith("<!-- mcv:report")
    assert "![" in out
    assert (tmp_path / "report" / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "report" / "report.json").read_text())["verdict"]
    assert err.strip().endswith("mcv compare: discrepancies")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not a valid verification record"),
        ('{"record_version": 1}', "not a valid verification record"),
        ("[]", "not a valid verification record"),
    ],
)
def test_a_bad_record_is_a_usage_error(tmp_path: Path, cli: Any, content: str, words: str) -> None:
    data, _ = honest(500)
    manifest = tmp_path / "submissions" / "ml_masters" / "hw-2.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True))
    (tmp_path / "v.json").write_text(content)
    code, _, err = cli("compare", str(manifest), str(tmp_path / "v.json"))
    assert code == 2
    assert words in err
    assert "Traceback" not in err


def test_every_string_has_both_languages() -> None:
    assert all(set(pair) == {"ru", "en"} and all(pair.values()) for pair in STRINGS.values())


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ("Tesla T4", "T4", True),
        ("NVIDIA T4 16GB", "Tesla T4", True),
        ("NVIDIA A100-SXM4-80GB", "A100", True),
        ("T4", "A100", False),
        (None, "T4", False),
    ],
)
def test_gpu_names(left: str | None, right: str, equal: bool) -> None:
    assert same(left, right) is equal


def test_normalise_cpu_names() -> None:
    assert normalise("Intel(R) Xeon(R) CPU @ 2.20GHz") == normalise("Intel Xeon")


def test_course_config(tmp_path: Path) -> None:
    path = tmp_path / "mcv.toml"
    path.write_text('[course]\nlang = "en"\n[tolerance]\nsize_rel = 0.1\n')
    config = load_config(path)
    assert (config.course.lang, config.tolerance.size_rel) == ("en", 0.1)
    assert config.tolerance.quality_floor == CourseConfig().tolerance.quality_floor
    path.write_text("[tolerance]\nsize_rell = 0.1\n")
    with pytest.raises(UserError, match="unknown key `size_rell` in tolerance"):
        load_config(path)
    path.write_text("[tolerance\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_config(path)


def test_the_shipped_course_config_is_the_defaults() -> None:
    assert load_config(REPO / ".github" / "mcv.toml") == CourseConfig()


def test_json_of_a_record_timed_in_rounds_keeps_its_numbers(tmp_path: Path) -> None:
    data, record = honest(500)
    runs = []
    for run in record.runs:
        if run.cpu is not None:
            median = run.cpu.ms.median
            cpu = run.cpu.model_copy(
                update={"ci_low": median * 0.97, "ci_high": median * 1.03, "rounds": 20}
            )
            run = run.model_copy(update={"cpu": cpu})
        runs.append(run)
    report = judge(data, record.model_copy(update={"runs": runs}), tmp_path)
    document = render.as_json(report, "en")  # a crash here once: "rounds" is not a number
    latency = document["runs"][0]["cells"][1]
    assert latency["metric"] == "cpu_ms"
    assert latency["spread"] == {"low": 38.8, "high": 41.2, "rounds": 20}


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("±5%", {"relative": 0.05}),
        ("±0.025", {"absolute": 0.025}),
        ("×0.75…×1.56", {"speedup": [0.75, 1.56]}),
        ("", None),
    ],
)
def test_tolerances_as_numbers(text: str, numbers: dict[str, Any] | None) -> None:
    assert render.tolerance_numbers(text) == numbers


def test_unnamed_hardware_is_said_in_the_reports_language(tmp_path: Path) -> None:
    data, record = honest(500)
    for run in data["runs"]:
        run.pop("hardware", None)
    text = render.markdown(judge(data, record, tmp_path), "ru")
    assert "Железо другое (не указано)" in text
    assert "not named" not in text


def test_a_latency_the_echo_took_whole_is_grey_not_red(tmp_path: Path) -> None:
    """A model faster than the channel resolves: its corrected median is 0 (and no
    speed-up was resolved). Its claim cannot be checked here; it is no discrepancy."""
    data, record = honest(500)
    runs = []
    for run in record.runs:
        if run.label == record.runs[1].label and run.cpu is not None:
            spread = run.cpu.ms.model_copy(update={"median": 0.0})
            run = run.model_copy(update={"cpu": run.cpu.model_copy(update={"ms": spread})})
        runs.append(run)
    report = judge(data, record.model_copy(update={"runs": runs}), tmp_path)
    cell = next(c for c in report.runs[1].cells if c.metric == "cpu_ms")
    assert cell.judgement.verdict == "unverifiable"
    assert cell.judgement.cause == "latency-below-channel"
    assert report.runs[1].verdict != "mismatch"
