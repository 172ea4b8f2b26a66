"""Terraform plan JSON (``terraform show -json PLANFILE``) -> raw resources.

Every ``resource_changes`` entry (managed and data) becomes a :class:`RawResource` whose ``attrs``
look like what the HCL loader produces for the same resource (Terraform attribute names, nested
blocks as lists of dicts), with :class:`~iacgate.values.Unknown` leaves where the plan says a value
is known only after apply. ``refs`` come from the plan's ``configuration`` section (see
:mod:`.references`), which is how a satellite whose ``bucket`` is unknown is tied to its bucket.
Root variables, provider configurations and root outputs are emitted too.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator

from ...raw import InputError, LoadResult, RawResource
from ...collector import collector_paused
from ...values import Unknown, Unresolved
from .changes import has_unknown, merge_unknown, note_derivations, planned_attrs, sensitive_paths
from .references import (ConfigModule, Instance, Resolver, format_module, index_configuration,
                         is_expression, parse_module_address)
from .stream import NotStreamable, read_plan

SUPPORTED_MAJOR_VERSIONS = ("0", "1")
SOURCE_KIND = "plan"
_BOM = b"\xef\xbb\xbf"


def _json_loads() -> Callable[[bytes], Any]:
    try:
        import orjson  # type: ignore[import-not-found]
    except ImportError:
        return json.loads
    return orjson.loads


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


# ------------------------------------------------------------------------------------ public API


def looks_like_plan(data: Any) -> bool:
    """A decoded document that is a plan: an object with ``format_version`` and ``planned_values``
    or ``resource_changes`` (a state file has ``values`` instead)."""
    return (isinstance(data, dict) and "format_version" in data
            and ("planned_values" in data or "resource_changes" in data))


def decode_plan(path: str, data: bytes | str) -> tuple[Any, InputError | None]:
    """Decode JSON (bytes, or text already decoded) with the cyclic garbage collector paused (big
    plans spend most of their decode time in it); orjson when importable, else the standard library."""
    loads = _json_loads()
    if isinstance(data, bytes) and data.startswith(_BOM):
        data = data[len(_BOM):]
    with collector_paused():
        try:
            if isinstance(data, bytes):
                encoding = json.detect_encoding(data)
                if encoding != "utf-8":  # UTF-16 / UTF-32, as Windows PowerShell redirection writes it
                    data = data.decode(encoding).encode("utf-8")
            return loads(data), None
        except json.JSONDecodeError as exc:  # orjson.JSONDecodeError is a subclass
            return None, InputError(path, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                    line=exc.lineno)
        except UnicodeDecodeError:
            return None, InputError(path, "invalid JSON: the file is not UTF-8 text")
        except RecursionError:
            return None, InputError(path, "invalid JSON: values are nested too deeply to read")
        except (ValueError, TypeError) as exc:
            return None, InputError(path, f"invalid JSON: {type(exc).__name__}")


def without_unread_parts(plan: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of a decoded plan without what loading never reads: ``prior_state``, and the
    resources of ``planned_values`` when ``resource_changes`` lists them (together about 40 % of a
    generated plan's JSON), freed before the resources are built once the caller lets go of the original."""
    kept = {key: value for key, value in plan.items() if key != "prior_state"}
    planned = kept.get("planned_values")
    if isinstance(kept.get("resource_changes"), list) and isinstance(planned, dict):
        kept["planned_values"] = {key: value for key, value in planned.items() if key != "root_module"}
    return kept


def load_plan_text(path: str, holder: list[bytes | str]) -> LoadResult | None:
    """Raw resources of the plan whose JSON text is ``holder``'s one item, read a piece at a time
    (:mod:`.stream`): each change becomes a resource as soon as it is decoded, and the parts loading
    never reads are dropped as they are read. The text is taken out of ``holder`` once read; None
    (the text left in place) when it is JSON but not a plan. Raises :class:`NotStreamable` (the text
    left in place) when the text has to be decoded whole: the result is then what
    :func:`decode_plan` and :func:`load_plan` make of it."""
    entries: list[tuple[Instance, RawResource, bool]] = []
    errors: list[InputError] = []

    def take_changes(changes: Iterator[Any]) -> None:
        entries.extend(_change_entries(path, changes, errors, too_deep=_raise))

    text = holder[0]
    if not isinstance(text, str):
        raise NotStreamable("bytes are decoded whole")
    with collector_paused():
        plan = read_plan(text, take_changes)
    del text
    if not looks_like_plan(plan):
        return None
    holder.clear()
    return load_plan(path, plan, (entries, errors))


