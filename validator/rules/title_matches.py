"""The PR title names the same team and homework as the manifest."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.pr_title import guess_title, parse_title
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV302",
    "title-mismatch",
    "the title's team and homework equal the manifest's `team` and `homework`",
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    team, homework = ctx.parts.team, ctx.parts.homework
    if ctx.pr.title is None:
        return
    title = parse_title(ctx.pr.title) or guess_title(ctx.pr.title)
    if title is None:
        return
    expected = f"{team or title.team} HW-{homework or title.homework}"
    if team is not None and title.team != team:
        yield INFO.finding(
            ctx.display,
            ("team",),
            f"the pull-request title names team `{title.team}`, the manifest `{team}`",
            f"rename the pull request to `{expected}`, or fix `team`",
        )
    if homework is not None and title.homework != homework:
        yield INFO.finding(
            ctx.display,
            ("homework",),
            f"the pull-request title says HW-{title.homework}, the manifest `homework: {homework}`",
            f"rename the pull request to `{expected}`, or fix `homework`",
        )
