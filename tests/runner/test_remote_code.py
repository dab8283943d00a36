"""Models with their own code (GigaAM's `auto_map`): run where the course allows it, only
ever imported by the worker; refused, with the fix named, where it does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.errors import RunnerError
from runner.execute import Settings, reproduce
from runner.loading.model import check_safe, model_config, remote_code_refusal
from runner.trackers.latency import LatencySettings
from tests.runner.remote_model import build_gigaam, build_gigaam_hub
from tests.runner.test_reproduce import write_manifest
from validator.manifest.load import load
from validator.verification import VerificationRecord

FAST = LatencySettings(warmup=1, min_iterations=3, min_seconds=0)
RUNS = [{"label": "GigaAM-CTC", "method": "original"}, {"label": "INT8", "method": "dynamic-int8"}]


@pytest.fixture
def modules_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """transformers copies a model's code into HF_MODULES_CACHE: keep it in the test's."""
    cache = tmp_path / "hf-modules"
    monkeypatch.setenv("HF_MODULES_CACHE", str(cache))
    return cache


def gigaam_manifest(root: Path, prelude: str = "") -> tuple[Path, Path]:
    """The team's manifest of one GigaAM-like model, and the file its code's imports log."""
    tripwire = root / "imported.log"
    model = build_gigaam(root / "gigaam-src", tripwire, prelude)
    manifest = write_manifest(root, model, "automatic-speech-recognition", "asr.jsonl", "wer", RUNS)
    return manifest, tripwire


def run_gigaam(
    manifest: Path, remote_code: bool, sandbox: Any = None, **settings: Any
) -> VerificationRecord:
    loaded = load(manifest, str(manifest))
    assert loaded.manifest is not None
    assert loaded.document is not None
    return reproduce(
        manifest,
        loaded.manifest,
        loaded.document.sha256,
        None,
        Settings(threads=1, latency=FAST, remote_code=remote_code, **settings),
        lambda label, phase: None,
        sandbox,
    )


def all_ok(record: VerificationRecord, metric: str) -> dict[str, Any]:
    """The record's runs by label, each `ok` and scored by `metric` on the 3 rows."""
    runs = {run.label: run for run in record.runs}
    for run in runs.values():
        assert run.status == "ok", run.error
        assert run.quality is not None
        assert (run.quality.metric, run.quality.samples) == (metric, 3)
        assert run.quality.value >= 0
    return runs


def imported_by(tripwire: Path) -> list[str]:
    return tripwire.read_text().splitlines() if tripwire.exists() else []


@pytest.fixture
def bwrap_sandbox() -> Any:
    from runner.sandbox import bwrap
    from runner.sandbox.registry import Options, open_sandbox

    problem = bwrap.probe()
    if problem:
        pytest.skip(f"bwrap sandbox unavailable: {problem}")
    return open_sandbox("bwrap", Options())


def test_allowed_it_runs_in_the_sandbox_as_ctc_with_wer(
    tmp_path: Path, modules_cache: Path, bwrap_sandbox: Any
) -> None:
    """Loading it imports its code (the model is its class); any process but a worker
    that imported it would have stopped there (the tripwire), failing the run."""
    manifest, _ = gigaam_manifest(tmp_path)
    runs = all_ok(run_gigaam(manifest, True, bwrap_sandbox, timeout_s=120.0), "wer")
    assert runs["INT8"].size.size_mb < runs["GigaAM-CTC"].size.size_mb  # type: ignore[union-attr]


def test_allowed_but_unsandboxed_only_a_worker_imports_it_and_refuses(
    tmp_path: Path, modules_cache: Path
) -> None:
    manifest, tripwire = gigaam_manifest(tmp_path)
    record = run_gigaam(manifest, remote_code=True)
    for run in record.runs:
        assert run.status == "unsupported", run.error
        assert "runs only inside the sandbox" in (run.error or "")
    assert imported_by(tripwire) == []  # not the coordinator, the preparing step, a worker


