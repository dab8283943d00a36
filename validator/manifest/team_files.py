"""The files a manifest names in its team's folder: what is fetched, checked and bound.

Local names are written relative to the repository and lie under `submissions/<team>/`
(a custom script is named relative to that folder). `mcv check` refuses anything else,
the fetch hands the runner exactly that folder, and the runner resolves names only in it.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from validator.findings import Loc
from validator.manifest.methods import CustomParams, DistilledParams
from validator.manifest.parts import Parts

MAX_FILE_BYTES = 25 * 2**20  # one file a manifest names (a folder counts file by file)
MAX_TOTAL_BYTES = 50 * 2**20  # everything a manifest names, together


def team_prefix(team: str) -> PurePosixPath:
    return PurePosixPath("submissions", team)


def local_names(parts: Parts) -> list[tuple[Loc, str]]:
    """(where in the manifest, the name as written) of every local model, dataset or script."""
    names: list[tuple[Loc, str]] = []
    if parts.model is not None and parts.model.is_local:
        names.append((("model", "id"), parts.model.id))
    if parts.evaluation is not None and parts.evaluation.is_local:
        names.append((("evaluation", "dataset"), parts.evaluation.dataset))
    for index, run in parts.runs:
        if isinstance(run.params, DistilledParams) and run.params.student.is_local:
            names.append((("runs", index, "params", "student", "id"), run.params.student.id))
    return names


def scripts(parts: Parts) -> list[tuple[Loc, str]]:
    """Custom recipe scripts, as repository paths (the manifest names them in the folder)."""
    if parts.team is None:
        return []
    prefix = team_prefix(parts.team)
    return [
        (("runs", index, "params", "script"), str(prefix / run.params.script))
        for index, run in parts.runs
        if isinstance(run.params, CustomParams)
    ]


def in_team_folder(name: str, team: str) -> PurePosixPath | None:
    """The part of `name` below `submissions/<team>/`, or None when it is not down there."""
    if name.startswith(("/", "~", "\\")) or "\\" in name or ":" in name:
        return None
    path = PurePosixPath(name)
    parts = [p for p in path.parts if p != "."]
    prefix = team_prefix(team).parts
    if ".." in parts or tuple(parts[:2]) != prefix or len(parts) <= 2:
        return None
    return PurePosixPath(*parts[2:])