def _raise(error: RecursionError) -> None:
    # How deep a value can be walked depends on the stack below the walk: a value too deep here is
    # left to the whole decode, which reports it as it always has.
    raise NotStreamable("values nested too deeply") from error


ChangeEntries = tuple[list[tuple[Instance, RawResource, bool]], list[InputError]]


def load_plan(path: str, plan: dict, changes: ChangeEntries | None = None) -> LoadResult:
    """Raw resources of a decoded plan, or the InputErrors that explain why it cannot be gated.
    ``changes``: the resources of its ``resource_changes`` and the errors met making them, when
    they were made as the plan was read (``plan`` then holds an empty list there)."""
    result = LoadResult(files=[path])
    if not looks_like_plan(plan):
        result.errors.append(InputError(
            path, "not a Terraform plan: expected a JSON object with format_version and "
                  "planned_values or resource_changes (the output of `terraform show -json PLANFILE`)"))
        return result
    header_error = _check_header(path, plan)
    if header_error is not None:
        result.errors.append(header_error)
        return result
    with collector_paused():
        _load(path, plan, result, changes)
    return result


# --------------------------------------------------------------------------------------- loading


def _check_header(path: str, plan: dict[str, Any]) -> InputError | None:
    version = plan.get("format_version")
    major = version.split(".", 1)[0] if isinstance(version, str) else None
    if major not in SUPPORTED_MAJOR_VERSIONS:
        if isinstance(version, str):
            shown = version[:40]
        elif version is None or isinstance(version, (bool, int, float)):
            shown = json.dumps(version)
        else:
            shown = f"of type {type(version).__name__}"
        return InputError(path, f"unsupported plan format_version {shown}")
    if plan.get("errored") is True:
        return InputError(path, "the plan is marked errored: Terraform failed while planning, so the "
                                "planned changes are incomplete; fix the plan before gating it")
    return None


def _load(path: str, plan: dict[str, Any], result: LoadResult, read: ChangeEntries | None) -> None:
    modules = index_configuration(plan.get("configuration"))
    changes = plan.get("resource_changes")
    if read is not None:
        entries, entry_errors = read
        result.errors.extend(entry_errors)
    elif isinstance(changes, list):
        entries = list(_change_entries(path, changes, result.errors))
    else:
        if "resource_changes" in plan:
            result.errors.append(InputError(path, "resource_changes is not a list"))
        entries = list(_planned_value_entries(path, plan, result.errors))
        if entries:
            result.errors.append(InputError(
                path, "the plan has no resource_changes: values known only after apply cannot be told "
                      "apart from absent ones (planned_values omits both)", kind="warning"))
    deferred = _list(plan.get("deferred_changes"))
    if deferred:
        result.errors.append(InputError(
            path, f"{len(deferred)} resource change(s) were deferred by Terraform and are not in this "
                  "plan; they were not analysed", kind="warning"))
    resolver = Resolver(modules, (instance for instance, _, _ in entries))
    written: dict[int, tuple[frozenset[str], dict[str, frozenset[str]]]] = {}  # by id of a configuration
    shared: dict[Any, Any] = {}  # one object for equal key sets, for equal block key maps
    for instance, resource, holds_unknown in entries:
        try:
            resource.refs = resolver.resource_refs(instance)
            if resource.refs and holds_unknown:
                resource.attrs = note_derivations(resource.attrs, resource.refs)
        except RecursionError:
            result.errors.append(InputError(path, f"{resource.address}: configuration nested too deeply"))
        resource.meta["config_address"] = instance.config_address
        config = resolver.config_of(instance)
        if config is not None:
            # Which arguments the configuration writes: a computed argument the configuration does
            # not set shows as unknown in the plan, which means "not configured here". The instances
            # of one configuration share them.
            if id(config) not in written:
                expressions = _dict(config.get("expressions"))
                keys, blocks = frozenset(expressions), _block_keys(expressions)
                written[id(config)] = (shared.setdefault(keys, keys),
                                       shared.setdefault(frozenset(blocks.items()), blocks))
            resource.meta["config_keys"], resource.meta["config_blocks"] = written[id(config)]
        if instance.module:
            resource.meta["module_source"] = resolver.module_sources(instance.module_path)
        result.resources.append(resource)
    result.resources.extend(_variables(path, plan, modules))
    result.resources.extend(_providers(path, plan))
    result.resources.extend(_outputs(path, plan, resolver))


