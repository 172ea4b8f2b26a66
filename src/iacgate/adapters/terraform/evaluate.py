"""Static evaluation of a Terraform configuration: module instances, variables, locals, resources.

Evaluation is lazy and memoised per module instance: a value is computed the first time something
asks for it. Every named value (a local, a variable, a resource attribute, a module output) is
evaluated under a guard that turns a reference cycle into an :class:`Unresolved` leaf plus one
input error naming the cycle, never into unbounded recursion.

What the gate cannot know before apply becomes :class:`Unknown`; what it cannot evaluate becomes
:class:`Unresolved`; what Terraform itself would reject becomes an :class:`EvalFailure` (an
Unresolved that ``try()``/``can()`` recognise), turned into a plain Unresolved on output.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

from ...raw import InputError
from ...values import Unknown, Unresolved, contains_opaque, is_opaque
from . import functions as fn
from .functions import EvalFailure, first_opaque
from .types import convert as convert_to_type
from .reads import EXISTS, IS_FILE, ReadLog
from .policy_documents import render_policy_document
from .hcl import (Attribute, BinOp, Block, Call, Cond, ForExpr, Invalid, Lit, Name, ObjectExpr,
                  Template, TemplateFor, TemplateIf, Traversal, TupleExpr, UnOp, parse_template_text)

# A guarded value's name and where it is declared, e.g. ("module.a.local.x", ("main.tf", 3)).
Describe = Callable[[], tuple[str, tuple[str, "int | None"]]]
MAX_GUARD_DEPTH = 64
MAX_MODULE_DEPTH = 16
MAX_INSTANCES = 10_000  # count above this: one instance with an unknown key stands for them all
RESOURCE_META_ARGS = frozenset({"count", "for_each", "depends_on", "lifecycle", "provider"})
MODULE_META_ARGS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
_SCOPE_ROOTS = frozenset({"var", "local", "module", "data", "path", "terraform", "count", "each", "self"})


# ---------------------------------------------------------------------------------------------
# Declarations (one per module folder)


@dataclass
class Decl:
    """A resource or data block. What every instance of it shares (its key, the attributes and
    nested-block groups it writes) is worked out once here, not per instance."""

    mode: str  # managed | data
    type: str
    name: str
    block: Block
    file: str
    key: str = field(init=False)
    groups: Mapping[str, list[Block]] = field(init=False, repr=False, compare=False)
    names: tuple[str, ...] = field(init=False, repr=False, compare=False)  # meta-arguments excluded
    # written names whose value reads no named value (no reference, no function call): evaluating
    # them cannot reach a cycle, so they need no cycle guard
    closed: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # the attributes (meta-arguments excluded) that hold a reference, and whether nested blocks do
    referring: tuple[Attribute, ...] = field(init=False, repr=False, compare=False)
    blocks_refer: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.key = f"{self.type}.{self.name}" if self.mode == "managed" else f"data.{self.type}.{self.name}"
        self.groups = block_groups(self.block) if self.block.blocks else _NO_GROUPS
        names = [a.name for a in self.block.attributes if a.name not in RESOURCE_META_ARGS]
        names.extend(n for n in self.groups if n not in RESOURCE_META_ARGS and n not in names)
        self.names = tuple(names)
        attribute_reads = [_reads(a.expr) for a in self.block.attributes]
        self.referring = tuple(a for a, reads in zip(self.block.attributes, attribute_reads)
                               if reads & _REFERS and a.name not in RESOURCE_META_ARGS)
        group_reads = {name: _blocks_reads(group) for name, group in self.groups.items()}
        self.blocks_refer = any(reads & _REFERS for reads in group_reads.values())
        computed = _computed_attributes(self.mode, self.type)
        if computed is None:
            self.closed = ()
            return
        first_reads: dict[str, int] = {}  # a name's value is its first attribute, else its nested blocks
        for a, reads in zip(self.block.attributes, attribute_reads):
            first_reads.setdefault(a.name, reads)
        self.closed = tuple(name for name in names if name not in computed
                            and not first_reads.get(name, group_reads.get(name, _READS)) & _READS)


@dataclass
class Declared:
    """A block that is not a resource (variable, output, provider, module call), with its file."""

    block: Block
    file: str


@dataclass
class LocalDecl:
    attribute: Attribute
    file: str
    block: Block


@dataclass
class ModuleDef:
    dir: str
    files: list[str] = field(default_factory=list)
    resources: dict[str, Decl] = field(default_factory=dict)
    variables: dict[str, Declared] = field(default_factory=dict)
    locals: dict[str, LocalDecl] = field(default_factory=dict)
    outputs: dict[str, Declared] = field(default_factory=dict)
    providers: list[Declared] = field(default_factory=list)
    calls: dict[str, Declared] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)
    # nested-block groups of the blocks evaluated so far, by id (the block is kept, so its id is not reused)
    _groups: dict[int, tuple[Block, dict[str, list[Block]]]] = field(default_factory=dict, repr=False,
                                                                      compare=False)

    def block_groups(self, block: Block) -> Mapping[str, list[Block]]:
        if not block.blocks:
            return _NO_GROUPS
        found = self._groups.get(id(block))
        if found is None:
            found = self._groups[id(block)] = (block, block_groups(block))
        return found[1]


def build_module(directory: str, parsed: list[tuple[str, tuple[Block, ...]]]) -> ModuleDef:
    """Gather the blocks of a module folder's files (in the given order)."""
    module = ModuleDef(directory)
    for path, blocks in parsed:
        module.files.append(path)
        for block in blocks:
            _declare(module, path, block)
    return module


def _declare(module: ModuleDef, path: str, block: Block) -> None:
    labels = block.labels

    def duplicate(what: str) -> None:
        module.errors.append(InputError(path, f"duplicate {what}; the first declaration is used",
                                        block.line))

    if block.type in ("resource", "data") and len(labels) == 2:
        decl = Decl("managed" if block.type == "resource" else "data", labels[0], labels[1], block, path)
        if decl.key in module.resources:
            duplicate(decl.key)
        else:
            module.resources[decl.key] = decl
    elif block.type == "variable" and len(labels) == 1:
        if labels[0] in module.variables:
            duplicate(f"variable {labels[0]}")
        else:
            module.variables[labels[0]] = Declared(block, path)
    elif block.type == "output" and len(labels) == 1:
        module.outputs.setdefault(labels[0], Declared(block, path))
    elif block.type == "module" and len(labels) == 1:
        if labels[0] in module.calls:
            duplicate(f"module {labels[0]}")
        else:
            module.calls[labels[0]] = Declared(block, path)
    elif block.type == "provider" and len(labels) == 1:
        module.providers.append(Declared(block, path))
    elif block.type == "locals":
        for attribute in block.attributes:
            if attribute.name in module.locals:
                duplicate(f"local.{attribute.name}")
            else:
                module.locals[attribute.name] = LocalDecl(attribute, path, block)


def literal_source(block: Block) -> str | None:
    attribute = block.attribute("source")
    if attribute is not None and isinstance(attribute.expr, Lit) and isinstance(attribute.expr.value, str):
        return attribute.expr.value
    return None


def is_local_source(source: str) -> bool:
    return source.startswith("./") or source.startswith("../") or source in (".", "..")


# ---------------------------------------------------------------------------------------------
# Session: what all module instances of one load share


@dataclass
class ChildModule:
    module: ModuleDef | None
    reason: str | None = None  # why it is not analysed
    source: str | None = None
    version: Any = None


