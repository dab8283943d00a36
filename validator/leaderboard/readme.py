"""Rewrite a README's leaderboard in place: atomically, and only when something changed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from validator.errors import UserError
from validator.leaderboard.markers import replace

MAX_README = 8 * 2**20


def read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_README:
        raise UserError(f"{path}: larger than {MAX_README // 2**20} MiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 (byte {exc.start}); nothing was changed") from None


def write_atomically(path: Path, text: str) -> None:
    """A reader sees the old file or the new one, never half of either; the mode stays."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    with tempfile.NamedTemporaryFile(
        "wb", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        temporary = Path(handle.name)
        try:
            handle.write(text.encode("utf-8"))
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
    try:
        os.chmod(temporary, mode)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def regenerate(path: Path, body: str) -> bool:
    """Put `body` between the markers; True when the file changed (it is rewritten only then)."""
    old = read(path)
    new = replace(old, body, str(path))
    if new == old:
        return False
    write_atomically(path, new)
    return True


def up_to_date(path: Path, body: str) -> bool:
    old = read(path)
    return replace(old, body, str(path)) == old
