"""download-artifact stand-in: with `github-token`, the artifacts of run `run-id` through
the REST API (list, then the zip behind archive_download_url); else this run's own
artifacts from $MCV_E2E_ARTIFACTS. `name` extracts into `path`; otherwise every artifact
matching `pattern` goes into `path/<name>/` (or merged into `path`)."""

import fnmatch
import io
import json
import os
import shutil
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any


def api(url: str, token: str) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - GITHUB_API_URL, set by the runner
        url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.read()


def from_api(run_id: str, token: str) -> dict[str, Any]:
    """name -> a callable extracting that artifact into a folder."""
    base = f"{os.environ['GITHUB_API_URL']}/repos/{os.environ['REPOSITORY']}"
    listing = json.loads(api(f"{base}/actions/runs/{run_id}/artifacts?per_page=100", token))

    def extract(url: str) -> Any:
        return lambda dest: zipfile.ZipFile(io.BytesIO(api(url, token))).extractall(dest)

    return {a["name"]: extract(a["archive_download_url"]) for a in listing["artifacts"]}


def from_store(run_id: str) -> dict[str, Any]:
    store = Path(os.environ["MCV_E2E_ARTIFACTS"]) / run_id
    found = sorted(store.iterdir()) if store.is_dir() else []

    def copy(folder: Path) -> Any:
        return lambda dest: shutil.copytree(folder, dest, dirs_exist_ok=True)

    return {folder.name: copy(folder) for folder in found}


def main() -> int:
    name, pattern, token = os.environ["NAME"], os.environ["PATTERN"], os.environ["TOKEN"]
    run_id = os.environ["RUN_ID"] if token else os.environ["GITHUB_RUN_ID"]
    available = from_api(run_id, token) if token else from_store(run_id)
    dest = Path(os.environ["GITHUB_WORKSPACE"]) / os.environ["DEST"]
    if name:
        if name not in available:
            print(f"::error::Unable to download artifact(s): Artifact not found for name: {name}")
            return 1
        available[name](dest)
        print(f"Artifact {name} was downloaded to {dest}")
    else:
        chosen = [n for n in available if not pattern or fnmatch.fnmatch(n, pattern)]
        merge = os.environ.get("MERGE_MULTIPLE") == "true"
        for each in chosen:
            available[each](dest if merge else dest / each)
        print(f"Downloaded {len(chosen)} artifact(s) to {dest}")
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"download-path={dest}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
