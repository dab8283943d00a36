"""Find a model's files, safely: safetensors only, no custom code, pinned revision.

A hub id goes through huggingface_hub (its cache and HF_HUB_OFFLINE are honoured) and only
allow-listed files are fetched; a local model is a folder in the team's folder. Pickled
weights are refused before anything could unpickle them, and `trust_remote_code` is never
set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from runner.errors import RunnerError
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
PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".h5", ".msgpack"}


def resolve(model_id: str, revision: str | None, team: TeamFolder) -> Path:
    """The directory holding the model's files: in the team's folder, or the hub snapshot."""
    if is_local_id(model_id):
        folder = team.resolve(model_id, "model")
        if not folder.is_dir():
            raise RunnerError(f"model `{model_id}` is not a folder")
        return check_safe(folder)
    return check_safe(cache_checked(_download(model_id, revision)))


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


def _download(model_id: str, revision: str | None) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(
            snapshot_download(
                model_id,
                revision=revision,
                allow_patterns=ALLOWED_FILES,
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


def read_config(folder: Path) -> dict[str, Any]:
    """The folder's config.json as a dict, read with limits: it is parsed outside the sandbox."""
    config = folder / "config.json"
    if not config.is_file():
        raise RunnerError(f"model `{folder}` has no config.json")
    if config.stat().st_size > MAX_CONFIG_BYTES:
        raise RunnerError(f"model `{folder}`: config.json is over 4 MiB; refused")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except RecursionError:  # a nesting bomb is refused
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


def check_safe(folder: Path) -> Path:
    """Refuse what would execute code when loaded: pickles and custom modelling code."""
    weights = sorted(p.name for p in folder.glob("*.safetensors"))
    pickled = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if not weights:
        found = f" (found only {', '.join(pickled)})" if pickled else ""
        raise RunnerError(
            f"model `{folder}` has no .safetensors weights{found}; pickled weights are refused "
            "because loading them can run arbitrary code. Convert the model to safetensors."
        )
    data = read_config(folder)
    if "auto_map" in data:
        raise RunnerError(
            f"model `{folder}` needs custom code (`auto_map` in config.json); "
            "trust_remote_code is never enabled"
        )
    if any(p.suffix == ".py" for p in folder.iterdir()):
        raise RunnerError(f"model `{folder}` ships Python files; custom code is refused")
    return folder