class Session:
    def __init__(self, resolve_child: Callable[["Instance", str, Declared], ChildModule],
                 scan_root: str | None, max_file_size: int) -> None:
        self.resolve_child = resolve_child
        self.scan_root = scan_root
        self.max_file_size = max_file_size
        self.reads = ReadLog(max_file_size)  # what file functions and path tests saw on disk
        self.errors: list[InputError] = []
        self._stack: list[tuple[Any, Describe]] = []
        self._in_progress: set[Any] = set()
        self._cycles: set[frozenset[str]] = set()
        self.cutoffs = 0  # how often the depth limit cut an evaluation short
        self.interruptions = 0  # how often a cycle or the depth limit cut an evaluation short

    def guarded(self, key: Any, describe: Describe, compute: Callable[[], Any]) -> Any:
        """``compute()`` unless ``key`` is already being computed (a cycle) or the chain is too deep.
        ``describe()`` names the value and where it is declared; it is called only for those errors."""
        if key in self._in_progress:
            self.interruptions += 1
            start = next(i for i, (k, _) in enumerate(self._stack) if k == key)
            label, where = describe()
            cycle = [describe_entry()[0] for _, describe_entry in self._stack[start:]] + [label]
            description = " -> ".join(cycle)
            signature = frozenset(cycle)
            if signature not in self._cycles:
                self._cycles.add(signature)
                self.errors.append(InputError(where[0], f"reference cycle: {description}", where[1]))
            return Unresolved(label, f"reference cycle: {description}")
        if len(self._stack) >= MAX_GUARD_DEPTH:
            self.cutoffs += 1
            self.interruptions += 1
            return Unresolved(describe()[0], "reference chain too deep to evaluate")
        self._in_progress.add(key)
        self._stack.append((key, describe))
        try:
            return compute()
        finally:
            self._stack.pop()
            self._in_progress.discard(key)


# ---------------------------------------------------------------------------------------------
# Resource values


