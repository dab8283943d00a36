"""MCV210: a model with its own code, as the course config and the revision allow it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import check, manifest
from validator.findings import Finding, Severity

SHA = "0123456789abcdef0123456789abcdef01234567"


def course(root: Path, remote_code: bool) -> None:
    (root / ".github").mkdir(exist_ok=True)
    (root / ".github" / "mcv.toml").write_text(
        f"[course]\nremote_code = {str(remote_code).lower()}\n"
    )


def mcv210(root: Path, model: dict[str, str]) -> list[Finding]:
    data = manifest(model={**model, "task": "automatic-speech-recognition"})
    data["evaluation"]["metric"] = "wer"
    return [f for f in check(root, data) if f.code == "MCV210"]


def local_model(root: Path, auto_map: bool) -> dict[str, str]:
    folder = root / "submissions" / "ml_masters" / "gigaam"
    folder.mkdir(parents=True)
    config: dict[str, object] = {"architectures": ["GigaAMForCTC"]}
    if auto_map:
        config["auto_map"] = {"AutoModelForCTC": "modeling_gigaam.GigaAMForCTC"}
    (folder / "config.json").write_text(json.dumps(config))
    return {"id": "submissions/ml_masters/gigaam"}


def test_a_known_hub_model_is_refused_where_the_course_does_not_allow_it(tmp_path: Path) -> None:
    course(tmp_path, False)
    (found,) = mcv210(tmp_path, {"id": "waveletdeboshir/gigaam-ctc", "revision": SHA})
    assert found.severity is Severity.ERROR
    assert found.loc == ("model", "id")
    assert "this course does not allow such models" in found.message
    assert "`remote_code = true` under [course] in .github/mcv.toml" in found.hint


def test_allowed_it_needs_a_full_sha(tmp_path: Path) -> None:
    course(tmp_path, True)
    for revision in ("main", "0123456"):
        (found,) = mcv210(tmp_path, {"id": "waveletdeboshir/gigaam-rnnt", "revision": revision})
        assert found.severity is Severity.ERROR
        assert found.loc == ("model", "revision")
        assert "full 40-hex commit sha" in found.hint
    (found,) = mcv210(tmp_path, {"id": "waveletdeboshir/gigaam-rnnt"})
    assert "no `revision`" in found.message


def test_allowed_and_pinned_it_says_what_the_runner_will_do(tmp_path: Path) -> None:
    course(tmp_path, True)
    (found,) = mcv210(tmp_path, {"id": "waveletdeboshir/gigaam-ctc", "revision": SHA})
    assert found.severity is Severity.WARNING
    assert "runs only inside the sandboxed worker" in found.message


def test_a_local_folder_says_it_by_its_config(tmp_path: Path) -> None:
    course(tmp_path, False)
    (found,) = mcv210(tmp_path, local_model(tmp_path, auto_map=True))
    assert found.severity is Severity.ERROR
    course(tmp_path, True)
    (found,) = mcv210(tmp_path, {"id": "submissions/ml_masters/gigaam"})
    assert found.severity is Severity.WARNING  # a folder is pinned by the commit


def test_a_model_without_its_own_code_is_not_mentioned(tmp_path: Path) -> None:
    course(tmp_path, False)
    assert mcv210(tmp_path, local_model(tmp_path, auto_map=False)) == []
    assert mcv210(tmp_path, {"id": "openai/whisper-small", "revision": SHA}) == []


def test_a_hub_model_in_the_cache_says_it_by_its_cached_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.runner.hub_cache import add_repo, offline_cache

    cache = offline_cache(monkeypatch, tmp_path / "hub")
    config = {"auto_map": {"AutoModelForCTC": "modeling_x.X"}}
    add_repo(cache, "model", "org/own-code", {"config.json": json.dumps(config).encode()}, SHA)
    add_repo(cache, "model", "org/plain", {"config.json": b"{}"}, SHA)
    course(tmp_path, False)
    (found,) = mcv210(tmp_path, {"id": "org/own-code", "revision": SHA})
    assert found.severity is Severity.ERROR
    assert mcv210(tmp_path, {"id": "org/plain", "revision": SHA}) == []


def test_mcv_check_config_is_the_course_config_the_rule_reads(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """`--config` names the course config: the rule reads that one, not the repository's."""
    from tests.builders import write

    course(tmp_path, False)  # the repository's own says no
    data = manifest(
        model={
            "id": "waveletdeboshir/gigaam-ctc",
            "revision": SHA,
            "task": "automatic-speech-recognition",
        }
    )
    data["evaluation"]["metric"] = "wer"
    path = write(tmp_path, data)
    allowing = tmp_path / "allowing.toml"
    allowing.write_text("[course]\nremote_code = true\n")
    code, out, _ = cli("check", str(path), "--config", str(allowing), "--format", "json")
    (found,) = [f for f in json.loads(out)["findings"] if f["code"] == "MCV210"]
    assert found["severity"] == "warning"
    assert "the course allows it" in found["message"]
    code, out, _ = cli("check", str(path), "--format", "json")
    (found,) = [f for f in json.loads(out)["findings"] if f["code"] == "MCV210"]
    assert found["severity"] == "error"
    assert code == 1
