"""A hub dataset names the commit it is read at, so the rows cannot change after approval."""

import re
from collections.abc import Iterator

from validator.findings import Finding
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV208",
    "unpinned-dataset",
    "a hub dataset is pinned to a commit (`evaluation.revision`, 40 hex digits)",
)

SHA = re.compile(r"^[0-9a-f]{40}$")
HINT = (
    "add `revision:` under `evaluation:` with the full commit sha (40 hex digits) from the "
    "dataset page's 'Files and versions' history"
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    evaluation = ctx.parts.evaluation
    if evaluation is None or evaluation.is_local:
        return
    if evaluation.revision is None:
        yield INFO.finding(
            ctx.display,
            ("evaluation", "dataset"),
            f"hub dataset `{evaluation.dataset}` has no `revision`: its files could change "
            "after the run is approved, and the runner refuses an unpinned dataset",
            HINT,
        )
    elif not SHA.match(evaluation.revision):
        yield INFO.finding(
            ctx.display,
            ("evaluation", "revision"),
            f"`revision: {evaluation.revision}` is not a full commit sha; a branch, a tag or "
            "a short sha can point elsewhere later",
            HINT,
        )
