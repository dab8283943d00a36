"""The PR's author belongs to the team it submits for (per `submissions/teams.yml`)."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV303",
    "author-not-member",
    "the PR author is a member of the manifest's team in `submissions/teams.yml`",
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    pr = ctx.pr
    if ctx.parts.team is None or pr.author is None or pr.teams is None:
        return
    team = ctx.parts.team
    members = pr.teams.members_of(team)
    if members is None:
        yield INFO.finding(
            ctx.display,
            ("team",),
            f"team `{team}` is not registered in {pr.teams_source}",
            "ask the course staff to add your team and its GitHub logins to teams.yml",
        )
    elif pr.author.lower() not in members:
        yield INFO.finding(
            ctx.display,
            ("team",),
            f"@{pr.author} is not a member of team `{team}` in {pr.teams_source}",
            "open the pull request from a member's account, or ask the staff to add you",
        )
