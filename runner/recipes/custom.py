"""A team's own recipe script: only inside the sandbox, only where the course allows it.

The script runs in a process of its own (inside the same sandbox) and must leave a
safetensors model in its output folder; this process then loads that folder with the
same safety checks as any model, and the harness measures it. The script never shares a
process with the measurement, so it cannot tamper with the numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys

from runner.errors import RunnerError, Unsupported
from runner.loading.model import check_safe
from runner.recipes.base import Built, Recipe, RecipeContext, save_torch

SCRIPT_TIMEOUT_S = 3600


class Custom(Recipe):
    method = "custom"

    def build(self, ctx: RecipeContext) -> Built:
        if os.environ.get("MCV_SANDBOX") != "1":
            raise Unsupported(
                "custom recipes run only inside the sandbox "
                "(mcv reproduce --sandbox bwrap); never unsandboxed"
            )
        if not ctx.allow_custom or ctx.manifest_dir is None:
            raise Unsupported(
                "custom recipes are off for this course (set "
                "`custom_recipes = true` under [course] in .github/mcv.toml)"
            )
        folder = ctx.manifest_dir.resolve()
        script = (folder / ctx.params.script).resolve()
        if not script.is_relative_to(folder) or not script.is_file():
            raise RunnerError(
                f"custom recipe script `{ctx.params.script}` is not a file in the team's folder"
            )
        out = ctx.work_dir / "custom-model"
        out.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(  # noqa: S603 - our interpreter, our module, list arguments
                [
                    sys.executable,
                    "-m",
                    "runner.sandbox.custom_script",
                    str(script),
                    str(ctx.task.folder),
                    str(out),
                ],
                capture_output=True,
                text=True,
                timeout=SCRIPT_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RunnerError(f"custom recipe script ran past {SCRIPT_TIMEOUT_S} s") from None
        except OSError as exc:  # e.g. no process left to start one with
            raise RunnerError(f"custom recipe script could not start: {exc}") from None
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise RunnerError(f"custom recipe script failed: {tail[:400]}")
        model = ctx.task.load_model(check_safe(out))
        return save_torch(model, ctx, "safetensors (custom recipe)")
