"""Inside the sandbox, in a process of its own: a team's recipe script.

The script defines `build(model_dir, out_dir)`, which must leave a safetensors model in
out_dir; the harness then loads and measures that, in another process the script never
touched.
"""

from __future__ import annotations

import runpy
import sys


def main(script: str, model_dir: str, out_dir: str) -> None:
    namespace = runpy.run_path(script, run_name="mcv_custom_recipe")
    build = namespace.get("build")
    if not callable(build):
        raise SystemExit(f"{script} defines no build(model_dir, out_dir)")
    build(model_dir, out_dir)


if __name__ == "__main__":
    main(*sys.argv[1:4])
