"""Links between plan resources, read from the plan's ``configuration`` section.

A satellite resource (a public access block, a bucket policy) often has a ``bucket`` argument that
is unknown until apply. The configuration still records which objects each expression refers to
(``"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]``); this module maps those
module-relative references to the instance addresses used in ``resource_changes``:

- a resource in a module refers to resources of the *same module instance*
  (``module.m[0].aws_s3_bucket_public_access_block.this`` -> ``module.m[0].aws_s3_bucket.this``);
- ``aws_s3_bucket.b[0]`` names one instance; a reference without a static key
  (``aws_s3_bucket.b[count.index]``, ``each.value`` of ``for_each = aws_s3_bucket.b``) links
  count/for_each twins by equal index, else the only instance, else every instance;
- ``module.m.out`` follows the child module's output expression to the resources inside it;
- ``var.x`` inside a module follows the calling module block's argument to the caller's resources.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

# A module instance path: ((call name, instance key or None), ...); () is the root module.
ModuleInstance = tuple[tuple[str, Any], ...]
# A module path without instance keys: (call name, ...).
ModulePath = tuple[str, ...]

MAX_DEPTH = 64
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INTEGER = re.compile(r"-?[0-9]+")
_NOT_RESOURCES = frozenset({"var", "local", "each", "count", "path", "terraform", "self"})
_JSON_STRING = json.JSONDecoder()


# ------------------------------------------------------------------------------ reference syntax


def parse_traversal(text: str) -> list[tuple[str, Any]] | None:
    """``module.m[0].out`` -> ``[("attr","module"), ("attr","m"), ("key",0), ("attr","out")]``.

    ``("splat", None)`` stands for ``[*]``. Returns None for text that is not a traversal."""
    steps: list[tuple[str, Any]] = []
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char == "." and steps:
            match = _NAME.match(text, position + 1)
            if match is None:
                if text.startswith(".*", position):
                    steps.append(("splat", None))
                    position += 2
                    continue
                return None
            steps.append(("attr", match.group()))
            position = match.end()
        elif char == "[" and steps:
            if text.startswith("[*]", position):
                steps.append(("splat", None))
                position += 3
                continue
            if text.startswith('["', position):
                try:
                    key, end = _JSON_STRING.raw_decode(text, position + 1)
                except ValueError:
                    return None
            else:
                match = _INTEGER.match(text, position + 1)
                if match is None:
                    return None
                key, end = int(match.group()), match.end()
            if not text.startswith("]", end):
                return None
            steps.append(("key", key))
            position = end + 1
        elif not steps:
            match = _NAME.match(text, 0)
            if match is None:
                return None
            steps.append(("attr", match.group()))
            position = match.end()
        else:
            return None
    return steps or None


def format_key(key: Any) -> str:
    """An instance key as Terraform prints it in an address: ``[0]`` or ``["name"]``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    return "[" + json.dumps(str(key), ensure_ascii=False) + "]"


def format_module(instance: Iterable[tuple[str, Any]]) -> str:
    return ".".join(f"module.{name}" + ("" if key is None else format_key(key)) for name, key in instance)


def parse_module_address(text: str) -> ModuleInstance | None:
    """``module.a[0].module.b`` -> ``(("a", 0), ("b", None))``; "" -> ``()``."""
    if not text:
        return ()
    steps = parse_traversal(text)
    if steps is None:
        return None
    instance: list[tuple[str, Any]] = []
    position = 0
    while position < len(steps):
        if (steps[position] != ("attr", "module") or position + 1 >= len(steps)
                or steps[position + 1][0] != "attr"):
            return None
        name = steps[position + 1][1]
        position += 2
        key = None
        if position < len(steps) and steps[position][0] == "key":
            key = steps[position][1]
            position += 1
        instance.append((name, key))
    return tuple(instance)


@dataclass(frozen=True, slots=True)
class ResourceRef:
    config_address: str  # module-relative, without key: aws_s3_bucket.b / data.x.y
    key: Any = None
    keyed: bool = False


@dataclass(frozen=True, slots=True)
class OutputRef:
    call: str
    output: str | None  # None: the whole module object (``module.m[count.index].out`` is recorded so)
    key: Any = None
    keyed: bool = False


