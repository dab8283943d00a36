"""What a manifest names in its team's folder is small: the fetch copies it for every run.

Checked on the files as they are on disk where `mcv check` runs (the pull request's
checkout); a name that is not there yet is left to the fetch, which fails the run."""

from collections.abc import Iterator
from pathlib import Path

from validator.findings import Finding, Loc
from validator.manifest.team_files import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    in_team_folder,
    local_names,
    scripts,
)
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV209",
    "team-files-too-large",
    f"the files a manifest names in its folder are at most {MAX_FILE_BYTES >> 20} MiB each "
    f"and {MAX_TOTAL_BYTES >> 20} MiB together, with no symbolic links",
)
HINT = (
    "put large models or datasets on the hub and name them by id (pinned with `revision:`); "
    "commit files, not links"
)


def files_of(path: Path) -> list[Path]:
    """The file itself, or every entry below a folder (links included, never followed)."""
    if path.is_symlink() or not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_symlink() or not p.is_dir())


def _problems(folder: Path, loc: Loc, name: str, rest: Path) -> Iterator[tuple[Loc, str, int]]:
    for file in files_of(folder / rest):
        shown = f"{name}/{file.relative_to(folder / rest)}" if file != folder / rest else name
        if file.is_symlink():
            yield loc, f"`{shown}` is a symbolic link; the runner refuses links", 0
            continue
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            yield loc, f"`{shown}` is {size / 2**20:.1f} MiB, over {MAX_FILE_BYTES >> 20} MiB", 0
        yield loc, "", size


def check(ctx: ManifestContext) -> Iterator[Finding]:
    team = ctx.parts.team
    if team is None or ctx.path is None:
        return
    folder, total, first = ctx.path.parent, 0, None
    for loc, name in [*local_names(ctx.parts), *scripts(ctx.parts)]:
        rest = in_team_folder(name, team)
        if rest is None or (not (folder / rest).exists() and not (folder / rest).is_symlink()):
            continue  # outside the folder is MCV207's; missing is the fetch's
        first = first or loc
        for where, message, size in _problems(folder, loc, name, Path(rest)):
            total += size
            if message:
                yield INFO.finding(ctx.display, where, message, HINT)
    if total > MAX_TOTAL_BYTES and first is not None:
        yield INFO.finding(
            ctx.display,
            first,
            f"the files this manifest names come to {total / 2**20:.1f} MiB together, over "
            f"{MAX_TOTAL_BYTES >> 20} MiB",
            HINT,
        )
