from __future__ import annotations

import json
from typing import Any

import pytest


def test_doctor_reports_capabilities_and_recipes(cli: Any) -> None:
    pytest.importorskip("torch")
    code, out, _ = cli("doctor", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["capabilities"]["torch"]["ok"] is True
    assert document["recipes"]["original"] == "ok"
    if not document["capabilities"]["cuda"]["ok"]:
        assert document["recipes"]["gptq"] == "needs CUDA"
    assert document["recipes"]["custom"].startswith("sandbox only")


def test_doctor_fails_on_a_missing_requirement(cli: Any) -> None:
    pytest.importorskip("torch")
    code, _, _ = cli("doctor", "--require", "torch,cuda")
    import torch

    assert code == (0 if torch.cuda.is_available() else 1)
    assert cli("doctor", "--require", "warp-drive")[0] == 2


def test_doctor_and_reproduce_read_one_sandbox_registry(cli: Any) -> None:
    """Each registered sandbox, `none` included, is a doctor line and a --sandbox choice."""
    import argparse

    from runner.sandbox.registry import SANDBOXES
    from runner.toolchains import TOOLCHAINS
    from validator.commands import reproduce

    parser = argparse.ArgumentParser()
    reproduce.add_parser(parser.add_subparsers())
    (action,) = [
        a
        for sub in parser._subparsers._group_actions  # type: ignore[union-attr]
        for a in sub.choices["reproduce"]._actions
        if a.dest == "sandbox"
    ]
    assert list(action.choices) == ["auto", *SANDBOXES]
    code, out, _ = cli("doctor", "--format", "json", "--require", "none")
    assert code == 0
    capabilities = json.loads(out)["capabilities"]
    assert {*SANDBOXES, "cgroup"} <= set(capabilities)
    toolchain_lines = {f"toolchain:{name}" for name in TOOLCHAINS}
    assert set(capabilities) - {"torch", "cuda", "nvml", "onnxruntime", "cgroup"} == {
        *SANDBOXES,
        *toolchain_lines,
    }
    assert capabilities["toolchain:core"]["ok"] is True
    assert "never runs a custom recipe" in capabilities["none"]["detail"]


def test_doctor_cgroup_line_names_the_place_or_the_fix(cli: Any) -> None:
    from runner.sandbox.cgroup import find_place

    code, out, _ = cli("doctor", "--format", "json", "--require", "cgroup")
    line = json.loads(out)["capabilities"]["cgroup"]
    place = find_place()
    if isinstance(place, str):
        assert (code, line["ok"], line["detail"]) == (1, False, place)
    else:
        assert (code, line["ok"]) == (0, True)
        assert str(place.folders[0]) in line["detail"]


def test_course_doctor_on_this_repository_is_clean(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import REPO

    code, out, _ = cli("doctor", "--course", "--root", str(REPO))
    assert code == 0, out
    assert "ok  .github/workflows/publish.yml" in out
    assert "require the status check `mcv check`" in out
    assert "Settings > Environments > `reproduce`: add the course staff" in out
    assert "Require approval for all outside collaborators" in out


def test_course_doctor_points_at_the_typo_and_what_is_missing(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "mcv.toml").write_text(
        "[tolerance]\nlatancy_rel = 0.2\n", encoding="utf-8"
    )
    (tmp_path / "README.md").write_text("# course\n", encoding="utf-8")
    code, out, _ = cli("doctor", "--course", "--root", str(tmp_path))
    assert code == 1
    assert ".github/mcv.toml:2: unknown key `latancy_rel` in tolerance" in out
    assert "did you mean `latency_rel`?" in out
    assert "no  .github/workflows/validate.yml" in out
    assert "no  README.md" in out
    assert "<!-- leaderboard:start -->" in out
    assert "An example .github/mcv.toml" in out
    assert "latency_rel = 0.2" in out
