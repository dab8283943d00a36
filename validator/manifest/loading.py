"""Problems found while reading a file, before any rule runs: each registered once, here.

The YAML reader, the schema adapter and the course config make their findings from these
entries, so a code, its slug and the checks table cannot drift apart.
"""

from __future__ import annotations

from validator.findings import RuleInfo

UNREADABLE = RuleInfo("MCV001", "unreadable", "the file can be read")
NOT_TEXT = RuleInfo("MCV002", "not-text", "the file is UTF-8 text without control characters")
TOO_LARGE = RuleInfo("MCV003", "too-large", "the file is at most 64 KiB")
YAML_SYNTAX = RuleInfo("MCV004", "yaml-syntax", "the file is valid YAML")
DUPLICATE_KEY = RuleInfo("MCV005", "duplicate-key", "no mapping repeats a key")
YAML_TAG = RuleInfo("MCV006", "yaml-tag", "no YAML tags (`!!python/...`, `!!str`)")
YAML_ANCHOR = RuleInfo("MCV007", "yaml-anchor", "no anchors (`&a`) or aliases (`*a`)")
TOO_DEEP = RuleInfo("MCV008", "too-deep", "nesting is at most 16 levels deep")
EMPTY = RuleInfo("MCV009", "empty", "the file is not empty")
SEVERAL_DOCUMENTS = RuleInfo("MCV010", "several-documents", "the file holds one YAML document")
SCHEMA = RuleInfo("MCV101", "schema", "the manifest matches schema v1 (`mcv schema`)")
YAML_TYPE_TRAP = RuleInfo(
    "MCV102",
    "yaml-type-trap",
    "text fields are text: `1.10`, `1234567` or `true` unquoted are not",
)
COURSE_CONFIG = RuleInfo(
    "MCV103",
    "course-config",
    "`.github/mcv.toml` is TOML with only the course config's keys (`mcv doctor --course`)",
)

LOADING: tuple[RuleInfo, ...] = (
    UNREADABLE,
    NOT_TEXT,
    TOO_LARGE,
    YAML_SYNTAX,
    DUPLICATE_KEY,
    YAML_TAG,
    YAML_ANCHOR,
    TOO_DEEP,
    EMPTY,
    SEVERAL_DOCUMENTS,
    SCHEMA,
    YAML_TYPE_TRAP,
    COURSE_CONFIG,
)