def test_not_allowed_it_is_refused_and_nothing_imports_it(
    tmp_path: Path, modules_cache: Path
) -> None:
    manifest, tripwire = gigaam_manifest(tmp_path)
    record = run_gigaam(manifest, remote_code=False)
    for run in record.runs:
        assert run.status == "failed"
        assert "needs its own code (`auto_map` in config.json)" in (run.error or "")
        assert "`remote_code = true` under [course] in .github/mcv.toml" in (run.error or "")
    assert imported_by(tripwire) == []


def test_a_hub_model_runs_its_code_only_at_a_full_sha() -> None:
    assert remote_code_refusal(False, "waveletdeboshir/gigaam-ctc", "a" * 40) is not None
    assert remote_code_refusal(True, "waveletdeboshir/gigaam-ctc", "a" * 40) is None
    assert remote_code_refusal(True, "submissions/t/model", None) is None  # the PR's commit
    for revision in (None, "main", "a1b2c3d"):
        refusal = remote_code_refusal(True, "waveletdeboshir/gigaam-ctc", revision)
        assert refusal is not None
        assert "full 40-hex commit sha" in refusal


def test_prepare_reads_the_config_as_json(tmp_path: Path) -> None:
    """Outside the worker the folder's config is data: its code is never imported."""
    tripwire = tmp_path / "imported.log"
    folder = build_gigaam(tmp_path / "m", tripwire)
    config = model_config(folder)
    assert config.architectures == ["GigaAMForCTC"]
    assert config.vocab_size == 30
    assert imported_by(tripwire) == []


def test_code_from_another_repository_or_missing_is_refused(tmp_path: Path) -> None:
    folder = build_gigaam(tmp_path / "m", tmp_path / "imported.log")
    assert check_safe(folder, None) == folder
    config = json.loads((folder / "config.json").read_text())
    for target, message in (
        ("evil/repo--modeling_x.Model", "code from another repository is refused"),
        ("modeling_missing.Model", "names `modeling_missing.py`, not there"),
    ):
        config["auto_map"]["AutoModelForCTC"] = target
        (folder / "config.json").write_text(json.dumps(config))
        with pytest.raises(RunnerError, match=message):
            check_safe(folder, None)
    with pytest.raises(RunnerError, match="the course does not allow"):
        check_safe(folder)  # the default, as a custom recipe's output is checked


# Run by the worker when it imports the model's code, inside bwrap: what a hostile team's
# model could try. Finding a reference fails the run with what it found; the writes land,
# if anywhere, in the sandbox's own throwaway tmpfs (the test reads the real files after).
HOSTILE = """
import json as _json, os as _os
_found, _seen = [], False
for _top, _dirs, _files in _os.walk("/", onerror=lambda e: None):
    _dirs[:] = [d for d in _dirs if not (_top == "/" and d in ("proc", "sys", "dev", "usr"))]
    _found += [_os.path.join(_top, f) for f in _files
               if f in ("rows.jsonl", "spec.json", "source.json", "verification.json", "asr.jsonl")]
    _seen = _seen or (_top.endswith("/model") and "modeling_gigaam.py" in _files)
for _target in {targets!r}:
    try:
        with open(_target, "w") as _out:
            _out.write(_json.dumps({{"forged": True, "quality": 0.0}}))
    except OSError:
        pass
if _found or not _seen:  # the walk sees its own folder, or it proves nothing
    raise RuntimeError(f"found={{sorted(_found)}} seen_itself={{_seen}}")
"""


def test_hostile_model_code_finds_no_reference_and_forges_nothing(
    tmp_path: Path, modules_cache: Path, bwrap_sandbox: Any
) -> None:
    team = tmp_path / "submissions" / "t"
    targets = [
        str(tmp_path / "out" / "verification.json"),  # where the record is written
        str(team / "hw-2.yaml"),  # the manifest
        str(team / "model" / "model.safetensors"),  # its own weights, after sizing
        str(team / "data" / "asr.jsonl"),  # the references
    ]
    manifest, _ = gigaam_manifest(tmp_path, HOSTILE.format(targets=targets))
    before = {t: Path(t).read_bytes() for t in targets[1:]}
    record = run_gigaam(manifest, True, bwrap_sandbox, timeout_s=120.0)
    for run in record.runs:
        assert run.status == "ok", run.error  # it found no reference
        assert run.quality is not None
        assert run.quality.samples == 3
    assert not (tmp_path / "out").exists()
    for target, content in before.items():
        assert Path(target).read_bytes() == content


