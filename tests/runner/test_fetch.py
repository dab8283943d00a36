"""The fetch phase of a sandboxed run: what it binds comes from the manifest's names as the
fetch resolved them, never from the data; rows are parsed inside the sandbox; a hub model
and a hub dataset from a cache laid out as the hub lays it out run under bubblewrap."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.errors import RunnerError
from runner.execute import Settings, fetch_all, plan_for
from runner.harness import Job, job_of
from runner.sandbox.base import Outcome, Request
from runner.trackers.latency import LatencySettings
from tests.runner.hub_cache import SHA, add_model_folder, offline_cache
from tests.runner.test_loading import SECRET, glue_like, secret_file
from tests.runner.test_reproduce import FAST, read_record, write_manifest
from validator.manifest.schema import Manifest

BWRAP = [*FAST[:-2], "--sandbox", "bwrap"]


class Unconfined:
    """A backend that runs the request as a plain subprocess and records it: for reading what
    the fetch asks a sandbox to bind (the real backends are tested in tests/sandbox)."""

    name = "unconfined"

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def python(self) -> str:
        return sys.executable

    def run(self, request: Request, on_line: Callable[[str], None]) -> Outcome:
        self.requests.append(request)
        done = subprocess.run(
            request.argv, capture_output=True, text=True, check=False, cwd=request.scratch
        )
        lines = done.stdout.splitlines()
        for line in lines:
            on_line(line)
        return Outcome(done.returncode, lines, done.stderr)


def job_for(manifest_path: Path, work: Path) -> Job:
    manifest = Manifest.model_validate(yaml.safe_load(manifest_path.read_text(encoding="utf-8")))
    return job_of(
        manifest,
        0,
        manifest_dir=str(manifest_path.parent.resolve()),
        device="cpu",
        threads=1,
        work_dir=str(work / "run-0" / "work"),
        latency=LatencySettings(),
    )


def hostile_rows(root: Path, rows: list[dict[str, Any]]) -> None:
    data = root / "submissions" / "t" / "data" / "hostile.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_rows_that_name_host_folders_add_no_bind(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    """On main, `_base_dir` in a row became a read-only bind of /root, /proc or /run."""
    original = [{"label": "Оригинал", "method": "original"}]
    manifest = write_manifest(
        tmp_path, tiny_models["text-classification"], "text-classification", "hostile.jsonl",
        "accuracy", original,
    )  # fmt: skip
    hostile_rows(tmp_path, [{"text": "good", "label": 1, "_base_dir": "/root"}])
    backend = Unconfined()
    root = tmp_path / "scratch"
    loaded = Manifest.model_validate(yaml.safe_load(manifest.read_text(encoding="utf-8")))
    with pytest.raises(RunnerError, match=r"row 1 has a column `_base_dir`"):
        fetch_all(loaded, {0: job_for(manifest, root)}, backend, Settings(), root)
    hostile_rows(tmp_path, [{"text": "good", "label": 1, "path": "/proc"}])
    job = job_for(manifest, root)
    fetched = fetch_all(loaded, {0: job}, backend, Settings(), root)
    folder = fetched.folders[0]
    assert isinstance(folder, Path)
    plan = plan_for(loaded, job, folder, fetched, Settings(), root)
    team = (tmp_path / "submissions" / "t").resolve()
    inputs = root / "inputs"
    # The worker reads its model and its job: never the data, the rows or the references.
    assert set(plan.request.read_only) == {team / "model", root / "run-0" / "job"}
    parse = backend.requests[-1]  # the first one refused the `_base_dir` row
    assert parse.argv[1:3] == ["-m", "runner.loading.parse"]
    assert set(parse.read_only) == {team, inputs.resolve()}
    rows = [json.loads(line) for line in fetched.rows_path.read_text().splitlines()]
    assert [(r["_row"], r["_base_dir"], r["path"]) for r in rows] == [
        (1, str(team / "data"), "/proc")  # the data file's own folder, not the row's say
    ]


def test_a_row_naming_a_host_file_fails_with_row_and_column(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    secret = secret_file(tmp_path)
    runs = [{"label": "Оригинал", "method": "original"}]
    manifest = write_manifest(
        tmp_path, tiny_models["image-classification"], "image-classification", "hostile.jsonl",
        "accuracy", runs,
    )  # fmt: skip
    hostile_rows(tmp_path, [{"image": str(secret), "label": 1}, {"image": "../../x", "label": 0}])
    from validator.cli import main

    assert main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *FAST]) == 1
    (run,) = read_record(tmp_path / "out").runs
    assert run.error is not None
    assert "evaluation row 1, column `image`" in run.error
    assert "not a path inside the dataset's folder" in run.error
    assert SECRET not in run.error


@pytest.fixture
def bwrap() -> None:
    from runner.sandbox.bwrap import probe

    problem = probe()
    if problem:
        pytest.skip(f"bwrap sandbox unavailable: {problem}")


def hub_manifest(root: Path, runs: list[dict[str, Any]]) -> Path:
    path = write_manifest(root, "org/tiny-sst", "text-classification", "x", "accuracy", runs, 4)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["model"]["revision"] = SHA
    data["evaluation"].update(dataset="org/glue", revision=SHA, subset="sst2")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_hub_model_and_dataset_run_under_bwrap(
    bwrap: None,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On main every hub model failed under bwrap: the snapshot's files link into `blobs/`,
    which was not bound. The rows are parsed in the sandbox: here the parent cannot."""
    import runner.loading.data as data
    from validator.cli import main

    cache = offline_cache(monkeypatch, tmp_path / "hub")
    add_model_folder(cache, "org/tiny-sst", tiny_models["text-classification"])
    glue_like(cache)
    manifest = hub_manifest(tmp_path, [{"label": "Оригинал", "method": "original"}])

    def no_parsing_here(*_: Any) -> Any:
        raise AssertionError("the evaluation rows were parsed outside the sandbox")

    monkeypatch.setattr(data, "read_file", no_parsing_here)
    code = main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *BWRAP])
    (run,) = read_record(tmp_path / "out").runs
    assert (code, run.status, run.error) == (0, "ok", None)
    assert run.quality is not None
    assert run.quality.samples == 4


