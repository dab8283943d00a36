"""A local model or dataset path stays inside the repository.

The runner reads local paths on the course's machine and binds them into the sandbox, so
a manifest must not name `/home/runner/.ssh`, `~/.cache` or `../../..`: only paths
relative to the repository, going down.
"""

from collections.abc import Iterator
from pathlib import PurePosixPath

from validator.findings import Finding
from validator.manifest.methods import DistilledParams
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV207",
    "local-path-outside-repo",
    "a local model or dataset path is relative and stays inside the repository",
)


def _escapes(path: str) -> bool:
    pure = PurePosixPath(path)
    return pure.is_absolute() or path.startswith("~") or ".." in pure.parts


def check(ctx: ManifestContext) -> Iterator[Finding]:
    if ctx.manifest is None:
        return
    manifest = ctx.manifest
    places: list[tuple[tuple[str | int, ...], str]] = [
        (("model", "id"), manifest.model.id),
        (("evaluation", "dataset"), manifest.evaluation.dataset),
    ]
    for index, run in enumerate(manifest.runs):
        if isinstance(run.params, DistilledParams):
            places.append((("runs", index, "params", "student", "id"), run.params.student.id))
    for loc, path in places:
        if _escapes(path):
            yield INFO.finding(
                ctx.display,
                loc,
                f"`{path}` points outside the repository; the runner does not read its "
                "own machine's files for a team",
                "use a hub id (`org/name`), or a path relative to the repository such as "
                "`submissions/<team>/data/eval.jsonl`",
            )
