"""Variable type constraints.

Terraform converts a variable's value to its declared ``type``: an object attribute declared
``optional(TYPE, DEFAULT)`` that the caller leaves out (or sets to null) takes ``DEFAULT`` (null when
none is given), at any depth (inside ``map(object(...))``, ``list(object(...))``), and primitives
convert (``"1"`` to a number, ``true`` to ``"true"``). Modules lean on this: a module input typed
``map(object({metadata_options = optional(object({http_tokens = optional(string, "required")}), {})}))``
reads ``each.value.metadata_options.http_tokens`` for a caller who never wrote it.

Only what changes values is applied; a value the type cannot take is left as written (Terraform
would reject the configuration, which the gate does not judge).
"""
from __future__ import annotations

from typing import Any, Callable

from ...values import is_opaque
from . import functions as fn
from .hcl import Call, Lit, Name, ObjectExpr, Template, TupleExpr

Evaluate = Callable[[Any], Any]  # evaluates a default expression


def _attribute_name(key: Any) -> str | None:
    if isinstance(key, Name):
        return key.name
    if isinstance(key, Lit) and isinstance(key.value, str):
        return key.value
    if isinstance(key, Template) and all(isinstance(p, str) for p in key.parts):
        return "".join(key.parts)
    return None


def _primitive(value: Any, type_name: str) -> Any:
    try:
        if type_name == "string" and isinstance(value, (bool, int, float)):
            return fn.to_string(value)
        if type_name == "number" and isinstance(value, str):
            return fn.to_number(value)
        if type_name == "bool" and isinstance(value, str):
            return fn.to_bool(value)
    except fn._Failure:
        return value
    return value


def _object(value: dict[str, Any], attributes: ObjectExpr, evaluate: Evaluate) -> dict[str, Any]:
    out = dict(value)
    for key, declared in attributes.items:
        name = _attribute_name(key)
        if name is None:
            continue
        optional = isinstance(declared, Call) and declared.name == "optional" and bool(declared.args)
        attribute_type = declared.args[0] if optional else declared
        current = value.get(name)
        if current is None and optional and len(declared.args) > 1:
            current = evaluate(declared.args[1])
        out[name] = convert(current, attribute_type, evaluate)
    return out


def convert(value: Any, type_expr: Any, evaluate: Evaluate) -> Any:
    """``value`` converted to the type ``type_expr`` declares (an expression of a ``type`` argument)."""
    if value is None or is_opaque(value):
        return value
    if isinstance(type_expr, Name):
        return _primitive(value, type_expr.name)
    if not isinstance(type_expr, Call) or not type_expr.args:
        return value
    inner = type_expr.args[0]
    kind = type_expr.name
    if kind in ("list", "set") and isinstance(value, list):
        return [convert(item, inner, evaluate) for item in value]
    if kind == "map" and type(value) is dict:
        return {key: convert(item, inner, evaluate) for key, item in value.items()}
    if kind == "object" and isinstance(inner, ObjectExpr) and type(value) is dict:
        return _object(value, inner, evaluate)
    if kind == "tuple" and isinstance(inner, TupleExpr) and isinstance(value, list):
        return [convert(item, item_type, evaluate) for item, item_type in zip(value, inner.items)] \
            + value[len(inner.items):]
    if kind == "optional":
        return convert(value, inner, evaluate)
    return value
