"""The reproduce job's artifact, as the privileged report job receives it: untrusted data.

Only `verification.json` is read. Before that, the whole artifact is inspected: no path
may leave the folder, no entry may be a link, no file or total may be too large. The
record is then validated against its schema; nothing in it is ever executed, and it
carries no pull-request number (the PR is resolved from the head SHA through the API).
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from pydantic import ValidationError

from validator.errors import UserError
from validator.verification import VerificationRecord

RECORD = "verification.json"
MAX_FILE = 16 * 2**20
MAX_TOTAL = 48 * 2**20
MAX_FILES = 64


class ArtifactError(UserError):
    """The artifact is refused; the message says why."""


def _check_name(name: str) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or name.startswith("/"):
        raise ArtifactError(f"artifact entry `{name}` leaves the artifact folder")


def _from_zip(source: Path | IO[bytes], wanted: tuple[str, ...] = (RECORD,)) -> dict[str, bytes]:
    """The wanted top-level members of a zip, after every entry passed inspection."""
    with zipfile.ZipFile(source) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_FILES:
            raise ArtifactError(f"artifact has {len(entries)} entries (at most {MAX_FILES})")
        total = 0
        found = {}
        for entry in entries:
            _check_name(entry.filename)
            if stat.S_ISLNK(entry.external_attr >> 16):
                raise ArtifactError(f"artifact entry `{entry.filename}` is a symbolic link")
            if entry.file_size > MAX_FILE:
                raise ArtifactError(
                    f"artifact entry `{entry.filename}` is larger than {MAX_FILE // 2**20} MiB"
                )
            total += entry.file_size
            if entry.filename in wanted:
                found[entry.filename] = entry
        if total > MAX_TOTAL:
            raise ArtifactError(f"artifact is larger than {MAX_TOTAL // 2**20} MiB")
        for name in wanted:
            if name not in found:
                raise ArtifactError(f"artifact has no {name}")
        out = {}
        for name, entry in found.items():
            with archive.open(entry) as handle:
                out[name] = handle.read(MAX_FILE + 1)
                if len(out[name]) > MAX_FILE:
                    raise ArtifactError(f"{name} is larger than {MAX_FILE // 2**20} MiB")
        return out


def members(data: bytes, wanted: tuple[str, ...]) -> dict[str, bytes]:
    """Named members of a downloaded artifact zip, inspected like `load` does."""
    try:
        return _from_zip(io.BytesIO(data), wanted)
    except zipfile.BadZipFile:
        raise ArtifactError("the downloaded artifact is not a zip archive") from None


def record_of(raw: bytes) -> VerificationRecord:
    return _validated(raw)


def _from_folder(folder: Path) -> bytes:
    total = count = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            entry = Path(root, name)
            if entry.is_symlink():
                raise ArtifactError(
                    f"artifact entry `{entry.relative_to(folder)}` is a symbolic link"
                )
        for name in files:
            entry = Path(root, name)
            size = entry.lstat().st_size
            count += 1
            total += size
            if size > MAX_FILE:
                raise ArtifactError(
                    f"artifact entry `{entry.relative_to(folder)}` is larger "
                    f"than {MAX_FILE // 2**20} MiB"
                )
    if count > MAX_FILES or total > MAX_TOTAL:
        raise ArtifactError(f"artifact has {count} files, {total} bytes: too much")
    record = folder / RECORD
    if not record.is_file():
        raise ArtifactError(f"artifact has no {RECORD}")
    with record.open("rb") as handle:
        return handle.read(MAX_FILE + 1)


def load_file(path: Path) -> VerificationRecord:
    """A bare verification.json, held to the same size cap and schema."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE + 1)
    except OSError as exc:
        raise ArtifactError(f"{path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE:
        raise ArtifactError(f"{path} is larger than {MAX_FILE // 2**20} MiB")
    return _validated(raw, str(path))


def _validated(raw: bytes, name: str = RECORD) -> VerificationRecord:
    try:
        return VerificationRecord.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the document"
        raise ArtifactError(
            f"{name} is not a valid verification record "
            f"({exc.error_count()} problem(s); first: {where}: "
            f"{first['msg']})"
        ) from None


def load(path: Path) -> VerificationRecord:
    """The record inside an artifact (a .zip or its unpacked folder), validated as data."""
    try:
        raw = _from_folder(path) if path.is_dir() else _from_zip(path)[RECORD]
    except zipfile.BadZipFile:
        raise ArtifactError(f"{path}: not a zip archive") from None
    except OSError as exc:
        raise ArtifactError(f"{path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE:
        raise ArtifactError(f"{RECORD} is larger than {MAX_FILE // 2**20} MiB")
    return _validated(raw)
