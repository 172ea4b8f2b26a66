"""Policy documents written with ``data "aws_iam_policy_document"``.

The HCL loader renders such a data source to the JSON AWS would see. In a plan, its ``json`` is
often known only after apply (a statement names a bucket ARN that does not exist yet), but the
statement blocks are in the plan with only those leaves unknown: rendering them gives the policy
with the unknown parts as opaque leaves, so Principal, Action and Condition can still be judged.
"""
from __future__ import annotations

import json
from typing import Any

from ...raw import RawResource
from ...values import Unresolved, Value, contains_opaque, is_opaque, known
from ..common import attr_value, parse_document, source_of, strip_index

DATA_TYPE = "aws_iam_policy_document"


def policy_data_sources(resources: list[RawResource]) -> dict[str, RawResource]:
    """The stack's policy document data sources by address, with and without instance index."""
    out: dict[str, RawResource] = {}
    for raw in resources:
        if raw.mode == "data" and raw.type == DATA_TYPE:
            out[raw.address] = raw
            out.setdefault(strip_index(raw.address), raw)
    return out


def rendered_document(source: RawResource) -> Any:
    """The document of a data source: its rendered ``json`` when known, else rendered from its blocks."""
    rendered = source.attrs.get("json")
    if isinstance(rendered, str):
        return rendered
    return render_policy_document(source.attrs)


def policy_value(raw: RawResource, attribute: str, documents: dict[str, RawResource]) -> Value:
    """A resource's policy argument as a parsed document; when the argument is not known but refers to
    a policy document data source, the document rendered from that data source."""
    value = parse_document(attr_value(raw, attribute))
    if value.known or value.absent:
        return value
    for ref in raw.refs.get(attribute, ()):
        source = documents.get(ref) or documents.get(strip_index(ref))
        if source is not None:
            rendered = parse_document(known(rendered_document(source)))
            if rendered.known and isinstance(rendered.value, dict):
                return known(rendered.value, source_of(raw, attribute), source.source)
    return value


# ---------------------------------------------------------------------------------------------
# Rendering a data source to its JSON (used by the HCL evaluator too)


_STATEMENT_KEYS = (("sid", "Sid"), ("effect", "Effect"), ("actions", "Action"), ("not_actions", "NotAction"),
                   ("resources", "Resource"), ("not_resources", "NotResource"))


def render_policy_document(body: dict[str, Any]) -> Any:
    """The JSON AWS would see for an ``aws_iam_policy_document``: a string, or (when some parts are
    not known) the policy as a structure with opaque leaves."""
    statements: list[Any] = []
    for source in _as_list(body.get("source_policy_documents")) + _as_list(body.get("source_json")):
        statements.extend(_document_statements(source))
    for statement in _as_list(body.get("statement")):
        _merge_statement(statements, _render_statement(statement))
    for override in _as_list(body.get("override_policy_documents")) + _as_list(body.get("override_json")):
        for statement in _document_statements(override):
            _merge_statement(statements, statement)
    version = body.get("version")
    document: dict[str, Any] = {"Version": version if version is not None else "2012-10-17"}
    policy_id = body.get("policy_id")
    if policy_id is not None:
        document["Id"] = policy_id
    document["Statement"] = statements
    document = _policy_variables(document)
    if contains_opaque(document):
        return document
    return json.dumps(document, indent=2)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _document_statements(source: Any) -> list[Any]:
    if is_opaque(source):
        return [source]
    document = source
    if isinstance(source, str):
        try:
            document = json.loads(source)
        except json.JSONDecodeError:
            return [Unresolved(source[:200], "policy document is not valid JSON")]
    if not isinstance(document, dict):
        return [Unresolved(str(source)[:200], "policy document is not a JSON object")]
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _merge_statement(statements: list[Any], statement: Any) -> None:
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    if isinstance(sid, str) and sid:
        for position, existing in enumerate(statements):
            if isinstance(existing, dict) and existing.get("Sid") == sid:
                statements[position] = statement
                return
    statements.append(statement)


def _scalar_or_list(values: Any) -> Any:
    if is_opaque(values) or not isinstance(values, list):
        return values
    unique: list[Any] = []
    for value in values:
        if is_opaque(value) or value not in unique:
            unique.append(value)
    return unique[0] if len(unique) == 1 else unique


def _render_statement(statement: Any) -> Any:
    if not isinstance(statement, dict):
        return statement
    out: dict[str, Any] = {}
    for key, json_key in _STATEMENT_KEYS:
        value = statement.get(key)
        if key == "effect":
            out[json_key] = value if value is not None else "Allow"
        elif key == "sid":
            if value not in (None, ""):
                out[json_key] = value
        elif value is not None and value != []:
            out[json_key] = _scalar_or_list(value)
    for key, json_key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks = statement.get(key)
        if blocks:
            out[json_key] = _render_principals(_as_list(blocks))
    conditions = statement.get("condition")
    if conditions:
        out["Condition"] = _render_conditions(_as_list(conditions))
    return out


def _render_principals(blocks: list[Any]) -> Any:
    merged: dict[str, Any] = {}
    for block in blocks:
        if not isinstance(block, dict):
            return block
        kind, identifiers = block.get("type"), block.get("identifiers")
        if is_opaque(kind):
            return kind
        if not isinstance(kind, str):
            return block
        if kind == "*":
            return "*"
        if is_opaque(identifiers):
            merged[kind] = identifiers
            continue
        existing = merged.get(kind, [])
        if is_opaque(existing):
            continue
        merged[kind] = existing + [i for i in _as_list(identifiers) if i not in existing]
    return {kind: _scalar_or_list(ids) for kind, ids in merged.items()}


def _render_conditions(blocks: list[Any]) -> Any:
    out: dict[str, Any] = {}
    for block in blocks:
        if not isinstance(block, dict):
            return block
        test, variable, values = block.get("test"), block.get("variable"), block.get("values")
        if is_opaque(test) or is_opaque(variable):
            return test if is_opaque(test) else variable
        if not isinstance(test, str) or not isinstance(variable, str):
            return block
        operator = out.setdefault(test, {})
        if variable in operator and not is_opaque(values) and not is_opaque(operator[variable]):
            previous = _as_list(operator[variable])
            values = previous + [v for v in _as_list(values) if v not in previous]
        operator[variable] = _scalar_or_list(values)
    return out


def _policy_variables(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("&{", "${")
    if isinstance(value, dict):
        return {k: _policy_variables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_policy_variables(v) for v in value]
    return value
