"""Values that remember where they came from and whether the gate could see them.

Adapters produce *raw attribute trees*: plain ``dict`` / ``list`` / ``str`` / ``int`` / ``float`` /
``bool`` / ``None`` data in which a leaf the gate cannot know is an :class:`Unknown` (known only after
apply) or an :class:`Unresolved` (an expression the gate could not evaluate).

The model wraps each attribute it reasons about in a :class:`Value`, which carries one of four
states and the :class:`Source` spans that produced it, so every verdict can name its evidence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Iterator


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value or resource was written: a file and a 1-based inclusive line span."""

    file: str
    line: int | None = None
    end_line: int | None = None
    address: str | None = None
    attribute: str | None = None

    def at(self, attribute: str) -> "Source":
        """The same span, narrowed to an attribute of the resource."""
        return Source(self.file, self.line, self.end_line, self.address, attribute)

    def __reduce__(self) -> tuple[Any, ...]:  # pickled by its fields: 20x faster to load than slot state
        return (Source, (self.file, self.line, self.end_line, self.address, self.attribute))


class State(str, Enum):
    KNOWN = "known"
    UNKNOWN = "unknown"  # known only after apply
    UNRESOLVED = "unresolved"  # an expression the gate could not evaluate
    ABSENT = "absent"  # not set: AWS's default applies


class Unknown:
    """A raw-tree leaf whose value is known only after apply.

    ``shape`` is the template the value is built from when the gate knows it (``${aws_s3_bucket.b.arn}/*``):
    the parts around the unknown one still tell what kind of value it is. ``derived_from`` names the
    resources a plan's configuration says the value is computed from (``aws_s3_bucket.b``)."""

    __slots__ = ("reason", "shape", "derived_from")

    def __init__(self, reason: str = "known only after apply", shape: str | None = None,
                 derived_from: tuple[str, ...] = ()) -> None:
        self.reason = reason
        self.shape = shape
        self.derived_from = tuple(derived_from)

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Unknown, (self.reason, self.shape, self.derived_from))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash(("Unknown", self.reason))


class Unresolved:
    """A raw-tree leaf holding an expression the gate could not evaluate.

    ``alternatives`` lists the values it may take when they are enumerable (a CloudFormation
    ``Fn::If`` on an undecidable condition keeps both branches)."""

    __slots__ = ("expr", "reason", "alternatives")

    def __init__(self, expr: str, reason: str = "could not be evaluated",
                 alternatives: tuple[Any, ...] = ()) -> None:
        self.expr = expr
        self.reason = reason
        self.alternatives = tuple(alternatives)

    def __repr__(self) -> str:
        return f"Unresolved({self.expr!r}, {self.reason!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Unresolved, (self.expr, self.reason, self.alternatives))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Unresolved) and other.expr == self.expr
                and other.alternatives == self.alternatives)

    def __hash__(self) -> int:
        return hash(("Unresolved", self.expr))


def is_opaque(leaf: Any) -> bool:
    """True for a raw leaf the gate cannot see (Unknown or Unresolved)."""
    return isinstance(leaf, (Unknown, Unresolved))


def contains_opaque(tree: Any) -> bool:
    """True if any leaf of a raw tree is Unknown or Unresolved."""
    if isinstance(tree, (Unknown, Unresolved)):
        return True
    if isinstance(tree, dict):
        return any(contains_opaque(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return any(contains_opaque(v) for v in tree)
    return False


def iter_strings(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf of a raw tree (and every dict key that is a string value holder), with its
    dotted path."""
    if isinstance(tree, str):
        yield path, tree
    elif isinstance(tree, dict):
        for k, v in tree.items():
            yield from iter_strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from iter_strings(v, f"{path}[{i}]")


@dataclass(frozen=True, slots=True)
class Value:
    """One attribute as the model sees it."""

    state: State
    value: Any = None
    reason: str | None = None
    sources: tuple[Source, ...] = field(default=())

    @property
    def known(self) -> bool:
        return self.state is State.KNOWN

    def __reduce__(self) -> tuple[Any, ...]:
        return (Value, (self.state, self.value, self.reason, self.sources))

    @property
    def absent(self) -> bool:
        return self.state is State.ABSENT

    @property
    def opaque(self) -> bool:
        """Unknown or unresolved: the gate cannot see it."""
        return self.state in (State.UNKNOWN, State.UNRESOLVED)

    def with_sources(self, sources: Iterable[Source]) -> "Value":
        merged = tuple(dict.fromkeys((*self.sources, *sources)))
        return Value(self.state, self.value, self.reason, merged)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state.value}
        if self.state is State.KNOWN:
            out["value"] = to_jsonable(self.value)
        if self.reason:
            out["reason"] = self.reason
        return out


def known(value: Any, *sources: Source) -> Value:
    return Value(State.KNOWN, value, None, tuple(sources))


def absent(*sources: Source, reason: str | None = None) -> Value:
    return Value(State.ABSENT, None, reason, tuple(sources))


def unknown(reason: str, *sources: Source) -> Value:
    return Value(State.UNKNOWN, None, reason, tuple(sources))


def unresolved(reason: str, *sources: Source) -> Value:
    return Value(State.UNRESOLVED, None, reason, tuple(sources))


def from_raw(leaf: Any, source: Source, *, missing: bool = False) -> Value:
    """Wrap a raw-tree value. ``missing`` means the attribute was not written at all."""
    if missing:
        return absent(source)
    if isinstance(leaf, Unknown):
        return unknown(f"{source.attribute or 'value'} is {leaf.reason}", source)
    if isinstance(leaf, Unresolved):
        return unresolved(f"{source.attribute or 'value'} = {leaf.expr}: {leaf.reason}", source)
    # A structure with some unknown leaves stays known too; consumers inspect its leaves.
    return known(leaf, source)


def to_jsonable(tree: Any) -> Any:
    """A raw tree as JSON data, with opaque leaves spelled out."""
    if isinstance(tree, Unknown):
        return {"$unknown": tree.reason}
    if isinstance(tree, Unresolved):
        return {"$unresolved": tree.expr, "reason": tree.reason}
    if isinstance(tree, dict):
        return {str(k): to_jsonable(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [to_jsonable(v) for v in tree]
    if isinstance(tree, (str, int, float, bool)) or tree is None:
        return tree
    return str(tree)