@dataclass(frozen=True, slots=True)
class VariableRef:
    name: str


@dataclass(frozen=True, slots=True)
class EachValueRef:
    pass


Reference = ResourceRef | OutputRef | VariableRef | EachValueRef


def classify_reference(text: str) -> Reference | None:
    """What a configuration reference string points at, or None when it is not followed."""
    steps = parse_traversal(text) if isinstance(text, str) else None
    if not steps or steps[0][0] != "attr":
        return None
    names = steps[1:]
    root = steps[0][1]

    def attr(i: int) -> str | None:
        return names[i][1] if i < len(names) and names[i][0] == "attr" else None

    def key_at(i: int) -> tuple[Any, bool]:
        if i < len(names) and names[i][0] == "key":
            return names[i][1], True
        return None, False

    if root == "module":
        call = attr(0)
        if call is None:
            return None
        key, keyed = key_at(1)
        return OutputRef(call, attr(2 if keyed else 1), key, keyed)
    if root == "var":
        name = attr(0)
        return VariableRef(name) if name else None
    if root == "each":
        return EachValueRef() if attr(0) == "value" else None
    if root in _NOT_RESOURCES:
        return None
    if root == "data":
        data_type, data_name = attr(0), attr(1)
        if data_type is None or data_name is None:
            return None
        key, keyed = key_at(2)
        return ResourceRef(f"data.{data_type}.{data_name}", key, keyed)
    name = attr(0)
    if name is None:
        return None
    key, keyed = key_at(1)
    return ResourceRef(f"{root}.{name}", key, keyed)


# ------------------------------------------------------------------------- configuration section


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_expression(node: dict[str, Any]) -> bool:
    """An expression object (``constant_value`` / ``references``), as opposed to a nested block."""
    return not node or "constant_value" in node or isinstance(node.get("references"), list)


def expression_references(expressions: Any, prefix: str = "",
                          out: dict[str, list[str]] | None = None,
                          depth: int = 0) -> dict[str, list[str]]:
    """Attribute name (``bucket``, nested ``rule.status``) -> the reference strings it holds."""
    out = {} if out is None else out
    if depth > MAX_DEPTH:
        return out
    for name, node in _dict(expressions).items():
        if isinstance(node, list):
            for block in node:
                expression_references(block, f"{prefix}{name}.", out, depth + 1)
        elif isinstance(node, dict):
            if is_expression(node):
                refs = [r for r in _list(node.get("references")) if isinstance(r, str)]
                if refs:
                    out.setdefault(prefix + str(name), []).extend(refs)
            else:
                expression_references(node, f"{prefix}{name}.", out, depth + 1)
    return out


@dataclass(slots=True)
class ConfigModule:
    """One module of the configuration (the root, or a module call's body)."""

    path: ModulePath
    sources: tuple[str, ...]  # the module call sources from the root to here
    body: dict[str, Any]
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # config address -> config


def index_configuration(configuration: Any) -> dict[ModulePath, ConfigModule]:
    """Every module of the configuration by its path, walking ``module_calls`` recursively."""
    modules: dict[ModulePath, ConfigModule] = {}
    pending: list[tuple[ModulePath, tuple[str, ...], Any]] = [
        ((), (), _dict(configuration).get("root_module"))]
    while pending:
        path, sources, body = pending.pop()
        body = _dict(body)
        module = ConfigModule(path, sources, body)
        for resource in _list(body.get("resources")):
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                module.resources[resource["address"]] = resource
        for name, call in _dict(body.get("module_calls")).items():
            if not isinstance(call, dict):
                continue
            module.calls[str(name)] = call
            if len(path) < MAX_DEPTH:
                source = call.get("source")
                pending.append(((*path, str(name)),
                                (*sources, source if isinstance(source, str) else ""),
                                call.get("module")))
        modules[path] = module
    return modules


# ------------------------------------------------------------------------------------ resolution


