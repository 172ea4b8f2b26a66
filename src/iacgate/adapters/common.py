"""Helpers the model builders share: reading raw attribute trees into Values, and linking
satellite resources to the resource they configure."""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Generic, Iterable, TypeVar

from ..model import Bucket, Entity, Model, Unlinked
from ..raw import RawResource
from ..values import (Source, Unknown, Unresolved, Value, absent, contains_opaque, from_raw, known,
                      unknown, unresolved)

_MISSING = object()
_INDEX = re.compile(r"\[[^\]]*\]$")


def source_of(raw: RawResource, attribute: str | None = None) -> Source:
    return Source(raw.file, raw.line, raw.end_line, raw.address, attribute)


def lookup(tree: Any, path: str) -> Any:
    """Follow a dotted path through a raw tree; a list (a Terraform nested block) is entered at its
    first element. Returns ``_MISSING`` when a step is absent; an opaque step is returned as is."""
    if type(tree) is dict and "." not in path:  # one step into an object: most lookups
        return tree.get(path, _MISSING)
    node = tree
    for step in path.split("."):
        if isinstance(node, (Unknown, Unresolved)):
            return node
        if isinstance(node, list):
            if not node:
                return _MISSING
            node = node[0]
            if isinstance(node, (Unknown, Unresolved)):
                return node
        if not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


def attr_value(raw: RawResource, path: str, *, default: Any = _MISSING,
               convert: Callable[[Any], Any] | None = None) -> Value:
    """The attribute at ``path`` as a Value. When it is not written: ``default`` as a known value
    (AWS's default for the resource kind) if given, else absent."""
    src = source_of(raw, path)
    leaf = lookup(raw.attrs, path)
    if leaf is _MISSING or leaf is None:
        return known(default, src) if default is not _MISSING else absent(src)
    value = from_raw(leaf, src)
    if value.known and convert is not None:
        try:
            return known(convert(value.value), src)
        except (TypeError, ValueError):
            return unresolved(f"{path} = {value.value!r} is not a valid value", src)
    return value


def present(raw: RawResource, path: str) -> bool:
    leaf = lookup(raw.attrs, path)
    return leaf is not _MISSING and leaf is not None and leaf != []


def to_bool(value: Any) -> bool:
    """Terraform and CloudFormation accept booleans written as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int):
        return bool(value)
    raise ValueError(value)


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    return int(value)


def parse_document(value: Value) -> Value:
    """A policy document as a dict: JSON strings are decoded, structures kept (they may hold opaque
    leaves). Invalid JSON stays a known string; the policy analyser reports it."""
    if not value.known:
        return value
    doc = value.value
    if isinstance(doc, str):
        text = doc.strip()
        if not text:
            return absent(*value.sources)
        try:
            return Value(value.state, json.loads(text), value.reason, value.sources)
        except ValueError:
            return value
    return value


def strip_index(address: str) -> str:
    """``aws_s3_bucket.b[0]`` -> ``aws_s3_bucket.b``."""
    return _INDEX.sub("", address)


E = TypeVar("E", bound=Entity)


class Linker(Generic[E]):
    """Finds the entity a satellite resource configures: by the addresses its attribute refers to,
    then by a literal name."""

    def __init__(self, entities: Iterable[E], name_of: Callable[[E], Value]) -> None:
        self._by_address: dict[str, E] = {}
        self._by_base: dict[str, list[E]] = {}
        self._by_name: dict[str, E] = {}
        for entity in entities:
            self._by_address[entity.address] = entity
            self._by_base.setdefault(strip_index(entity.address), []).append(entity)
            name = name_of(entity)
            if name.known and isinstance(name.value, str):
                self._by_name.setdefault(name.value, entity)

    def by_address(self, address: str) -> E | None:
        return self._by_address.get(address)

    def link(self, raw: RawResource, attribute: str, target: Value,
             name_from_target: Callable[[str], str] | None = None) -> E | None:
        for ref in raw.refs.get(attribute, ()):
            hit = self._by_address.get(ref)
            if hit is not None:
                return hit
            twins = self._by_base.get(strip_index(ref), [])
            if len(twins) == 1:
                return twins[0]
            if raw.index is not None and not isinstance(raw.index, (Unknown, Unresolved)):
                for twin in twins:
                    if twin.address.endswith(f"[{json.dumps(raw.index)}]"):
                        return twin
        if target.known and isinstance(target.value, str):
            name = name_from_target(target.value) if name_from_target else target.value
            return self._by_name.get(name)
        return None


class UnidentifiedBuckets:
    """Buckets the gate cannot identify: a satellite (policy, ACL, block) names its bucket with an
    expression the gate cannot evaluate, or a resource that is not in the configuration. Satellites
    naming the same thing share one unidentified bucket, which is analysed like any bucket (fail
    closed: a public policy is public wherever it lands) and reported as unlinked."""

    def __init__(self, model: Model, bucket_type: str) -> None:
        self._model = model
        self._bucket_type = bucket_type
        self._by_target: dict[str, Bucket] = {}

    @property
    def buckets(self) -> list[Bucket]:
        return list(self._by_target.values())

    def __call__(self, raw: RawResource, entity: Entity, target: Value) -> Bucket:
        what = target.reason or "an expression the gate cannot evaluate"
        key = "|".join(raw.refs.get("bucket") or raw.refs.get("Bucket") or []) or what
        bucket = self._by_target.get(key)
        if bucket is None:
            bucket = Bucket(address=raw.address, resource_type=self._bucket_type, source_kind=raw.source_kind,
                            source=raw.source, actions=raw.actions, raw=raw, name=target, declared=False)
            self._by_target[key] = bucket
        bucket.satellites.append(entity)
        self._model.unlinked.append(Unlinked(entity, target, f"{raw.address} names its bucket with {what}"))
        return bucket


def opaque_reason(value: Value) -> str:
    return value.reason or value.state.value


def is_structure_with_opaque(value: Value) -> bool:
    return value.known and contains_opaque(value.value)


__all__ = ["attr_value", "lookup", "present", "source_of", "to_bool", "to_int", "parse_document",
           "strip_index", "Linker", "opaque_reason", "is_structure_with_opaque", "unknown", "absent",
           "known", "unresolved"]
