"""upload-artifact stand-in: the files of `path` (lines, globs), relative to their least
common ancestor as the real action stores them, copied to $MCV_E2E_ARTIFACTS/<run>/<name>/."""

import glob
import os
import shutil
import sys
from pathlib import Path


def matches(lines: str) -> list[Path]:
    found: list[Path] = []
    for line in lines.splitlines():
        pattern = line.strip()
        if pattern and not pattern.startswith("!"):
            found += [Path(p).resolve() for p in glob.glob(pattern, recursive=True)]
    return found


def main() -> int:
    name = os.environ["NAME"]
    store = Path(os.environ["MCV_E2E_ARTIFACTS"]) / os.environ["GITHUB_RUN_ID"] / name
    paths = matches(os.environ["PATHS"])
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*")))]
    files = [f for f in files if f.is_file()]
    if not files:
        level = os.environ.get("IF_NO_FILES_FOUND", "warn")
        message = f"No files were found with the provided path: {os.environ['PATHS']}."
        print(f"::{'error' if level == 'error' else 'warning'}::{message} No artifacts uploaded.")
        return 1 if level == "error" else 0
    if store.exists():
        print(f"::error::an artifact named {name} already exists in this run (409 Conflict)")
        return 1
    roots = [p if p.is_dir() else p.parent for p in paths]
    root = Path(os.path.commonpath(roots))
    for file in files:
        target = store / file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
    print(f"Artifact {name} has been uploaded: {len(files)} file(s)")
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"artifact-id={os.environ['GITHUB_RUN_ID']}-{name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
