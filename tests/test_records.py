"""One record writer and one reader: atomic, size-capped, validated; publish uses the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compare.planted import honest
from validator.github import artifact
from validator.leaderboard import publish
from validator.leaderboard.table import load_record
from validator.verification import (
    MAX_RECORD,
    RecordError,
    VerificationRecord,
    read_record,
    write_record,
)


def record() -> VerificationRecord:
    return honest(500)[1]


def refuse(self: Path, other: Path) -> Path:
    raise OSError(28, "No space left on device")


def test_written_then_read_back_the_same(tmp_path: Path) -> None:
    target = write_record(record(), tmp_path / "out")
    assert target == tmp_path / "out" / "verification.json"
    assert read_record(target) == record()
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["verification.json"]
    assert json.loads(target.read_text(encoding="utf-8"))["record_version"] == 1


def test_a_failed_write_leaves_the_old_record_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_record(record(), tmp_path)
    before = target.read_bytes()
    newer = record().model_copy(update={"created_at": "2027-01-01T00:00:00+00:00"})

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        write_record(newer, tmp_path)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["verification.json"]


def test_publish_writes_results_with_the_same_atomic_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = publish.write_record(tmp_path, record())
    assert target == tmp_path / "results" / "ml_masters" / "hw-2.json"
    assert target.read_bytes() == write_record(record(), tmp_path / "plain").read_bytes()
    before = target.read_bytes()
    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        publish.write_record(tmp_path, record().model_copy(update={"commit": "abc"}))
    assert target.read_bytes() == before  # never half a record in results/
    assert [p.name for p in target.parent.iterdir()] == ["hw-2.json"]


def test_the_reader_refuses_with_a_reason(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_RECORD + 1))
    broken = tmp_path / "broken.json"
    broken.write_text('{"record_version": 1}')
    cases = {
        big: "larger than 16 MiB",
        broken: "is not a valid verification record: `manifest_path` is required",
        tmp_path / "missing.json": "No such file",
    }
    for path, words in cases.items():
        with pytest.raises(RecordError, match=words):
            read_record(path)
        with pytest.raises(artifact.ArtifactError, match=words):
            artifact.load_file(path)
        assert load_record(path) is None  # the leaderboard shows the runs as not reproduced