def test_a_hostile_card_fails_the_run_without_quoting_a_host_file(
    bwrap: None,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On main a card's `data_files: /abs/path` made the runner read a mode-600 host file and
    quote it in the run's error, hence in the PR comment."""
    from validator.cli import main

    cache = offline_cache(monkeypatch, tmp_path / "hub")
    add_model_folder(cache, "org/tiny-sst", tiny_models["text-classification"])
    secret = secret_file(tmp_path)
    card = (
        "---\nconfigs:\n- config_name: sst2\n  data_files:\n"
        f"  - split: validation\n    path: {secret}\n---\n"
    )
    glue_like(cache, card)
    manifest = hub_manifest(tmp_path, [{"label": "Оригинал", "method": "original"}])
    code = main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *BWRAP])
    (run,) = read_record(tmp_path / "out").runs
    assert (code, run.status) == (1, "failed")
    assert "outside the dataset's own repository" in (run.error or "")
    assert SECRET not in (tmp_path / "out" / "verification.json").read_text()


def test_files_beside_the_data_are_read_in_the_sandbox(
    bwrap: None, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    """Audio clips a row names resolve beside the data file, in the team's bound folder."""
    from validator.cli import main

    runs = [{"label": "Оригинал", "method": "original"}]
    manifest = write_manifest(
        tmp_path, tiny_models["ctc"], "automatic-speech-recognition", "asr.jsonl", "cer", runs, 2
    )
    code = main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *BWRAP])
    (run,) = read_record(tmp_path / "out").runs
    assert (code, run.status, run.error) == (0, "ok", None)
    assert run.quality is not None
    assert run.quality.samples == 2