@dataclass(frozen=True, slots=True)
class Instance:
    """A resource instance of the plan, as the resolver needs it."""

    address: str
    module: ModuleInstance
    config_address: str  # module-relative, without key
    index: Any = None
    module_path: ModulePath = field(init=False, repr=False, compare=False)  # the module's names, without keys

    def __post_init__(self) -> None:  # resolution looks it up several times per instance
        object.__setattr__(self, "module_path", tuple(name for name, _ in self.module))

    @property
    def last_module_key(self) -> Any:
        return self.module[-1][1] if self.module else None


@dataclass(frozen=True, slots=True)
class _Scope:
    path: ModulePath
    instance: ModuleInstance | None  # None: any instance of ``path`` (key not known statically)


class Resolver:
    """Maps configuration references to plan instance addresses."""

    def __init__(self, modules: dict[ModulePath, ConfigModule], instances: Iterable[Instance]) -> None:
        self.modules = modules
        self.instances: dict[tuple[ModulePath, str], list[Instance]] = {}
        for instance in instances:
            self.instances.setdefault((instance.module_path, instance.config_address), []).append(instance)
        self._expression_refs: dict[tuple[ModulePath, str], dict[str, list[str]]] = {}
        self._classified: dict[str, Reference | None] = {}

    def _classify(self, text: str) -> Reference | None:
        try:
            return self._classified[text]
        except KeyError:
            ref = self._classified[text] = classify_reference(text)
            return ref

    def config_of(self, instance: Instance) -> dict[str, Any] | None:
        module = self.modules.get(instance.module_path)
        return module.resources.get(instance.config_address) if module else None

    def module_sources(self, path: ModulePath) -> list[str]:
        module = self.modules.get(path)
        return list(module.sources) if module else []

    def resource_refs(self, instance: Instance) -> dict[str, list[str]]:
        """``refs`` for a resource instance: attribute -> referenced instance addresses."""
        config = self.config_of(instance)
        if config is None:
            return {}
        cache_key = (instance.module_path, instance.config_address)
        by_attribute = self._expression_refs.get(cache_key)
        if by_attribute is None:
            by_attribute = expression_references(config.get("expressions"))
            self._expression_refs[cache_key] = by_attribute
        for_each = _list(_dict(config.get("for_each_expression")).get("references"))
        scope = _Scope(instance.module_path, instance.module)
        out: dict[str, list[str]] = {}
        for attribute, texts in by_attribute.items():
            addresses = self.resolve(texts, scope, instance.index, for_each)
            if addresses:
                out[attribute] = addresses
        return out

    def root_expression_refs(self, expression: Any) -> list[str]:
        """Addresses referenced by one expression object of the root module (an output's value)."""
        texts = [r for r in _list(_dict(expression).get("references")) if isinstance(r, str)]
        return self.resolve(texts, _Scope((), ()), None, [])

    def resolve(self, texts: Iterable[str], scope: _Scope, twin: Any,
                for_each: list[Any], depth: int = 0) -> list[str]:
        return list(dict.fromkeys(self._resolve(texts, scope, twin, for_each, depth)))

    def _resolve(self, texts: Iterable[str], scope: _Scope, twin: Any,
                 for_each: list[Any], depth: int) -> Iterator[str]:
        if depth > MAX_DEPTH:
            return
        # Resource references are grouped so that `aws_s3_bucket.c[0]` wins over a plain
        # `aws_s3_bucket.c` listed next to it (Terraform lists every prefix of a traversal).
        groups: dict[str, None] = {}
        keyed: dict[str, list[Any]] = {}
        followed_calls: set[str] = set()
        whole_modules: list[OutputRef] = []
        for text in texts:
            ref = self._classify(text)
            if isinstance(ref, ResourceRef):
                groups.setdefault(ref.config_address, None)
                if ref.keyed:
                    keyed.setdefault(ref.config_address, []).append(ref.key)
            elif isinstance(ref, OutputRef) and ref.output is None:
                whole_modules.append(ref)
            elif isinstance(ref, OutputRef):
                followed_calls.add(ref.call)
                yield from self._follow_output(ref, scope, twin, depth)
            elif isinstance(ref, VariableRef):
                yield from self._follow_variable(ref, scope, twin, depth)
            elif isinstance(ref, EachValueRef) and for_each:
                yield from self._resolve([t for t in for_each if isinstance(t, str)], scope, twin, [],
                                         depth + 1)
        for config_address in groups:
            yield from self._select(scope, config_address, keyed.get(config_address, []), twin)
        for ref in whole_modules:
            if ref.call not in followed_calls:
                followed_calls.add(ref.call)
                yield from self._follow_whole_module(ref, scope, twin, depth)

    def _follow_whole_module(self, ref: OutputRef, scope: _Scope, twin: Any, depth: int) -> list[str]:
        """A reference to a whole module object (Terraform records ``module.m[count.index].out`` as
        ``module.m``): linked only when every output of the module leads to the same resources, so
        an ambiguous expression links nothing rather than the wrong object."""
        child = self.modules.get((*scope.path, ref.call))
        if child is None:
            return []
        results: set[tuple[str, ...]] = set()
        for output in _dict(child.body.get("outputs")):
            addresses = tuple(self._follow_output(OutputRef(ref.call, str(output), ref.key, ref.keyed),
                                                  scope, twin, depth))
            if addresses:
                results.add(tuple(dict.fromkeys(addresses)))
        return list(results.pop()) if len(results) == 1 else []

    def _follow_output(self, ref: OutputRef, scope: _Scope, twin: Any, depth: int) -> Iterator[str]:
        parent = self.modules.get(scope.path)
        call = parent.calls.get(ref.call) if parent else None
        child = self.modules.get((*scope.path, ref.call))
        if call is None or child is None:
            return
        repeated = "count_expression" in call or "for_each_expression" in call
        if scope.instance is None or (repeated and not ref.keyed):
            child_instance: ModuleInstance | None = None
        else:
            child_instance = (*scope.instance, (ref.call, ref.key if ref.keyed else None))
        output = _dict(_dict(child.body.get("outputs")).get(ref.output))
        texts = [t for t in _list(_dict(output.get("expression")).get("references")) if isinstance(t, str)]
        yield from self._resolve(texts, _Scope(child.path, child_instance), twin, [], depth + 1)

    def _follow_variable(self, ref: VariableRef, scope: _Scope, twin: Any, depth: int) -> Iterator[str]:
        if not scope.path:
            return  # a root variable holds a value, not a resource
        parent = self.modules.get(scope.path[:-1])
        call = parent.calls.get(scope.path[-1]) if parent else None
        if call is None:
            return
        argument = _dict(_dict(call.get("expressions")).get(ref.name))
        texts = [t for t in _list(argument.get("references")) if isinstance(t, str)]
        parent_instance = scope.instance[:-1] if scope.instance else None
        module_key = scope.instance[-1][1] if scope.instance else None
        parent_for_each = _list(_dict(call.get("for_each_expression")).get("references"))
        yield from self._resolve(texts, _Scope(parent.path, parent_instance),
                                 module_key if module_key is not None else twin,
                                 parent_for_each, depth + 1)

    def _select(self, scope: _Scope, config_address: str, keys: list[Any], twin: Any) -> list[str]:
        candidates = self.instances.get((scope.path, config_address), [])
        if scope.instance is not None:
            candidates = [c for c in candidates if c.module == scope.instance]
        if keys:
            chosen = [c.address for c in candidates if c.index in keys and c.index is not None]
            return chosen or [self._address(scope, config_address, key) for key in keys]
        if not candidates:
            return [self._address(scope, config_address, None)]
        if twin is not None:
            same = [c for c in candidates if c.index is not None and c.index == twin
                    and type(c.index) is type(twin)]
            if not same:
                same = [c for c in candidates if c.index is None and c.last_module_key == twin
                        and type(c.last_module_key) is type(twin)]
            if same:
                return [c.address for c in same]
        return [c.address for c in candidates]

    @staticmethod
    def _address(scope: _Scope, config_address: str, key: Any) -> str:
        """An address for a referenced object that has no change in the plan (e.g. a data source
        read during planning)."""
        module = (format_module(scope.instance) if scope.instance is not None
                  else ".".join(f"module.{name}" for name in scope.path))
        address = config_address + ("" if key is None else format_key(key))
        return f"{module}.{address}" if module else address
