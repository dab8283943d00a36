"""Each seed's system reproduces: the course's own README tables (../shared/seeds, copied to
tests/data/import) imported by `mcv import` into drafts, each draft completed as its team
would (the keys the draft lists as missing, nothing else), its model a tiny random-weight
one of the seed's own class cached as the hub caches it under the seed's own model id
(HF_HUB_OFFLINE: the real loading code reads it), and `mcv reproduce` run on it under
bubblewrap where this machine has it. Every run must be `ok`, in the toolchain built for
it. `mcv check` must find nothing wrong with the system itself, only the problems the
seeds' numbers are known for (copied rows, impossible sizes). The figures are the tiny
models', not the seeds' (the family tests compare them with the reference libraries):
what this proves is that each table's system runs end to end.

GigaAM-CTC and -RNNT (seed 000) are laid out as the hub's ports are: every class, the
feature extractor and the tokenizer too, in the model's own `gigaam_transformers.py`, used
as their model card shows (tests/runner/remote_model.py). Not here: the real checkpoints
(no hub is reachable from this machine), so the port's own file is not what runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.runner.conftest import DATA
from tests.runner.hub_cache import SHA, add_model_folder, offline_cache
from tests.runner.test_reproduce import place, read_record
from tests.toolchains import require
from validator.importer.drafts import drafts
from validator.importer.records import import_markdown

IMPORTED = REPO / "tests" / "data" / "import"
QUICK = ["--min-iterations", "3", "--min-seconds", "0", "--warmup", "1", "--threads", "1"]


@dataclass(frozen=True)
class Seed:
    table: str  # the seed's README, as copied into tests/data/import
    slug: str  # its draft
    model_id: str  # what its team fills in (the table's own name where it is one)
    model: str  # the tiny stand-in of the same class: a tiny_models key or BUILT_HERE's
    task: str
    rows: str
    methods: dict[str, str] = field(default_factory=dict)  # label -> method, where unnamed
    toolchains: dict[str, str] = field(default_factory=dict)  # method -> toolchain
    caught: frozenset[str] = frozenset()  # the errors `mcv check` finds in its numbers
    config: str = ""  # the course's .github/mcv.toml


SEEDS = {
    "000-gigaam-ctc": Seed(
        "seed_000.md",
        "waveletdeboshir-gigaam-ctc",
        "waveletdeboshir/gigaam-ctc",
        "gigaam",
        "automatic-speech-recognition",
        "asr.jsonl",
        {"GigaAM-CTC": "original"},
        config="[course]\nremote_code = true\n",
    ),
    "000-gigaam-rnnt": Seed(
        "seed_000.md",
        "waveletdeboshir-gigaam-rnnt",
        "waveletdeboshir/gigaam-rnnt",
        "gigaam-rnnt",
        "automatic-speech-recognition",
        "asr.jsonl",
        {"GigaAM-RNNT": "original"},
        config="[course]\nremote_code = true\n",
    ),
    "000-whisper-small": Seed(
        "seed_000.md",
        "openai-whisper-small",
        "openai/whisper-small",
        "automatic-speech-recognition",
        "automatic-speech-recognition",
        "asr.jsonl",
        {"Whisper": "original"},
    ),
    "001-vit": Seed(
        "seed_001.md",
        "google-vit-base-patch16-224-in21k",
        "google/vit-base-patch16-224-in21k",
        "image-classification",
        "image-classification",
        "digits.jsonl",
    ),
    "002-whisper-large-v3-onnx-int8": Seed(
        "seed_002.md",
        "whisper-large-v3",
        "openai/whisper-large-v3",
        "automatic-speech-recognition",
        "automatic-speech-recognition",
        "asr.jsonl",
        toolchains={"onnx-int8": "optimum"},
        caught=frozenset({"MCV403", "MCV405"}),  # 16% at 8 bits; VRAM below its weights
    ),
    "003-bert-large-ner-onnx": Seed(
        "seed_003.md",
        "dslim-bert-large-ner",
        "dslim/bert-large-NER",
        "token-classification",
        "token-classification",
        "ner.jsonl",
        toolchains={"onnx": "optimum"},
        caught=frozenset({"MCV401"}),  # RAM and VRAM copied from the baseline row
    ),
    "004-efficientvit-kmeans-32": Seed(
        "seed_004.md",
        "efficientvit-b3",
        "timm/efficientvit_b3.r224_in1k",
        "efficientvit",
        "image-classification",
        "digits.jsonl",
        toolchains={"original": "vision", "kmeans": "vision"},
        caught=frozenset({"MCV401", "MCV404"}),  # copied RAM; 20% with no storage named
    ),
}


def samples(seed: Seed) -> int:
    """Eight of its shipped rows, or all where fewer."""
    return min(8, len((DATA / seed.rows).read_text(encoding="utf-8").splitlines()))


def completed(seed: Seed) -> dict[str, Any]:
    """The seed's draft with what it lists as missing filled in, and only that."""
    result = import_markdown((IMPORTED / seed.table).read_text(encoding="utf-8"))
    assert result.problems == []
    (draft,) = [d for d in drafts(result.records, "README.md", team="t", homework=1)
                if d.slug == seed.slug]  # fmt: skip
    data: dict[str, Any] = yaml.safe_load(draft.text)
    fills = {
        "model.revision": lambda: data["model"].update(revision=SHA),
        "model.task": lambda: data["model"].update(task=seed.task),
        "evaluation.dataset": lambda: data["evaluation"].update(
            dataset=f"submissions/t/data/{seed.rows}"
        ),
        "evaluation.samples": lambda: data["evaluation"].update(samples=samples(seed)),
    }
    for key in draft.missing:
        if key in fills:
            fills[key]()
        else:  # runs[i].method: the table named it in words only
            index = int(key.split("[")[1].split("]")[0])
            run = data["runs"][index]
            run["method"] = seed.methods[run["label"]]
    data["model"]["id"] = seed.model_id  # a table's short name, as its team would spell it
    return data


