"""The condition language of rules: compiled once, evaluated in three-valued (Kleene) logic.

A condition is plain data (parsed YAML)::

    all: [cond, ...]          any: [cond, ...]          not: cond
    {fact: PATH, OP: OPERAND}

with OP one of ``equals``, ``not_equals``, ``in``, ``not_in``, ``exists``, ``absent``, ``matches``,
``contains``, ``gt``, ``gte``, ``lt``, ``lte``, ``is_true``, ``is_false``; an operand may be
``{param: NAME}``. No code is ever evaluated.

A comparison over an unknown or unresolved fact is UNKNOWN; an absent fact (or one the subject does
not carry) has the value None. ``all``/``any``/``not`` follow Kleene's strong logic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Callable, Mapping

from ..values import State, Value, contains_opaque, is_opaque


class Truth(IntEnum):
    """Kleene truth values, ordered so that AND is min and OR is max."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


_F, _U, _T = Truth.FALSE, Truth.UNKNOWN, Truth.TRUE

MISSING = Value(State.ABSENT, None, "not reported for this resource")
_OPAQUE_STATES = frozenset((State.UNKNOWN, State.UNRESOLVED))
_SCALARS = frozenset((bool, str, int, float, type(None)))

OPERATORS: tuple[str, ...] = ("equals", "not_equals", "in", "not_in", "exists", "absent",
                              "matches", "contains", "gt", "gte", "lt", "lte", "is_true",
                              "is_false")
COMBINATORS: tuple[str, ...] = ("all", "any", "not")