class ResourceObject(dict):
    """A whole resource instance used as a value; attributes it does not set are unknown."""

    def __init__(self, address: str, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.address = address


@dataclass(frozen=True)
class _Handle:
    """A reference to one resource instance, resolved attribute by attribute."""

    decl: Decl
    key: Any  # None, int, str, or Unknown


@dataclass(frozen=True)
class _Instances:
    kind: str  # single | count | for_each | unknown
    keys: tuple = ()
    each: dict | None = None  # for_each: key -> value
    reason: str = ""
    repeat: str = ""  # for unknown: "count" or "for_each"


def _instances_or_unknown(found: Any, block: Block) -> _Instances:
    """The instances of a block whose count or for_each a reference cycle (reported as an input
    error) or the depth limit cut short are not known."""
    if isinstance(found, _Instances):
        return found
    return _Instances("unknown", reason=_reason(found),
                      repeat="count" if block.attribute("count") is not None else "for_each")


def index_suffix(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, (Unknown, Unresolved)):
        return "[*]"
    if isinstance(key, int):
        return f"[{key}]"
    return f"[{json.dumps(key)}]"


# ---------------------------------------------------------------------------------------------
# Module instances


class Instance:
    """One instance of a module (the root, or a module call with its count/for_each key)."""

    def __init__(self, session: Session, module: ModuleDef, path: str, root_dir: str,
                 var_values: dict[str, Any] | None = None, parent: "Instance | None" = None,
                 call: tuple[str, Declared, Any] | None = None, chain: tuple[str, ...] = (),
                 remote_dirs: dict[str, str] | None = None) -> None:
        self.session = session
        self.module = module
        self.path = path
        self.root_dir = root_dir
        self.var_values = var_values or {}
        self.parent = parent
        self.call = call  # (name, declared call, key) in the parent
        self.chain = chain + (os.path.normpath(module.dir),)
        self.remote_dirs = remote_dirs or {}
        self.prefix = path + "." if path else ""
        # values computed once, one table per kind (a lookup that hits builds no key beyond these)
        self._instance_sets: dict[str, _Instances] = {}     # resource key
        self._attrs: dict[tuple[str, Any, str], Any] = {}   # (resource key, instance key id, attribute)
        self._last_scope: tuple[Decl, Any, dict[str, Any]] | None = None  # attributes are computed in runs
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._outputs: dict[str, Any] = {}
        self._module_sets: dict[str, _Instances] = {}
        self._var_refs: dict[tuple[str, Any, str], Any] = {}  # (call name, key id, variable): the caller's
        self._local_refs: dict[str, Any] = {}
        self._output_refs: dict[str, Any] = {}
        self._plain_refs: dict[int, tuple[Any, list[str]]] = {}  # id(expression) -> (expression, refs)
        self._children: dict[tuple[str, Any], Instance | ChildModule] = {}

    @property
    def call_keys(self) -> str:
        """Dotted module call names (no indices), as in ``.terraform/modules/modules.json``."""
        names: list[str] = []
        inst: Instance | None = self
        while inst is not None and inst.call is not None:
            names.append(inst.call[0])
            inst = inst.parent
        return ".".join(reversed(names))

    def _compute_once(self, memo: dict[Any, Any], key: Any, describe: Describe, compute: Callable[[], Any]) -> Any:
        """A value missing from ``memo`` computed under the session's guard and kept, unless the depth
        limit cut it short. Callers look ``memo`` up first, so a hit costs one dictionary lookup."""
        session = self.session
        cutoffs = session.cutoffs
        value = session.guarded((id(memo), key), describe, compute)
        if session.cutoffs == cutoffs:
            memo[key] = value
        return value

    # -- expressions

    def eval(self, expr: Any, scope: dict[str, Any]) -> Any:
        kind = type(expr)
        if kind is Lit:
            return expr.value
        if kind is Traversal:
            return self._materialise(self._traversal(expr, scope))
        if kind is Template:
            return self._template(expr.parts, scope, _template_text(expr))
        if kind is Call:
            return self._call(expr, scope)
        if kind is ObjectExpr:
            out: dict[str, Any] = {}
            for key_expr, value_expr in expr.items:
                key = self.eval(key_expr, scope)
                if is_opaque(key):
                    return Unresolved(_expr_text(key_expr), "object key is not known")
                try:
                    out[fn.to_string(key)] = self.eval(value_expr, scope)
                except fn._Failure as exc:
                    return EvalFailure(_expr_text(key_expr), str(exc))
            return out
        if kind is TupleExpr:
            return [self.eval(item, scope) for item in expr.items]
        if kind is Name:
            if expr.name in scope:
                return scope[expr.name]
            return EvalFailure(expr.name, f"unknown name {expr.name}")
        if kind is Cond:
            return self._conditional(expr, scope)
        if kind is BinOp:
            return self._binary(expr, scope)
        if kind is UnOp:
            return self._unary(expr, scope)
        if kind is ForExpr:
            return self._for(expr, scope)
        if kind is Invalid:
            return Unresolved(expr.text, expr.reason)
        return Unresolved(str(expr), "unsupported expression")

    def _template(self, parts: tuple, scope: dict[str, Any], text: str) -> Any:
        out: list[str] = []
        size = 0  # characters so far: doubling templates must not exhaust memory
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if isinstance(part, TemplateIf):
                cond = self.eval(part.cond, scope)
                if is_opaque(cond):
                    return cond
                value = self._template(part.then if cond is True else part.otherwise, scope, text)
            elif isinstance(part, TemplateFor):
                collection = self.eval(part.collection, scope)
                pieces: list[str] = []
                total = 0
                for key, item in _iterate(collection):
                    inner = dict(scope)
                    inner[part.value_var] = item
                    if part.key_var:
                        inner[part.key_var] = key
                    piece = self._template(part.body, inner, text)
                    if is_opaque(piece):
                        return piece
                    pieces.append(piece)
                    total += len(piece)
                    if total > fn.MAX_STRING_CHARS:
                        return EvalFailure(text, "the template's for loop builds a string above "
                                                 f"{fn.MAX_STRING_CHARS:,} characters")
                if is_opaque(collection):
                    return collection
                value = "".join(pieces)
            else:
                value = self.eval(part, scope)
            if isinstance(value, Unknown) and len(parts) > 1:
                return Unknown(value.reason, shape=self._template_shape(parts, scope))
            if is_opaque(value):
                return value
            found = first_opaque(value)
            if found is not None:
                return found
            try:
                out.append(fn.to_string(value))
            except fn._Failure as exc:
                return EvalFailure(text, str(exc))
            size += len(out[-1])
            if size > fn.MAX_STRING_CHARS:
                return EvalFailure(text, f"the template builds a string above {fn.MAX_STRING_CHARS:,} characters")
        return "".join(out)

    def _template_shape(self, parts: tuple, scope: dict[str, Any]) -> str:
        """The template with what is known filled in and the rest left as ``${...}`` (or as the
        shape of an unknown part), e.g. ``arn:${local.partition}:iam::aws:policy/ReadOnlyAccess``."""
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if isinstance(part, (TemplateIf, TemplateFor)):
                out.append("${...}")
                continue
            value = self.eval(part, scope)
            if isinstance(value, Unknown) and value.shape is not None:
                out.append(value.shape)
            elif is_opaque(value) or first_opaque(value) is not None:
                out.append("${" + _expr_text(part) + "}")
            else:
                try:
                    out.append(fn.to_string(value))
                except fn._Failure:
                    out.append("${" + _expr_text(part) + "}")
        return "".join(out)

    def _conditional(self, expr: Cond, scope: dict[str, Any]) -> Any:
        cond = self.eval(expr.cond, scope)
        if isinstance(cond, EvalFailure):
            return cond
        if is_opaque(cond):
            then, otherwise = self.eval(expr.then, scope), self.eval(expr.otherwise, scope)
            if then == otherwise and not contains_opaque(then):
                return then
            return Unresolved(expr.text, f"the condition is not known ({_reason(cond)})",
                              alternatives=(then, otherwise))
        try:
            chosen = fn.to_bool(cond)
        except fn._Failure as exc:
            return EvalFailure(expr.text, str(exc))
        return self.eval(expr.then if chosen else expr.otherwise, scope)

    def _binary(self, expr: BinOp, scope: dict[str, Any]) -> Any:
        op = expr.op
        left = self.eval(expr.left, scope)
        if op in ("&&", "||"):
            if left is (op == "||"):
                return left
            right = self.eval(expr.right, scope)
            if right is (op == "||") and not isinstance(left, EvalFailure):
                return right
            for side in (left, right):
                if is_opaque(side):
                    return side
            try:
                return fn.to_bool(left) and fn.to_bool(right) if op == "&&" else fn.to_bool(left) or fn.to_bool(right)
            except fn._Failure as exc:
                return EvalFailure(_expr_text(expr), str(exc))
        right = self.eval(expr.right, scope)
        if op in ("==", "!="):
            if (left is None or right is None) and not (is_opaque(left) or is_opaque(right)):
                # null-ness is known even when parts of a collection or object are not
                equal = left is right
                return equal if op == "==" else not equal
            found = first_opaque(left) or first_opaque(right)
            if found is not None:
                return found
            equal = _equal(left, right)
            return equal if op == "==" else not equal
        for side in (left, right):
            if is_opaque(side):
                return side
        try:
            a, b = fn.to_number(left), fn.to_number(right)
            if op == "+":
                return fn.normalise_number(a + b)
            if op == "-":
                return fn.normalise_number(a - b)
            if op == "*":
                return fn.normalise_number(a * b)
            if op == "/":
                return fn.normalise_number(a / b)
            if op == "%":
                return fn.normalise_number(a % b)
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        except (fn._Failure, ZeroDivisionError) as exc:
            return EvalFailure(_expr_text(expr), str(exc) or "division by zero")

    def _unary(self, expr: UnOp, scope: dict[str, Any]) -> Any:
        value = self.eval(expr.operand, scope)
        if is_opaque(value):
            return value
        try:
            return (not fn.to_bool(value)) if expr.op == "!" else fn.normalise_number(-fn.to_number(value))
        except fn._Failure as exc:
            return EvalFailure(_expr_text(expr), str(exc))

    def _for(self, expr: ForExpr, scope: dict[str, Any]) -> Any:
        collection = self.eval(expr.collection, scope)
        if is_opaque(collection):
            return collection
        if not isinstance(collection, (list, dict)):
            return EvalFailure(expr.text, f"cannot iterate over a {fn.type_name(collection)}")
        items: list[Any] = []
        pairs: dict[str, Any] = {}
        for key, item in _iterate(collection):
            inner = dict(scope)
            inner[expr.value_var] = item
            if expr.key_var:
                inner[expr.key_var] = key
            if expr.cond is not None:
                keep = self.eval(expr.cond, inner)
                if is_opaque(keep):
                    return keep if isinstance(keep, Unknown) else Unresolved(expr.text, _reason(keep))
                if keep is not True:
                    continue
            value = self.eval(expr.value, inner)
            if expr.key is None:
                items.append(value)
                continue
            out_key = self.eval(expr.key, inner)
            if is_opaque(out_key):
                return Unresolved(expr.text, f"a key is not known ({_reason(out_key)})")
            try:
                out_key = fn.to_string(out_key)
            except fn._Failure as exc:
                return EvalFailure(expr.text, str(exc))
            if expr.grouping:
                pairs.setdefault(out_key, []).append(value)
            else:
                pairs[out_key] = value
        return items if expr.key is None else pairs

    def _call(self, expr: Call, scope: dict[str, Any]) -> Any:
        if expr.name in ("try", "can"):
            return self._try(expr, scope)
        args = [self.eval(arg, scope) for arg in expr.args]
        if expr.expand_last and args:
            last = args.pop()
            if is_opaque(last):
                return last
            if not isinstance(last, list):
                return EvalFailure(expr.text, "only a list can be expanded with ...")
            args.extend(last)
        return fn.call_function(expr.name, args, expr.text, _FileAccess(self))

    def _try(self, expr: Call, scope: dict[str, Any]) -> Any:
        if expr.name == "can":
            if len(expr.args) != 1:
                return EvalFailure(expr.text, "can() takes one argument")
            value = self.eval(expr.args[0], scope)
            if fn.contains_failure(value):
                return False
            found = first_opaque(value)
            return found if found is not None else True
        last: Any = EvalFailure(expr.text, "try() has no argument that evaluates")
        for arg in expr.args:
            value = self.eval(arg, scope)
            if not fn.contains_failure(value):
                return value
            last = value
        return last

    # -- references

    def _traversal(self, expr: Traversal, scope: dict[str, Any]) -> Any:
        base, steps = expr.base, expr.steps
        if not isinstance(base, Name):
            return self._apply(self.eval(base, scope), steps, scope, expr.text)
        root = base.name
        if root in scope:
            return self._apply(scope[root], steps, scope, expr.text)
        if root in ("count", "each", "self"):
            return EvalFailure(expr.text, f"{root} is not available here")
        if root not in _SCOPE_ROOTS:
            if not steps or steps[0][0] != "attr":
                return EvalFailure(expr.text, f"unknown name {root}")
            return self._resource_ref("managed", root, steps[0][1], steps[1:], scope, expr.text)
        if not steps or steps[0][0] != "attr":
            return EvalFailure(expr.text, f"{root} needs an attribute")
        first, rest = steps[0][1], steps[1:]
        if root == "var":
            return self._apply(self.var(first), rest, scope, expr.text)
        if root == "local":
            return self._apply(self.local(first), rest, scope, expr.text)
        if root == "path":
            value = {"module": self.module.dir, "root": self.root_dir, "cwd": os.getcwd()}.get(first)
            if value is None:
                return EvalFailure(expr.text, f"unknown path.{first}")
            return self._apply(value, rest, scope, expr.text)
        if root == "terraform":
            if first == "workspace":
                return self._apply("default", rest, scope, expr.text)
            return EvalFailure(expr.text, f"unknown terraform.{first}")
        if root == "data":
            if not rest or rest[0][0] != "attr":
                return EvalFailure(expr.text, "data source reference needs a name")
            return self._resource_ref("data", first, rest[0][1], rest[1:], scope, expr.text)
        if root == "module":
            return self._module_ref(first, rest, scope, expr.text)
        return EvalFailure(expr.text, f"unknown reference {expr.text}")

    def _apply(self, value: Any, steps: tuple, scope: dict[str, Any], text: str) -> Any:
        for position, (kind, arg) in enumerate(steps):
            if isinstance(value, EvalFailure):
                return value
            if isinstance(value, _Handle):
                if kind == "attr":
                    value = self.resource_attr(value.decl, value.key, arg)
                    continue
                value = self._materialise(value)
            if is_opaque(value):
                return value
            if kind == "attr":
                if isinstance(value, dict):
                    if arg in value:
                        value = value[arg]
                    elif isinstance(value, ResourceObject):
                        return Unknown(f"{value.address}.{arg} is known only after apply")
                    else:
                        return EvalFailure(text, f"no attribute {arg!r}")
                elif value is None:
                    return EvalFailure(text, f"attribute {arg!r} of a null value")
                else:
                    return EvalFailure(text, f"a {fn.type_name(value)} has no attribute {arg!r}")
            elif kind == "index":
                key = self.eval(arg, scope)
                if is_opaque(key):
                    return key if isinstance(key, Unknown) else Unresolved(text, f"index not known ({_reason(key)})")
                value = _index(value, key, text)
            else:  # splat
                if value is None:
                    value = []
                elif isinstance(value, dict):
                    value = [value]
                if not isinstance(value, list):
                    value = [value]
                value = [self._materialise(self._apply(item, arg, scope, text)) for item in value]
        return value

    def _materialise(self, value: Any) -> Any:
        if isinstance(value, _Handle):
            return self.resource_object(value.decl, value.key)
        return value

    def _resource_ref(self, mode: str, rtype: str, name: str, steps: tuple, scope: dict[str, Any],
                      text: str) -> Any:
        key = f"{rtype}.{name}" if mode == "managed" else f"data.{rtype}.{name}"
        decl = self.module.resources.get(key)
        if decl is None:
            return EvalFailure(text, f"reference to undeclared {'resource' if mode == 'managed' else 'data source'} {key}")
        instances = self.instances(decl)
        if instances.kind == "single":
            return self._apply(_Handle(decl, None), steps, scope, text)
        if steps and steps[0][0] == "index":
            index = self.eval(steps[0][1], scope)
            if isinstance(index, EvalFailure):
                return index
            if is_opaque(index) or instances.kind == "unknown":
                return self._apply(_Handle(decl, Unknown(instances.reason or _reason(index))), steps[1:], scope, text)
            if index not in instances.keys:
                return EvalFailure(text, f"{key} has no instance {index_suffix(index)}")
            return self._apply(_Handle(decl, index), steps[1:], scope, text)
        if instances.kind == "unknown":
            return Unknown(f"the instances of {key} are known only after apply ({instances.reason})")
        if instances.kind == "count":
            whole: Any = [_Handle(decl, k) for k in instances.keys]
        else:
            whole = {k: _Handle(decl, k) for k in instances.keys}
        if steps and steps[0][0] == "splat" and isinstance(whole, list):
            return [self._materialise(self._apply(h, steps[0][1], scope, text)) for h in whole] if len(steps) == 1 \
                else self._apply([self._materialise(self._apply(h, steps[0][1], scope, text)) for h in whole],
                                 steps[1:], scope, text)
        if isinstance(whole, list):
            whole = [self._materialise(h) for h in whole]
        else:
            whole = {k: self._materialise(h) for k, h in whole.items()}
        return self._apply(whole, steps, scope, text)

    def instances(self, decl: Decl) -> _Instances:
        found = self._instance_sets.get(decl.key)
        if found is None:
            found = self._compute_once(self._instance_sets, decl.key,
                                       lambda: (f"{self.prefix}{decl.key}", (decl.file, decl.block.line)),
                                       lambda: self._count_instances(decl.block, decl.key))
        return _instances_or_unknown(found, decl.block)

    def _count_instances(self, block: Block, label: str) -> _Instances:
        count = block.attribute("count")
        for_each = block.attribute("for_each")
        if count is not None:
            value = self.eval(count.expr, {})
            if is_opaque(value):
                return _Instances("unknown", reason=f"count = {count.text}: {_reason(value)}", repeat="count")
            try:
                number = int(fn.to_number(value))
            except fn._Failure:
                return _Instances("unknown", reason=f"count = {count.text} is not a number", repeat="count")
            if number > MAX_INSTANCES:  # analysed as one instance whose key is unknown
                return _Instances("unknown", repeat="count", reason=f"count = {count.text} is {number:,}, "
                                  f"above the {MAX_INSTANCES:,} instances the gate expands")
            return _Instances("count", tuple(range(max(number, 0))))
        if for_each is not None:
            value = self.eval(for_each.expr, {})
            found = first_opaque(value) if isinstance(value, list) else (value if is_opaque(value) else None)
            if found is not None:
                return _Instances("unknown", reason=f"for_each = {for_each.text}: {_reason(found)}",
                                  repeat="for_each")
            if isinstance(value, dict):
                return _Instances("for_each", tuple(sorted(value)), dict(value))
            if isinstance(value, list):
                try:
                    keys = fn.to_set([fn.to_string(v) for v in value if v is not None])
                except fn._Failure:
                    return _Instances("unknown", reason=f"for_each = {for_each.text} is not a set of strings",
                                      repeat="for_each")
                return _Instances("for_each", tuple(keys), {k: k for k in keys})
            if value is None:
                return _Instances("for_each", (), {})
            return _Instances("unknown", reason=f"for_each = {for_each.text} is not a map or set",
                              repeat="for_each")
        return _Instances("single")

    def instance_scope(self, instances: _Instances, key: Any) -> dict[str, Any]:
        if instances.kind == "count":
            return {"count": {"index": key}}
        if instances.kind == "for_each":
            return {"each": {"key": key, "value": (instances.each or {}).get(key)}}
        if instances.kind == "unknown":
            unknown = key if isinstance(key, Unknown) else Unknown(instances.reason)
            if instances.repeat == "count":
                return {"count": {"index": unknown}}
            return {"each": {"key": unknown, "value": unknown}}
        return {}

    def resource_scope(self, decl: Decl, key: Any) -> dict[str, Any]:
        """``count`` / ``each`` / ``self`` of one resource instance; shared by its attributes (scopes
        are never changed once made). Made afresh for an opaque key: its reason is part of it."""
        plain = key is None or type(key) is int or type(key) is str
        last = self._last_scope
        if plain and last is not None and last[0] is decl and type(last[1]) is type(key) and last[1] == key:
            return last[2]
        scope = self.instance_scope(self.instances(decl), key)
        scope["self"] = _Handle(decl, key)
        if plain:
            self._last_scope = (decl, key, scope)
        return scope

    def resource_attr(self, decl: Decl, key: Any, attr: str) -> Any:
        memo_key = (decl.key, _UNKNOWN_KEY if isinstance(key, (Unknown, Unresolved)) else key, attr)
        value = self._attrs.get(memo_key, _MISSING)
        if value is _MISSING and attr in decl.closed and len(self.session._stack) < MAX_GUARD_DEPTH:
            value = self._attrs[memo_key] = self._written_attr(decl, key, attr)  # the guard could not trip
        elif value is _MISSING:
            value = self._compute_once(
                self._attrs, memo_key,
                lambda: (f"{self.prefix}{decl.key}{index_suffix(key)}.{attr}", (decl.file, decl.block.line)),
                lambda: self._compute_resource_attr(decl, key, attr))
        return value

    def _compute_resource_attr(self, decl: Decl, key: Any, attr: str) -> Any:
        block = decl.block
        base = f"{self.prefix}{decl.key}"
        if decl.mode == "managed" and decl.type == "aws_s3_bucket" and attr in ("id", "bucket", "arn"):
            bucket = self._written_attr(decl, key, "bucket")
            if bucket is _NOT_SET or bucket is None:
                return Unknown(f"{base}.{attr} is known only after apply")
            if is_opaque(bucket):
                if isinstance(bucket, Unknown) and attr != "bucket":
                    return Unknown(f"{base}.{attr} is known only after apply")
                return bucket
            return f"arn:aws:s3:::{bucket}" if attr == "arn" else bucket
        if decl.mode == "data" and decl.type == "aws_iam_policy_document" and attr in ("json", "minified_json"):
            rendered = render_policy_document(self.resource_body(decl, key))
            if isinstance(rendered, str) and attr == "minified_json":
                return json.dumps(json.loads(rendered), separators=(",", ":"))
            return rendered
        if decl.mode == "data" and decl.type == "aws_caller_identity":
            return Unknown(f"{base}.{attr} (the account of the credentials) is known only at plan time")
        if attr == "id" and not (decl.mode == "managed" and block.attribute("id") is not None):
            return Unknown(f"{base}.id is known only after apply")
        value = self._written_attr(decl, key, attr)
        if value is _NOT_SET:
            if decl.mode == "data":
                return Unknown(f"{base}.{attr} is known only after the data source {base} is read")
            return Unknown(f"{base}.{attr} is known only after apply")
        return value

    def _written_attr(self, decl: Decl, key: Any, attr: str) -> Any:
        """The attribute (or nested block list) as written in the configuration, or _NOT_SET."""
        if attr in RESOURCE_META_ARGS:
            return _NOT_SET
        attribute = decl.block.attribute(attr)
        if attribute is not None:
            return self.eval(attribute.expr, self.resource_scope(decl, key))
        group = decl.groups.get(attr)
        if group is not None:
            return self.eval_block_group(group, self.resource_scope(decl, key))
        return _NOT_SET

    def resource_names(self, decl: Decl) -> tuple[str, ...]:
        """The attribute and nested-block names a resource writes (meta-arguments excluded)."""
        return decl.names

    def resource_body(self, decl: Decl, key: Any) -> dict[str, Any]:
        return {name: self.resource_attr(decl, key, name) for name in self.resource_names(decl)}

    def resource_object(self, decl: Decl, key: Any) -> ResourceObject:
        values = self.resource_body(decl, key)
        address = f"{self.prefix}{decl.key}{index_suffix(key)}"
        for computed in ("id", "arn") if decl.mode == "managed" else ():
            values.setdefault(computed, self.resource_attr(decl, key, computed))
        if decl.type == "aws_s3_bucket" and decl.mode == "managed":
            values["bucket"] = self.resource_attr(decl, key, "bucket")
        if decl.type == "aws_iam_policy_document" and decl.mode == "data":
            values["json"] = self.resource_attr(decl, key, "json")
        return ResourceObject(address, values)

    # -- nested blocks

    def eval_block_group(self, blocks: list[Block], scope: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for block in blocks:
            if block.type == "dynamic":
                out.extend(self._dynamic(block, scope))
            elif block.labels:
                wrapped: Any = self.eval_body(block, scope)
                for label in reversed(block.labels):
                    wrapped = {label: wrapped}
                out.append(wrapped)
            else:
                out.append(self.eval_body(block, scope))
        return out

    def eval_body(self, block: Block, scope: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for attribute in block.attributes:
            body[attribute.name] = self.eval(attribute.expr, scope)
        for name, group in self.module.block_groups(block).items():
            body[name] = self.eval_block_group(group, scope)
        return body

    def _dynamic(self, block: Block, scope: dict[str, Any]) -> list[Any]:
        label = block.labels[0] if block.labels else "dynamic"
        for_each = block.attribute("for_each")
        content = next((b for b in block.blocks if b.type == "content"), None)
        if for_each is None or content is None:
            return [Unresolved(f"dynamic {label!r}", "dynamic block without for_each or content")]
        iterator_attr = block.attribute("iterator")
        iterator = label
        if iterator_attr is not None and isinstance(iterator_attr.expr, (Name, Traversal)):
            iterator = iterator_attr.expr.name if isinstance(iterator_attr.expr, Name) else iterator_attr.text
        collection = self.eval(for_each.expr, scope)
        if is_opaque(collection) or (isinstance(collection, list) and any(is_opaque(v) for v in collection)):
            return [Unresolved(f"dynamic {label!r} for_each = {for_each.text}",
                               f"the blocks are not known ({_reason(first_opaque(collection))})")]
        if not isinstance(collection, (list, dict)):
            return [Unresolved(f"dynamic {label!r} for_each = {for_each.text}", "for_each is not a collection")]
        out: list[Any] = []
        for key, item in _iterate(collection):
            inner = dict(scope)
            inner[iterator] = {"key": key, "value": item}
            out.append(self.eval_body(content, inner))
        return out

    # -- variables, locals, outputs

    def var(self, name: str) -> Any:
        value = self._vars.get(name, _MISSING)
        if value is _MISSING:
            value = self._compute_once(self._vars, name, lambda: (f"{self.prefix}var.{name}", self._var_where(name)),
                                       lambda: self._var_value(name))
        return value

    def _var_where(self, name: str) -> tuple[str, int | None]:
        declared = self.module.variables.get(name)
        return (declared.file, declared.block.line) if declared else (self.module.dir, None)

    def _var_value(self, name: str) -> Any:
        value = self._given_var_value(name)
        declared = self.module.variables.get(name)
        if value is None and declared is not None and _not_nullable(declared):
            default = declared.block.attribute("default")
            if default is not None:  # `nullable = false`: a null from the caller takes the default
                value = self.eval(default.expr, {})
        type_attr = declared.block.attribute("type") if declared is not None else None
        if type_attr is None:
            return value
        return convert_to_type(value, type_attr.expr, lambda expr: self.eval(expr, {}))

    def _given_var_value(self, name: str) -> Any:
        declared = self.module.variables.get(name)
        if self.call is not None:
            call_name, call_decl, call_key = self.call
            attribute = call_decl.block.attribute(name)
            if attribute is not None and name not in MODULE_META_ARGS and self.parent is not None:
                parent = self.parent
                scope = parent.instance_scope(parent.module_instances(call_name), call_key)
                return parent.eval(attribute.expr, scope)
        elif name in self.var_values:
            return _convert_var(self.var_values[name], declared)
        if declared is not None:
            default = declared.block.attribute("default")
            if default is not None:
                return self.eval(default.expr, {})
        if declared is None:
            return EvalFailure(f"var.{name}", f"variable {name} is not declared")
        return Unresolved(f"var.{name}", f"variable {name} has no value")

    def local(self, name: str) -> Any:
        value = self._locals.get(name, _MISSING)
        if value is not _MISSING:
            return value
        declared = self.module.locals.get(name)
        if declared is None:
            return EvalFailure(f"local.{name}", f"local value {name} is not declared")
        return self._compute_once(self._locals, name,
                                  lambda: (f"{self.prefix}local.{name}", (declared.file, declared.attribute.line)),
                                  lambda: self.eval(declared.attribute.expr, {}))

    def output(self, name: str) -> Any:
        found = self._outputs.get(name, _MISSING)
        if found is not _MISSING:
            return found
        declared = self.module.outputs.get(name)
        if declared is None:
            return EvalFailure(f"output.{name}", f"module has no output {name}")
        value = declared.block.attribute("value")
        if value is None:
            return None
        return self._compute_once(self._outputs, name,
                                  lambda: (f"{self.prefix}output.{name}", (declared.file, declared.block.line)),
                                  lambda: self.eval(value.expr, {}))

    # -- module calls

    def module_instances(self, name: str) -> _Instances:
        found = self._module_sets.get(name)
        if found is None:
            declared = self.module.calls[name]
            found = self._compute_once(self._module_sets, name,
                                       lambda: (f"{self.prefix}module.{name}", (declared.file, declared.block.line)),
                                       lambda: self._count_instances(declared.block, f"module.{name}"))
        return _instances_or_unknown(found, self.module.calls[name].block)

    def child(self, name: str, key: Any) -> "Instance | ChildModule":
        cache_key = (name, _key_id(key))
        if cache_key in self._children:
            return self._children[cache_key]
        declared = self.module.calls[name]
        resolved = self.session.resolve_child(self, name, declared)
        result: Instance | ChildModule = resolved
        if resolved.module is not None:
            path = f"{self.prefix}module.{name}{index_suffix(key)}"
            result = Instance(self.session, resolved.module, path, self.root_dir, parent=self,
                              call=(name, declared, key), chain=self.chain, remote_dirs=self.remote_dirs)
        self._children[cache_key] = result
        return result

    def _module_ref(self, name: str, steps: tuple, scope: dict[str, Any], text: str) -> Any:
        if name not in self.module.calls:
            return EvalFailure(text, f"reference to undeclared module {name}")
        instances = self.module_instances(name)
        if instances.kind == "single":
            return self._apply(self._module_value(name, None, steps[:1], text), steps[1:], scope, text)
        if steps and steps[0][0] == "index":
            index = self.eval(steps[0][1], scope)
            if is_opaque(index) or instances.kind == "unknown":
                return Unknown(f"module.{name} instances are known only after apply")
            return self._apply(self._module_value(name, index, steps[1:2], text), steps[2:], scope, text)
        if instances.kind == "unknown":
            return Unknown(f"the instances of module.{name} are known only after apply ({instances.reason})")
        whole: Any = ([self._module_value(name, k, (), text) for k in instances.keys]
                      if instances.kind == "count"
                      else {k: self._module_value(name, k, (), text) for k in instances.keys})
        return self._apply(whole, steps, scope, text)

    def _module_value(self, name: str, key: Any, output_step: tuple, text: str) -> Any:
        child = self.child(name, key)
        if isinstance(child, ChildModule):
            return Unresolved(text, f"module {name} ({child.source}) is not analysed: {child.reason}")
        if output_step and output_step[0][0] == "attr":
            if output_step[0][1] not in child.module.outputs:
                return EvalFailure(text, f"module {name} has no output {output_step[0][1]}")
            return child.output(output_step[0][1])
        outputs = {out: child.output(out) for out in child.module.outputs}
        return outputs if not output_step else self._apply(outputs, output_step, {}, text)

    # -- references for linking

    def refs(self, expr: Any, scope: dict[str, Any]) -> list[str]:
        """The addresses ``expr`` refers to. Without a scope they depend only on this instance and
        ``expr``, so they are worked out once (unless a cycle or the depth limit cut them short)."""
        if scope:
            return self._collect_refs(expr, scope)
        cached = self._plain_refs.get(id(expr))
        if cached is not None:
            return list(cached[1])
        interruptions = self.session.interruptions
        found = self._collect_refs(expr, scope)
        if self.session.interruptions == interruptions:
            self._plain_refs[id(expr)] = (expr, found)  # the expression is kept, so its id stays its own
            return list(found)
        return found

    def _collect_refs(self, expr: Any, scope: dict[str, Any]) -> list[str]:
        found: list[str] = []
        for address in self._refs(expr, scope):
            if address not in found:
                found.append(address)
        return found

    def _refs(self, expr: Any, scope: dict[str, Any]) -> Iterator[str]:
        if isinstance(expr, Traversal):
            yield from self._traversal_refs(expr, scope)
            for step in expr.steps:
                yield from self._step_refs(step, scope)
            if not isinstance(expr.base, Name):
                yield from self._refs(expr.base, scope)
            return
        if isinstance(expr, ForExpr):
            yield from self._refs(expr.collection, scope)
            inner = dict(scope)
            for bound in (expr.key_var, expr.value_var):
                if bound:
                    inner[bound] = Unknown("for expression variable")
            for child in (expr.key, expr.value, expr.cond):
                if child is not None:
                    yield from self._refs(child, inner)
            return
        if isinstance(expr, Template):
            yield from self._template_refs(expr.parts, scope)
            return
        for child in _children(expr):
            yield from self._refs(child, scope)

    def _template_refs(self, parts: tuple, scope: dict[str, Any]) -> Iterator[str]:
        for part in parts:
            if isinstance(part, str):
                continue
            if isinstance(part, TemplateIf):
                yield from self._refs(part.cond, scope)
                yield from self._template_refs(part.then, scope)
                yield from self._template_refs(part.otherwise, scope)
            elif isinstance(part, TemplateFor):
                yield from self._refs(part.collection, scope)
                inner = dict(scope)
                for bound in (part.key_var, part.value_var):
                    if bound:
                        inner[bound] = Unknown("template for variable")
                yield from self._template_refs(part.body, inner)
            else:
                yield from self._refs(part, scope)

    def _step_refs(self, step: tuple, scope: dict[str, Any]) -> Iterator[str]:
        if step[0] == "index":
            yield from self._refs(step[1], scope)
        elif step[0] == "splat":
            for inner in step[1]:
                yield from self._step_refs(inner, scope)

    def _traversal_refs(self, expr: Traversal, scope: dict[str, Any]) -> Iterator[str]:
        if not isinstance(expr.base, Name):
            return
        root, steps = expr.base.name, expr.steps
        if root in scope or not steps or steps[0][0] != "attr":
            if root == "each" and "each" in scope and steps and steps[0] == ("attr", "value"):
                yield from scope.get("__each_refs__", ())
            return
        first = steps[0][1]
        if root == "var":
            yield from self.var_refs(first)
        elif root == "local":
            yield from self.local_refs(first)
        elif root == "module":
            yield from self.module_refs(first, steps[1:], scope)
        elif root == "data":
            if len(steps) > 1 and steps[1][0] == "attr":
                yield from self._resource_addresses(f"data.{first}.{steps[1][1]}", steps[2:], scope)
        elif root not in _SCOPE_ROOTS:
            yield from self._resource_addresses(f"{root}.{first}", steps[1:], scope)

    def _resource_addresses(self, key: str, steps: tuple, scope: dict[str, Any]) -> Iterator[str]:
        decl = self.module.resources.get(key)
        base = f"{self.prefix}{key}"
        if decl is None:
            yield base
            return
        instances = self.instances(decl)
        if steps and steps[0][0] == "index" and instances.kind != "single":
            index = self.eval(steps[0][1], scope)
            yield base + ("[*]" if is_opaque(index) or isinstance(index, (list, dict)) else index_suffix(index))
        elif instances.kind in ("count", "for_each") and not (steps and steps[0][0] == "index"):
            for k in instances.keys:  # the whole resource (or a splat of it): every instance
                yield base + index_suffix(k)
        elif instances.kind == "unknown":
            yield base + "[*]"
        else:
            yield base

    def var_refs(self, name: str) -> list[str]:
        if self.call is None or self.parent is None:
            return []
        call_name, call_decl, call_key = self.call
        attribute = call_decl.block.attribute(name)
        if attribute is None or name in MODULE_META_ARGS:
            return []
        parent = self.parent
        memo_key = (call_name, _key_id(call_key), name)
        found = parent._var_refs.get(memo_key, _MISSING)
        if found is _MISSING:
            found = parent._compute_once(parent._var_refs, memo_key,
                                         lambda: (f"{self.prefix}var.{name} (references)",
                                                  (call_decl.file, attribute.line)),
                                         lambda: parent.refs(attribute.expr, parent.instance_scope(
                                             parent.module_instances(call_name), call_key)))
        return found

    def local_refs(self, name: str) -> list[str]:
        result = self._local_refs.get(name, _MISSING)
        if result is _MISSING:
            declared = self.module.locals.get(name)
            if declared is None:
                return []
            result = self._compute_once(self._local_refs, name,
                                        lambda: (f"{self.prefix}local.{name} (references)",
                                                 (declared.file, declared.attribute.line)),
                                        lambda: self.refs(declared.attribute.expr, {}))
        return result if isinstance(result, list) else []

    def module_refs(self, name: str, steps: tuple, scope: dict[str, Any]) -> list[str]:
        if name not in self.module.calls:
            return []
        instances = self.module_instances(name)
        key: Any = None
        if instances.kind != "single":
            if not steps or steps[0][0] != "index":
                return [f"{self.prefix}module.{name}"]
            key = self.eval(steps[0][1], scope)
            steps = steps[1:]
            if is_opaque(key):
                return [f"{self.prefix}module.{name}[*]"]
        child = self.child(name, key)
        if isinstance(child, ChildModule):
            return [f"{self.prefix}module.{name}{index_suffix(key)}"]
        outputs = [steps[0][1]] if steps and steps[0][0] == "attr" else list(child.module.outputs)
        found: list[str] = []
        for output in outputs:
            declared = child.module.outputs.get(output)
            value = declared.block.attribute("value") if declared else None
            if value is None:
                continue
            refs = child._output_refs.get(output, _MISSING)
            if refs is _MISSING:
                refs = child._compute_once(child._output_refs, output,
                                           lambda o=output, d=declared: (f"{child.prefix}output.{o} (references)",
                                                                         (d.file, d.block.line)),
                                           lambda v=value: child.refs(v.expr, {}))
            found.extend(refs if isinstance(refs, list) else [])
        return found

    def attribute_refs(self, decl: Decl, key: Any) -> dict[str, list[str]]:
        scope = self.resource_scope(decl, key)
        for_each = decl.block.attribute("for_each")
        if for_each is not None:
            each_refs = self.refs(for_each.expr, {})
            chained = _bare_resource_key(for_each.expr)
            if chained is not None and chained in self.module.resources and not isinstance(key, Unknown):
                # for_each = aws_s3_bucket.b: each.value is the instance with the same key
                each_refs = [f"{self.prefix}{chained}{index_suffix(key)}"]
            scope["__each_refs__"] = each_refs
        refs: dict[str, list[str]] = {}
        for attribute in decl.referring:
            found = self.refs(attribute.expr, scope)
            if found:
                refs[attribute.name] = found
        if decl.blocks_refer:
            self._block_refs(decl.block, scope, "", refs)
        return refs

    def _block_refs(self, block: Block, scope: dict[str, Any], prefix: str, refs: dict[str, list[str]]) -> None:
        for name, group in self.module.block_groups(block).items():
            if name in RESOURCE_META_ARGS:
                continue
            for nested in group:
                inner_scope = scope
                body = nested
                if nested.type == "dynamic":
                    body = next((b for b in nested.blocks if b.type == "content"), None)
                    if body is None:
                        continue
                    inner_scope = dict(scope)
                    iterator = nested.attribute("iterator")
                    label = (iterator.text if iterator is not None else
                             (nested.labels[0] if nested.labels else "dynamic"))
                    inner_scope[label] = Unknown("dynamic block iterator")
                    for_each = nested.attribute("for_each")
                    if for_each is not None:
                        _extend(refs, f"{prefix}{name}", self.refs(for_each.expr, scope))
                for attribute in body.attributes:
                    found = self.refs(attribute.expr, inner_scope)
                    if found:
                        _extend(refs, f"{prefix}{name}.{attribute.name}", found)
                self._block_refs(body, inner_scope, f"{prefix}{name}.", refs)

    # -- file access (functions)

    def resolve_path(self, path: str) -> str:
        if os.path.isabs(path):
            return path
        candidate = os.path.normpath(path)
        if self.session.reads.test(EXISTS, candidate):
            return candidate
        return os.path.normpath(os.path.join(self.root_dir, path))


_NOT_SET = object()


def _bare_resource_key(expr: Any) -> str | None:
    """``aws_s3_bucket.b`` / ``data.x.y`` written alone -> its declaration key."""
    if not isinstance(expr, Traversal) or not isinstance(expr.base, Name):
        return None
    names = [arg for kind, arg in expr.steps if kind == "attr"]
    if len(names) != len(expr.steps):
        return None
    root = expr.base.name
    if root == "data" and len(names) == 2:
        return f"data.{names[0]}.{names[1]}"
    if root not in _SCOPE_ROOTS and len(names) == 1:
        return f"{root}.{names[0]}"
    return None


def _extend(refs: dict[str, list[str]], key: str, found: list[str]) -> None:
    bucket = refs.setdefault(key, [])
    for address in found:
        if address not in bucket:
            bucket.append(address)
    if not bucket:
        del refs[key]


_NO_GROUPS: Mapping[str, list[Block]] = MappingProxyType({})
_UNKNOWN_KEY = ("unknown",)  # every opaque instance key is one key in the memo tables
_MISSING = object()


def _key_id(key: Any) -> Any:
    return _UNKNOWN_KEY if isinstance(key, (Unknown, Unresolved)) else key


def block_groups(block: Block) -> dict[str, list[Block]]:
    """Nested blocks by type, in order; a ``dynamic "x"`` block joins the group ``x``."""
    groups: dict[str, list[Block]] = {}
    for nested in block.blocks:
        name = nested.labels[0] if nested.type == "dynamic" and nested.labels else nested.type
        groups.setdefault(name, []).append(nested)
    return groups


def _iterate(collection: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(collection, dict):
        for key in sorted(collection):
            yield key, collection[key]
    elif isinstance(collection, list):
        yield from enumerate(collection)


def _index(value: Any, key: Any, text: str) -> Any:
    if isinstance(value, list):
        try:
            position = int(fn.to_number(key))
        except fn._Failure:
            return EvalFailure(text, f"a list index must be a number, not {key!r}")
        if 0 <= position < len(value):
            return value[position]
        return EvalFailure(text, f"index {position} is out of range (length {len(value)})")
    if isinstance(value, dict):
        try:
            name = fn.to_string(key)
        except fn._Failure:
            return EvalFailure(text, "a map key must be a string")
        if name in value:
            return value[name]
        if isinstance(value, ResourceObject):
            return Unknown(f"{value.address}.{name} is known only after apply")
        return EvalFailure(text, f"no key {name!r}")
    return EvalFailure(text, f"a {fn.type_name(value)} cannot be indexed")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return left == right


def _reason(value: Any) -> str:
    if isinstance(value, Unknown):
        return value.reason
    if isinstance(value, Unresolved):
        return f"{value.expr}: {value.reason}"
    return "not known"


def _computed_attributes(mode: str, rtype: str) -> frozenset[str] | None:
    """Attributes whose value the evaluator derives itself rather than reading what is written
    (None: every attribute)."""
    if mode == "managed" and rtype == "aws_s3_bucket":
        return frozenset({"id", "bucket", "arn"})
    if mode == "data" and rtype == "aws_iam_policy_document":
        return frozenset({"json", "minified_json"})
    if mode == "data" and rtype == "aws_caller_identity":
        return None
    return frozenset({"id"}) if mode == "data" else frozenset()


_REFERS = 1  # holds a reference (a traversal): the only source of linked addresses
_READS = 2  # holds a reference or a function call (``templatefile`` may read named values)


def _reads(expr: Any) -> int:
    """What an expression may read: a combination of _REFERS and _READS."""
    kind = type(expr)
    if kind is Lit or kind is Name:
        return 0
    if kind is Traversal:
        return _REFERS | _READS
    found = _READS if kind is Call else 0
    for child in _children(expr):
        found |= _reads(child)
        if found == _REFERS | _READS:
            break
    return found


def _blocks_reads(blocks: list[Block]) -> int:
    found = 0
    for block in blocks:
        for attribute in block.attributes:
            found |= _reads(attribute.expr)
        found |= _blocks_reads(list(block.blocks))
    return found


def _children(expr: Any) -> Iterator[Any]:
    kind = type(expr)
    if kind in (Lit, Name, Invalid) or expr is None:
        return
    if kind is Template:
        yield from _template_children(expr.parts)
    elif kind is Call:
        yield from expr.args
    elif kind is BinOp:
        yield expr.left
        yield expr.right
    elif kind is UnOp:
        yield expr.operand
    elif kind is Cond:
        yield expr.cond
        yield expr.then
        yield expr.otherwise
    elif kind is TupleExpr:
        yield from expr.items
    elif kind is ObjectExpr:
        for key, value in expr.items:
            yield key
            yield value
    elif kind is ForExpr:
        yield expr.collection
        yield expr.value
        if expr.key is not None:
            yield expr.key
        if expr.cond is not None:
            yield expr.cond


def _template_children(parts: tuple) -> Iterator[Any]:
    for part in parts:
        if isinstance(part, str):
            continue
        if isinstance(part, TemplateIf):
            yield part.cond
            yield from _template_children(part.then)
            yield from _template_children(part.otherwise)
        elif isinstance(part, TemplateFor):
            yield part.collection
            yield from _template_children(part.body)
        else:
            yield part


def _template_text(expr: Template) -> str:
    out: list[str] = []
    for part in expr.parts:
        out.append(part if isinstance(part, str) else "${" + _expr_text(part) + "}")
    return "".join(out)


def _expr_text(expr: Any) -> str:
    text = getattr(expr, "text", None)
    if isinstance(text, str):
        return text
    if isinstance(expr, Lit):
        return json.dumps(expr.value)
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, BinOp):
        return f"{_expr_text(expr.left)} {expr.op} {_expr_text(expr.right)}"
    if isinstance(expr, UnOp):
        return f"{expr.op}{_expr_text(expr.operand)}"
    if isinstance(expr, TupleExpr):
        return "[" + ", ".join(_expr_text(i) for i in expr.items) + "]"
    if isinstance(expr, ObjectExpr):
        return "{" + ", ".join(f"{_expr_text(k)} = {_expr_text(v)}" for k, v in expr.items) + "}"
    if isinstance(expr, Template):
        return json.dumps(_template_text(expr))
    return "expression"


def _not_nullable(declared: Declared) -> bool:
    attribute = declared.block.attribute("nullable")
    return attribute is not None and isinstance(attribute.expr, Lit) and attribute.expr.value is False


def _convert_var(value: Any, declared: Declared | None) -> Any:
    """``--var`` strings take the declared primitive type."""
    if not isinstance(value, str) or declared is None:
        return value
    type_attr = declared.block.attribute("type")
    type_name = type_attr.expr.name if type_attr is not None and isinstance(type_attr.expr, Name) else None
    try:
        if type_name == "number":
            return fn.to_number(value)
        if type_name == "bool":
            return fn.to_bool(value)
    except fn._Failure:
        return value
    return value


class _FileAccess:
    """What file functions may read: below the scan root (or the root / module folders), size-bounded."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance

    def resolve_path(self, path: str) -> str:
        return self.instance.resolve_path(path)

    def is_file(self, path: str) -> bool:
        return self.instance.session.reads.test(IS_FILE, path)

    def read_file(self, path: str, call: str) -> bytes | Unknown | Unresolved:
        session = self.instance.session
        reads = session.reads
        resolved = reads.realpath(self.resolve_path(path))
        # the folder the gate runs in, and the root module and module being evaluated (a scan of
        # /abs/infra from elsewhere still reads the files beside its .tf files)
        allowed = ([session.scan_root] if session.scan_root else []) + [self.instance.root_dir,
                                                                       self.instance.module.dir]
        if not any(_is_below(resolved, reads.realpath(folder)) for folder in allowed):
            return Unresolved(call, f"{path} is outside the scanned folder; not read")
        try:
            size = os.path.getsize(resolved)
            if size > session.max_file_size:
                reads.file(resolved)
                return Unresolved(call, f"file {path} is larger than {session.max_file_size} bytes; not read")
            with open(resolved, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            reads.file(resolved)
            if isinstance(exc, FileNotFoundError):
                return Unresolved(call, f"file {path} was not found")
            return Unresolved(call, f"file {path} could not be read: {exc.strerror}")
        reads.file(resolved, data)  # the bytes used, not a second read
        return data

    def render_template(self, text: str, variables: dict[str, Any], call: str) -> Any:
        expr = parse_template_text(text)
        return self.instance.eval(expr, dict(variables))


def _is_below(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# Output


def to_raw_tree(value: Any) -> Any:
    """Evaluated data -> a plain raw tree (lists, dicts, opaque leaves)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if isinstance(value, EvalFailure):
        return Unresolved(value.expr, value.reason, value.alternatives)
    if isinstance(value, Unresolved) and value.alternatives:
        return Unresolved(value.expr, value.reason, tuple(to_raw_tree(v) for v in value.alternatives))
    if isinstance(value, dict):
        return {str(k): to_raw_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_raw_tree(v) for v in value]
    if isinstance(value, _Handle):
        return Unknown(f"{value.decl.key} is known only after apply")
    return value
