"""Policy documents written with ``data "aws_iam_policy_document"``.

The HCL loader renders such a data source to the JSON AWS would see. In a plan, its ``json`` is
often known only after apply (a statement names a bucket ARN that does not exist yet), but the
statement blocks are in the plan with only those leaves unknown: rendering them gives the policy
with the unknown parts as opaque leaves, so Principal, Action and Condition can still be judged.
"""
from __future__ import annotations

from typing import Any

from ...raw import RawResource
from ...values import Value, known
from ..common import attr_value, parse_document, source_of, strip_index
from .evaluate import render_policy_document

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
