"""A model with its own code (`auto_map`: GigaAM) runs only where the course allows it.

`mcv reproduce` refuses such a model unless `.github/mcv.toml` says `remote_code = true`
under `[course]` and a hub id is pinned to a full commit sha; its code is then imported
only by the sandboxed worker (docs/reference/remote-code.md). Check says so beforehand.
It knows a model needs its own code, without the hub, from a local folder's config.json,
from the hub cache's copy of it when there is one, or from `KNOWN`: hub models known to
ship their code.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from validator.config import DEFAULT_PATH, CourseConfig, read_config
from validator.findings import Finding, Severity
from validator.manifest.team_files import in_team_folder
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV210",
    "remote-code",
    "a model with its own code (`auto_map`) is allowed by the course config "
    "(`remote_code = true`) and pinned to a full commit sha",
)
KNOWN = frozenset(  # hub models whose config.json carries `auto_map` (course seed 000)
    {"waveletdeboshir/gigaam-ctc", "waveletdeboshir/gigaam-rnnt", "ai-sage/gigaam-v3"}
)
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_CONFIG_BYTES = 4 * 2**20


def _has_auto_map(config: Path) -> bool:
    try:
        if config.stat().st_size > MAX_CONFIG_BYTES:
            return False  # the runner refuses it for its size; not this rule's to say
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "auto_map" in data


def _cached_config(model_id: str, revision: str | None) -> Path | None:
    """The hub cache's config.json of this model at this revision: no network. The cache
    as the environment says now (huggingface_hub reads it once, at import)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(
            model_id, "config.json", cache_dir=os.environ.get("HF_HUB_CACHE"), revision=revision
        )
    except (ImportError, ValueError, OSError):
        return None
    return Path(found) if isinstance(found, str) else None


def needs_remote_code(ctx: ManifestContext) -> bool:
    model = ctx.parts.model
    if model is None:
        return False
    if model.is_local:
        rest = in_team_folder(model.id, ctx.parts.team or "")
        if ctx.path is None or rest is None:
            return False
        return _has_auto_map(ctx.path.parent / rest / "config.json")
    cached = _cached_config(model.id, model.revision)
    return model.id.lower() in KNOWN or (cached is not None and _has_auto_map(cached))


def course_config(ctx: ManifestContext) -> CourseConfig:
    """The course config of the manifest's repository (`submissions/<team>/hw-N.yaml`
    below it), else the working directory's; its own problems are MCV103's. The one
    `mcv check --config` read, where it was given."""
    if ctx.course is not None:
        return ctx.course
    parents = ctx.path.resolve().parents if ctx.path is not None else []
    places = [parents[2] / DEFAULT_PATH] if len(parents) > 2 else []
    for place in [*places, DEFAULT_PATH]:
        if place.is_file():
            return read_config(place)[0] or CourseConfig()
    return CourseConfig()


def check(ctx: ManifestContext) -> Iterator[Finding]:
    model = ctx.parts.model
    if model is None or not needs_remote_code(ctx):
        return
    what = f"`{model.id}` needs its own Python code (`auto_map` in its config.json)"
    if not course_config(ctx).course.remote_code:
        yield INFO.finding(
            ctx.display,
            ("model", "id"),
            f"{what}, and this course does not allow such models: the runner refuses it",
            "an instructor may set `remote_code = true` under [course] in .github/mcv.toml "
            "(the code then runs only in the sandboxed worker); or pick a model without it",
        )
    elif not model.is_local and not (model.revision and FULL_SHA.match(model.revision)):
        yield INFO.finding(
            ctx.display,
            ("model", "revision") if model.revision else ("model", "id"),
            f"{what}, which runs only at a pinned commit; "
            + (f"`revision: {model.revision}` is not one" if model.revision else "no `revision`"),
            "set `model.revision` to the full 40-hex commit sha from the model page's history",
        )
    else:
        yield INFO.finding(
            ctx.display,
            ("model", "id"),
            f"{what}: the course allows it, and it runs only inside the sandboxed worker",
            "nothing to fix: this says what the runner will do",
            severity=Severity.WARNING,
        )
