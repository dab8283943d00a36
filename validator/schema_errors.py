"""Pydantic's validation errors in plain words: one adapter for manifests, records, events, config.

pydantic gives each error a stable `type`, a `loc` path and a `ctx` with the numbers its
message is made from (pydantic's docs: map the type to a template). The templates are
here, once; nothing of pydantic's own English reaches a reader. `manifest.validate` adds
what only a manifest knows (the keys allowed at a place, close method names, YAML traps).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from validator.findings import Finding, Loc, Severity, format_loc
from validator.manifest.loading import SCHEMA

SCHEMA_CODE = SCHEMA.code
_UNITS = "write a plain number without units (sizes in MB, times in ms)"
_BOOL = "write `true` or `false`"
_DATE = "e.g. 2026-10-15T23:59:00+03:00"
_MAPPING = "{where} must be a mapping of `key: value` lines"
_ONE_OF = ("{where}: {value} is not one of the allowed values", "use one of: {expected}")

# type -> (message, hint); fields: {where}, {value}, and the error's ctx (`{gt}`, `{expected}`)
TEMPLATES: dict[str, tuple[str, str]] = {
    "string_type": ("{where} must be text, not {value}", "put it in quotes"),
    "int_type": ("{where} must be a whole number, not {value}", _UNITS),
    "int_parsing": ("{where} must be a whole number, not {value}", _UNITS),
    "int_from_float": ("{where} must be a whole number, not {value}", _UNITS),
    "float_type": ("{where} must be a number, not {value}", _UNITS),
    "float_parsing": ("{where} must be a number, not {value}", _UNITS),
    "finite_number": (
        "{where} must be a finite number, not {value}",
        "leave the key out if it was not measured",
    ),
    "bool_type": ("{where} must be true or false, not {value}", _BOOL),
    "bool_parsing": ("{where} must be true or false, not {value}", _BOOL),
    "greater_than": ("{where} must be more than {gt}, not {value}", ""),
    "greater_than_equal": ("{where} must be at least {ge}, not {value}", ""),
    "less_than": ("{where} must be less than {lt}, not {value}", ""),
    "less_than_equal": ("{where} must be at most {le}, not {value}", ""),
    "string_too_short": ("{where} must have at least {min_length} character(s)", ""),
    "string_too_long": ("{where} is longer than {max_length} characters", "shorten it"),
    "string_pattern_mismatch": ("{where}: {value} does not have the form it needs", ""),
    "too_short": ("{where} needs at least {min_length} item(s)", ""),
    "too_long": ("{where} has more than {max_length} item(s)", ""),
    "literal_error": (
        "{where}: {value} is not one of the allowed values",
        "use one of: {expected}",
    ),
    "enum": ("{where}: {value} is not one of the allowed values", "use one of: {expected}"),
    "model_type": (_MAPPING, "see submissions/example_team/"),
    "dict_type": (_MAPPING, ""),
    "model_attributes_type": (_MAPPING, ""),
    "list_type": ("{where} must be a list", "one `- ` item per entry"),
    "union_tag_invalid": (
        "{where}: unknown {discriminator} {value}",
        "use one of: {expected_tags}",
    ),
    "union_tag_not_found": ("{where} has no {discriminator}", ""),
    "datetime_type": ("{where} must be a date and time", _DATE),
    "datetime_parsing": ("{where} must be a date and time, not {value}", _DATE),
    "datetime_from_date_parsing": ("{where} must be a date and time, not {value}", _DATE),
    "date_parsing": ("{where} must be a date, not {value}", "e.g. 2026-10-15"),
    "json_invalid": ("not valid JSON ({error})", ""),
    "json_type": ("not JSON text", ""),
    "value_error": ("{where}: {error}", ""),  # our own validators' words
    "assertion_error": ("{where}: {error}", ""),
}
_FALLBACK = ("{where}: {value} is not valid here", "")


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def shown(value: Any) -> str:
    """The offending value as a reader can find it again in their file."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, int | float | str):
        text = str(value)
        return f"`{text[:40]}…`" if len(text) > 40 else f"`{text}`"
    if isinstance(value, dict):
        return "a mapping"
    return "a list" if isinstance(value, list) else "a value of another kind"


def describe(err: ErrorDetails, loc: Loc) -> tuple[str, str]:
    """(message, hint) for one error at `loc`, in plain words."""
    if err["type"] in ("missing", "extra_forbidden") and loc:
        parent = format_loc(loc[:-1]) or "the top level"
        key = loc[-1]
        if err["type"] == "missing":
            return f"`{key}` is required in {parent}", f"add `{key}:`"
        return f"unknown key `{key}` in {parent}", "remove it"
    ctx = err.get("ctx") or {}
    if err["type"] == "string_too_short" and ctx.get("min_length") == 1:
        return f"{format_loc(loc) or 'the document'} must not be empty", ""
    fields = _Fields({k: str(v) for k, v in ctx.items()})
    fields.update(where=format_loc(loc) or "the document", value=shown(err.get("input")))
    message, hint = TEMPLATES.get(err["type"], _FALLBACK)
    return message.format_map(fields), hint.format_map(fields)


def findings(
    exc: ValidationError, file: str | None = None, code: str = SCHEMA_CODE
) -> list[Finding]:
    """Every error of `exc` as a finding (no line: a document without YAML marks)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        message, hint = describe(err, loc)
        out.append(Finding(code, f"schema/{err['type']}", Severity.ERROR, message, hint, file, loc))
    return out


def summary(exc: ValidationError, limit: int = 3) -> str:
    """One line for an error message: the first few problems, and how many more."""
    found = findings(exc)
    text = "; ".join(f.message for f in found[:limit])
    more = len(found) - limit
    return text + (f" (and {more} more)" if more > 0 else "")