def _block_keys(expressions: dict[str, Any]) -> dict[str, frozenset[str]]:
    """The arguments each nested block of the configuration writes (``metadata_options`` ->
    ``{"http_tokens"}``): a computed argument of a written block that the block leaves out shows
    as unknown in the plan, which means "not configured here" too."""
    blocks: dict[str, frozenset[str]] = {}
    for key, value in expressions.items():
        items = _list(value)
        if items and all(isinstance(item, dict) for item in items):
            blocks[key] = frozenset(name for item in items for name in item)
    return blocks


def _config_address(mode: str, resource_type: str, name: str) -> str:
    return f"data.{resource_type}.{name}" if mode == "data" else f"{resource_type}.{name}"


def _identity(path: str, entry: Any, where: str,
              errors: list[InputError]) -> tuple[str, str, str, str, Any, tuple] | None:
    """address, type, name, mode, index and module instance of a resource object, or None."""
    if not isinstance(entry, dict):
        errors.append(InputError(path, f"{where} is not a JSON object"))
        return None
    address, resource_type, name = entry.get("address"), entry.get("type"), entry.get("name")
    if not all(isinstance(v, str) and v for v in (address, resource_type, name)):
        errors.append(InputError(path, f"{where} has no address, type or name"))
        return None
    mode = entry.get("mode") if entry.get("mode") in ("managed", "data") else "managed"
    index = entry.get("index")
    if not isinstance(index, (int, str)) or isinstance(index, bool):
        index = None
    module_address = entry.get("module_address")
    if not isinstance(module_address, str):
        module_address = _module_prefix(address, mode, resource_type, name)
    module = parse_module_address(module_address)
    if module is None:
        errors.append(InputError(path, f"{where} ({address}): unreadable module address", kind="warning"))
        module = ()
    return address, resource_type, name, mode, index, module


def _module_prefix(address: str, mode: str, resource_type: str, name: str) -> str:
    """The module part of a resource address (``module.a[0]`` of ``module.a[0].aws_x.y["k"]``)."""
    marker = "." + _config_address(mode, resource_type, name)
    if address.startswith("module.") and marker in address:
        return address[:address.rindex(marker)]
    return ""


