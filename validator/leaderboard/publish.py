"""Publish a verified submission on merge: record, README table, plots; one commit, pushed.

Concurrent merges race for the branch. Generated files are never merged: a rejected push
fetches, resets to the remote branch, regenerates everything from scratch and tries again,
with jittered exponential backoff. If every try fails, the command says so and loses
nothing: the record it was given is untouched and its path is printed.
"""

from __future__ import annotations

import random
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from validator import verification
from validator.errors import UserError
from validator.verification import VerificationRecord

MANIFEST = re.compile(
    r"^submissions/(?P<team>[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)/"
    r"hw-(?P<hw>[1-7])\.yaml$"
)
IDENTITY = {"user.name": "mcv", "user.email": "mcv@users.noreply.github.com"}


class GitError(UserError):
    """A git command failed; the message carries its output."""


@dataclass(frozen=True)
class Git:
    repo: Path

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        config = [
            f"-c{key}={value}" for key, value in IDENTITY.items() if not self._configured(key)
        ]
        result = subprocess.run(  # noqa: S603 - fixed program, arguments as a list, no shell
            ["git", *config, "-C", str(self.repo), *args],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {(result.stderr or result.stdout).strip()}")
        return result

    def _configured(self, key: str) -> bool:
        found = subprocess.run(  # noqa: S603 - fixed program, arguments as a list, no shell
            ["git", "-C", str(self.repo), "config", key],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        return found.returncode == 0 and bool(found.stdout.strip())


def results_path(record: VerificationRecord) -> Path:
    """results/<team>/hw-<N>.json, from the record's manifest path (validated, not trusted)."""
    match = MANIFEST.match(record.manifest_path)
    if match is None:
        raise UserError(
            f"the record's manifest path `{record.manifest_path}` is not "
            "submissions/<team>/hw-<N>.yaml"
        )
    return Path("results", match["team"], f"hw-{match['hw']}.json")


def write_record(repo: Path, record: VerificationRecord) -> Path:
    """results/<team>/hw-<N>.json, written atomically by the one record writer."""
    target = repo / results_path(record)
    return verification.write_record(record, target.parent, target.name)


def publish(
    repo: Path,
    record: VerificationRecord,
    regenerate: Callable[[], list[Path]],
    message: str,
    remote: str = "origin",
    branch: str = "main",
    attempts: int = 5,
    backoff: float = 1.0,
) -> bool:
    """Commit and push; True when a commit was pushed, False when nothing changed."""
    git = Git(repo)
    if git("status", "--porcelain").stdout.strip():
        raise UserError(f"{repo} has uncommitted changes; publish from a clean checkout")
    last = ""
    for attempt in range(attempts):
        git("fetch", "--quiet", remote, branch)
        git("reset", "--quiet", "--hard", f"{remote}/{branch}")
        paths = [write_record(repo, record), *regenerate()]
        git("add", "--", *(str(p.relative_to(repo)) for p in paths if p.exists()))
        if not git("diff", "--cached", "--quiet", check=False).returncode:
            return False  # already published: no empty commit
        git("commit", "--quiet", "-m", message)
        pushed = git("push", "--quiet", remote, f"HEAD:{branch}", check=False)
        if pushed.returncode == 0:
            return True
        last = ((pushed.stderr or pushed.stdout).strip().splitlines() or [""])[-1]
        time.sleep(backoff * (2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311 - jitter
    raise UserError(
        f"could not push to {remote}/{branch} after {attempts} attempts "
        f"(last: {last}); nothing is lost: the record is unchanged, publish again"
    )
