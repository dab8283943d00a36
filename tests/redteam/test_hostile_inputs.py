"""Red team: a hostile model folder, dataset and dataset card, after issue 12 landed.

What the fetch phase reads outside the sandbox, and what the parse phase hands back to
the runner. Each attack broke the first version (a traceback, or rows past every cap);
the fixes: check_safe and read_card refuse nesting bombs, and `Output` caps what a run
prints at its scratch size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.errors import RunnerError
from tests.runner.test_reproduce import text_manifest
from validator.verification import VerificationRecord

DEEP = 200_000  # nesting levels: far past Python's recursion limit, 200 kB of text


def test_a_deeply_nested_config_json_fails_its_run_not_the_job(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    from runner.sandbox.bwrap import probe
    from validator.cli import EXIT_BUG, main

    if probe():
        pytest.skip(f"bwrap sandbox unavailable: {probe()}")
    manifest = text_manifest(
        tmp_path, tiny_models["text-classification"], [{"label": "o", "method": "original"}], 2
    )
    (manifest.parent / "model" / "config.json").write_text("[" * DEEP)
    code = main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), "--sandbox", "bwrap"])
    assert code != EXIT_BUG, "mcv reproduce: internal error (a traceback), no record"
    assert (tmp_path / "out" / "verification.json").exists(), f"exit {code}, no record"
    record = VerificationRecord.model_validate_json(
        (tmp_path / "out" / "verification.json").read_text()
    )
    assert code == 1
    assert record.runs[0].status == "failed"
    assert "config.json" in (record.runs[0].error or "")


def test_a_deeply_nested_dataset_card_is_refused(tmp_path: Path) -> None:
    from runner.loading.hub_data import read_card

    card = tmp_path / "README.md"
    card.write_text("---\nconfigs: " + "[" * DEEP + "\n---\n")
    with pytest.raises(RunnerError, match="card"):
        read_card(card)


def _compressed_rows(path: Path, rows: int, mib: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    value = "a" * (mib << 20)
    table = pa.table({"text": [value] * rows, "label": [0] * rows})
    pq.write_table(table, path, compression="zstd", use_dictionary=False)


def test_rows_a_compressed_dataset_expands_to_are_capped(tmp_path: Path) -> None:
    from runner.execute import Settings, parse_rows
    from runner.loading.data import DataSource
    from runner.sandbox.bwrap import Bwrap, probe
    from runner.sandbox.limits import GIB, Limits

    if probe():
        pytest.skip(f"bwrap sandbox unavailable: {probe()}")
    data = tmp_path / "team"
    data.mkdir()
    _compressed_rows(data / "bomb.parquet", rows=4, mib=16)
    assert (data / "bomb.parquet").stat().st_size < 1 << 20  # well within every file cap
    for path in (tmp_path, data, data / "bomb.parquet"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    inputs = tmp_path / "run" / "inputs"
    inputs.mkdir(parents=True)
    source = DataSource((str(data / "bomb.parquet"),), str(data), str(data), "bomb.parquet")
    limits = Limits(memory_bytes=2 * GIB, scratch_bytes=GIB // 20)  # a 51 MiB scratch
    settings = Settings(timeout_s=120, limits=limits)
    seen: list[int] = []
    sandbox = Bwrap()
    real_run = sandbox.run

    def measured(request: Any, on_line: Any) -> Any:
        outcome = real_run(request, on_line)
        seen.append(sum(len(line) for line in outcome.lines))
        return outcome

    sandbox.run = measured  # type: ignore[method-assign]
    try:
        rows = parse_rows(source, 4, sandbox, settings, inputs)
    except RunnerError as exc:  # a fix may refuse the rows, saying why
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        assert "rows" in refusal
        return
    written = rows.stat().st_size
    assert written <= limits.scratch_bytes, f"{written >> 20} MiB of rows on the runner's disk"
    assert seen[0] <= limits.scratch_bytes, f"{seen[0] >> 20} MiB held in the runner"
