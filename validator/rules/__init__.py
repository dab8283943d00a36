"""Every check `mcv check` runs, listed once. Codes are stable: docs and CI filters use them."""

from __future__ import annotations

from validator.rules import (
    author_membership,
    changed_paths,
    copied_from_baseline,
    dataset_revision,
    duplicate_labels,
    gpu_method_cpu_latency,
    gpu_named,
    homework_filename,
    local_paths,
    manifest_in_pr,
    metric_range,
    metric_task,
    original_run,
    pinned_revision,
    positive_measures,
    quality_unchanged,
    ram_below_weights,
    size_ratio,
    storage_scheme,
    team_files_size,
    team_folder,
    title_format,
    title_matches,
    vram_below_weights,
)
from validator.rules.base import ManifestRule, RuleInfo, SubmissionRule

MANIFEST_RULES: tuple[ManifestRule, ...] = (
    team_folder,
    homework_filename,
    duplicate_labels,
    original_run,
    pinned_revision,
    metric_task,
    local_paths,
    dataset_revision,
    team_files_size,
    title_matches,
    author_membership,
    copied_from_baseline,
    quality_unchanged,
    size_ratio,
    storage_scheme,
    vram_below_weights,
    positive_measures,
    metric_range,
    ram_below_weights,
    gpu_named,
    gpu_method_cpu_latency,
)
SUBMISSION_RULES: tuple[SubmissionRule, ...] = (title_format, changed_paths, manifest_in_pr)

# Problems found while reading a file, before any rule runs (see manifest/yaml_loader.py and
# manifest/validate.py). Listed here so the catalogue of codes is complete in one place.
LOADING: tuple[RuleInfo, ...] = (
    RuleInfo("MCV001", "unreadable", "the file can be read"),
    RuleInfo("MCV002", "not-text", "the file is UTF-8 text without control characters"),
    RuleInfo("MCV003", "too-large", "the file is at most 64 KiB"),
    RuleInfo("MCV004", "yaml-syntax", "the file is valid YAML"),
    RuleInfo("MCV005", "duplicate-key", "no mapping repeats a key"),
    RuleInfo("MCV006", "yaml-tag", "no YAML tags (`!!python/...`, `!!str`)"),
    RuleInfo("MCV007", "yaml-anchor", "no anchors (`&a`) or aliases (`*a`)"),
    RuleInfo("MCV008", "too-deep", "nesting is at most 16 levels deep"),
    RuleInfo("MCV009", "empty", "the file is not empty"),
    RuleInfo("MCV010", "several-documents", "the file holds one YAML document"),
    RuleInfo("MCV101", "schema", "the manifest matches schema v1 (`mcv schema`)"),
    RuleInfo(
        "MCV102",
        "yaml-type-trap",
        "text fields are text: `1.10`, `1234567` or `true` unquoted are not",
    ),
)


def catalogue() -> list[RuleInfo]:
    """Every code, in order: what the README's checks table documents."""
    infos = [*LOADING, *(r.INFO for r in MANIFEST_RULES), *(r.INFO for r in SUBMISSION_RULES)]
    return sorted(infos, key=lambda info: info.code)


__all__ = ["LOADING", "MANIFEST_RULES", "SUBMISSION_RULES", "catalogue"]
