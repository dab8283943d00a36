"""Fanning a submission out over several runners, and merging the parts back into one record.

The pure tests build parts from the planted honest submission, with the second runner a
slower machine; the end-to-end test runs `mcv shards`, two `mcv reproduce --shard` and
`mcv merge` on a tiny model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.compare.detection import judge
from tests.compare.planted import SHA, honest
from validator.compare import render
from validator.errors import UserError
from validator.manifest.schema import Manifest
from validator.shards import Part, count, merge, owned, parse_shard, plan
from validator.verification import RunRecord, Shard, VerificationRecord

SLOW = 2.0  # the second runner takes twice as long for everything


def part(record: VerificationRecord, index: int, of: int, labels: list[str]) -> Part:
    """What `mcv reproduce --shard index/of` would have written, from the full record."""
    runs = [r for r in record.runs if r.label in labels]
    fingerprint = record.fingerprint
    if index > 1:  # another machine: slower, and named differently
        fingerprint = fingerprint.model_copy(update={"cpu_model": "AMD EPYC 7B13"})
        runs = [slowed(r) for r in runs]
    shard = Shard(index=index, of=of, runs=labels, fingerprint=fingerprint)
    return Part(
        f"part-{index}.json",
        record.model_copy(update={"runs": runs, "fingerprint": fingerprint, "shards": [shard]}),
    )


def slowed(run: RunRecord) -> RunRecord:
    assert run.cpu is not None
    ms = run.cpu.ms.model_copy(update={"median": run.cpu.ms.median * SLOW})
    return run.model_copy(update={"cpu": run.cpu.model_copy(update={"ms": ms})})


def honest_parts(of: int = 2) -> tuple[dict[str, Any], Manifest, list[Part]]:
    data, record = honest(500)
    manifest = Manifest.model_validate(data)
    return (
        data,
        manifest,
        [part(record, k, of, plan(manifest, of)[k - 1]) for k in range(1, of + 1)],
    )


def test_the_plan_runs_the_original_everywhere_and_deals_out_the_rest() -> None:
    _, manifest, _ = honest_parts()
    assert plan(manifest, 2) == [
        ["Оригинал", "INT8 dynamic", "K-means"],
        ["Оригинал", "Прунинг"],
    ]
    assert owned(manifest, 2) == [["Оригинал", "INT8 dynamic", "K-means"], ["Прунинг"]]
    assert plan(manifest, 1) == [[r.label for r in manifest.runs]]
    assert count(manifest, 10) == 3  # never more shards than runs besides the original
    assert count(manifest, 1) == 1


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", ""])
def test_a_bad_shard_says_what_is_expected(text: str) -> None:
    with pytest.raises(UserError, match="expected K/N with 1 <= K <= N"):
        parse_shard(text)
    assert parse_shard(" 2 / 3 ") == (2, 3)


def test_merged_speedups_are_anchored_on_each_runner(tmp_path: Path) -> None:
    data, manifest, parts = honest_parts()
    merged = merge(manifest, SHA, parts)
    assert [r.label for r in merged.runs] == [r.label for r in manifest.runs]
    assert [s.runs for s in merged.shards] == owned(manifest, 2)
    second = merged.shards[1]
    assert second.fingerprint is not None
    assert second.fingerprint.cpu_model == "AMD EPYC 7B13"
    assert second.original_cpu is not None
    assert second.original_cpu.ms.median == pytest.approx(40.0 * SLOW)
    assert merged.settings["shards"] == 2
    assert judge(data, merged, tmp_path).verdict == "verified"
    # Without the anchors, the slow runner's pruned model against the fast runner's
    # original looks like a slow-down, and an honest team would be told it is wrong.
    naive = merged.model_copy(update={"shards": []})
    cells = {
        (r.label, c.metric): c.verdict for r in judge(data, naive, tmp_path).runs for c in r.cells
    }
    assert cells[("Прунинг", "cpu_ms")] == "mismatch"


def test_the_report_says_which_runner_measured_what(tmp_path: Path) -> None:
    data, manifest, parts = honest_parts()
    text = render.markdown(judge(data, merge(manifest, SHA, parts), tmp_path), "en", None)
    assert "Runner 1 of 2 (Оригинал, INT8 dynamic, K-means; the original timed here too)" in text
    assert "Runner 2 of 2 (Прунинг; the original timed here too): AMD EPYC 7B13" in text


def test_a_runner_that_never_reported_leaves_its_runs_failed(tmp_path: Path) -> None:
    data, manifest, parts = honest_parts()
    merged = merge(manifest, SHA, parts[:1])
    pruned = next(r for r in merged.runs if r.label == "Прунинг")
    assert pruned.status == "failed"
    assert pruned.error == "runner 2 of 2 did not report (its job failed or was cancelled)"
    assert merged.shards[1].fingerprint is None
    assert judge(data, merged, tmp_path).verdict != "verified"
    text = render.markdown(judge(data, merged, tmp_path), "ru", None)
    assert "Раннер 2 из 2 (Прунинг): не прислал результат" in text


def test_parts_that_do_not_belong_together_are_refused_all_at_once() -> None:
    _, manifest, parts = honest_parts()
    other = Part("other.json", parts[1].record.model_copy(update={"manifest_sha256": "1" * 64}))
    whole = Part("whole.json", parts[0].record.model_copy(update={"shards": []}))
    with pytest.raises(UserError) as caught:
        merge(manifest, SHA, [parts[0], parts[0], other, whole])
    message = str(caught.value)
    assert "part-1.json: shard 1/2 again (also part-1.json)" in message
    assert "other.json: measured another version of the manifest" in message
    assert "whole.json: not a part of a fanned-out run" in message
    with pytest.raises(UserError, match="no part to merge"):
        merge(manifest, SHA, [])
    three = honest_parts(3)[2]
    with pytest.raises(UserError, match=r"disagree on the number of shards: \[2, 3\]"):
        merge(manifest, SHA, [parts[0], three[1]])


def test_shards_merge_end_to_end(tiny_models: dict[str, Path], tmp_path: Path, cli: Any) -> None:
    from tests.runner.test_reproduce import FAST, text_manifest

    manifest = text_manifest(
        tmp_path,
        tiny_models["text-classification"],
        [
            {"label": "Оригинал", "method": "original"},
            {"label": "fp16", "method": "fp16"},
            {"label": "int8", "method": "dynamic-int8"},
        ],
        samples=4,
    )
    code, out, _ = cli("shards", str(manifest), "--runners", "4")
    assert (code, json.loads(out)) == (0, ["1/2", "2/2"])
    parts = []
    for shard in ("1/2", "2/2"):
        folder = tmp_path / shard.replace("/", "-of-")
        code, _, err = cli(
            "reproduce", str(manifest), "--out", str(folder), "--shard", shard, *FAST
        )
        assert code == 0, err
        parts.append(str(folder / "verification.json"))
    second = VerificationRecord.model_validate_json(Path(parts[1]).read_text())
    assert [r.label for r in second.runs] == ["Оригинал", "int8"]
    code, _, err = cli("merge", str(manifest), *parts, "--out", str(tmp_path / "merged"))
    assert code == 0, err
    merged = VerificationRecord.model_validate_json(
        (tmp_path / "merged" / "verification.json").read_text()
    )
    assert [(r.label, r.status) for r in merged.runs] == [
        ("Оригинал", "ok"),
        ("fp16", "ok"),
        ("int8", "ok"),
    ]
    assert merged.shards[1].original_cpu is not None
    code, _, err = cli("merge", str(manifest), parts[0], "--out", str(tmp_path / "half"))
    assert code == 1
    assert "runner 2 of 2 did not report" in err
    code, _, err = cli("compare", str(manifest), str(tmp_path / "merged" / "verification.json"))
    assert code in (0, 1), err
    assert "Traceback" not in err
    code, _, err = cli(
        "reproduce", str(manifest), "--out", str(tmp_path / "x"), "--shard", "1/2", "--run", "fp16"
    )
    assert code == 2
    assert "--shard and --run do not go together" in err


def test_the_config_names_the_runners(tmp_path: Path, cli: Any) -> None:
    from tests.builders import CLEAN, write

    manifest = write(tmp_path, CLEAN)
    config = tmp_path / "mcv.toml"
    config.write_text("[runners]\ncount = 3\n")
    code, out, _ = cli("shards", str(manifest), "--config", str(config))
    assert (code, json.loads(out)) == (0, ["1/1"])  # one run besides the original
    config.write_text("[runners]\ncount = 0\n")
    code, _, err = cli("shards", str(manifest), "--config", str(config))
    assert code == 2
    assert "runners.count" in err


def test_merge_names_a_broken_part(tmp_path: Path, cli: Any) -> None:
    from tests.builders import CLEAN, write

    manifest = write(tmp_path, CLEAN)
    broken = tmp_path / "part-1.json"
    broken.write_text('{"record_version": 1, "runs": [')
    code, _, err = cli("merge", str(manifest), str(broken), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"{broken} is not a valid verification record" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()
    code, _, err = cli("merge", str(manifest), str(tmp_path / "nope.json"), "--out", "o")
    assert code == 2
    assert "nope.json: No such file or directory" in err