def test_every_seed_draft_is_completed_with_a_pinned_revision_and_every_method() -> None:
    for name, seed in SEEDS.items():
        data = completed(seed)
        assert data["model"]["revision"] == SHA, name
        assert all("method" in run for run in data["runs"]), name


def gigaam(root: Path, kind: str = "ctc") -> Path:
    from tests.runner.remote_model import build_gigaam_hub

    return build_gigaam_hub(root / f"gigaam-{kind}", root / "gigaam-imported.log", kind)


def gigaam_rnnt(root: Path) -> Path:
    return gigaam(root, "rnnt")


def efficientvit(root: Path) -> Path:
    from tests.runner.test_vision import in_vision

    folder = root / "efficientvit"
    in_vision(require("vision"), "build", str(folder))
    return folder


BUILT_HERE = {"gigaam": gigaam, "gigaam-rnnt": gigaam_rnnt, "efficientvit": efficientvit}


def check(manifest: Path, config: Path) -> list[dict[str, Any]]:
    """`mcv check`'s findings: what it says of the system (none may be an error: it can be
    reproduced here) and of the table's numbers (the seeds' known problems)."""
    import contextlib
    import io

    from validator.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", str(manifest), "--config", str(config), "--format", "json"])
    findings: list[dict[str, Any]] = json.loads(out.getvalue())["findings"]
    return findings


def sandbox_flags() -> list[str]:
    from runner.sandbox import bwrap

    return ["--sandbox", "bwrap"] if bwrap.probe() is None else ["--sandbox", "none"]


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_seeds_system_reproduces(
    name: str,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from validator.cli import main

    seed = SEEDS[name]
    for toolchain in set(seed.toolchains.values()):
        require(toolchain)
    flags = sandbox_flags()
    if seed.model.startswith("gigaam") and flags[-1] == "none":
        pytest.skip("a model with its own code runs only in a sandboxed worker: no bwrap here")
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "hf-modules"))
    cache = offline_cache(monkeypatch, tmp_path / "hub")
    build = BUILT_HERE.get(seed.model)
    source = build(tmp_path) if build else tiny_models[seed.model]
    add_model_folder(cache, seed.model_id, source)
    place(tmp_path, DATA, "data")
    manifest = tmp_path / "submissions" / "t" / "hw-1.yaml"  # as a team commits it
    manifest.write_text(yaml.safe_dump(completed(seed), allow_unicode=True), encoding="utf-8")
    config = tmp_path / "mcv.toml"
    config.write_text(seed.config or "[course]\n", encoding="utf-8")

    checked = check(manifest, config)
    assert {f["code"] for f in checked if f["severity"] == "error"} == seed.caught, checked
    out = tmp_path / "out"
    code = main(["reproduce", str(manifest), "--out", str(out), "--config", str(config),
                 *QUICK, *flags])  # fmt: skip
    record = read_record(out)
    assert record.settings["sandbox"] == flags[-1]
    summary = json.dumps([(r.label, r.status, r.error) for r in record.runs], ensure_ascii=False)
    assert code == 0, summary
    for run in record.runs:
        assert run.status == "ok", summary
        assert run.quality is not None, summary
        assert run.quality.samples == samples(seed), summary
        expected = seed.toolchains.get(run.method, "core")
        assert (run.toolchain or "").split(" (")[0] == expected, (run.method, run.toolchain)
