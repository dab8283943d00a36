"""The workflows keep the security model: a test that fails when an edit breaks it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
WRITE = {"write"}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on:` as True
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"validate.yml", "reproduce.yml", "report.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    for step in steps(load(path)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_do_not_persist_credentials(path: Path) -> None:
    for step in steps(load(path)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, path.name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_event_data_is_interpolated_into_scripts(path: Path) -> None:
    for step in steps(load(path)):
        assert "${{" not in step.get("run", ""), f"{path.name}: use env: for `{step['run']}`"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_declared_and_least(path: Path) -> None:
    workflow = load(path)
    assert "permissions" in workflow, f"{path.name}: no top-level permissions"
    top = workflow["permissions"]
    assert top in ({}, {"contents": "read"}), f"{path.name}: top-level permissions {top}"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job or top in ({}, {"contents": "read"}), (path.name, name)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_pull_request_workflows_are_read_only_and_hosted(path: Path) -> None:
    workflow = load(path)
    if not triggers(workflow) & {"pull_request", "pull_request_target"}:
        return
    assert "pull_request_target" not in triggers(workflow), path.name
    for name, job in workflow["jobs"].items():
        runs_on = job["runs-on"]
        labels = runs_on if isinstance(runs_on, list) else [runs_on]
        assert "self-hosted" not in labels, f"{path.name}:{name} on a self-hosted runner"
        permissions = {**workflow.get("permissions", {}), **job.get("permissions", {})}
        assert not WRITE & set(permissions.values()), f"{path.name}:{name} can write"
    assert "secrets." not in path.read_text(encoding="utf-8")


def test_the_gpu_job_has_no_token_and_waits_for_approval() -> None:
    workflow = load(REPO / ".github" / "workflows" / "reproduce.yml")
    gpu = [job for job in workflow["jobs"].values() if "self-hosted" in job["runs-on"]]
    assert len(gpu) == 1
    assert gpu[0]["permissions"] == {}
    assert gpu[0]["environment"] == "reproduce"
    assert triggers(workflow) == {"workflow_run"}


def test_only_the_report_workflow_writes() -> None:
    for path in WORKFLOWS:
        workflow = load(path)
        writes = any(
            WRITE & set(job.get("permissions", {}).values()) for job in workflow["jobs"].values()
        )
        assert writes == (path.name in {"report.yml", "publish.yml"}), path.name


def test_runs_fan_out_over_the_runners_and_merge_into_one_record() -> None:
    workflow = load(REPO / ".github" / "workflows" / "reproduce.yml")
    jobs = workflow["jobs"]
    assert jobs["prepare"]["outputs"]["shards"] == "${{ steps.shards.outputs.shards }}"
    matrix = jobs["reproduce"]["strategy"]["matrix"]
    assert matrix["shard"] == "${{ fromJSON(needs.prepare.outputs.shards) }}"
    assert jobs["reproduce"]["strategy"]["fail-fast"] is False
    merge = jobs["merge"]
    assert merge["needs"] == ["prepare", "reproduce"]
    assert "always()" in merge["if"]
    assert merge["permissions"] == {}
    assert "self-hosted" not in merge["runs-on"]
    uploads = [s["with"] for s in merge["steps"] if "upload-artifact" in s.get("uses", "")]
    # the name mcv publish looks the record up by: the PR's head (the validate run's head)
    assert uploads == [
        {
            "name": "verification-${{ github.event.workflow_run.head_sha }}",
            "path": "out/",
            "retention-days": 30,
        }
    ]
    assert "cp manifest/pull.json out/pull.json" in merge["steps"][-2]["run"]
    shard_step = [s for s in jobs["reproduce"]["steps"] if "SHARD" in s.get("env", {})]
    assert '--shard "$SHARD"' in shard_step[0]["run"]


def run_steps(name: str) -> list[str]:
    return [s.get("run", "") for s in steps(load(REPO / ".github" / "workflows" / name))]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_step_needs_the_gh_cli(path: Path) -> None:
    for step in steps(load(path)):
        assert not re.search(r"(^|[\s;|&(])gh\s", step.get("run", "")), (path.name, step["run"])


def test_report_and_publish_trust_no_artifact_by_name() -> None:
    """They download nothing themselves: mcv verifies the run through the API first."""
    for name in ("report.yml", "publish.yml"):
        workflow = load(REPO / ".github" / "workflows" / name)
        assert not [s for s in steps(workflow) if "download-artifact" in s.get("uses", "")]
    report = load(REPO / ".github" / "workflows" / "report.yml")
    (job,) = report["jobs"].values()
    assert "github.event.workflow_run.event == 'workflow_run'" in job["if"]
    (step,) = [s for s in job["steps"] if "mcv comment" in s.get("run", "")]
    assert step["run"] == 'mcv comment --repo "$REPO" --run-id "$RUN_ID"'
    assert step["env"]["RUN_ID"] == "${{ github.event.workflow_run.id }}"
    assert not [s for s in steps(report) if "head_sha" in str(s.get("env", {}))]
    assert any('mcv publish --repo "$REPO" --commit "$SHA"' in r for r in run_steps("publish.yml"))


def test_prepare_repeats_every_pr_level_check_from_the_api() -> None:
    prepare = load(REPO / ".github" / "workflows" / "reproduce.yml")["jobs"]["prepare"]
    fetch, check = (
        s
        for s in prepare["steps"]
        if "mcv fetch-manifest" in s.get("run", "") or "mcv check" in s.get("run", "")
    )
    assert '--validate-run "$VALIDATE_RUN"' in fetch["run"]
    assert fetch["env"]["VALIDATE_RUN"] == "${{ github.event.workflow_run.id }}"
    assert "--pull manifest/pull.json" in check["run"]
    assert "--teams submissions/teams.yml" in check["run"]
    assert prepare["permissions"] == {
        "actions": "read",
        "contents": "read",
        "pull-requests": "read",
    }


def test_every_job_uses_the_manifest_prepare_fetched() -> None:
    """Not a `find` over the fetched folder: team files may be named like manifests."""
    jobs = load(REPO / ".github" / "workflows" / "reproduce.yml")["jobs"]
    assert jobs["prepare"]["outputs"]["manifest"] == "${{ steps.fetch.outputs.manifest }}"
    for name in ("reproduce", "merge"):
        (step,) = [s for s in jobs[name]["steps"] if "MANIFEST" in s.get("env", {})]
        assert step["env"]["MANIFEST"] == "${{ needs.prepare.outputs.manifest }}"
        assert '"$MANIFEST"' in step["run"]
    assert "find manifest" not in (REPO / ".github" / "workflows" / "reproduce.yml").read_text()
