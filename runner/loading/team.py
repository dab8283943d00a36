"""The team's folder the runner was handed: local names resolve only inside it.

The folder is the manifest's own (`submissions/<team>/` of a checkout, or
`manifest/submissions/<team>/` as `mcv fetch-manifest` writes it). A name must lie under
`submissions/<team>/`, never leaves the folder, and what it names holds no symbolic links
and stays within the size caps `mcv check` states (MCV207, MCV209).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runner.errors import RunnerError
from validator.manifest.team_files import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    in_team_folder,
    team_prefix,
)


@dataclass(frozen=True)
class TeamFolder:
    root: Path  # absolute, resolved
    team: str

    @classmethod
    def of(cls, manifest_dir: Path, team: str) -> TeamFolder:
        return cls(manifest_dir.resolve(), team)

    def check_links(self) -> None:
        """No symbolic link anywhere in the folder: the sandbox binds all of it, and a link
        would let a team's file stand for one of the runner's."""
        for entry in sorted(self.root.rglob("*")):
            if entry.is_symlink():
                raise RunnerError(
                    f"the team's folder holds a symbolic link, `{entry.relative_to(self.root)}`;"
                    " links are refused: commit the file itself"
                )

    def resolve(self, name: str, what: str) -> Path:
        """The file or folder `name` names, checked; RunnerError naming `what` otherwise."""
        rest = in_team_folder(name, self.team)
        if rest is None:
            raise RunnerError(
                f"{what} `{name}` is not under `{team_prefix(self.team)}/`: the runner reads "
                "a team's files only from its own folder (see MCV207)"
            )
        path = self.root.joinpath(*rest.parts)
        if not path.exists() and not path.is_symlink():
            raise RunnerError(f"{what} `{name}`: no such file in the team's folder")
        self.check_files(path, name, what)
        return path

    def check_files(self, path: Path, name: str, what: str) -> None:
        """No link anywhere on the way or below, and the size caps."""
        for step in [path, *path.parents]:
            if step == self.root:
                break
            if step.is_symlink():
                raise RunnerError(f"{what} `{name}`: `{step.name}` is a symbolic link; refused")
        files = sorted(path.rglob("*")) if path.is_dir() and not path.is_symlink() else [path]
        total = 0
        for file in files:
            if file.is_symlink():
                raise RunnerError(
                    f"{what} `{name}`: `{file.relative_to(self.root)}` is a symbolic link; "
                    "the runner refuses links in a team's folder"
                )
            if file.is_file():
                size = file.stat().st_size
                total += size
                if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
                    raise RunnerError(
                        f"{what} `{name}` is over the size cap ({MAX_FILE_BYTES >> 20} MiB a "
                        f"file, {MAX_TOTAL_BYTES >> 20} MiB together; see MCV209)"
                    )
