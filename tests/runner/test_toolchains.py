"""Toolchains: built from their pins into a hash-keyed cache, and a run's worker really
runs in the one its recipe or model needs, sandboxed or not."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from runner import toolchains
from runner.errors import RunnerError
from runner.toolchains import Toolchain
from tests.runner.test_reproduce import FAST, read_record, text_manifest

OFFLINE = ("--no-index",)  # nothing to fetch: these pins name only what is on disk or nothing


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Toolchain:
    """A registered toolchain `probe` whose pins file lives in tmp_path."""
    pins = tmp_path / "probe.txt"
    pins.write_text("# nothing to install\n")
    monkeypatch.setattr(Toolchain, "pins", property(lambda self: pins))
    probe = Toolchain("probe", "a test toolchain", False)
    monkeypatch.setitem(toolchains.TOOLCHAINS, "probe", probe)
    monkeypatch.setenv(toolchains.ROOT_ENV, str(tmp_path / "cache"))
    return probe


def test_a_toolchain_is_built_once_into_a_folder_keyed_by_its_pins(
    chain: Toolchain, tmp_path: Path
) -> None:
    assert not toolchains.state(chain).built
    with pytest.raises(RunnerError, match="mcv toolchains build probe"):
        toolchains.interpreter("probe")
    said: list[str] = []
    found = toolchains.build(chain, said.append, pip_args=OFFLINE)
    assert found.built
    assert found.python is not None
    assert found.python == toolchains.interpreter("probe")
    version = subprocess.run(
        [str(found.python), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(version.stdout.strip()) == toolchains.folder(chain)
    assert toolchains.folder(chain).name.startswith(f"probe-{toolchains.python_tag()}-")
    assert any("built in" in line for line in said)
    assert toolchains.build(chain, said.append, pip_args=OFFLINE) == found  # nothing to do

    chain.pins.write_text("# nothing to install, but other pins\n")
    again = toolchains.state(chain)
    assert not again.built
    assert "an older build is there" in again.detail


def test_a_failed_build_leaves_nothing_that_counts(chain: Toolchain) -> None:
    chain.pins.write_text("mcv-no-such-package==1.0\n")
    with pytest.raises(RunnerError, match="pip failed") as caught:
        toolchains.build(chain, lambda line: None, pip_args=OFFLINE)
    assert "mcv-no-such-package" in str(caught.value)
    assert not toolchains.state(chain).built
    assert list(toolchains.root().glob("probe-*")) == []


def test_a_recipe_and_a_model_that_need_different_toolchains_are_refused() -> None:
    assert toolchains.for_run("core", None) == "core"
    assert toolchains.for_run("core", "timm_wrapper") == "vision"
    assert toolchains.for_run("optimum", "bert") == "optimum"
    with pytest.raises(RunnerError, match="no toolchain has both"):
        toolchains.for_run("optimum", "timm_wrapper")


def test_the_cli_lists_and_builds(chain: Toolchain, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("toolchains", "list")
    assert code == 0
    assert "ok  core" in out
    assert "--  probe" in out
    code, _, err = cli("toolchains", "build", "nope")
    assert code == 2
    assert "unknown toolchain nope" in err
    chain.pins.write_text("mcv-no-such-package==1.0\n")
    code, _, err = cli("toolchains", "build", "probe")
    assert code == 1
    assert "pip failed" in err
    assert "Traceback" not in err


def borrowed(chain: Toolchain) -> Path:
    """A built `probe` toolchain that borrows the runner's own packages (a .pth file) and
    says it has timm 0.0.0 (a dist-info, no code): so a worker that ran in it is known by
    the versions it reports, without installing a real stack here."""
    found = toolchains.build(chain, lambda line: None, pip_args=OFFLINE)
    assert found.python is not None
    purelib = subprocess.run(
        [str(found.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    site = Path(purelib)
    (site / "borrow-runner.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    info = site / "timm-0.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: timm\nVersion: 0.0.0\n")
    return found.python


def fp16_in_probe(
    root: Path, tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch, *options: str
) -> tuple[int, dict[str, Any]]:
    """`mcv reproduce` of an original and an fp16 run whose recipe needs `probe`."""
    from runner.recipes import RECIPES
    from validator.cli import main

    monkeypatch.setattr(RECIPES["fp16"], "toolchain", "probe")
    manifest = text_manifest(
        root,
        tiny_models["text-classification"],
        [{"label": "Original", "method": "original"}, {"label": "FP16", "method": "fp16"}],
        samples=4,
    )
    out = root / "out"
    code = main(["reproduce", str(manifest), "--out", str(out), *FAST[:-2], *options])
    return code, {run.method: run for run in read_record(out).runs}


@pytest.mark.parametrize("sandbox", ["none", "bwrap"])
def test_a_run_whose_recipe_needs_a_toolchain_runs_its_worker_there(
    sandbox: str,
    chain: Toolchain,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if sandbox == "bwrap" and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    borrowed(chain)
    code, runs = fp16_in_probe(tmp_path, tiny_models, monkeypatch, "--sandbox", sandbox)
    assert code == 0
    assert runs["fp16"].status == "ok", runs["fp16"].error
    assert runs["fp16"].toolchain == f"probe ({toolchains.key(chain)})"
    assert runs["fp16"].versions.get("timm") == "0.0.0"  # it ran in the probe's venv
    assert runs["original"].toolchain == "core"
    assert "timm" not in runs["original"].versions  # the runner's own environment has none


def test_a_run_whose_toolchain_is_not_built_is_unsupported_saying_how_to_build_it(
    chain: Toolchain,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, runs = fp16_in_probe(tmp_path, tiny_models, monkeypatch, "--sandbox", "none")
    assert code == 0  # it cannot run on this machine, as a CUDA recipe on a CPU
    assert runs["original"].status == "ok"
    assert runs["fp16"].status == "unsupported"
    assert "mcv toolchains build probe" in (runs["fp16"].error or "")


def test_build_toolchains_builds_a_missing_one_before_its_run(
    chain: Toolchain,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ("--sandbox", "none", "--build-toolchains")
    code, runs = fp16_in_probe(tmp_path, tiny_models, monkeypatch, *options)
    assert toolchains.state(chain).built
    assert "probe: built in" in capsys.readouterr().err
    # Its pins install nothing, so its worker has no torch: a failed run that says so.
    assert code == 1
    assert runs["fp16"].status == "failed"
    assert "not ready" not in (runs["fp16"].error or "")
    assert "torch" in (runs["fp16"].error or "") or "numpy" in (runs["fp16"].error or "")
