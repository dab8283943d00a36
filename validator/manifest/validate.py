"""Validate a located document against a pydantic model; every error becomes a located finding.

Pydantic collects all errors in one pass; each is turned into a finding whose message
says what is wrong in the manifest's own words (a path like `runs[1].params.amount`)
and whose hint says how to fix it, down to the close-match key or method name. The plain
words come from `validator.schema_errors`, shared with records, events and the config.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from validator.findings import Finding, Loc, Severity, format_loc
from validator.importer.cells import read_measure
from validator.manifest.loading import SCHEMA, YAML_TYPE_TRAP
from validator.manifest.metrics import METRICS
from validator.manifest.names import guess_choice, guess_methods, guess_metric
from validator.manifest.parts import field_errors, method_of
from validator.manifest.schema import RUN_TYPE_BY_METHOD, Manifest, Run, RunBase
from validator.manifest.yaml_loader import Document, child
from validator.schema_errors import describe

M = TypeVar("M", bound=BaseModel)

_STRING_ERRORS = {"string_type"}
_TYPE_WORDS = {bool: "a boolean", int: "a number", float: "a number", type(None): "empty"}


def validate(doc: Document, model: type[M]) -> tuple[M | None, list[Finding]]:
    """Validate `doc.data`; return the model, or None and the located findings."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    if model is Manifest:
        errors += [e for err in errors for e in _behind_method(doc, err)]
    return None, _without_covered([_finding(doc, model, err) for err in errors])


def _behind_method(doc: Document, err: ErrorDetails) -> list[ErrorDetails]:
    """A run whose method is unknown hides its other errors from pydantic: find them too."""
    loc = tuple(err["loc"])
    if err["type"] not in ("union_tag_invalid", "union_tag_not_found") or len(loc) != 2:
        return []
    item = doc.get(loc)
    if not isinstance(item, dict):
        return []
    method = method_of(item)
    if method is not None:  # the one it means: judge the rest of the run as that method
        try:
            TypeAdapter(Run).validate_python({**item, "method": method}, strict=True)
            return []
        except ValidationError as exc:
            inner = exc.errors(include_url=False)
        return [{**e, "loc": (*loc, *e["loc"][1:])} for e in inner]
    out: list[ErrorDetails] = []
    for name in ("label", "reported", "hardware", "notes"):
        if name in item:
            out += _field_errors(RunBase, name, item[name], (*loc, name))
    return out


def _field_errors(model: type[BaseModel], name: str, value: Any, loc: Loc) -> list[ErrorDetails]:
    return [{**e, "loc": (*loc, *e["loc"])} for e in field_errors(model, name, value)]


def _without_covered(findings: list[Finding]) -> list[Finding]:
    """A misspelt key is one mistake: `amout` unknown covers `amount` missing beside it."""
    meant = {
        (*f.loc[:-1], f.hint.split("`")[1])
        for f in findings
        if f.rule == "schema/extra_forbidden" and f.hint.startswith("did you mean `")
    }
    return [f for f in findings if not (f.rule == "schema/missing" and f.loc in meant)]


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
    code, mark = SCHEMA.code, doc.mark(loc)
    refine = _REFINE.get(kind)
    if refine is not None:
        message, hint = refine(doc, model, err, loc, message, hint)
    if kind == "extra_forbidden":
        mark = doc.mark(loc, key=True)
    elif kind == "union_tag_invalid":
        loc = (*loc, "method")
        mark = doc.mark(loc)
    elif kind in _STRING_ERRORS and loc in doc.plain_text:
        raw = doc.plain_text[loc]
        read_as = _TYPE_WORDS.get(type(err["input"]), "not text")
        code, kind = YAML_TYPE_TRAP.code, YAML_TYPE_TRAP.id
        message = (
            f"{format_loc(loc)}: YAML read `{raw}` as {read_as} ({err['input']!r}), not as text"
        )
        hint = f'put it in quotes: `{loc[-1]}: "{raw}"`'
    rule = kind if kind == YAML_TYPE_TRAP.id else f"schema/{kind}"
    return Finding(code, rule, Severity.ERROR, message, hint, doc.path, loc, mark.line, mark.col)


Refine = Callable[[Document, type[BaseModel], ErrorDetails, Loc, str, str], tuple[str, str]]