def _change_entries(path: str, changes: Iterable[Any], errors: list[InputError],
                    too_deep: Callable[[RecursionError], None] | None = None,
                    ) -> Iterator[tuple[Instance, RawResource, bool]]:
    """Each change as a resource, and whether its attributes hold a value known only after apply.
    A change whose values are nested too deeply to read is an input error, unless ``too_deep`` raises."""
    for position, entry in enumerate(changes):
        identity = _identity(path, entry, f"resource_changes[{position}]", errors)
        if identity is None:
            continue
        address, resource_type, name, mode, index, module = identity
        change = _dict(entry.get("change"))
        actions = tuple(a for a in _list(change.get("actions")) if isinstance(a, str))
        if not actions:
            errors.append(InputError(path, f"{address}: the change lists no actions"))
        before = change.get("before") if isinstance(change.get("before"), dict) else None
        meta: dict[str, Any] = {}
        holds_unknown = False
        try:
            if "delete" in actions and "create" not in actions:
                attrs: dict[str, Any] = {}
            else:
                mask = change.get("after_unknown")
                attrs, all_unknown = planned_attrs(change.get("after"), mask, address)
                holds_unknown = all_unknown or has_unknown(mask)
                if all_unknown:
                    meta["after_unknown_all"] = True
            sensitive = tuple(dict.fromkeys((
                *sensitive_paths(change.get("after_sensitive"), change.get("after")),
                *sensitive_paths(change.get("before_sensitive"), before))))
            before = _shared_if_equal(before, attrs, actions, holds_unknown)
        except RecursionError as exc:
            if too_deep is not None:
                too_deep(exc)
            errors.append(InputError(path, f"{address}: values are nested too deeply to read"))
            continue
        for key in ("previous_address", "action_reason", "deposed", "provider_name"):
            if isinstance(entry.get(key), str):
                meta[key] = entry[key]
        resource = RawResource(
            address=address, type=resource_type, name=name, source_kind=SOURCE_KIND, file=path,
            attrs=attrs, mode=mode, module=format_module(module), index=index, actions=actions,
            before=before, sensitive_paths=sensitive, meta=meta)
        config_address = _config_address(mode, resource_type, name)
        if config_address == address:  # a root module resource without count or for_each: one string
            config_address = address
        yield Instance(address, module, config_address, index), resource, holds_unknown


def _shared_if_equal(before: dict[str, Any] | None, attrs: dict[str, Any], actions: tuple[str, ...],
                     holds_unknown: bool) -> dict[str, Any] | None:
    """The prior value of a resource the plan leaves alone, as the planned value itself when the two
    are equal: one tree instead of two equal ones (neither is ever changed in place)."""
    if before is None or actions != ("no-op",) or holds_unknown or before is attrs:
        return before
    return attrs if before == attrs else before


def _planned_value_entries(path: str, plan: dict[str, Any],
                           errors: list[InputError]) -> Iterator[tuple[Instance, RawResource, bool]]:
    """Resources of ``planned_values`` (used only when the plan has no ``resource_changes``); planned
    values hold no after-apply markers."""
    pending = [(_dict(_dict(plan.get("planned_values")).get("root_module")), 0)]
    while pending:
        module_values, depth = pending.pop()
        for position, entry in enumerate(_list(module_values.get("resources"))):
            identity = _identity(path, entry, f"planned_values resource {position}", errors)
            if identity is None:
                continue
            address, resource_type, name, mode, index, module = identity
            values = entry.get("values")
            sensitive = tuple(dict.fromkeys(sensitive_paths(entry.get("sensitive_values"), values)))
            resource = RawResource(
                address=address, type=resource_type, name=name, source_kind=SOURCE_KIND, file=path,
                attrs=dict(values) if isinstance(values, dict) else {}, mode=mode,
                module=format_module(module), index=index,
                sensitive_paths=sensitive,
                meta={"planned_values_only": True})
            yield Instance(address, module, _config_address(mode, resource_type, name), index), resource, False
        if depth < 64:
            pending.extend((_dict(child), depth + 1) for child in _list(module_values.get("child_modules")))


# ------------------------------------------------------------------- variables, providers, outputs


def _variables(path: str, plan: dict[str, Any],
               modules: dict[tuple[str, ...], ConfigModule]) -> list[RawResource]:
    values = _dict(plan.get("variables"))
    root = modules.get(())
    declared = _dict(root.body.get("variables")) if root else {}
    out = []
    for name in dict.fromkeys((*declared, *values)):
        declaration = _dict(declared.get(name))
        attrs: dict[str, Any] = {}
        given = _dict(values.get(name))
        if "value" in given:
            attrs["value"] = given["value"]
        elif "default" in declaration:
            attrs["value"] = declaration["default"]
        if "default" in declaration:
            attrs["default"] = declaration["default"]
        sensitive = declaration.get("sensitive") is True
        attrs["sensitive"] = sensitive
        out.append(RawResource(
            address=f"var.{name}", type="variable", name=str(name), source_kind=SOURCE_KIND, file=path,
            attrs=attrs, mode="variable",
            sensitive_paths=tuple(k for k in ("value", "default") if k in attrs) if sensitive else ()))
    return out


