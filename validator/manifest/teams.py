"""`submissions/teams.yml`: who may submit for which team."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from validator.manifest.base import StrictModel
from validator.manifest.schema import TeamSlug

GitHubLogin = Annotated[str, Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")]


class Team(StrictModel):
    name: str | None = Field(None, max_length=100, description="Display name.")
    members: list[GitHubLogin] = Field(min_length=1, max_length=20)


class TeamsFile(StrictModel):
    teams: dict[TeamSlug, Team]

    def members_of(self, team: str) -> set[str] | None:
        entry = self.teams.get(team)
        return None if entry is None else {login.lower() for login in entry.members}
