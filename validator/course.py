"""`mcv doctor --course`: is this repository set up as a course? What is left to do by hand?

Reads only files: the course config, the team registry, the README's leaderboard markers
and the workflows. GitHub settings cannot be read without a token, so they are listed
with the values this repository's workflows expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from validator.config import DEFAULT_PATH as CONFIG_PATH
from validator.config import read_config
from validator.errors import UserError
from validator.findings import Finding
from validator.leaderboard import markers
from validator.pipeline import read_teams  # the reader `mcv check` uses

TEAMS_PATH = Path("submissions/teams.yml")
WORKFLOWS = {
    "validate": "static checks of each pull request (read-only token)",
    "reproduce": "re-runs the recipes on the self-hosted GPU runner, after approval",
    "report": "comments, labels and sets the check with the write token",
    "publish": "commits results/ and the README table after a merge",
}


@dataclass(frozen=True)
class Item:
    ok: bool
    name: str
    detail: str
    findings: list[Finding] = field(default_factory=list)


def _config(root: Path) -> Item:
    path = root / CONFIG_PATH
    if not path.is_file():
        return Item(False, str(CONFIG_PATH), "missing: the defaults apply; the example below")
    _, findings = read_config(path, str(CONFIG_PATH))
    detail = f"{len(findings)} problem(s)" if findings else "valid"
    return Item(not findings, str(CONFIG_PATH), detail, findings)


def _teams(root: Path) -> Item:
    path = root / TEAMS_PATH
    if not path.is_file():
        return Item(
            False,
            str(TEAMS_PATH),
            "missing: without it no check ties a PR's author to a team (MCV303)",
        )
    teams, findings = read_teams(path)
    findings = [replace(f, file=str(TEAMS_PATH)) for f in findings]
    if teams is None or findings:
        return Item(False, str(TEAMS_PATH), f"{len(findings)} problem(s)", findings)
    return Item(True, str(TEAMS_PATH), f"{len(teams.teams)} team(s)")


def _readme(root: Path) -> Item:
    path = root / "README.md"
    if not path.is_file():
        return Item(False, "README.md", "missing: `mcv publish` writes the leaderboard into it")
    try:
        span = markers.find(path.read_text(encoding="utf-8"), "README.md")
    except UserError as exc:
        return Item(False, "README.md", f"{exc}; add {markers.START} and {markers.END}")
    return Item(
        True,
        "README.md",
        f"leaderboard markers on lines {span.start_line + 1}, {span.end_line + 1}",
    )


def _workflow(root: Path, name: str) -> Item:
    path = Path(".github/workflows") / f"{name}.yml"
    if not (root / path).is_file():
        return Item(False, str(path), f"missing: {WORKFLOWS[name]}")
    return Item(True, str(path), WORKFLOWS[name])


def check_course(root: Path) -> list[Item]:
    """Every file a course needs, and whether it is right."""
    items = [_config(root), _teams(root), _readme(root)]
    items += [_workflow(root, name) for name in WORKFLOWS]
    results = root / "results"
    items.append(
        Item(True, "results/", "present" if results.is_dir() else "not yet: publish creates it")
    )
    return items


def _jobs(root: Path, name: str) -> dict[str, Any]:
    path = root / ".github" / "workflows" / f"{name}.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    jobs = data.get("jobs") if isinstance(data, dict) else None
    return jobs if isinstance(jobs, dict) else {}


def manual_settings(root: Path) -> list[str]:
    """The GitHub settings a maintainer sets by hand, named as this repository needs them."""
    checks = [str(job.get("name", key)) for key, job in _jobs(root, "validate").items()]
    reproduce = _jobs(root, "reproduce").values()
    environments = sorted({str(j["environment"]) for j in reproduce if j.get("environment")})
    labels = sorted(
        {
            str(label)
            for job in reproduce
            for label in (job.get("runs-on") if isinstance(job.get("runs-on"), list) else [])
        }
    )
    return [
        "Settings > Branches (or Rules > Rulesets): protect the default branch and require "
        f"the status check {', '.join(f'`{c}`' for c in checks) or '`mcv check`'} before merging",
        "Settings > Actions > General > Fork pull request workflows from outside "
        "collaborators: `Require approval for all outside collaborators`",
        "Settings > Actions > General > Workflow permissions: `Read repository contents "
        "and packages permissions` (the workflows ask for more where they need it)",
        f"Settings > Environments > {', '.join(f'`{e}`' for e in environments) or '`reproduce`'}"
        ": add the course staff as Required reviewers (each GPU run waits for one)",
        f"Settings > Actions > Runners: register the GPU runner with the labels "
        f"{', '.join(f'`{label}`' for label in labels) or '`self-hosted`, `gpu`'}, ephemeral, "
        "in a runner group limited to this repository",
    ]
