"""The manifest lives in `submissions/<team>/`, named after its own `team`."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV201", "team-folder-mismatch", "`team` equals the name of the folder the manifest is in"
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    team = ctx.parts.team
    if team is None or team == ctx.folder:
        return
    yield INFO.finding(
        ctx.display,
        ("team",),
        f"`team: {team}` but the manifest is in the folder `{ctx.folder}`",
        f"move it to submissions/{team}/{ctx.filename}, or set `team: {ctx.folder}`",
    )
