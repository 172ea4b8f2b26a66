"""Static resolution of CloudFormation intrinsic functions and conditions.

Everything is evaluated from the template alone (plus ``--cfn-param`` overrides). What cannot be
known before deploy becomes an :class:`~iacgate.values.Unknown` leaf; what the gate cannot evaluate
becomes an :class:`~iacgate.values.Unresolved` leaf. Nothing is guessed.

Pseudo parameters. A direct ``Ref`` to ``AWS::Partition`` gives ``aws`` and to ``AWS::URLSuffix``
gives ``amazonaws.com`` (the commercial partition is assumed); ``AWS::AccountId``, ``AWS::Region``,
``AWS::StackName``, ``AWS::StackId`` and ``AWS::NotificationARNs`` are Unknown. Inside ``Fn::Sub``
and ``Fn::Join`` the account, region, stack name and stack id are kept as the literal placeholders
``${AWS::AccountId}``, ``${AWS::Region}``, ``${AWS::StackName}`` and ``${AWS::StackId}``, so that
``arn:${AWS::Partition}:iam::${AWS::AccountId}:root`` resolves to the fixed same-account principal
``arn:aws:iam::${AWS::AccountId}:root``. These placeholders are not IAM policy variables (those are
written ``${aws:...}``) and stand for one fixed value each.

``Fn::If`` on a condition that cannot be decided gives ``Unresolved("Fn::If <Cond>", reason,
alternatives=(then, else))``; a branch that is ``AWS::NoValue`` appears there as
:data:`NO_VALUE_ALTERNATIVE` (the property is omitted and AWS applies its default).
"""
from __future__ import annotations

import base64
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ...values import Unknown, Unresolved, contains_opaque, is_opaque


class _NoValue:
    """``AWS::NoValue``: the property (or list element) is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()

NO_VALUE_ALTERNATIVE = Unresolved("AWS::NoValue", "the property is omitted in this branch; AWS applies its default")

BUCKET_TYPE = "AWS::S3::Bucket"
S3_ARN_PREFIX = "arn:aws:s3:::"

PSEUDO_DIRECT: dict[str, Any] = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": Unknown("AWS::AccountId"),
    "AWS::Region": Unknown("AWS::Region"),
    "AWS::StackName": Unknown("AWS::StackName"),
    "AWS::StackId": Unknown("AWS::StackId"),
    "AWS::NotificationARNs": Unknown("AWS::NotificationARNs"),
}

PSEUDO_IN_STRING: dict[str, str] = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": "${AWS::AccountId}",
    "AWS::Region": "${AWS::Region}",
    "AWS::StackName": "${AWS::StackName}",
    "AWS::StackId": "${AWS::StackId}",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_EXPR_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Decision:
    """A condition's value: True, False, or None when it depends on something not known."""

    value: bool | None
    reason: str = ""


@dataclass(slots=True)
class Issue:
    """A problem found while resolving: ``logical_id`` locates it (None for the template)."""

    message: str
    logical_id: str | None = None
    kind: str = "warning"


@dataclass(slots=True)
class RefSink:
    """Collects the logical ids of resources referenced, keyed by the property path they occur at."""

    found: list[tuple[tuple[Any, ...], str]] = field(default_factory=list)

    def add(self, path: tuple[Any, ...], logical_id: str) -> None:
        self.found.append((path, logical_id))

    def by_property(self) -> dict[str, list[str]]:
        """``{"Prop": [...], "Prop.Sub": [...]}``: every mapping-key prefix of each path (list
        indices are skipped), each id once, in order of appearance."""
        out: dict[str, list[str]] = {}
        for path, logical_id in self.found:
            keys = [str(k) for k in path if not isinstance(k, int)]
            for depth in range(1, len(keys) + 1):
                ids = out.setdefault(".".join(keys[:depth]), [])
                if logical_id not in ids:
                    ids.append(logical_id)
        return out


@dataclass(frozen=True, slots=True)
class _Piece:
    """An opaque piece of a string being built by Fn::Sub / Fn::Join. ``bucket`` is set when the
    piece is the name (``kind="name"``) or ARN (``kind="arn"``) of a bucket of this template."""

    value: Any
    bucket: str | None = None
    kind: str = ""


