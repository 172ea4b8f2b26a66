"""``iacgate inventory``: the model as JSON (or one line a resource), with secrets redacted."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from .model import Entity, Model
from .raw import RawResource
from .redact import redact, scrub
from .values import Source, Value, to_jsonable


def _clean(tree: Any) -> Any:
    """JSON data with every string scrubbed of key-like secrets."""
    if isinstance(tree, str):
        return scrub(tree)
    if isinstance(tree, dict):
        return {scrub(str(k)): _clean(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_clean(v) for v in tree]
    return tree


def _mask_sensitive(attrs: Any, paths: tuple[str, ...]) -> Any:
    """Replace plan-sensitive attributes (whole top-level attribute) by a redaction."""
    if not paths or not isinstance(attrs, dict):
        return attrs
    top = {p.split(".", 1)[0].split("[", 1)[0] for p in paths}
    return {k: ("(sensitive)" if k in top else v) for k, v in attrs.items()}


def _span(source: Source) -> dict[str, Any]:
    return {"file": source.file, "line": source.line, "end_line": source.end_line}


def raw_json(raw: RawResource) -> dict[str, Any]:
    out: dict[str, Any] = {"address": raw.address, "type": raw.type, "mode": raw.mode,
                           "source_kind": raw.source_kind, **_span(raw.source)}
    if raw.module:
        out["module"] = raw.module
    if raw.actions:
        out["actions"] = list(raw.actions)
    out["attrs"] = _clean(to_jsonable(_mask_sensitive(raw.attrs, raw.sensitive_paths)))
    if raw.refs:
        out["refs"] = raw.refs
    return out


def _value_json(value: Value) -> dict[str, Any]:
    out = value.to_json()
    if "value" in out:
        out["value"] = _clean(out["value"])
    if value.reason:
        out["reason"] = scrub(value.reason)
    return out


def entity_json(entity: Any, depth: int = 0) -> Any:
    """A model entity with its Values and linked entities (linked ones summarised by address)."""
    if isinstance(entity, Value):
        return _value_json(entity)
    if isinstance(entity, Entity) and depth > 0 and not dataclasses.is_dataclass(entity):
        return entity.address
    if dataclasses.is_dataclass(entity):
        out: dict[str, Any] = {}
        if isinstance(entity, Entity):
            out["kind"] = entity.KIND
        for f in dataclasses.fields(entity):
            if f.name in ("raw",):
                continue
            value = getattr(entity, f.name)
            if f.name == "source":
                out["source"] = _span(value) | {"address": value.address}
            elif f.name == "satellites":
                out["linked"] = [s.address for s in value]
            elif isinstance(value, Entity) and depth >= 1:
                out[f.name] = value.address
            else:
                out[f.name] = entity_json(value, depth + 1)
        return out
    if isinstance(entity, list):
        return [entity_json(v, depth) for v in entity]
    if isinstance(entity, Source):
        return _span(entity)
    if isinstance(entity, tuple):
        return list(entity)
    return _clean(to_jsonable(entity))


def render_inventory(model: Model, files: list[str], fmt: str = "json") -> str:
    if fmt == "text":
        lines = [f"{r.address}\t{r.type}\t{r.file}:{r.line or ''}" for r in model.raw]
        lines += [f"error\t{e.file}:{e.line or ''}\t{scrub(e.message)}" for e in model.errors]
        return "\n".join(lines) + "\n"
    data = {
        "files": files,
        "resources": [raw_json(r) for r in model.raw],
        "model": {name: [entity_json(e) for e in getattr(model, name)]
                  for name in model.__dataclass_fields__ if name not in ("raw", "errors", "unlinked")},
        "unlinked": [{"address": u.entity.address, "reason": scrub(u.reason)} for u in model.unlinked],
        "errors": [_clean(e.to_json()) for e in model.errors],
    }
    return json.dumps(data, indent=1, default=str) + "\n"


__all__ = ["render_inventory", "redact"]
