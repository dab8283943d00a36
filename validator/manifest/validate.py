"""Validate a located document against a pydantic model; every error becomes a located finding.

Pydantic collects all errors in one pass; each is turned into a finding whose message
says what is wrong in the manifest's own words (a path like `runs[1].params.amount`)
and whose hint says how to fix it, down to the close-match key or method name.
"""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from validator.findings import Finding, Loc, Severity, format_loc
from validator.manifest.schema import RUN_TYPE_BY_METHOD
from validator.manifest.yaml_loader import Document, child

M = TypeVar("M", bound=BaseModel)

SCHEMA_CODE = "MCV101"
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
    loc = clean_loc(doc, err["loc"])
    kind = err["type"]
    where = format_loc(loc) or "the document"
    code, message, hint = SCHEMA_CODE, f"{where}: {err['msg']}", ""
    mark = doc.mark(loc)
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        parent = format_loc(loc[:-1]) or "the top level"
        allowed = fields_at(model, loc[:-1], doc)
        close = difflib.get_close_matches(key, allowed, n=1)
        message = f"unknown key `{key}` in {parent}"
        hint = (f"did you mean `{close[0]}`? " if close else "") + (
            f"allowed here: {', '.join(allowed)}" if allowed else "remove it"
        )
        mark = doc.mark(loc, key=True)
    elif kind == "missing":
        key = str(loc[-1]) if loc else ""
        message = f"`{key}` is required in {format_loc(loc[:-1]) or 'the top level'}"
        hint = f"add `{key}:`; `mcv schema` shows what it takes"
    elif kind == "union_tag_invalid":
        tag = str(err.get("ctx", {}).get("tag", ""))
        close = difflib.get_close_matches(tag, list(RUN_TYPE_BY_METHOD), n=1)
        message = f"{where}.method: unknown method `{tag}`"
        hint = (f"did you mean `{close[0]}`? " if close else "") + (
            f"methods: {', '.join(RUN_TYPE_BY_METHOD)}"
        )
        mark = doc.mark((*loc, "method"))
    elif kind == "union_tag_not_found":
        message = f"{where} has no `method`"
        hint = f"add `method:` with one of: {', '.join(RUN_TYPE_BY_METHOD)}"
    elif kind in _STRING_ERRORS and loc in doc.plain_text:
        raw = doc.plain_text[loc]
        read_as = _TYPE_WORDS.get(type(err["input"]), "not text")
        code, kind = YAML_TYPE_CODE, "yaml-type-trap"
        message = f"{where}: YAML read `{raw}` as {read_as} ({err['input']!r}), not as text"
        hint = f'put it in quotes: `{loc[-1]}: "{raw}"`'
    elif kind == "literal_error":
        hint = f"use one of: {err.get('ctx', {}).get('expected', '')}"
    elif kind == "string_pattern_mismatch" and loc[-1:] == ("team",):
        hint = "a team name is lower-case letters, digits, `_` and `-` (e.g. `ml_masters`)"
    elif kind in {"float_type", "int_type", "float_parsing", "int_parsing"}:
        hint = "write a plain number without units (sizes in MB, times in ms)"
    elif kind == "finite_number":
        hint = "write a finite number; leave the key out if it was not measured"
    elif kind in {"model_type", "dict_type", "model_attributes_type"}:
        hint = "this should be a mapping of `key: value` lines; see submissions/example_team/"
    elif kind == "list_type":
        hint = "this should be a list: one `- ` item per entry"
    elif kind == "bool_type":
        hint = "write `true` or `false`"
    rule = kind if kind == "yaml-type-trap" else f"schema/{kind}"
    return Finding(code, rule, Severity.ERROR, message, hint, doc.path, loc, mark.line, mark.col)


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
