"""Find a model's files, safely: safetensors only, no custom code, pinned revision.

A hub id goes through huggingface_hub (its cache and HF_HUB_OFFLINE are honoured) and only
allow-listed files are fetched; a local directory is used as it is. Pickled weights are
refused before anything could unpickle them, and `trust_remote_code` is never set.
"""

from __future__ import annotations

import json
from pathlib import Path

from runner.errors import RunnerError

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


def resolve(model_id: str, revision: str | None) -> Path:
    """The directory holding the model's files: a local folder or the hub snapshot."""
    local = Path(model_id).expanduser()
    if local.is_dir():
        return check_safe(local)
    if model_id.startswith((".", "/", "~")):
        raise RunnerError(f"model `{model_id}`: no such local directory")
    return check_safe(_download(model_id, revision))


def _download(model_id: str, revision: str | None) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model_id, revision=revision, allow_patterns=ALLOWED_FILES))
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
    config = folder / "config.json"
    if not config.is_file():
        raise RunnerError(f"model `{folder}` has no config.json")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunnerError(f"model `{folder}`: config.json is unreadable: {exc}") from None
    if isinstance(data, dict) and "auto_map" in data:
        raise RunnerError(
            f"model `{folder}` needs custom code (`auto_map` in config.json); "
            "trust_remote_code is never enabled"
        )
    if any(p.suffix == ".py" for p in folder.iterdir()):
        raise RunnerError(f"model `{folder}` ships Python files; custom code is refused")
    return folder
