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
    if ctx.manifest is None or ctx.pr.title is None:
        return
    title = parse_title(ctx.pr.title) or guess_title(ctx.pr.title)
    if title is None:
        return
    expected = f"{ctx.manifest.team} HW-{ctx.manifest.homework}"
    if title.team != ctx.manifest.team:
        yield INFO.finding(
            ctx.display,
            ("team",),
            f"the pull-request title names team `{title.team}`, the manifest `{ctx.manifest.team}`",
            f"rename the pull request to `{expected}`, or fix `team`",
        )
    if title.homework != ctx.manifest.homework:
        yield INFO.finding(
            ctx.display,
            ("homework",),
            f"the pull-request title says HW-{title.homework}, the manifest "
            f"`homework: {ctx.manifest.homework}`",
            f"rename the pull request to `{expected}`, or fix `homework`",
        )