class ConditionError(ValueError):
    """A condition that cannot be compiled; ``pointer`` is relative to the condition."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


@dataclass(frozen=True, slots=True)
class Used:
    """A comparison that decided a result: the fact it read and what it concluded."""

    path: str
    value: Value
    truth: Truth
    note: str = ""  # why a known value could not be compared (e.g. not a number)


# ---------------------------------------------------------------------------------------------
# Tests on a known value. Each returns a Truth; ``x`` is never Unknown/Unresolved at top level.


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from numbers (``True != 1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(p, q) for p, q in zip(a, b))
    return bool(a == b)


def _member(x: Any, items: Any) -> bool:
    return any(_same(x, item) for item in items)


def _number(x: Any) -> float | int | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return x
    if isinstance(x, str):
        try:
            return float(x.strip())
        except ValueError:
            return None
    return None


def _truth(flag: bool) -> Truth:
    return _T if flag else _F


def _op_equals(x: Any, operand: Any) -> Truth:
    return _truth(_same(x, operand))


def _op_not_equals(x: Any, operand: Any) -> Truth:
    return _truth(not _same(x, operand))


def _op_in(x: Any, operand: Any) -> Truth:
    return _truth(isinstance(operand, (list, tuple)) and _member(x, operand))


def _op_not_in(x: Any, operand: Any) -> Truth:
    return _truth(not (isinstance(operand, (list, tuple)) and _member(x, operand)))


def _op_exists(x: Any, operand: Any) -> Truth:
    return _truth((x is not None) is bool(operand))


def _op_absent(x: Any, operand: Any) -> Truth:
    return _truth((x is None) is bool(operand))


def _op_is_true(x: Any, operand: Any) -> Truth:
    return _truth((x is True) is bool(operand))


def _op_is_false(x: Any, operand: Any) -> Truth:
    return _truth((x is False) is bool(operand))


def _op_matches(x: Any, operand: Any) -> Truth:
    pattern = operand if isinstance(operand, re.Pattern) else re.compile(str(operand))
    if x is None or isinstance(x, (dict, bool)):
        return _F
    if isinstance(x, (list, tuple)):
        return _truth(any(isinstance(item, (str, int, float)) and not isinstance(item, bool)
                          and pattern.search(str(item)) for item in x))
    return _truth(pattern.search(str(x)) is not None)


def _op_contains(x: Any, operand: Any) -> Truth:
    if isinstance(x, (list, tuple)):
        if _member(operand, x):
            return _T
        return _U if any(is_opaque(item) for item in x) else _F
    if isinstance(x, str):
        return _truth(isinstance(operand, str) and operand in x)
    if isinstance(x, dict):
        return _truth(isinstance(operand, str) and operand in x)
    return _F


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], Truth | None]:
    def test(x: Any, operand: Any) -> Truth | None:
        if x is None:
            return _F
        left, right = _number(x), _number(operand)
        if left is None or right is None:
            return None  # cannot be compared: the caller reports it as unknown
        return _truth(compare(left, right))

    return test


_TESTS: dict[str, Callable[[Any, Any], Truth | None]] = {
    "equals": _op_equals,
    "not_equals": _op_not_equals,
    "in": _op_in,
    "not_in": _op_not_in,
    "exists": _op_exists,
    "absent": _op_absent,
    "is_true": _op_is_true,
    "is_false": _op_is_false,
    "matches": _op_matches,
    "contains": _op_contains,
    "gt": _numeric(lambda a, b: a > b),
    "gte": _numeric(lambda a, b: a >= b),
    "lt": _numeric(lambda a, b: a < b),
    "lte": _numeric(lambda a, b: a <= b),
}

# ---------------------------------------------------------------------------------------------
# Compiled nodes


class Condition:
    """A compiled condition. ``truth`` is the fast path; ``explain`` also says which comparisons
    decided the result (for evidence and messages)."""

    __slots__ = ()

    def truth(self, facts: Mapping[str, Value], params: Mapping[str, Any]) -> Truth:
        raise NotImplementedError

    def explain(self, facts: Mapping[str, Value],
                params: Mapping[str, Any]) -> tuple[Truth, tuple[Used, ...]]:
        raise NotImplementedError

    def fact_paths(self) -> list[tuple[str, str]]:
        """Every (pointer, fact path) the condition reads."""
        raise NotImplementedError

    def param_refs(self) -> list[tuple[str, str, str]]:
        """Every (pointer, operator, parameter name) the condition refers to."""
        raise NotImplementedError


class _Junction(Condition):
    """``all`` (Kleene AND: min) or ``any`` (Kleene OR: max) over child conditions. ``DECIDES`` is the
    value that settles the result at once, ``EMPTY`` the result of no children."""

    __slots__ = ("children", "pointer")
    DECIDES: Truth
    EMPTY: Truth
    PICK: Callable[..., Truth]

    def __init__(self, children: tuple[Condition, ...], pointer: str) -> None:
        self.children = children
        self.pointer = pointer

    def truth(self, facts: Mapping[str, Value], params: Mapping[str, Any]) -> Truth:
        result = self.EMPTY
        for child in self.children:
            t = child.truth(facts, params)
            if t is self.DECIDES:
                return t
            if t is _U:
                result = _U
        return result

    def explain(self, facts: Mapping[str, Value],
                params: Mapping[str, Any]) -> tuple[Truth, tuple[Used, ...]]:
        results = [child.explain(facts, params) for child in self.children]
        result = type(self).PICK((t for t, _ in results), default=self.EMPTY)
        return result, tuple(u for t, used in results if t is result for u in used)

    def fact_paths(self) -> list[tuple[str, str]]:
        return [p for child in self.children for p in child.fact_paths()]

    def param_refs(self) -> list[tuple[str, str, str]]:
        return [p for child in self.children for p in child.param_refs()]


class All(_Junction):
    __slots__ = ()
    DECIDES, EMPTY, PICK = _F, _T, min


class AnyOf(_Junction):
    __slots__ = ()
    DECIDES, EMPTY, PICK = _T, _F, max


class Not(Condition):
    __slots__ = ("child", "pointer")

    def __init__(self, child: Condition, pointer: str) -> None:
        self.child = child
        self.pointer = pointer

    def truth(self, facts: Mapping[str, Value], params: Mapping[str, Any]) -> Truth:
        return Truth(2 - self.child.truth(facts, params))

    def explain(self, facts: Mapping[str, Value],
                params: Mapping[str, Any]) -> tuple[Truth, tuple[Used, ...]]:
        t, used = self.child.explain(facts, params)
        return Truth(2 - t), used

    def fact_paths(self) -> list[tuple[str, str]]:
        return self.child.fact_paths()

    def param_refs(self) -> list[tuple[str, str, str]]:
        return self.child.param_refs()


class Compare(Condition):
    __slots__ = ("path", "op", "operand", "param", "test", "pointer")

    def __init__(self, path: str, op: str, operand: Any, param: str | None,
                 pointer: str) -> None:
        self.path = path
        self.op = op
        self.operand = operand
        self.param = param
        self.test = _TESTS[op]
        self.pointer = pointer

    def _operand(self, params: Mapping[str, Any]) -> Any:
        if self.param is None:
            return self.operand
        value = params.get(self.param)
        if self.op == "matches" and not isinstance(value, re.Pattern):
            return _compile_regex(str(value))
        return value

    def _judge(self, fact: Value, params: Mapping[str, Any]) -> tuple[Truth, str]:
        if fact.state in _OPAQUE_STATES:
            return _U, ""
        x = fact.value
        if x.__class__ in _SCALARS and self.param is None:  # the common case, kept fast
            t = self.test(x, self.operand)
            if t is None:
                return _U, f"{self.path} = {x!r} cannot be compared with {self.operand!r} as numbers"
            return t, ""
        if is_opaque(x):
            return _U, f"{self.path} is {getattr(x, 'reason', 'not known')}"
        try:
            operand = self._operand(params)
        except re.error as exc:
            return _U, f"parameter {self.param} is not a valid regular expression: {exc}"
        if self.op != "contains" and isinstance(x, (list, tuple, dict)) and contains_opaque(x):
            return _U, f"part of {self.path} is known only after apply"
        t = self.test(x, operand)
        if t is None:
            return _U, f"{self.path} = {x!r} cannot be compared with {operand!r} as numbers"
        return t, ""

    def truth(self, facts: Mapping[str, Value], params: Mapping[str, Any]) -> Truth:
        return self._judge(facts.get(self.path) or MISSING, params)[0]

    def explain(self, facts: Mapping[str, Value],
                params: Mapping[str, Any]) -> tuple[Truth, tuple[Used, ...]]:
        fact = facts.get(self.path) or MISSING
        t, note = self._judge(fact, params)
        return t, (Used(self.path, fact, t, note),)

    def fact_paths(self) -> list[tuple[str, str]]:
        return [(self.pointer, self.path)]

    def param_refs(self) -> list[tuple[str, str, str]]:
        return [] if self.param is None else [(self.pointer, self.op, self.param)]


# ---------------------------------------------------------------------------------------------
# Compilation


def _compile_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _param_name(operand: Any) -> str | None:
    if isinstance(operand, dict) and set(operand) == {"param"} and isinstance(operand["param"], str):
        return operand["param"]
    return None


class _Broken(Condition):
    """Stands in for a part that failed to compile, so the rest can still be checked."""

    __slots__ = ()

    def truth(self, facts: Mapping[str, Value], params: Mapping[str, Any]) -> Truth:
        return _U

    def explain(self, facts: Mapping[str, Value],
                params: Mapping[str, Any]) -> tuple[Truth, tuple[Used, ...]]:
        return _U, ()

    def fact_paths(self) -> list[tuple[str, str]]:
        return []

    def param_refs(self) -> list[tuple[str, str, str]]:
        return []


def compile_condition(data: Any, pointer: str = "") -> Condition:
    """Compile condition data into a :class:`Condition`; raise :class:`ConditionError` with the
    JSON pointer of the first fault."""
    condition, errors = compile_collecting(data, pointer)
    if errors:
        raise errors[0]
    return condition


def compile_collecting(data: Any, pointer: str = "") -> tuple[Condition, list[ConditionError]]:
    """Compile condition data, collecting every fault; the condition is usable only when there
    are none (failed parts are stand-ins)."""
    errors: list[ConditionError] = []
    return _compile(data, pointer, errors), errors


def _compile(data: Any, pointer: str, errors: list[ConditionError]) -> Condition:
    try:
        return _compile_node(data, pointer, errors)
    except ConditionError as exc:
        errors.append(exc)
        return _Broken()


def _compile_node(data: Any, pointer: str, errors: list[ConditionError]) -> Condition:
    if not isinstance(data, dict) or not data:
        raise ConditionError(pointer, "a condition is a mapping with all, any, not, or fact and "
                                      "one operator")
    combinators = [k for k in COMBINATORS if k in data]
    if combinators:
        if len(data) != 1:
            raise ConditionError(pointer, f"'{combinators[0]}' must be the only key of its "
                                          f"condition, found {', '.join(map(str, data))}")
        key = combinators[0]
        body = data[key]
        if key == "not":
            return Not(_compile(body, f"{pointer}/not", errors), pointer)
        if not isinstance(body, list) or not body:
            raise ConditionError(f"{pointer}/{key}", f"'{key}' takes a non-empty list of "
                                                     "conditions")
        children = tuple(_compile(c, f"{pointer}/{key}/{i}", errors) for i, c in enumerate(body))
        return All(children, pointer) if key == "all" else AnyOf(children, pointer)
    if "fact" not in data:
        raise ConditionError(pointer, "a comparison needs 'fact' (or use all / any / not)")
    path = data["fact"]
    if not isinstance(path, str) or not path:
        raise ConditionError(f"{pointer}/fact", "'fact' must be a dotted fact path")
    ops = [k for k in data if k != "fact"]
    unknown_ops = [k for k in ops if k not in OPERATORS]
    if unknown_ops:
        raise ConditionError(f"{pointer}/{unknown_ops[0]}",
                             f"unknown operator '{unknown_ops[0]}' (one of {', '.join(OPERATORS)})")
    if len(ops) != 1:
        raise ConditionError(pointer, "a comparison takes exactly one operator, found "
                                      f"{len(ops)}: {', '.join(map(str, ops)) or 'none'}")
    op = ops[0]
    operand = data[op]
    where = f"{pointer}/{op}"
    param = _param_name(operand)
    if param is None:
        operand = _check_operand(op, operand, where)
    return Compare(path, op, operand, param, pointer)


def _check_operand(op: str, operand: Any, where: str) -> Any:
    if isinstance(operand, dict):
        raise ConditionError(where, "an operand is a value, a list, or {param: NAME}")
    if op in ("in", "not_in") and not isinstance(operand, list):
        raise ConditionError(where, f"'{op}' takes a list")
    if op in ("exists", "absent", "is_true", "is_false") and not isinstance(operand, bool):
        raise ConditionError(where, f"'{op}' takes true or false")
    if op in ("gt", "gte", "lt", "lte") and _number(operand) is None:
        raise ConditionError(where, f"'{op}' takes a number")
    if op == "matches":
        if not isinstance(operand, str):
            raise ConditionError(where, "'matches' takes a regular expression string")
        try:
            return _compile_regex(operand)
        except re.error as exc:
            raise ConditionError(where, f"invalid regular expression {operand!r}: {exc}") from None
    return operand


def check_param_value(op: str, value: Any) -> str | None:
    """Why a parameter value cannot serve as the operand of ``op``, or None when it can."""
    try:
        _check_operand(op, value, "")
    except ConditionError as exc:
        return exc.message
    return None


def to_data(condition: Condition) -> Any:
    """The condition as plain data again (for display)."""
    if isinstance(condition, All):
        return {"all": [to_data(c) for c in condition.children]}
    if isinstance(condition, AnyOf):
        return {"any": [to_data(c) for c in condition.children]}
    if isinstance(condition, Not):
        return {"not": to_data(condition.child)}
    assert isinstance(condition, Compare)
    operand = condition.operand
    if condition.param is not None:
        operand = {"param": condition.param}
    elif isinstance(operand, re.Pattern):
        operand = operand.pattern
    return {"fact": condition.path, condition.op: operand}