def _expression_value(node: Any, depth: int = 0) -> Any:
    """A provider argument from the configuration: its constant value, nested blocks as lists of
    dicts, and an Unresolved leaf for an expression that is not a constant."""
    if depth > 64:
        return Unresolved("<expression>", "nested too deeply")
    if isinstance(node, list):
        return [_block_values(block, depth + 1) for block in node if isinstance(block, dict)]
    if not isinstance(node, dict):
        return Unresolved("<expression>", "not an expression object")
    if not is_expression(node):
        return [_block_values(node, depth + 1)]
    if "constant_value" in node:
        return node["constant_value"]
    references = [r for r in _list(node.get("references")) if isinstance(r, str)]
    if references:
        return Unresolved(references[0], "the plan records only the references of this expression, "
                                         "not its value")
    return Unresolved("<expression>", "the plan does not record the value of this expression")


def _block_values(block: dict[str, Any], depth: int) -> dict[str, Any]:
    return {str(k): _expression_value(v, depth + 1) for k, v in block.items()}


def _providers(path: str, plan: dict[str, Any]) -> list[RawResource]:
    out = []
    for key, config in _dict(_dict(plan.get("configuration")).get("provider_config")).items():
        if not isinstance(config, dict):
            continue
        name = _string(config.get("name")) or str(key).split(":")[-1].split(".")[0]
        alias = _string(config.get("alias")) or None
        module_address = _string(config.get("module_address"))
        if module_address and "expressions" not in config:
            continue  # a module's implicit reference to a provider passed from its caller
        local = f"provider.{name}" + (f".{alias}" if alias else "")
        address = f"{module_address}.{local}" if module_address else local
        attrs = _block_values(_dict(config.get("expressions")), 0)
        meta = {"full_name": config["full_name"]} if isinstance(config.get("full_name"), str) else {}
        out.append(RawResource(
            address=address, type=name, name=alias or name, source_kind=SOURCE_KIND, file=path,
            attrs=attrs, mode="provider", module=module_address, meta=meta))
    return out


def _outputs(path: str, plan: dict[str, Any], resolver: Resolver) -> list[RawResource]:
    root = resolver.modules.get(())
    declared = _dict(root.body.get("outputs")) if root else {}
    changes = _dict(plan.get("output_changes"))
    planned = _dict(_dict(plan.get("planned_values")).get("outputs"))
    out = []
    for name in dict.fromkeys((*declared, *changes, *planned)):
        address = f"output.{name}"
        declaration, planned_value = _dict(declared.get(name)), _dict(planned.get(name))
        change = changes.get(name)
        actions: tuple[str, ...] = ()
        value_mask: Any = None
        if isinstance(change, dict):
            actions = tuple(a for a in _list(change.get("actions")) if isinstance(a, str))
            value = merge_unknown(change.get("after"), change.get("after_unknown"), address)
            if "after" not in change and value is None and "delete" not in actions:
                value = Unknown(f"{address} is known only after apply")
            value_mask = change.get("after_sensitive")
        elif "value" in planned_value:
            value = planned_value["value"]
            value_mask = planned_value.get("sensitive")
        else:
            value = Unknown(f"{address} is known only after apply")
        sensitive = (declaration.get("sensitive") is True or planned_value.get("sensitive") is True
                     or value_mask is True)
        attrs: dict[str, Any] = {"value": value, "sensitive": sensitive}
        paths = ("value",) if sensitive else tuple(sensitive_paths(value_mask, None, "value"))
        refs = resolver.root_expression_refs(declaration.get("expression"))
        out.append(RawResource(
            address=address, type="output", name=str(name), source_kind=SOURCE_KIND, file=path,
            attrs=attrs, refs={"value": refs} if refs else {}, mode="output", actions=actions,
            sensitive_paths=paths))
    return out
