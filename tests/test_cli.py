from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import manifest, write
from tests.conftest import REPO


def test_clean_manifest_exits_0(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write(in_tmp, manifest())
    code, out, _ = cli("check", "submissions/ml_masters/hw-2.yaml")
    assert code == 0
    assert out.strip() == "no problems in 1 file"


def test_findings_exit_1_and_are_grouped_by_file(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    data = manifest()
    data["runs"][1]["reported"]["quality"] = 90.31
    write(in_tmp, data)
    code, out, _ = cli("check", "submissions")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "submissions/ml_masters/hw-2.yaml"
    assert "error    MCV407  runs[1] `INT8 dynamic`: f1 90.31 is above 1" in lines[1]
    assert lines[2].strip() == "fix: write 0.9031 instead of 90.31"
    assert lines[-1] == "1 error, 0 warnings in 1 file"


def test_warnings_alone_exit_0(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    data = manifest()
    data["model"]["revision"] = "main"
    write(in_tmp, data)
    code, out, _ = cli("check", "submissions/ml_masters/hw-2.yaml")
    assert (code, out.splitlines()[-1]) == (0, "0 errors, 1 warning in 1 file")


def test_usage_errors_exit_2(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("check", "nope.yaml")
    assert (code, err.strip()) == (2, "mcv check: nope.yaml: no such file or folder")
    assert cli("check")[0] == 2
    assert cli("check", "x.yaml", "--format", "xml")[0] == 2
    assert cli("frobnicate")[0] == 2
    write(in_tmp, manifest())
    code, _, err = cli("check", "submissions", "--changed-files", "missing.txt")
    assert code == 2
    assert "missing.txt" in err
    (in_tmp / "empty").mkdir()
    assert cli("check", "empty")[0] == 2


def test_help_exits_0(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("check", "--help")
    assert code == 0
    assert "--pr-title" in out


def test_json_format_is_versioned(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    data = manifest()
    data["runs"][1]["reported"]["cpu_ms"] = 88.31
    write(in_tmp, data)
    code, out, _ = cli("check", "submissions", "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert document["version"] == 1
    (finding,) = document["findings"]
    assert finding["code"] == "MCV401"
    assert finding["loc"] == "runs[1].reported.cpu_ms"
    assert finding["file"] == "submissions/ml_masters/hw-2.yaml"
    assert isinstance(finding["line"], int)
    assert document["summary"] == {
        "errors": 1,
        "warnings": 0,
        "files": ["submissions/ml_masters/hw-2.yaml"],
    }


def test_github_format_annotates_and_writes_summary(
    in_tmp: Path,
    cli,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    data = manifest()
    data["runs"][1]["label"] = "a, b: 100%"  # characters workflow commands must escape
    data["runs"][1]["reported"]["cpu_ms"] = 88.31
    write(in_tmp, data)
    summary = in_tmp / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = cli("check", "submissions", "--format", "github", "--pr-title", "bad title")
    assert code == 1
    lines = out.splitlines()
    assert (
        lines[0] == "::error title=MCV301 title-format::pull-request title `bad title` is not "
        "`team HW-N`%0Afix: rename the pull request to `ml_masters HW-2`"
    )
    assert lines[1].startswith("::error file=submissions/ml_masters/hw-2.yaml,line=")
    assert ",title=MCV401 copied-from-baseline::" in lines[1]
    assert "100%25" in lines[1]
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.startswith("### mcv check: 1 error(s)") or "2 error(s)" in markdown
    assert "| ❌ | submissions/ml_masters/hw-2.yaml:" in markdown


def test_teams_file_is_read_from_the_default_place(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write(in_tmp, manifest())
    (in_tmp / "submissions" / "teams.yml").write_text(
        "teams:\n  ml_masters:\n    members: [alice]\n"
    )
    assert cli("check", "submissions", "--author", "alice")[0] == 0
    code, out, _ = cli("check", "submissions", "--author", "mallory")
    assert code == 1
    assert "@mallory is not a member of team `ml_masters`" in out


def test_broken_teams_file_is_reported_not_raised(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write(in_tmp, manifest())
    (in_tmp / "submissions" / "teams.yml").write_text("teams:\n  ml_masters: {members: alice}\n")
    code, out, _ = cli("check", "submissions", "--author", "alice")
    assert code == 1
    assert "submissions/teams.yml" in out
    assert "MCV101" in out


def test_schema_command_prints_the_schema(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("schema")
    assert code == 0
    assert json.loads(out)["title"].startswith("Model-compression submission manifest")


def test_check_does_not_import_heavy_libraries() -> None:
    script = (
        "import sys\n"
        "from validator.cli import main\n"
        "code = main(['check', 'submissions', '--format', 'json'])\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'onnxruntime', 'optimum', 'numpy',"
        " 'pandas') if m in sys.modules)\n"
        "print('HEAVY', heavy, code, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert "HEAVY [] 1" in result.stderr, result.stderr


def test_python_m_validator_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "validator", "--version"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("mcv ")


def test_an_internal_error_exits_3_not_1(monkeypatch: pytest.MonkeyPatch, cli) -> None:  # type: ignore[no-untyped-def]
    import validator.commands.schema as schema_command

    monkeypatch.setattr(schema_command, "json_schema_text", lambda: 1 / 0)
    code, _, err = cli("schema")
    assert code == 3
    assert "internal error" in err


def test_every_command_has_its_exit_codes_in_its_help() -> None:
    from validator import exits
    from validator.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = sub.choices
    assert isinstance(commands, dict)
    assert set(commands) == set(exits.EXITS)
    for name, parser in commands.items():
        assert parser.epilog == exits.help_line(name)
        assert "Exit " not in (parser.description or ""), f"{name}: exit codes typed by hand"
    assert exits.help_line("check") == (
        "Exit 0: no errors (warnings allowed); 1: errors found; 2: usage error; "
        "3: a bug in mcv (please report it)."
    )


def test_doctor_with_an_unknown_capability_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("doctor", "--require", "warp-drive")
    assert code == 2
    assert "unknown capability warp-drive" in err


def test_pre_commit_hook_names_the_check_entry_point() -> None:
    import re
    import tomllib

    import yaml

    from validator.cli import build_parser

    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {"id", "name", "entry", "language"} <= set(hook)
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    program, command = hook["entry"].split()
    assert program in scripts
    build_parser().parse_args([command, "submissions/example_team/hw-2.yaml"])
    assert hook["language"] == "python"
    assert re.search(hook["files"], "submissions/example_team/hw-2.yaml")
    assert not re.search(hook["files"], "submissions/example_team/notes.md")
