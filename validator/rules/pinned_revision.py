"""A hub model names the commit it was measured at, so the runner loads the same weights."""

import re
from collections.abc import Iterator

from validator.findings import Finding, Severity
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV205",
    "unpinned-revision",
    "a hub model is pinned to a commit (`model.revision`)",
    Severity.WARNING,
)

_SHA = re.compile(r"^[0-9a-f]{7,40}$")


def check(ctx: ManifestContext) -> Iterator[Finding]:
    model = ctx.parts.model
    if model is None or model.is_local:
        return
    if model.revision is None:
        yield INFO.finding(
            ctx.display,
            ("model", "id"),
            f"`{model.id}` has no `revision`: the runner may load newer weights than yours",
            "add `revision:` with the commit sha from the model page's 'Files' history",
        )
    elif not _SHA.match(model.revision):
        yield INFO.finding(
            ctx.display,
            ("model", "revision"),
            f"`revision: {model.revision}` is a branch or tag, which can move",
            "use the commit sha (7 to 40 hex digits) instead",
        )
