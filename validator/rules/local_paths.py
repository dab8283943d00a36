"""A local model or dataset lies in the team's own folder, `submissions/<team>/`.

Only that folder is fetched for a run (at the pull request's head commit) and handed to
the runner, which binds it read-only into the sandbox: a manifest must not name
`/home/runner/.ssh`, `~/.cache`, `../..`, the runner's checkout or another team's folder.
"""

from collections.abc import Iterator

from validator.findings import Finding
from validator.manifest.team_files import in_team_folder, local_names, team_prefix
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV207",
    "local-path-outside-team-folder",
    "a local model or dataset path lies under the team's folder `submissions/<team>/`",
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    team = ctx.parts.team
    if team is None:
        return
    for loc, name in local_names(ctx.parts):
        if in_team_folder(name, team) is None:
            yield INFO.finding(
                ctx.display,
                loc,
                f"`{name}` is not under `{team_prefix(team)}/`: only the team's own folder "
                "is fetched for a run, and the runner reads no other files for a team",
                f"commit the files under `{team_prefix(team)}/` and name them from the "
                f"repository root, e.g. `{team_prefix(team)}/data/eval.jsonl`; or use a hub "
                "id (`org/name`)",
            )