def test_a_hub_model_fetches_its_code_only_when_allowed_and_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner.loading.model import resolve
    from runner.loading.team import TeamFolder
    from tests.runner.hub_cache import SHA, add_model_folder, offline_cache

    cache = offline_cache(monkeypatch, tmp_path / "hub")
    add_model_folder(cache, "org/gigaam-tiny", build_gigaam(tmp_path / "m", tmp_path / "log"))
    team = TeamFolder.of(tmp_path / "submissions" / "t", "t")
    snapshot = resolve("org/gigaam-tiny", SHA, team, remote_code=True)
    assert (snapshot / "modeling_gigaam.py").is_file()
    with pytest.raises(RunnerError, match=r"`revision: main`.*full 40-hex commit sha"):
        resolve("org/gigaam-tiny", "main", team, remote_code=True)
    with pytest.raises(RunnerError, match="the course does not allow"):
        resolve("org/gigaam-tiny", SHA, team)


def test_prepare_hands_the_waveform_to_a_model_that_featurises_with_its_own_code(
    tmp_path: Path,
) -> None:
    """The hub's GigaAM ships its feature extractor and tokenizer as code: the preparing
    step, beside the references, decodes the audio and imports none of it."""
    from runner.tasks import TASKS
    from runner.tasks.speech_recognition import RAW

    tripwire = tmp_path / "imported.log"
    folder = build_gigaam_hub(tmp_path / "m", tripwire)
    task = TASKS["automatic-speech-recognition"](folder, {})
    samples = task.prepare([{"audio": {"array": [0.0] * 800, "sampling_rate": 8000}, "text": "a"}])
    assert list(samples[0].inputs) == [RAW]
    assert samples[0].inputs[RAW].shape == (1600,)  # resampled to the extractor's 16 kHz
    assert task.serving_state() == {"featurise": {"sampling_rate": 16000}}
    assert (task.transducer, task.generates) == (True, True)
    assert imported_by(tripwire) == []


def test_preprocessing_code_from_another_repository_is_refused(tmp_path: Path) -> None:
    folder = build_gigaam_hub(tmp_path / "m", tmp_path / "imported.log")
    assert check_safe(folder, None) == folder
    config = json.loads((folder / "preprocessor_config.json").read_text())
    config["auto_map"] = {"AutoFeatureExtractor": "evil/repo--features.Extractor"}
    (folder / "preprocessor_config.json").write_text(json.dumps(config))
    with pytest.raises(RunnerError, match=r"`auto_map` in preprocessor_config\.json names"):
        check_safe(folder, None)


def model_card_transcripts(folder: Path, rows: list[dict[str, Any]]) -> list[str]:
    """What the model card's own usage gives, in this process from the build's copy of the
    code (the folder's copy carries the tripwire): featurise, `generate` or argmax, decode."""
    import importlib
    import sys

    import torch

    from runner.tasks.speech_recognition import load_audio, resample

    sys.path.insert(0, str(folder.parent / f"{folder.name}-build"))
    try:
        code = importlib.import_module("gigaam_hub_build.gigaam_transformers")
    finally:
        sys.path.pop(0)
    config = json.loads((folder / "config.json").read_text())
    model = getattr(code, config["architectures"][0]).from_pretrained(folder).eval()
    extractor = code.GigaAMFeatureExtractor.from_pretrained(folder)
    tokenizer = code.GigaAMTokenizer.from_pretrained(folder)
    out = []
    for row in rows:
        audio, rate = load_audio(row["audio"], row)  # the card resamples to 16 kHz first
        features = extractor(resample(audio, rate, 16000), sampling_rate=16000, return_tensors="pt")
        with torch.no_grad():
            if hasattr(model, "blank_id"):
                text = tokenizer.batch_decode(model.generate(**features), group_tokens=False)[0]
            else:
                ids = model(**features).logits.argmax(-1)
                text = tokenizer.batch_decode(ids)[0]
        out.append(" ".join(text.split()))
    return out


