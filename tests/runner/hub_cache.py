"""A Hugging Face hub cache laid out exactly as huggingface_hub writes it, built offline:
`<kind>s--owner--name/refs/main`, `snapshots/<sha>/<path>` as relative links into
`blobs/<hash>`. The real loading code reads it with HF_HUB_OFFLINE=1."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

SHA = "3f1c2b9d8e7a6f5b4c3d2e1f0a9b8c7d6e5f4a3b"


def add_repo(cache: Path, kind: str, repo_id: str, files: dict[str, bytes], sha: str = SHA) -> Path:
    """The snapshot folder of `repo_id` at `sha` (kind: model or dataset), its files as links."""
    folder = cache / f"{kind}s--{repo_id.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(sha)
    snapshot = folder / "snapshots" / sha
    for name, content in files.items():
        blob = folder / "blobs" / hashlib.sha256(content).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(content)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot


def add_model_folder(cache: Path, repo_id: str, source: Path, sha: str = SHA) -> Path:
    """A tiny model folder, as its hub snapshot would be cached."""
    files = {
        p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()
    }
    return add_repo(cache, "model", repo_id, files, sha)


def offline_cache(monkeypatch: pytest.MonkeyPatch, cache: Path) -> Path:
    """Point the loading code at `cache`, with the hub unreachable by choice."""
    cache.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache
