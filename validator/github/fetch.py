"""The team's files a manifest names, fetched through the contents API at the PR's head.

The runner never checks a pull request out: what it gets of a team's folder is what this
module wrote, under `<out>/submissions/<team>/`. Only paths inside that folder are asked
for, only regular files come back (a link, a submodule, a file GitHub answers for another
path because a link led there, are refused), each file and the whole set are size-capped.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from validator.errors import UserError
from validator.github.client import Entry, GitHubApi, GitHubError
from validator.github.provenance import one_line
from validator.manifest.methods import CustomParams, DistilledParams
from validator.manifest.schema import Manifest

MAX_FILE = 2**20  # the contents API inlines a file's bytes up to 1 MB
MAX_TOTAL = 16 * 2**20
MAX_FILES = 256
DATA_SUFFIXES = (".jsonl", ".json", ".parquet")


class FetchError(UserError):
    """A named file cannot be handed to the runner; the message says which and why."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))  # it quotes the manifest's own strings


def _is_path(name: str) -> bool:
    """A local path rather than a hub id (`name` or `org/name`)."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1


def local_names(manifest: Manifest) -> list[tuple[str, str]]:
    """(field, repository-relative path) of every local file or folder the manifest names.

    A custom script is relative to the team's folder; models and datasets to the root."""
    folder = f"submissions/{manifest.team}"
    names: list[tuple[str, str]] = []
    if _is_path(manifest.model.id):
        names.append(("model.id", manifest.model.id))
    dataset = manifest.evaluation.dataset
    if _is_path(dataset) or dataset.endswith(DATA_SUFFIXES):
        names.append(("evaluation.dataset", dataset))
    for index, run in enumerate(manifest.runs):
        if isinstance(run.params, DistilledParams) and _is_path(run.params.student.id):
            names.append((f"runs[{index}].params.student.id", run.params.student.id))
        if isinstance(run.params, CustomParams):
            names.append((f"runs[{index}].params.script", f"{folder}/{run.params.script}"))
    return names


def inside(path: str, team: str) -> str | None:
    """`path` normalised, if it stays under submissions/<team>/; else None."""
    pure = PurePosixPath(path.removeprefix("./"))
    if pure.is_absolute() or path.startswith("~") or ".." in pure.parts:
        return None
    parts = pure.parts
    if len(parts) < 3 or parts[:2] != ("submissions", team):
        return None
    return pure.as_posix()


class Fetcher:
    """Collects files for one team at one commit, within the caps."""

    def __init__(self, api: GitHubApi, ref: str, team: str) -> None:
        self.api, self.ref, self.team = api, ref, team
        self.files: dict[str, bytes] = {}
        self.total = 0

    def _get(self, path: str, field: str) -> Entry | list[Entry]:
        try:
            return self.api.contents(path, self.ref)
        except GitHubError as exc:
            if exc.status == 404:
                raise FetchError(
                    f"`{field}` names `{path}`, which the pull request does not have at "
                    f"{self.ref[:12]}; add the file under submissions/{self.team}/ or fix the path"
                ) from None
            raise

    def _refuse_kind(self, entry: Entry, field: str) -> None:
        kinds = {"symlink": "a symbolic link", "submodule": "a git submodule"}
        if entry.type in kinds:
            raise FetchError(
                f"`{field}`: `{entry.path}` is {kinds[entry.type]}; the runner gets regular "
                "files only: commit the file itself"
            )
        if entry.type not in ("file", "dir"):
            raise FetchError(f"`{field}`: `{entry.path}` is a `{entry.type}`, not a file")

    @staticmethod
    def _size(path: str, size: int, field: str) -> None:
        if size > MAX_FILE:
            raise FetchError(
                f"`{field}`: `{path}` is {size} bytes; files handed to the runner are at "
                f"most {MAX_FILE // 2**20} MiB each (put large data or models on the hub)"
            )

    def _add(self, path: str, data: bytes, field: str) -> None:
        self._size(path, len(data), field)
        self.total += len(data)
        if self.total > MAX_TOTAL or len(self.files) >= MAX_FILES:
            raise FetchError(
                f"`{field}`: the team's files exceed {MAX_TOTAL // 2**20} MiB or "
                f"{MAX_FILES} files in total; put large data or models on the hub"
            )
        self.files[path] = data

    def fetch(self, name: str, field: str, depth: int = 0) -> None:
        path = inside(name, self.team)
        if path is None:
            raise FetchError(
                f"`{field}` names `{name}`, outside submissions/{self.team}/; the runner gets "
                "only files from the team's own folder"
            )
        if path in self.files:
            return
        found = self._get(path, field)
        if isinstance(found, list):
            if depth > 8:
                raise FetchError(f"`{field}`: `{path}` is nested too deep")
            for child in found:
                self._refuse_kind(child, field)
                if inside(child.path, self.team) is None or not child.path.startswith(path + "/"):
                    raise FetchError(f"`{field}`: GitHub listed `{child.path}` under `{path}`")
                self._size(child.path, child.size, field)
                self.fetch(child.path, field, depth + 1)
            return
        self._refuse_kind(found, field)
        if found.path != path:  # GitHub answers a link to a file with the file it points at
            raise FetchError(
                f"`{field}`: `{path}` leads to `{found.path}` (a symbolic link); commit the "
                "file itself"
            )
        if found.type != "file" or found.content is None:
            raise FetchError(f"`{field}`: `{path}` is not a regular file")
        self._size(path, found.size, field)
        if found.size and not found.content:  # past the API's inline limit
            self._size(path, MAX_FILE + 1, field)
        self._add(path, found.content, field)


def team_files(api: GitHubApi, ref: str, manifest: Manifest) -> dict[str, bytes]:
    """Every local file the manifest names, by repository-relative path."""
    fetcher = Fetcher(api, ref, manifest.team)
    for field, name in local_names(manifest):
        fetcher.fetch(name, field)
    return fetcher.files


def write(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Write fetched files under `out`, at their repository paths."""
    written = []
    root = out.resolve()
    for path, data in sorted(files.items()):
        target = (root / path).resolve()
        if not target.is_relative_to(root):  # inside() already refused this; belt and braces
            raise FetchError(f"`{path}` would be written outside {out}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written
