"""A hub dataset's data files at its pinned revision, downloaded into the cache, never parsed.

The dataset card (`README.md`) says which files make a split (`configs: data_files`); a
card is the dataset author's text, so every pattern in it must name files of the dataset's
own repository: no absolute path, `..`, URL or other repository. Only the data files of
that split are downloaded (parquet, jsonl, json, csv, arrow); the run parses them inside
the sandbox, which binds the dataset's cache folder read-only. No dataset script runs.
Not supported: rows that name other files of the repository (raw audio or image files
beside a jsonl), which are not downloaded; hub datasets store them inside parquet.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from runner.errors import RunnerError
from runner.loading.data import SUFFIXES, DataSource
from runner.loading.model import cache_checked, hub_cache, hub_offline, readable_folder
from validator.manifest.schema import Evaluation

SHA = re.compile(r"^[0-9a-f]{40}$")
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a split or config: no glob characters
MAX_CARD_BYTES = 1 << 20


def fetch_hub(evaluation: Evaluation) -> DataSource:
    """Download only the data files of the split at the pinned revision; say where they are."""
    repo, revision, split = evaluation.dataset, evaluation.revision, evaluation.split
    _check_names(evaluation)
    if revision is None or not SHA.match(revision):
        raise RunnerError(
            f"evaluation.dataset `{repo}` is not pinned: a hub dataset needs "
            "`evaluation.revision` with its full commit sha (see MCV208)"
        )
    card = read_card(_card_file(repo, revision))
    patterns = split_patterns(card, evaluation.subset, split)
    if not patterns:
        raise RunnerError(
            f"the card of `{repo}`@{revision[:12]} names no data files for split `{split}`"
            f"{' of ' + evaluation.subset if evaluation.subset else ''}; check evaluation.split"
        )
    snapshot = cache_checked(_download(repo, revision, download_patterns(patterns)))
    files = data_files(snapshot, patterns)
    if not files:
        raise RunnerError(
            f"evaluation.dataset `{repo}`@{revision[:12]}: no data files for split `{split}`"
            f"{' of ' + evaluation.subset if evaluation.subset else ''} "
            f"({', '.join(SUFFIXES)})"
        )
    label = f"{repo}@{revision[:12]}"
    return DataSource(
        tuple(str(f) for f in files), str(snapshot), str(readable_folder(snapshot)), label
    )


def _check_names(evaluation: Evaluation) -> None:
    if not REPO_ID.match(evaluation.dataset) or ".." in evaluation.dataset:
        raise RunnerError(f"evaluation.dataset `{evaluation.dataset}` is not a hub dataset id")
    for key, value in (("split", evaluation.split), ("subset", evaluation.subset)):
        if value is not None and not NAME.match(value):
            raise RunnerError(f"evaluation.{key} `{value}`: letters, digits, `_.-` only")


def _safe(pattern: object) -> str:
    """A card's file pattern, refused unless it names files inside the dataset repository."""
    shown = repr(pattern)[:80]
    if not isinstance(pattern, str) or not pattern.strip():
        raise RunnerError(f"the dataset card's data_files has a pattern that is not text: {shown}")
    path = PurePosixPath(pattern)
    if (
        path.is_absolute()
        or pattern.startswith("~")
        or ":" in pattern
        or "\\" in pattern
        or ".." in path.parts
    ):
        raise RunnerError(
            f"the dataset card's data_files names {shown}, outside the dataset's own "
            "repository (an absolute path, `..`, a URL or another repository); refused, "
            "nothing was read"
        )
    return pattern


def read_card(path: Path | None) -> dict[str, Any]:
    """The YAML front matter of a dataset card: plain data, no aliases, at most 1 MiB."""
    if path is None:
        return {}
    if path.stat().st_size > MAX_CARD_BYTES:
        raise RunnerError("the dataset card (README.md) is over 1 MiB; refused")
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.startswith("---"):
        return {}
    front = text[3:].split("\n---", 1)[0]
    try:
        data = yaml.load(front, Loader=_NoAliases)  # noqa: S506 - a SafeLoader without aliases
    except yaml.YAMLError:
        raise RunnerError("the dataset card's YAML header cannot be read") from None
    return data if isinstance(data, dict) else {}


