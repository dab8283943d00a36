"""The workflow's event (GITHUB_EVENT_PATH), read for the few fields the bot needs."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from validator.errors import UserError


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Head(_Loose):
    sha: str


class _Pull(_Loose):
    number: int
    head: _Head
    merged: bool | None = None


class _WorkflowRun(_Loose):
    id: int
    head_sha: str
    conclusion: str | None = None
    event: str | None = None


class Event(_Loose):
    action: str | None = None
    number: int | None = None
    pull_request: _Pull | None = None
    workflow_run: _WorkflowRun | None = None

    @property
    def head_sha(self) -> str | None:
        """A pull_request event's head. A workflow_run's own head is the default branch when
        it was itself triggered by workflow_run: what it reproduced is in its artifact."""
        return self.pull_request.head.sha if self.pull_request is not None else None

    @property
    def run_id(self) -> int | None:
        """The run a workflow_run event reports on: verified through the API before use."""
        return self.workflow_run.id if self.workflow_run is not None else None

    @property
    def pr_number(self) -> int | None:
        """Only a pull_request event names its PR; a workflow_run's list is not trusted."""
        return self.pull_request.number if self.pull_request is not None else None


def read(path: Path) -> Event:
    try:
        return Event.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise UserError(f"event {path}: cannot read it: {str(exc).splitlines()[0]}") from None
