"""Read a manifest: safe YAML, then the schema. The one path every command takes."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from validator.errors import UserError
from validator.findings import Finding, Summary
from validator.manifest.parts import Parts, salvage
from validator.manifest.schema import Manifest
from validator.manifest.validate import validate
from validator.manifest.yaml_loader import Document, parse_yaml, read_yaml


@dataclass
class Loaded:
    document: Document | None
    manifest: Manifest | None  # None when the YAML or the schema failed
    findings: list[Finding] = field(default_factory=list)  # YAML and schema problems
    parts: Parts = field(default_factory=Parts)  # what of it validates, for the rules


def _validated(document: Document | None, findings: list[Finding]) -> Loaded:
    if document is None:
        return Loaded(document, None, findings)
    manifest, errors = validate(document, Manifest)
    parts = Parts.of(manifest) if manifest else salvage(document.data)
    return Loaded(document, manifest, findings + errors, parts)


def load(path: Path, display: str | None = None) -> Loaded:
    return _validated(*read_yaml(path, display))


def parse(raw: bytes, display: str) -> Loaded:
    return _validated(*parse_yaml(raw, display))


def require(loaded: Loaded, name: str) -> tuple[Manifest, Document]:
    """The manifest, or its findings on stderr and a UserError: commands that need one."""
    if loaded.manifest is None or loaded.document is None or loaded.findings:
        from validator.output import text

        text.render(loaded.findings, Summary.of(loaded.findings, [name]), sys.stderr)
        raise UserError(f"{name} is not a valid manifest; `mcv check {name}` explains")
    return loaded.manifest, loaded.document
