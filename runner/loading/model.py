"""Find a model's files, safely: safetensors only, no custom code, pinned revision.

A hub id goes through huggingface_hub (its cache and HF_HUB_OFFLINE are honoured) and only
allow-listed files are fetched; a local model is a folder in the team's folder. Pickled
weights are refused before anything could unpickle them. A model with its own code
(`auto_map` in config.json: GigaAM) is refused unless the course allows it
(`remote_code = true`) and a hub id is pinned to a full commit sha; then its `.py` files
are fetched too, and only the sandboxed worker imports them (`trust_remote_code` is set
nowhere else: the coordinator and the preparing step read config.json as JSON).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from runner.errors import RunnerError, Unsupported
from runner.loading.team import TeamFolder
from validator.manifest.methods import is_local_id

ALLOWED_FILES = [
    "*.safetensors",
    "*.safetensors.index.json",
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "added_tokens.json",
    "preprocessor_config.json",
    "processor_config.json",
    "feature_extractor_config.json",
    "normalizer.json",
    "*.model",
]
CODE_FILES = ["*.py"]  # fetched only for a model whose custom code the course allows
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
NOT_ALLOWED = (
    "the course does not allow models with their own code (an instructor sets "
    "`remote_code = true` under [course] in .github/mcv.toml)"
)
PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".h5", ".msgpack"}


def remote_code_refusal(allowed: bool, model_id: str, revision: str | None) -> str | None:
    """Why custom code may not run for this model, or None: the course allows it and the
    code is pinned (a hub id to a full commit sha; a local folder is the commit's own)."""
    if not allowed:
        return NOT_ALLOWED
    if not is_local_id(model_id) and not (revision and FULL_SHA.match(revision)):
        shown = f"`revision: {revision}`" if revision else "no `revision`"
        return (
            f"its code runs only at a pinned commit, and `{model_id}` has {shown}: set its "
            "`revision` to the full 40-hex commit sha from the model page's history"
        )
    return None


def resolve(
    model_id: str, revision: str | None, team: TeamFolder, remote_code: bool = False
) -> Path:
    """The directory holding the model's files: in the team's folder, or the hub snapshot.
    `remote_code`: the course allows models with their own code (`[course] remote_code`)."""
    refusal = remote_code_refusal(remote_code, model_id, revision)
    if is_local_id(model_id):
        folder = team.resolve(model_id, "model")
        if not folder.is_dir():
            raise RunnerError(f"model `{model_id}` is not a folder")
        return check_safe(folder, refusal)
    snapshot = _download(model_id, revision, with_code=refusal is None)
    return check_safe(cache_checked(snapshot), refusal)


def hub_cache() -> str | None:
    """The cache and offline mode as the environment says now: huggingface_hub reads both
    once, at import, which may be before a caller (a test, a workflow step) set them."""
    return os.environ.get("HF_HUB_CACHE") or None


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def repo_folder(snapshot: Path) -> Path | None:
    """`.../models--org--name` of a snapshot `.../models--org--name/snapshots/<sha>`, if so."""
    repo = snapshot.parent.parent
    if snapshot.parent.name == "snapshots" and repo.name.startswith(("models--", "datasets--")):
        return repo
    return None


def cache_checked(snapshot: Path) -> Path:
    """A cache snapshot whose links all point into its own repository folder (its blobs):
    that folder is what the sandbox binds, so nothing outside it may be reached."""
    repo = repo_folder(snapshot)
    if repo is None:
        return snapshot
    inside = repo.resolve()
    for entry in snapshot.rglob("*"):
        if entry.is_symlink() and not entry.resolve().is_relative_to(inside):
            raise RunnerError(
                f"the cached `{repo.name}` links `{entry.relative_to(snapshot)}` outside its "
                "own folder; refused (delete the cache entry and fetch again)"
            )
    return snapshot


def readable_folder(folder: Path) -> Path:
    """What the sandbox must bind for a model or dataset folder: a cache snapshot's files are
    links into the repository's `blobs/`, so its whole repository folder, else the folder."""
    repo = repo_folder(folder)
    return (repo or folder).resolve()


def _download(model_id: str, revision: str | None, with_code: bool = False) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(
            snapshot_download(
                model_id,
                revision=revision,
                allow_patterns=ALLOWED_FILES + (CODE_FILES if with_code else []),
                cache_dir=hub_cache(),
                local_files_only=hub_offline(),
            )
        )
    except LocalEntryNotFoundError:
        raise RunnerError(
            f"model `{model_id}`{'@' + revision if revision else ''} is not in the local cache "
            "and the hub cannot be reached (offline?); download it first with "
            "`huggingface-cli download`, or point model.id at a local directory"
        ) from None
    except HfHubHTTPError as exc:
        raise RunnerError(f"model `{model_id}`: the hub answered {exc}") from None
    except (OSError, ValueError) as exc:
        raise RunnerError(f"model `{model_id}`: {exc}") from None


MAX_CONFIG_BYTES = 4 * 2**20


def read_config_json(folder: Path) -> dict[str, Any]:
    """config.json as JSON, size-capped: never transformers, which may import code."""
    config = folder / "config.json"
    if not config.is_file():
        raise RunnerError(f"model `{folder}` has no config.json")
    if config.stat().st_size > MAX_CONFIG_BYTES:
        raise RunnerError(f"model `{folder}`: config.json is over 4 MiB; refused")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except RecursionError:  # parsed here, outside the sandbox: a nesting bomb is refused
        raise RunnerError(f"model `{folder}`: config.json is nested too deeply; refused") from None
    except (OSError, ValueError) as exc:
        raise RunnerError(f"model `{folder}`: config.json is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise RunnerError(f"model `{folder}`: config.json is not a JSON object")
    return data


def is_timm_config(config: dict[str, Any]) -> bool:
    """A timm checkpoint, which transformers loads as TimmWrapper: saved by transformers
    (`model_type: timm_wrapper`) or by timm itself, as the hub's `timm/...` models are (no
    model_type; the architecture and a `pretrained_cfg`, transformers' own test)."""
    model_type = config.get("model_type")
    return model_type == "timm_wrapper" or (model_type is None and "pretrained_cfg" in config)


def model_type(config: dict[str, Any]) -> str | None:
    """The model type a config.json declares, as transformers would load it: a checkpoint
    saved by timm itself (the hub's `timm/...`) declares none, and is `timm_wrapper`. What
    picks a run's toolchain (runner/toolchains `MODEL_TYPES`: `timm_wrapper` needs
    `vision`, for the worker and for the prepare step, whose image processor is timm's)."""
    if is_timm_config(config):
        return "timm_wrapper"
    declared = config.get("model_type")
    return declared if isinstance(declared, str) else None


def needs_remote_code(folder: Path) -> bool:
    """Whether the model's config names its own classes (`auto_map`)."""
    return "auto_map" in read_config_json(folder)


def code_trusted(allowed: bool) -> bool:
    """Whether this process imports a model's own code: only where the job allows it, and
    only in a sandboxed worker (`MCV_SANDBOX`, as custom recipes), never unsandboxed."""
    if allowed and os.environ.get("MCV_SANDBOX") != "1":
        raise Unsupported(
            "a model with its own code runs only inside the sandbox "
            "(mcv reproduce --sandbox bwrap or docker); never unsandboxed"
        )
    return allowed


PREPROCESSING_FILES = (
    "preprocessor_config.json",
    "processor_config.json",
    "feature_extractor_config.json",
    "tokenizer_config.json",
)


def _preprocessing_json(folder: Path, name: str) -> dict[str, Any]:
    """A preprocessing file as JSON (never transformers, which may import code); {} where
    it is absent or unreadable (transformers says what is wrong with it, where it reads it)."""
    path = folder / name
    try:
        if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def own_preprocessing(folder: Path) -> list[str]:
    """The preprocessing files that name the model's own classes (`auto_map`): its feature
    extractor, processor or tokenizer is its code, as GigaAM's on the hub (one
    `gigaam_transformers.py` with the model, feature extractor and tokenizer classes). Such
    code never runs in the preparing step, beside the references: the task hands the
    worker the decoded waveform, and the worker featurises it and decodes the model's
    output to text (runner/tasks/speech_recognition.py)."""
    return [name for name in PREPROCESSING_FILES if "auto_map" in _preprocessing_json(folder, name)]


def declared_sampling_rate(folder: Path, default: int = 16000) -> int:
    """The rate a feature extractor with its own code expects, read as JSON."""
    for name in PREPROCESSING_FILES:
        rate = _preprocessing_json(folder, name).get("sampling_rate")
        if isinstance(rate, int) and not isinstance(rate, bool) and 1000 <= rate <= 192000:
            return rate
    return default


def model_config(folder: Path, trusted: bool = False) -> Any:
    """The model's transformers config. For a model with its own code, unless `trusted`
    (only the worker, where the course allows it), config.json's values as attributes:
    what the preparing step needs (architectures, sizes) without importing the folder."""
    own_code = needs_remote_code(folder)
    if own_code and not code_trusted(trusted):
        data = read_config_json(folder)
        return SimpleNamespace(**{k: v for k, v in data.items() if k.isidentifier()})
    import transformers

    return transformers.AutoConfig.from_pretrained(folder, trust_remote_code=own_code)


def _code_modules(auto_map: Any, folder: Path, source: str = "config.json") -> list[str]:
    """The modules `auto_map` names, each a `.py` in the folder itself: a reference into
    another repository (`org/repo--module.Class`) would fetch unpinned code."""
    if not isinstance(auto_map, dict):
        raise RunnerError(f"model `{folder}`: `auto_map` in {source} is not a mapping")
    targets = [t for v in auto_map.values() for t in (v if isinstance(v, list) else [v]) if t]
    modules = []
    for target in targets:
        module = str(target).rpartition(".")[0]
        if not isinstance(target, str) or "--" in target or not module.isidentifier():
            raise RunnerError(
                f"model `{folder}`: `auto_map` in {source} names `{target}`, not a module of "
                "its own folder; code from another repository is refused"
            )
        if not (folder / f"{module}.py").is_file():
            raise RunnerError(
                f"model `{folder}`: `auto_map` in {source} names `{module}.py`, not there"
            )
        modules.append(module)
    return modules


def check_safe(folder: Path, remote_code_refusal: str | None = NOT_ALLOWED) -> Path:
    """Refuse what would execute code when loaded: pickles, and custom modelling code
    unless `remote_code_refusal` is None (the course allows it, the revision is pinned)."""
    weights = sorted(p.name for p in folder.glob("*.safetensors"))
    pickled = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if not weights:
        found = f" (found only {', '.join(pickled)})" if pickled else ""
        raise RunnerError(
            f"model `{folder}` has no .safetensors weights{found}; pickled weights are refused "
            "because loading them can run arbitrary code. Convert the model to safetensors."
        )
    data = read_config_json(folder)
    if "auto_map" in data:
        if remote_code_refusal is not None:
            raise RunnerError(
                f"model `{folder}` needs its own code (`auto_map` in config.json), which is "
                f"refused: {remote_code_refusal}"
            )
        _code_modules(data["auto_map"], folder)
        for name in own_preprocessing(folder):
            _code_modules(_preprocessing_json(folder, name)["auto_map"], folder, name)
        return folder
    if any(p.suffix == ".py" for p in folder.iterdir()):
        raise RunnerError(f"model `{folder}` ships Python files; custom code is refused")
    return folder
