"""Reading a plan's change representation: ``after`` merged with ``after_unknown``, sensitive paths.

Terraform writes a planned value as two mirrored trees: ``after`` holds the known values and
``after_unknown`` holds ``true`` where a value is known only after apply (the value itself is then
absent from, or null in, ``after``). Lists are mirrored position by position; a partially known
nested block is ``[{}]``. ``after_sensitive`` / ``before_sensitive`` mirror the values the same way
with ``true`` at sensitive leaves (or a bare ``true`` for the whole value).
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from ...values import Unknown


def has_unknown(mask: Any) -> bool:
    """True if an ``after_unknown`` mask marks any leaf as unknown."""
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(has_unknown(v) for v in mask.values())
    if isinstance(mask, list):
        return any(has_unknown(v) for v in mask)
    return False


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _AfterApply(Unknown):
    """An :class:`Unknown` leaf of a planned value whose reason (``aws_s3_bucket.b.arn is known only
    after apply``) is written when it is read: a big plan holds hundreds of thousands of these leaves
    and most reasons are never read. It equals, hashes and pickles as the plain Unknown would."""

    __slots__ = ("_address", "_path")

    def __init__(self, address: str, path: str) -> None:  # the reason is a property: no Unknown.__init__
        self._address = address
        self._path = path
        self.shape = None
        self.derived_from = ()

    @property  # type: ignore[override]
    def reason(self) -> str:
        address, path = self._address, self._path
        subject = address if not path else f"{address}{path}" if path.startswith("[") else f"{address}.{path}"
        return f"{subject} is known only after apply"


def _unknown_leaf(address: str, path: str) -> Unknown:
    return _AfterApply(address, path)


def _strip_indices(path: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", path)


def note_derivations(attrs: Any, refs: dict[str, list[str]], path: str = "") -> Any:
    """``attrs`` with each unknown leaf's reason naming what the configuration derives it from
    (``statement.resources`` from ``aws_s3_bucket.data``), so an analysis can still tell which
    resource an after-apply value belongs to. Unchanged sub-trees are shared."""
    if isinstance(attrs, Unknown):
        names = refs.get(_strip_indices(path)) or ()
        if not names or attrs.derived_from:
            return attrs
        return Unknown(f"{attrs.reason}; it is derived from {', '.join(names)}", attrs.shape, tuple(names))
    if isinstance(attrs, dict):
        changed = {k: note_derivations(v, refs, _join(path, str(k))) for k, v in attrs.items()}
        return attrs if all(changed[k] is attrs[k] for k in attrs) else changed
    if isinstance(attrs, list):
        items = [note_derivations(v, refs, f"{path}[{i}]") for i, v in enumerate(attrs)]
        return attrs if all(a is b for a, b in zip(items, attrs)) else items
    return attrs


def merge_unknown(after: Any, mask: Any, address: str, path: str = "") -> Any:
    """``after`` with every leaf that ``mask`` marks unknown replaced by an :class:`Unknown`.

    Paths in the reasons follow :func:`iacgate.values.iter_strings` (``rule[0].status``). The input
    trees are not modified; unchanged sub-trees are shared."""
    if mask is True:
        return _unknown_leaf(address, path)
    if isinstance(mask, dict):
        if isinstance(after, dict):
            merged: dict[str, Any] | None = None
            for key, sub_mask in mask.items():
                if not sub_mask:
                    continue
                present = key in after
                if not present and not has_unknown(sub_mask):
                    continue
                value = merge_unknown(after.get(key), sub_mask, address, _join(path, str(key)))
                if merged is None:
                    merged = dict(after)
                merged[key] = value
            return after if merged is None else merged
        if after is None and has_unknown(mask):
            return {key: merge_unknown(None, sub, address, _join(path, str(key)))
                    for key, sub in mask.items() if has_unknown(sub)}
        return after
    if isinstance(mask, list):
        if isinstance(after, list):
            merged_list: list[Any] | None = None
            for position, sub_mask in enumerate(mask):
                if not sub_mask:
                    continue
                element_path = f"{path}[{position}]"
                if merged_list is None:
                    merged_list = list(after)
                if position < len(merged_list):
                    merged_list[position] = merge_unknown(merged_list[position], sub_mask, address,
                                                          element_path)
                elif has_unknown(sub_mask):
                    merged_list.append(merge_unknown(None, sub_mask, address, element_path))
            return after if merged_list is None else merged_list
        if after is None and has_unknown(mask):
            return [merge_unknown(None, sub, address, f"{path}[{position}]")
                    for position, sub in enumerate(mask)]
        return after
    return after


def planned_attrs(after: Any, mask: Any, address: str) -> tuple[dict[str, Any], bool]:
    """The attribute tree of a planned resource and whether the whole value is unknown."""
    if mask is True:
        keys = after.keys() if isinstance(after, dict) else ()
        return {key: _unknown_leaf(address, str(key)) for key in keys}, True
    merged = merge_unknown(after, mask, address)
    if isinstance(merged, dict):
        return merged, False
    if merged is None:
        return {}, False
    # A resource value that is not an object: keep it visible rather than dropping it.
    return {"value": merged}, False


def sensitive_paths(mask: Any, value: Any = None, path: str = "") -> Iterator[str]:
    """Dotted paths (``environment[0].variables.SECRET``) that a sensitivity mask marks ``true``.

    A bare ``true`` for a whole object yields each of the object's top-level keys (taken from
    ``value``), or the path itself when there is nothing to enumerate."""
    if mask is True:
        if not path and isinstance(value, dict) and value:
            yield from (str(key) for key in value)
        elif path:
            yield path
        else:
            yield "*"
    elif isinstance(mask, dict):
        for key, sub in mask.items():
            if sub:
                yield from sensitive_paths(sub, None, _join(path, str(key)))
    elif isinstance(mask, list):
        for position, sub in enumerate(mask):
            if sub:
                yield from sensitive_paths(sub, None, f"{path}[{position}]")
