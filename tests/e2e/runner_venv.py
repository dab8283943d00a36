"""`python3 -m venv [--symlinks] DIR` on the e2e runner: a venv whose site-packages hold the
test venv's packages, mcv's own editable install left out, so the workflows'
`pip install -c constraints.txt .` finds every dependency installed.

By default the files are hard links (copies where a link is refused): the venv is then
self-contained, as the bubblewrap sandbox needs (it binds the venv, not the test venv).
`--symlinks` (setup-python's venvs, never sandboxed) links each top-level entry instead,
which is much cheaper to make and to delete."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import venv
from pathlib import Path

SKIP = ("__editable__", "model_compression_validator")
PIP = "#!{python}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n"


def link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def main(folder: Path, shallow: bool) -> None:
    venv.create(folder, with_pip=False, symlinks=True)
    stack = Path(os.environ["MCV_E2E_STACK"])
    site = folder / Path(sysconfig.get_path("purelib")).relative_to(sys.base_prefix)
    for entry in stack.iterdir():
        if entry.name.startswith(SKIP) or (site / entry.name).exists():
            continue
        if shallow:
            (site / entry.name).symlink_to(entry)
        elif entry.is_dir():
            shutil.copytree(entry, site / entry.name, copy_function=link, symlinks=True)
        else:
            link(str(entry), str(site / entry.name))
    for name in ("pip", "pip3"):
        script = folder / "bin" / name
        script.write_text(PIP.format(python=folder / "bin" / "python"), encoding="utf-8")
        script.chmod(0o755)


if __name__ == "__main__":
    main(Path(sys.argv[-1]).absolute(), shallow=sys.argv[1:-1] == ["--symlinks"])