@pytest.mark.parametrize("kind", ["rnnt", "ctc"])
def test_the_hubs_gigaam_runs_in_the_sandbox_and_scores_as_its_model_card(
    tmp_path: Path, modules_cache: Path, bwrap_sandbox: Any, kind: str
) -> None:
    """GigaAM-RNNT and -CTC laid out as on the hub: the worker featurises with the model's
    extractor, decodes (the transducer with its own `generate()`) and detokenises with its
    tokenizer; the coordinator's CER equals the one from the model card's usage."""
    from runner.loading.data import file_rows
    from runner.metrics import error_rate

    model = build_gigaam_hub(tmp_path / "gigaam-src", tmp_path / "imported.log", kind)
    manifest = write_manifest(  # CER: a transcript off by one repeat moves it
        tmp_path, model, "automatic-speech-recognition", "asr.jsonl", "cer", RUNS
    )
    runs = all_ok(run_gigaam(manifest, True, bwrap_sandbox, timeout_s=120.0), "cer")
    rows = file_rows(manifest.parent / "data" / "asr.jsonl", 3)
    expected = error_rate(
        model_card_transcripts(model, rows), [str(r["text"]) for r in rows], "cer"
    )
    original = runs["GigaAM-CTC"].quality
    assert original is not None
    assert original.value == pytest.approx(expected.value)
    assert runs["INT8"].agreement is not None
    assert runs["INT8"].agreement.compared == ("text" if kind == "rnnt" else "logits")


def test_an_export_of_a_model_that_featurises_itself_is_lossless_or_says_why(
    tmp_path: Path, modules_cache: Path, bwrap_sandbox: Any
) -> None:
    """A recipe that traces the model is handed what the model takes (the worker's own
    features, not the bare waveform): TorchScript of the CTC model must equal the
    original's outputs; the transducer's decoding loop is no graph, so it is refused."""
    for kind, wanted in (("ctc", "ok"), ("rnnt", "unsupported")):
        root = tmp_path / kind
        model = build_gigaam_hub(root / "gigaam-src", root / "imported.log", kind)
        runs = [{"label": "GigaAM", "method": "original"}, {"label": "TS", "method": "torchscript"}]
        manifest = write_manifest(
            root, model, "automatic-speech-recognition", "asr.jsonl", "cer", runs
        )
        record = run_gigaam(manifest, True, bwrap_sandbox, timeout_s=120.0)
        script = {run.label: run for run in record.runs}["TS"]
        assert script.status == wanted, (kind, script.error)
        if wanted == "ok":
            assert script.agreement is not None
            assert script.agreement.lossless
            assert script.agreement.passed
        else:
            assert "generating model" in (script.error or ""), script.error


def test_torchscript_loads_back_a_class_whose_module_path_starts_with_a_digit(
    tmp_path: Path,
) -> None:
    """transformers keeps a model's own code under transformers_modules/<folder>/<hash>/,
    and a hash may start with a digit: TorchScript could save such a model, not load it."""
    import importlib
    import sys

    import torch

    from runner.recipes.torchscript import nameable

    folder = tmp_path / "pkg" / "m" / "0abc"
    folder.mkdir(parents=True)
    for init in (tmp_path / "pkg", tmp_path / "pkg" / "m", folder):
        (init / "__init__.py").write_text("")
    (folder / "mod.py").write_text(
        "import torch\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.l = torch.nn.Linear(3, 2)\n\n"
        "    def forward(self, x):\n        return self.l(x)\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        net = importlib.import_module("pkg.m.0abc.mod").Net()
    finally:
        sys.path.remove(str(tmp_path))
    path = tmp_path / "net.pt"
    torch.jit.save(torch.jit.trace(net, torch.ones(1, 3)), str(path))
    with pytest.raises(RuntimeError, match="Unknown type name"):
        torch.jit.load(str(path))
    nameable(net)
    torch.jit.save(torch.jit.trace(net, torch.ones(1, 3)), str(path))
    loaded = torch.jit.load(str(path))
    assert torch.equal(loaded(torch.ones(1, 3)), net(torch.ones(1, 3)))