def describe(node: Any, limit: int | None = _EXPR_LIMIT) -> str:
    """A single-line rendering of an expression as written, shortened to ``limit`` characters
    (``None`` keeps it whole: literals inside a Join or Sub are scanned for credentials)."""
    try:
        text = json.dumps(node, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(node)
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."


def _is_list_type(parameter_type: str) -> bool:
    inner = parameter_type
    if inner.startswith("AWS::SSM::Parameter::Value<") and inner.endswith(">"):
        inner = inner[len("AWS::SSM::Parameter::Value<"):-1]
    return inner == "CommaDelimitedList" or inner.startswith("List<")


def _scalar_text(value: Any) -> str | None:
    """The string CloudFormation uses for a scalar in a string context."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_comparable(v) for v in value)
    text = _scalar_text(value)
    return text if text is not None else value


def _as_index(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def parameter_value(name: str, definition: Any, override: str | None) -> Any:
    """The value ``Ref <name>`` takes: the override, else the Default, else Unresolved."""
    definition = definition if isinstance(definition, dict) else {}
    parameter_type = str(definition.get("Type", "String"))
    is_list = _is_list_type(parameter_type)
    if override is not None:
        return override.split(",") if is_list else override
    if "Default" not in definition:
        return Unresolved(f"Ref {name}", f"parameter {name} has no default")
    default = definition["Default"]
    if parameter_type.startswith("AWS::SSM::Parameter::Value<"):
        return Unknown(f"value of SSM parameter {default} (parameter {name}) is read at deploy")
    if is_list and isinstance(default, str):
        return default.split(",")
    return default


class Resolver:
    """Resolves intrinsics of one template. Holds only per-template caches."""

    def __init__(self, template: dict[str, Any], params: dict[str, str] | None = None) -> None:
        self.issues: list[Issue] = []
        self.parameters: dict[str, Any] = self._section(template, "Parameters")
        self.resources: dict[str, Any] = self._section(template, "Resources")
        self.mappings: dict[str, Any] = self._section(template, "Mappings")
        self.conditions: dict[str, Any] = self._section(template, "Conditions")
        overrides = params or {}
        self.parameter_values: dict[str, Any] = {
            name: parameter_value(name, definition, overrides.get(name))
            for name, definition in self.parameters.items()}
        self._decisions: dict[str, Decision] = {}
        self._deciding: list[str] = []
        self._bucket_names: dict[str, Any] = {}
        self._naming: set[str] = set()
        self._warned: set[str] = set()
        self._current: str | None = None  # the logical id being resolved, to locate issues
        self._functions: dict[str, Callable[[Any, tuple[Any, ...], RefSink | None], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::Base64": self._base64,
            "Fn::FindInMap": self._find_in_map,
            "Fn::GetAZs": self._get_azs,
            "Fn::ImportValue": self._import_value,
            "Fn::Cidr": self._cidr,
            "Fn::Length": self._length,
            "Fn::ToJsonString": self._to_json_string,
            "Fn::If": self._if,
        }
        for function in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            self._functions[function] = self._condition_function(function)

    # ------------------------------------------------------------------------------- plumbing

    @staticmethod
    def _section(template: dict[str, Any], name: str) -> dict[str, Any]:
        section = template.get(name)
        return section if isinstance(section, dict) else {}  # the loader reports a malformed section

    def _warn(self, message: str, logical_id: str | None = None, kind: str = "warning") -> None:
        key = f"{logical_id}|{message}"
        if key not in self._warned:
            self._warned.add(key)
            self.issues.append(Issue(message, logical_id, kind))

    def resource_type(self, logical_id: str) -> str | None:
        definition = self.resources.get(logical_id)
        if isinstance(definition, dict) and isinstance(definition.get("Type"), str):
            return definition["Type"]
        return None

    # -------------------------------------------------------------------------------- entry points

    def resolve_properties(self, logical_id: str, properties: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """A resource's Properties with intrinsics resolved, and its refs by property path."""
        sink = RefSink()
        self._current = logical_id
        resolved = self.resolve(properties, (), sink)
        if resolved is NO_VALUE or resolved is None:
            return {}, sink.by_property()
        if not isinstance(resolved, dict):
            reason = resolved.reason if isinstance(resolved, (Unknown, Unresolved)) else "not a mapping"
            self._warn(f"Properties of {logical_id} could not be resolved to a mapping ({reason}); "
                       "analysed as empty", logical_id)
            return {}, sink.by_property()
        return resolved, sink.by_property()

    def resolve(self, node: Any, path: tuple[Any, ...] = (), sink: RefSink | None = None) -> Any:
        """A raw tree with intrinsics resolved; may return :data:`NO_VALUE`."""
        if isinstance(node, str):  # most nodes
            return node
        if isinstance(node, dict):
            if len(node) == 1:
                (key, argument), = node.items()
                if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::")):
                    function = self._functions.get(key)
                    if function is None:
                        return Unresolved(describe(node), f"{key} is not evaluated by the gate")
                    return function(argument, path, sink)
            out: dict[Any, Any] = {}
            for key, value in node.items():
                resolved = self.resolve(value, (*path, key), sink)
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(node, list):
            items = (self.resolve(value, (*path, i), sink) for i, value in enumerate(node))
            return [item for item in items if item is not NO_VALUE]
        if node is None or isinstance(node, (str, int, float, bool)):
            return node
        return str(node)

    # ------------------------------------------------------------------------------- conditions

    def resource_condition(self, logical_id: str, name: Any) -> Decision:
        """The Condition a resource is created under."""
        self._current = logical_id
        return self.condition(name)

    def condition(self, name: Any) -> Decision:
        """The value of a named condition (cached). A cycle is reported once and is undecidable."""
        if not isinstance(name, str):
            return Decision(None, f"condition name {describe(name)} is not a string")
        if name in self._decisions:
            return self._decisions[name]
        if name not in self.conditions:
            self._warn(f"condition {name} is not declared in Conditions", self._current)
            return Decision(None, f"condition {name} is not declared")
        if name in self._deciding:
            cycle = self._deciding[self._deciding.index(name):] + [name]
            self._warn(f"conditions refer to each other in a cycle: {' -> '.join(cycle)}", None, "error")
            return Decision(None, f"condition {name} is part of a cycle")
        self._deciding.append(name)
        try:
            decision = self.evaluate_condition(self.conditions[name])
        finally:
            self._deciding.pop()
        if decision.value is None:
            decision = Decision(None, f"condition {name} {decision.reason}")
        self._decisions[name] = decision
        return decision

    def evaluate_condition(self, node: Any) -> Decision:
        """A condition expression: Fn::Equals / And / Or / Not / Condition."""
        if isinstance(node, bool):
            return Decision(node)
        if isinstance(node, str) and node.lower() in ("true", "false"):
            return Decision(node.lower() == "true")
        if not (isinstance(node, dict) and len(node) == 1):
            return Decision(None, f"is not a condition function ({describe(node)})")
        (function, argument), = node.items()
        if function == "Condition":
            decision = self.condition(argument)
            return decision if decision.value is not None else Decision(None, f"depends on {decision.reason}")
        if function == "Fn::Equals":
            if not (isinstance(argument, list) and len(argument) == 2):
                return Decision(None, "has a malformed Fn::Equals")
            left, right = (self.resolve(a) for a in argument)
            for side in (left, right):
                if is_opaque(side) or contains_opaque(side) or side is NO_VALUE:
                    return Decision(None, f"depends on {self._origin(side)}")
            return Decision(_comparable(left) == _comparable(right))
        if function in ("Fn::And", "Fn::Or", "Fn::Not"):
            if not isinstance(argument, list) or not argument:
                return Decision(None, f"has a malformed {function}")
            decisions = [self.evaluate_condition(a) for a in argument]
            if function == "Fn::Not":
                inner = decisions[0]
                return inner if inner.value is None else Decision(not inner.value)
            decisive = function == "Fn::Or"  # the value that settles the whole expression
            if any(d.value is decisive for d in decisions):
                return Decision(decisive)
            undecided = [d for d in decisions if d.value is None]
            if undecided:
                return Decision(None, undecided[0].reason)
            return Decision(not decisive)
        resolved = self.resolve(node)
        if isinstance(resolved, bool):
            return Decision(resolved)
        return Decision(None, f"is not a condition function ({describe(node)})")

    def _origin(self, value: Any) -> str:
        if isinstance(value, Unresolved):
            if value.expr.startswith("Ref ") and value.expr[4:] in self.parameters:
                return f"parameter {value.expr[4:]}"
            return value.reason
        if isinstance(value, Unknown):
            return value.reason
        if value is NO_VALUE:
            return "AWS::NoValue"
        return "a value not known before deploy"

    def _condition_function(self, function: str) -> Callable[[Any, tuple[Any, ...], RefSink | None], Any]:
        """A condition function written in a property: its truth value, when decidable."""
        def evaluate(argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
            decision = self.evaluate_condition({function: argument})
            if decision.value is None:
                return Unresolved(f"{function} {describe(argument)}", decision.reason)
            return decision.value
        return evaluate

    # ----------------------------------------------------------------------------- functions

    def _record(self, sink: RefSink | None, path: tuple[Any, ...], logical_id: str) -> None:
        if sink is not None:
            sink.add(path, logical_id)

    def _ref(self, name: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        if not isinstance(name, str):
            return Unresolved(f"Ref {describe(name)}", "Ref needs a literal name")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameter_values:
            return self.parameter_values[name]
        if name in self.resources:
            self._record(sink, path, name)
            if self.resource_type(name) == BUCKET_TYPE:
                bucket_name = self.bucket_name(name)
                if isinstance(bucket_name, str):
                    return bucket_name
            return Unknown(f"name of {name} is known only after deploy")
        if name in PSEUDO_DIRECT:
            return PSEUDO_DIRECT[name]
        self._warn(f"Ref to {name}, which is not declared in the template", self._current)
        return Unresolved(f"Ref {name}", f"{name} is not declared in the template")

    def bucket_name(self, logical_id: str) -> Any:
        """The literal name of a bucket of this template, or Unknown."""
        if logical_id in self._bucket_names:
            return self._bucket_names[logical_id]
        unknown = Unknown(f"name of {logical_id} is known only after deploy")
        if logical_id in self._naming:
            return unknown
        self._naming.add(logical_id)
        try:
            definition = self.resources.get(logical_id)
            properties = definition.get("Properties") if isinstance(definition, dict) else None
            name: Any = unknown
            if isinstance(properties, dict) and "BucketName" in properties:
                resolved = self.resolve(properties["BucketName"])
                if isinstance(resolved, str) and resolved:
                    name = resolved
        finally:
            self._naming.discard(logical_id)
        self._bucket_names[logical_id] = name
        return name

    def _get_att_target(self, argument: Any, path: tuple[Any, ...],
                        sink: RefSink | None) -> tuple[str, Any] | Unresolved:
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            return Unresolved(f"Fn::GetAtt {describe(argument)}", "malformed Fn::GetAtt")
        logical_id, attribute = argument
        attribute = self.resolve(attribute, path, sink)
        return logical_id, attribute

    def _get_att(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        target = self._get_att_target(argument, path, sink)
        if isinstance(target, Unresolved):
            return target
        logical_id, attribute = target
        if logical_id not in self.resources:
            self._warn(f"Fn::GetAtt on {logical_id}, which is not a resource of the template",
                       self._current)
            return Unresolved(f"Fn::GetAtt {logical_id}.{attribute}", f"{logical_id} is not a resource of the template")
        self._record(sink, path, logical_id)
        return self.attribute(logical_id, attribute)

    def attribute(self, logical_id: str, attribute: Any) -> Any:
        if not isinstance(attribute, str):
            return Unknown(f"an attribute of {logical_id} is known only after deploy")
        if self.resource_type(logical_id) == BUCKET_TYPE and attribute == "Arn":
            name = self.bucket_name(logical_id)
            if isinstance(name, str):
                return S3_ARN_PREFIX + name
            return Unknown(f"ARN of bucket {logical_id} is known only after deploy")
        return Unknown(f"{logical_id}.{attribute} is known only after deploy")

    # ------------------------------------------------------------------------------ strings

    def _bucket_piece(self, node: Any) -> tuple[str, str] | None:
        """(logical id, "name" | "arn") when ``node`` is a Ref / GetAtt Arn of a bucket here."""
        if not (isinstance(node, dict) and len(node) == 1):
            return None
        (function, argument), = node.items()
        if function == "Ref" and isinstance(argument, str) and self.resource_type(argument) == BUCKET_TYPE:
            return argument, "name"
        if function == "Fn::GetAtt":
            if isinstance(argument, str) and "." in argument:
                argument = argument.split(".", 1)
            if (isinstance(argument, list) and len(argument) == 2 and argument[1] == "Arn"
                    and isinstance(argument[0], str) and self.resource_type(argument[0]) == BUCKET_TYPE):
                return argument[0], "arn"
        return None

    def _string_piece(self, node: Any, path: tuple[Any, ...], sink: RefSink | None) -> str | _Piece | _NoValue:
        """One piece of a Join / Sub: a string, or an opaque piece."""
        if isinstance(node, dict) and len(node) == 1 and node.get("Ref") in PSEUDO_IN_STRING:
            return PSEUDO_IN_STRING[node["Ref"]]
        resolved = self.resolve(node, path, sink)
        if resolved is NO_VALUE:
            return NO_VALUE
        text = _scalar_text(resolved)
        if text is not None:
            return text
        if is_opaque(resolved):
            bucket = self._bucket_piece(node)
            return _Piece(resolved, *(bucket or (None, "")))
        return _Piece(Unresolved(describe(node), "is a list or mapping where a string is needed"))

    def _concat(self, pieces: list[str | _Piece], expr: str) -> Any:
        if all(isinstance(p, str) for p in pieces):
            return "".join(pieces)  # type: ignore[arg-type]
        opaque = [p for p in pieces if isinstance(p, _Piece)]
        buckets = {p.bucket for p in opaque}
        if len(buckets) == 1 and None not in buckets:
            first = next(i for i, p in enumerate(pieces) if isinstance(p, _Piece))
            prefix = "".join(p for p in pieces[:first] if isinstance(p, str))
            head = pieces[first]
            assert isinstance(head, _Piece)
            if (head.kind == "name" and prefix == S3_ARN_PREFIX) or (head.kind == "arn" and prefix == ""):
                rendered = "".join(
                    p if isinstance(p, str) else
                    (S3_ARN_PREFIX if p.kind == "arn" else "") + "${" + str(p.bucket) + "}"
                    for p in pieces)
                return Unknown(f"ARN of bucket {head.bucket} (name known only after deploy): {rendered}",
                               shape=rendered)
        first_opaque = opaque[0].value
        reason = first_opaque.reason if isinstance(first_opaque, (Unknown, Unresolved)) else "not known"
        if isinstance(first_opaque, Unresolved) and first_opaque.expr.startswith("Ref "):
            reason = f"depends on {self._origin(first_opaque)}"
        return Unresolved(expr, reason)

    def _sub(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            template, written = argument
            for key, value in written.items():
                variables[str(key)] = self._string_piece(value, path, sink)
        elif isinstance(argument, list) and len(argument) == 1:
            template = argument[0]
        else:
            template = argument
        if not isinstance(template, str):
            return Unresolved(f"Fn::Sub {describe(argument)}", "Fn::Sub needs a literal string")
        expr = f"Fn::Sub {template}"
        pieces: list[str | _Piece] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(template):
            pieces.append(template[position:match.start()])
            position = match.end()
            inner = match.group(1)
            if inner.startswith("!"):
                pieces.append("${" + inner[1:] + "}")
                continue
            piece = self._sub_variable(inner.strip(), variables, path, sink)
            pieces.append("" if piece is NO_VALUE else piece)  # type: ignore[arg-type]
        pieces.append(template[position:])
        return self._concat([p for p in pieces if p != ""], expr)

    def _sub_variable(self, name: str, variables: dict[str, Any], path: tuple[Any, ...],
                      sink: RefSink | None) -> str | _Piece | _NoValue:
        if name in variables:
            return variables[name]
        if name in PSEUDO_IN_STRING:
            return PSEUDO_IN_STRING[name]
        if name in self.parameters or name in self.resources or name in PSEUDO_DIRECT:
            return self._string_piece({"Ref": name}, path, sink)
        logical_id, _, attribute = name.partition(".")
        if attribute and logical_id in self.resources:
            return self._string_piece({"Fn::GetAtt": [logical_id, attribute]}, path, sink)
        self._warn(f"Fn::Sub variable ${{{name}}} is not declared in the template", self._current)
        return _Piece(Unresolved("${" + name + "}", f"{name} is not declared in the template"))

    def _join(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        expr = f"Fn::Join {describe(argument, None)}"
        if not (isinstance(argument, list) and len(argument) == 2):
            return Unresolved(expr, "malformed Fn::Join")
        delimiter = self.resolve(argument[0], path, sink)
        if not isinstance(delimiter, str):
            return Unresolved(expr, "the Fn::Join delimiter is not a known string")
        items = argument[1]
        pieces: list[str | _Piece] = []
        if isinstance(items, list):
            parts = [self._string_piece(item, (*path, i), sink) for i, item in enumerate(items)]
            parts = [p for p in parts if p is not NO_VALUE]
        else:
            resolved = self.resolve(items, path, sink)
            if not isinstance(resolved, list):
                reason = resolved.reason if isinstance(resolved, (Unknown, Unresolved)) else "not a list"
                return Unresolved(expr, f"the list to join is {reason}")
            parts = []
            for item in resolved:
                text = _scalar_text(item)
                parts.append(text if text is not None else _Piece(
                    item if is_opaque(item) else Unresolved(describe(item), "not a string")))
        for i, part in enumerate(parts):
            if i and delimiter:
                pieces.append(delimiter)
            pieces.append(part)  # type: ignore[arg-type]
        return self._concat(pieces, expr)

    # -------------------------------------------------------------------------- list functions

    def _select(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        expr = f"Fn::Select {describe(argument)}"
        if not (isinstance(argument, list) and len(argument) == 2):
            return Unresolved(expr, "malformed Fn::Select")
        index = _as_index(self.resolve(argument[0], path, sink))
        if isinstance(argument[1], list):
            if index is None or not 0 <= index < len(argument[1]):
                return Unresolved(expr, "the index is not known or out of range")
            return self.resolve(argument[1][index], path, sink)
        values = self.resolve(argument[1], path, sink)
        if isinstance(values, Unknown):
            return Unknown(f"an element of {values.reason}")
        if not isinstance(values, list):
            reason = values.reason if isinstance(values, Unresolved) else "not a list"
            return Unresolved(expr, f"the list is {reason}")
        if index is None or not 0 <= index < len(values):
            return Unresolved(expr, "the index is not known or out of range")
        return values[index]

    def _split(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        expr = f"Fn::Split {describe(argument)}"
        if not (isinstance(argument, list) and len(argument) == 2):
            return Unresolved(expr, "malformed Fn::Split")
        delimiter = self.resolve(argument[0], path, sink)
        text = self.resolve(argument[1], path, sink)
        if isinstance(delimiter, str) and delimiter and isinstance(text, str):
            return text.split(delimiter)
        if isinstance(text, Unknown):
            return Unknown(f"parts of {text.reason}")
        return Unresolved(expr, "the string or delimiter is not known")

    def _base64(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        value = self.resolve(argument, path, sink)
        text = _scalar_text(value)
        if text is not None:
            return base64.b64encode(text.encode("utf-8")).decode("ascii")
        if isinstance(value, Unresolved):
            return Unresolved(f"Fn::Base64 {value.expr}", value.reason)
        if isinstance(value, Unknown):
            return Unknown(f"base64 of {value.reason}")
        return Unresolved(f"Fn::Base64 {describe(argument, None)}", "the value to encode is not a string")

    def _find_in_map(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        expr = f"Fn::FindInMap {describe(argument)}"
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            return Unresolved(expr, "malformed Fn::FindInMap")
        default = NO_VALUE
        if len(argument) == 4:
            option = argument[3]
            if isinstance(option, dict) and "DefaultValue" in option:
                default = self.resolve(option["DefaultValue"], path, sink)
        keys = [self.resolve(a, path, sink) for a in argument[:3]]
        map_name = _scalar_text(keys[0])
        if map_name is None or not isinstance(self.mappings.get(map_name), dict):
            if map_name is not None:
                self._warn(f"Fn::FindInMap: mapping {map_name} is not declared", self._current)
            return Unresolved(expr, "the mapping is not known")
        mapping = self.mappings[map_name]
        top, second = _scalar_text(keys[1]), _scalar_text(keys[2])
        if top is None or second is None:
            unknown_key = keys[1] if top is None else keys[2]
            candidates = self._map_candidates(mapping, top, second)
            return Unresolved(expr, f"the key depends on {self._origin(unknown_key)}", tuple(candidates))
        inner = _lookup(mapping, top)
        value = _lookup(inner, second) if isinstance(inner, dict) else NO_VALUE
        if value is NO_VALUE:
            if default is not NO_VALUE:
                return default
            self._warn(f"Fn::FindInMap: {map_name}.{top}.{second} is not in the mapping", self._current)
            return Unresolved(expr, f"{map_name} has no entry {top}.{second}")
        return self.resolve(value, path, sink)

    def _map_candidates(self, mapping: dict[Any, Any], top: str | None, second: str | None) -> list[Any]:
        tops = [_lookup(mapping, top)] if top is not None else list(mapping.values())
        out: list[Any] = []
        for inner in tops:
            if not isinstance(inner, dict):
                continue
            values = [_lookup(inner, second)] if second is not None else list(inner.values())
            out.extend(self.resolve(v) for v in values if v is not NO_VALUE)
        return out

    def _get_azs(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        return Unknown("Fn::GetAZs: the availability zones of the region are known only at deploy")

    def _import_value(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        name = self.resolve(argument, path, sink)
        shown = name if isinstance(name, str) else describe(argument)
        return Unknown(f"Fn::ImportValue {shown}: exported by another stack")

    def _cidr(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        expr = f"Fn::Cidr {describe(argument)}"
        if not (isinstance(argument, list) and len(argument) == 3):
            return Unresolved(expr, "malformed Fn::Cidr")
        block, count, bits = (self.resolve(a, path, sink) for a in argument)
        count_n, bits_n = _as_index(count), _as_index(bits)
        if not isinstance(block, str) or count_n is None or bits_n is None:
            return Unresolved(expr, "an input is not known")
        try:
            network = ipaddress.ip_network(block, strict=False)
            prefix = network.max_prefixlen - bits_n
            if not network.prefixlen <= prefix <= network.max_prefixlen or not 1 <= count_n <= 256:
                raise ValueError("cidrBits or count out of range")
            subnets = network.subnets(new_prefix=prefix)
            out = []
            for subnet in subnets:
                out.append(str(subnet))
                if len(out) == count_n:
                    break
        except ValueError as exc:
            return Unresolved(expr, f"invalid input: {exc}")
        if len(out) < count_n:
            return Unresolved(expr, "the block is too small for that many subnets")
        return out

    def _length(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        values = self.resolve(argument, path, sink)
        if isinstance(values, list):
            return len(values)
        return Unresolved(f"Fn::Length {describe(argument)}", "the list is not known")

    def _to_json_string(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        value = self.resolve(argument, path, sink)
        if value is NO_VALUE or contains_opaque(value):
            return Unresolved(f"Fn::ToJsonString {describe(argument)}", "part of the value is not known")
        return json.dumps(value, separators=(",", ":"))

    def _if(self, argument: Any, path: tuple[Any, ...], sink: RefSink | None) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            return Unresolved(f"Fn::If {describe(argument)}", "malformed Fn::If")
        name, when_true, when_false = argument
        decision = self.condition(name)
        if decision.value is True:
            return self.resolve(when_true, path, sink)
        if decision.value is False:
            return self.resolve(when_false, path, sink)
        branches = (self.resolve(when_true, path, sink), self.resolve(when_false, path, sink))
        alternatives = tuple(NO_VALUE_ALTERNATIVE if b is NO_VALUE else b for b in branches)
        return Unresolved(f"Fn::If {name}", decision.reason, alternatives)


def _lookup(mapping: dict[Any, Any], key: str) -> Any:
    """A mapping entry by its text (YAML may have made a numeric key an int)."""
    if key in mapping:
        return mapping[key]
    for candidate, value in mapping.items():
        if _scalar_text(candidate) == key:
            return value
    return NO_VALUE