def _unknown_key(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    key = str(loc[-1]) if loc else ""
    if loc[-2:-1] == ("reported",) and (metric := guess_metric(key)) is not None:
        return message, _quality_hint(doc, metric, err.get("input"))
    allowed = fields_at(model, loc[:-1], doc)
    close = guess_choice(key, allowed)
    return message, (f"did you mean `{close}`? " if close else "") + (
        f"allowed here: {', '.join(allowed)}" if allowed else "remove it"
    )


def _quality_hint(doc: Document, metric: str, value: Any) -> str:
    """`acc: 91.2` under `reported`: where the score goes, and in which form."""
    named = doc.get(("evaluation", "metric"))
    number = value / 100 if isinstance(value, int | float) and 1 < value <= 100 else value
    if METRICS[metric].fraction and isinstance(number, int | float):
        form = f"`quality: {number:g}` (a fraction: 91.2% is 0.912)"
    else:
        form = f"`quality: {number}`" if isinstance(number, int | float) else "`quality:`"
    if isinstance(named, str) and guess_metric(named) not in (None, metric):
        return (
            f"the score of `evaluation.metric` goes in {form}; {metric} goes in "
            f"`extra_metrics: {{{metric}: ...}}`"
        )
    return f"the score of `evaluation.metric` ({metric}) goes in {form}"


def _method_line(method: str) -> str:
    doc = (RUN_TYPE_BY_METHOD[method].__doc__ or "").strip()
    return f"`{method}`: {doc}"


def _unknown_method(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    tag = str(err.get("ctx", {}).get("tag", ""))
    where = format_loc(loc) or "the document"
    guesses = guess_methods(tag, list(RUN_TYPE_BY_METHOD))
    message = f"{where}.method: unknown method `{tag}`"
    if len(guesses) == 1:
        return message, f"did you mean `{guesses[0]}`? ({_method_line(guesses[0])})"
    if guesses:
        return message, f"`{tag}` names a kind of method; write the one you used:\n" + "\n".join(
            _method_line(g) for g in guesses
        )
    return (
        message,
        f"methods: {', '.join(RUN_TYPE_BY_METHOD)} (`mcv new` writes an example of each)",
    )


def _no_method(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    where = format_loc(loc) or "the document"
    return f"{where} has no `method`", f"add `method:` with one of: {', '.join(RUN_TYPE_BY_METHOD)}"


_PATTERN_HINTS: dict[str, str] = {
    "team": "a team name is lower-case letters, digits, `_` and `-` (e.g. `ml_masters`)",
    "label": "a label is one line of at most 80 characters",
    "script": "a `.py` file in your team's folder, named from it: `scripts/compress.py`",
}


def _pattern(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    return message, _PATTERN_HINTS.get(str(loc[-1]) if loc else "", hint)


def _missing(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    if loc == ("schema_version",):
        return "`schema_version` is missing", "add `schema_version: 1` as the first line"
    info = field_at(model, loc, doc)
    if info is None:
        return message, hint
    example = f"`{loc[-1]}: {info.examples[0]}`" if info.examples else f"`{loc[-1]}:`"
    about = f" ({info.description.rstrip('.')})" if info.description else ""
    return message, f"add {example}{about}"


def _choice(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    expected = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
    value = err.get("input")
    if not expected or not isinstance(value, str):
        return message, hint
    is_metric = loc[-1:] == ("metric",) or "extra_metrics" in loc
    close = guess_metric(value) if is_metric else guess_choice(value, expected)
    listed = ", ".join(f"`{e}`" for e in expected)
    if close in expected:
        return message, f"did you mean `{close}`? (one of: {listed})"
    return message, f"use one of: {listed}"


_UNIT_FIELDS = {"_mb": ("size", "MB", "1 GB = 1024 MB"), "_ms": ("time", "ms", "1 s = 1000 ms")}


def _not_a_number(
    doc: Document, model: type[BaseModel], err: ErrorDetails, loc: Loc, message: str, hint: str
) -> tuple[str, str]:
    """`"255.4 MB"`, `"0.6 GB"`, `"91.2%"`: say the number in the form the field wants."""
    raw, field = err.get("input"), str(loc[-1]) if loc else ""
    if not isinstance(raw, str):
        return message, hint
    if raw.strip().endswith("%") and (number := _number(raw.strip().rstrip("% "))) is not None:
        return message, f"write the fraction without `%`: `{field}: {number / 100:g}`"
    for suffix, (dimension, unit, rule) in _UNIT_FIELDS.items():
        if field.endswith(suffix):
            reading = read_measure(raw, dimension, unit.lower())
            if reading.value is not None and reading.error is None:
                return (
                    message,
                    f"write a plain number in {unit}: `{field}: {reading.value:g}` ({rule})",
                )
            return message, f"write a plain number in {unit}, e.g. `{field}: 255.4`"
    if (number := _number(raw)) is not None:
        return message, f"write it without quotes: `{field}: {number:g}`"
    return message, hint


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


_REFINE: dict[str, Refine] = {
    "extra_forbidden": _unknown_key,
    "union_tag_invalid": _unknown_method,
    "union_tag_not_found": _no_method,
    "string_pattern_mismatch": _pattern,
    "missing": _missing,
    "literal_error": _choice,
    "float_type": _not_a_number,
    "float_parsing": _not_a_number,
    "int_type": _not_a_number,
    "int_parsing": _not_a_number,
}


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types behind Optional/Annotated/unions, lists and dicts (their items)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _types_at(model: type[BaseModel], loc: Loc, doc: Document) -> list[Any]:
    """The types a value at `loc` may have, walking the model like pydantic would."""
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
    return current


def fields_at(model: type[BaseModel], loc: Loc, doc: Document) -> list[str]:
    """Keys a mapping at `loc` may have."""
    keys: list[str] = []
    for typ in _types_at(model, loc, doc):
        if isinstance(typ, type) and issubclass(typ, BaseModel):
            keys += [k for k in typ.model_fields if k not in keys]
    return keys


def field_at(model: type[BaseModel], loc: Loc, doc: Document) -> FieldInfo | None:
    """The declaration of the key at `loc` (its description and examples)."""
    for typ in _types_at(model, loc[:-1], doc):
        if isinstance(typ, type) and issubclass(typ, BaseModel) and loc[-1] in typ.model_fields:
            return typ.model_fields[str(loc[-1])]
    return None
