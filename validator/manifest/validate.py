"""Validate a located document against a pydantic model; every error becomes a located finding.

Pydantic collects all errors in one pass; each is turned into a finding whose message
says what is wrong in the manifest's own words (a path like `runs[1].params.amount`)
and whose hint says how to fix it, down to the close-match key or method name. The plain
words come from `validator.schema_errors`, shared with records, events and the config.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from validator.findings import Finding, Loc, Severity, format_loc
from validator.manifest.schema import RUN_TYPE_BY_METHOD
from validator.manifest.yaml_loader import Document, child
from validator.schema_errors import SCHEMA_CODE, describe

M = TypeVar("M", bound=BaseModel)

YAML_TYPE_CODE = "MCV102"
_STRING_ERRORS = {"string_type"}
_TYPE_WORDS = {bool: "a boolean", int: "a number", float: "a number", type(None): "empty"}


def validate(doc: Document, model: type[M]) -> tuple[M | None, list[Finding]]:
    """Validate `doc.data`; return the model, or None and the located findings."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [_finding(doc, model, err) for err in exc.errors(include_url=False)]


def clean_loc(doc: Document, loc: tuple[Any, ...]) -> Loc:
    """Drop the union tags pydantic inserts (`runs.1.kmeans.params` -> `runs.1.params`)."""
    out: list[str | int] = []
    node = doc.data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("method") == part:
            continue
        out.append(part)
        node = child(node, part)
    return tuple(out)


def _finding(doc: Document, model: type[BaseModel], err: ErrorDetails) -> Finding:
    """The plain-words finding of `schema_errors`, with what only a manifest knows added."""
    loc = clean_loc(doc, err["loc"])
    kind = err["type"]
    message, hint = describe(err, loc)
    code, mark = SCHEMA_CODE, doc.mark(loc)
    refine = _REFINE.get(kind)
    if refine is not None:
        message, hint = refine(doc, model, err, loc, message, hint)
    if kind == "extra_forbidden":
        mark = doc.mark(loc, key=True)
    elif kind == "union_tag_invalid":
        mark = doc.mark((*loc, "method"))
    elif kind in _STRING_ERRORS and loc in doc.plain_text:
        raw = doc.plain_text[loc]
        read_as = _TYPE_WORDS.get(type(err["input"]), "not text")
        code, kind = YAML_TYPE_CODE, "yaml-type-trap"
        message = (
            f"{format_loc(loc)}: YAML read `{raw}` as {read_as} ({err['input']!r}), not as text"
        )
        hint = f'put it in quotes: `{loc[-1]}: "{raw}"`'
    rule = kind if kind == "yaml-type-trap" else f"schema/{kind}"
    return Finding(code, rule, Severity.ERROR, message, hint, doc.path, loc, mark.line, mark.col)


Refine = Callable[[Document, type[BaseModel], ErrorDetails, Loc, str, str], tuple[str, str]]


def _unknown_key(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    key = str(loc[-1]) if loc else ""
    allowed = fields_at(model, loc[:-1], doc)
    close = difflib.get_close_matches(key, allowed, n=1)
    return message, (f"did you mean `{close[0]}`? " if close else "") + (
        f"allowed here: {', '.join(allowed)}" if allowed else "remove it"
    )


def _unknown_method(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    tag = str(err.get("ctx", {}).get("tag", ""))
    close = difflib.get_close_matches(tag, list(RUN_TYPE_BY_METHOD), n=1)
    where = format_loc(loc) or "the document"
    return f"{where}.method: unknown method `{tag}`", (
        f"did you mean `{close[0]}`? " if close else ""
    ) + f"methods: {', '.join(RUN_TYPE_BY_METHOD)}"


def _no_method(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    where = format_loc(loc) or "the document"
    return f"{where} has no `method`", f"add `method:` with one of: {', '.join(RUN_TYPE_BY_METHOD)}"


def _pattern(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    if loc[-1:] == ("team",):
        hint = "a team name is lower-case letters, digits, `_` and `-` (e.g. `ml_masters`)"
    elif loc[-1:] == ("label",):
        hint = "a label is one line of at most 80 characters"
    return message, hint


_REFINE: dict[str, Refine] = {
    "extra_forbidden": _unknown_key,
    "union_tag_invalid": _unknown_method,
    "union_tag_not_found": _no_method,
    "string_pattern_mismatch": _pattern,
}


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types behind Optional/Annotated/unions, lists and dicts (their items)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def fields_at(model: type[BaseModel], loc: Loc, doc: Document) -> list[str]:
    """Keys a mapping at `loc` may have, walking the model like pydantic would."""
    current: list[Any] = [model]
    for depth, part in enumerate(loc):
        nxt: list[Any] = []
        for typ in current:
            origin = get_origin(typ)
            if isinstance(part, int) and origin is list:
                nxt += _unwrap(get_args(typ)[0])
            elif isinstance(typ, type) and issubclass(typ, BaseModel) and part in typ.model_fields:
                nxt += _unwrap(typ.model_fields[part].annotation)
        if len([t for t in nxt if t in RUN_TYPE_BY_METHOD.values()]) > 1:
            node = doc.get(loc[: depth + 1])
            method = node.get("method") if isinstance(node, dict) else None
            nxt = [RUN_TYPE_BY_METHOD.get(str(method), RUN_TYPE_BY_METHOD["original"])]
        current = nxt
        if not current:
            return []
    keys: list[str] = []
    for typ in current:
        if isinstance(typ, type) and issubclass(typ, BaseModel):
            keys += [k for k in typ.model_fields if k not in keys]
    return keys
