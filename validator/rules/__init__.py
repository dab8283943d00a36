"""Every check `mcv check` runs, listed once. Codes are stable: docs and CI filters use them."""

from __future__ import annotations

from validator.manifest.loading import LOADING
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
    method_task,
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
    method_task,
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


def catalogue() -> list[RuleInfo]:
    """Every code, in order: what the README's checks table documents."""
    infos = [*LOADING, *(r.INFO for r in MANIFEST_RULES), *(r.INFO for r in SUBMISSION_RULES)]
    return sorted(infos, key=lambda info: info.code)


__all__ = ["LOADING", "MANIFEST_RULES", "SUBMISSION_RULES", "catalogue"]