class _NoAliases(yaml.SafeLoader):
    """Safe YAML that refuses aliases, so a card cannot expand into a billion entries."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are refused")
        return super().compose_node(parent, index)


def split_patterns(card: dict[str, Any], subset: str | None, split: str) -> list[str]:
    """The file patterns of `split` of the config `subset` (or the default), every pattern in
    the card checked first; without `configs`, files whose path names the split."""
    configs = card.get("configs")
    if not isinstance(configs, list) or not configs:
        prefix = f"{subset}/" if subset else ""
        return [f"{prefix}*{split}*"]
    for config in configs:
        for _, pattern in _all_patterns(config):
            _safe(pattern)
    chosen = _config(configs, subset)
    return [_safe(p) for s, p in _all_patterns(chosen) if s == split]


def _config(configs: list[Any], subset: str | None) -> dict[str, Any]:
    dicts = [c for c in configs if isinstance(c, dict)]
    if subset is not None:
        match = [c for c in dicts if c.get("config_name") == subset]
    else:
        match = [c for c in dicts if c.get("default") is True] or [
            c for c in dicts if c.get("config_name") == "default"
        ]
        if not match and len(dicts) == 1:
            match = dicts
    if not match:
        names = ", ".join(str(c.get("config_name"))[:40] for c in dicts)
        raise RunnerError(
            f"the dataset card has no config `{subset or 'default'}` (it has: {names}); "
            "set `evaluation.subset`"
        )
    return match[0]


def _all_patterns(config: Any) -> list[tuple[str, object]]:
    """(split, pattern) of every data_files entry of a config, in any of the card's shapes."""
    files = config.get("data_files") if isinstance(config, dict) else None
    if files is None:
        return []
    if isinstance(files, dict):
        return [(str(s), p) for s, value in files.items() for p in _listed(value)]
    if isinstance(files, list) and all(isinstance(f, dict) for f in files):
        return [(str(f.get("split", "train")), p) for f in files for p in _listed(f.get("path"))]
    return [("train", p) for p in _listed(files)]  # bare patterns are the train split


def _listed(value: Any) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def download_patterns(patterns: list[str]) -> list[str]:
    """The patterns narrowed to data files, so nothing else of the split is downloaded."""
    out = []
    for pattern in patterns:
        if pattern.endswith(SUFFIXES):
            out.append(pattern)
        else:
            stem = pattern if pattern.endswith("*") else pattern.rstrip("/") + "/*"
            out += [stem + suffix for suffix in SUFFIXES]
    return out


def data_files(snapshot: Path, patterns: list[str]) -> list[Path]:
    """The snapshot's files a pattern matches, data files only, in path order."""
    wanted = download_patterns(patterns)
    found = []
    for entry in sorted(snapshot.rglob("*")):
        relative = entry.relative_to(snapshot).as_posix()
        if entry.suffix in SUFFIXES and any(fnmatch.fnmatch(relative, p) for p in wanted):
            found.append(entry)
    return found


def _card_file(repo: str, revision: str) -> Path | None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    try:
        return Path(
            hf_hub_download(
                repo,
                "README.md",
                repo_type="dataset",
                revision=revision,
                cache_dir=hub_cache(),
                local_files_only=hub_offline(),
            )
        )
    except (EntryNotFoundError, LocalEntryNotFoundError):
        return None  # no card (or none cached offline): the files are found by name
    except Exception as exc:  # the hub's errors name the repository, never a host file
        raise RunnerError(f"evaluation.dataset `{repo}`: {type(exc).__name__}") from None


def _download(repo: str, revision: str, patterns: list[str]) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(
            snapshot_download(
                repo,
                repo_type="dataset",
                revision=revision,
                allow_patterns=patterns,
                cache_dir=hub_cache(),
                local_files_only=hub_offline(),
            )
        )
    except LocalEntryNotFoundError:
        raise RunnerError(
            f"evaluation.dataset `{repo}`@{revision[:12]} is not in the local cache and the "
            "hub cannot be reached (offline?)"
        ) from None
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", "?")
        raise RunnerError(f"evaluation.dataset `{repo}`: the hub answered HTTP {status}") from None
    except (OSError, ValueError) as exc:
        raise RunnerError(f"evaluation.dataset `{repo}`: {type(exc).__name__}") from None
