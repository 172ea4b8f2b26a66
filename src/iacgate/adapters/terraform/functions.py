"""Terraform's built-in functions, as far as a static gate can evaluate them.

Values are raw-tree data (``dict`` for maps and objects, ``list`` for lists, tuples and sets,
``str``/``int``/``float``/``bool``/``None``) whose leaves may be :class:`Unknown` or
:class:`Unresolved`. A function that needs a value it cannot see returns that opaque value; a
function called with arguments Terraform would reject returns an :class:`EvalFailure` (which
``try()``/``can()`` catch, as Terraform does with errors).
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from ...values import Unknown, Unresolved, contains_opaque, is_opaque


class EvalFailure(Unresolved):
    """An expression Terraform itself would reject (missing key, bad argument): an error value."""

    __slots__ = ()


def first_opaque(value: Any) -> Unknown | Unresolved | None:
    """The first Unknown/Unresolved leaf of a value, or None when it is fully known."""
    if isinstance(value, (Unknown, Unresolved)):
        return value
    if isinstance(value, dict):
        for item in value.values():
            found = first_opaque(item)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for item in value:
            found = first_opaque(item)
            if found is not None:
                return found
    return None


def contains_failure(value: Any) -> bool:
    if isinstance(value, EvalFailure):
        return True
    if isinstance(value, dict):
        return any(contains_failure(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_failure(v) for v in value)
    return False


class FunctionContext(Protocol):
    def read_file(self, path: str, call: str) -> bytes | Unknown | Unresolved: ...

    def resolve_path(self, path: str) -> str: ...

    def is_file(self, path: str) -> bool: ...

    def render_template(self, text: str, variables: dict[str, Any], call: str) -> Any: ...


@dataclass(frozen=True)
class _Fn:
    impl: Callable[..., Any]
    known_args: bool = True  # return the first opaque argument instead of calling impl
    min_args: int = 0
    max_args: int | None = None
    needs_context: bool = False


class _Failure(Exception):
    pass


def call_function(name: str, args: list[Any], text: str, context: FunctionContext) -> Any:
    """Evaluate ``name(args...)``; ``text`` is the call as written (for opaque values)."""
    spec = FUNCTIONS.get(name)
    if spec is None:
        return Unresolved(text, f"function {name}() is not evaluated by the gate")
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        return EvalFailure(text, f"{name}() called with {len(args)} argument(s)")
    if spec.known_args:
        for arg in args:
            if isinstance(arg, EvalFailure):
                return arg
        for arg in args:
            found = first_opaque(arg)
            if found is not None:
                return found
    try:
        if spec.needs_context:
            return spec.impl(context, text, *args)
        return spec.impl(*args)
    except _Failure as exc:
        return EvalFailure(text, str(exc))
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
            ZeroDivisionError, re.error, UnicodeError) as exc:
        return EvalFailure(text, f"{name}() failed: {exc}")


# ---------------------------------------------------------------------------------------------
# Conversions


def to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if value is None:
        raise _Failure("a null value cannot be used as a string")
    raise _Failure(f"a {type_name(value)} cannot be used as a string")


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Failure("a bool cannot be used as a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return normalise_number(float(value))
            except ValueError:
                raise _Failure(f"{value!r} is not a number") from None
    raise _Failure(f"a {type_name(value)} cannot be used as a number")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise _Failure(f"{value!r} is not a bool")


def normalise_number(value: int | float) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 63:
        return int(value)
    return value


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    return "null" if value is None else type(value).__name__


def _list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    raise _Failure(f"expected a list, got a {type_name(value)}")


def _map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise _Failure(f"expected a map, got a {type_name(value)}")


def to_set(values: list[Any]) -> list[Any]:
    """Terraform sets: unique elements; strings sorted as Terraform does."""
    unique: list[Any] = []
    for item in values:
        if item not in unique:
            unique.append(item)
    if all(isinstance(v, str) for v in unique):
        return sorted(unique)
    return unique


# ---------------------------------------------------------------------------------------------
# JSON


def json_encode(value: Any) -> Any:
    """Terraform's jsonencode: compact JSON with sorted object keys; a value with opaque leaves is
    returned as the structure itself."""
    if contains_opaque(value):
        return value
    return json.dumps(_json_ready(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return normalise_number(value)
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _jsondecode(text: Any) -> Any:
    try:
        return _json_numbers(json.loads(to_string(text)))
    except json.JSONDecodeError as exc:
        raise _Failure(f"invalid JSON: {exc.msg}") from None


def _json_numbers(value: Any) -> Any:
    if isinstance(value, float):
        return normalise_number(value)
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Strings

# Terraform pads and joins to any size; the gate refuses sizes that only serve to exhaust memory.
MAX_FORMAT_WIDTH = 10_000
MAX_STRING_CHARS = 16 * 1024 * 1024
_FORMAT_RE = re.compile(r"%(%|[-+ #0]*\d*(?:\.\d+)?[vdsqftxXobeEgG])")


def _format(fmt: Any, *args: Any) -> str:
    fmt = to_string(fmt)
    values = list(args)
    position = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal position
        spec = m.group(1)
        if spec == "%":
            return "%"
        if position >= len(values):
            raise _Failure("format() has too few arguments")
        value = values[position]
        position += 1
        verb = spec[-1]
        flags = spec[:-1]
        if any(int(width) > MAX_FORMAT_WIDTH for width in re.findall(r"\d+", flags)):
            raise _Failure(f"format() width or precision above {MAX_FORMAT_WIDTH:,}")
        if verb in "vs":
            if verb == "v" and not isinstance(value, (str, int, float, bool)):
                return json_encode(value)
            return ("%" + flags + "s") % to_string(value)
        if verb == "q":
            return json.dumps(to_string(value))
        if verb == "t":
            return "true" if to_bool(value) else "false"
        if verb in "dxXob":
            number = int(to_number(value))
            return ("%" + flags + ("d" if verb == "d" else verb if verb != "b" else "s")) % (
                number if verb != "b" else bin(number)[2:])
        return ("%" + flags + verb) % float(to_number(value))

    return _FORMAT_RE.sub(repl, fmt)


def _formatlist(fmt: Any, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise _Failure("formatlist() lists must have the same length")
    count = lengths.pop() if lengths else 1
    return [_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(count)]


def _replace(text: Any, search: Any, replacement: Any) -> str:
    text, search, replacement = to_string(text), to_string(search), to_string(replacement)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        pattern = _go_regex(search[1:-1])
        go_repl = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", replacement.replace("\\", "\\\\"))
        return re.sub(pattern, go_repl, text)
    return text.replace(search, replacement)


def _go_regex(pattern: str) -> str:
    """RE2 syntax -> Python's, for the common subset."""
    return re.sub(r"\(\?P?<(\w+)>", r"(?P<\1>", pattern)


def _regex(pattern: Any, text: Any) -> Any:
    compiled = re.compile(_go_regex(to_string(pattern)))
    found = compiled.search(to_string(text))
    if found is None:
        raise _Failure("regex() found no match")
    if compiled.groupindex:
        return {k: found.group(k) for k in compiled.groupindex}
    if compiled.groups:
        return list(found.groups())
    return found.group(0)


def _regexall(pattern: Any, text: Any) -> list[Any]:
    compiled = re.compile(_go_regex(to_string(pattern)))
    out: list[Any] = []
    for found in compiled.finditer(to_string(text)):
        if compiled.groupindex:
            out.append({k: found.group(k) for k in compiled.groupindex})
        elif compiled.groups:
            out.append(list(found.groups()))
        else:
            out.append(found.group(0))
    return out


def _substr(text: Any, offset: Any, length: Any) -> str:
    text = to_string(text)
    offset, length = int(to_number(offset)), int(to_number(length))
    if offset < 0:
        offset += len(text)
    if length < 0:
        return text[offset:]
    return text[offset:offset + length]


def _split(sep: Any, text: Any) -> list[str]:
    text = to_string(text)
    return [""] if text == "" else text.split(to_string(sep))


def _join(sep: Any, *lists: Any) -> str:
    items: list[str] = []
    for value in lists:
        items.extend(to_string(v) for v in _list(value))
    separator = to_string(sep)
    if sum(map(len, items)) + len(separator) * max(len(items) - 1, 0) > MAX_STRING_CHARS:
        raise _Failure(f"join() would build a string above {MAX_STRING_CHARS:,} characters")
    return separator.join(items)


def _title(text: Any) -> str:
    return re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), to_string(text))


def _indent(spaces: Any, text: Any) -> str:
    if int(to_number(spaces)) > MAX_FORMAT_WIDTH:
        raise _Failure(f"indent() above {MAX_FORMAT_WIDTH:,} spaces")
    pad = " " * int(to_number(spaces))
    return to_string(text).replace("\n", "\n" + pad)


# ---------------------------------------------------------------------------------------------
# Collections


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in maps:
        if value is None:
            continue
        if is_opaque(value):
            return value  # type: ignore[return-value]
        out.update(_map(value))
    return out


def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for value in lists:
        if is_opaque(value):
            return value  # type: ignore[return-value]
        out.extend(_list(value))
    return out


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if is_opaque(mapping):
        return mapping
    if is_opaque(key):
        return key
    mapping = _map(mapping)
    key = to_string(key)
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise _Failure(f"lookup() found no key {key!r}")


def _element(values: Any, index: Any) -> Any:
    if is_opaque(values):
        return values
    if is_opaque(index):
        return index
    values = _list(values)
    if not values:
        raise _Failure("element() of an empty list")
    return values[int(to_number(index)) % len(values)]


def _length(value: Any) -> Any:
    if is_opaque(value):
        return value
    if isinstance(value, (str, list, tuple, dict)):
        return len(value)
    raise _Failure(f"length() of a {type_name(value)}")


def _keys(value: Any) -> Any:
    if is_opaque(value):
        return value
    return sorted(_map(value))


def _values(value: Any) -> Any:
    if is_opaque(value):
        return value
    mapping = _map(value)
    return [mapping[k] for k in sorted(mapping)]


def _coalesce(*values: Any) -> Any:
    for value in values:
        if is_opaque(value):
            return value
        if value is not None and value != "":
            return value
    raise _Failure("coalesce() has no non-null, non-empty argument")


def _coalescelist(*values: Any) -> Any:
    for value in values:
        if is_opaque(value):
            return value
        if _list(value):
            return value
    raise _Failure("coalescelist() has no non-empty list")


def _compact(values: Any) -> Any:
    if is_opaque(values):
        return values
    return [v for v in _list(values) if v is not None and v != ""]


def _distinct(values: Any) -> Any:
    if is_opaque(values):
        return values
    out: list[Any] = []
    for item in _list(values):
        if item not in out:
            out.append(item)
    return out


def _flatten(values: Any) -> Any:
    if is_opaque(values):
        return values
    out: list[Any] = []
    for item in _list(values):
        if isinstance(item, list):
            flat = _flatten(item)
            if is_opaque(flat):
                return flat
            out.extend(flat)
        else:
            out.append(item)
    return out


def _contains(values: Any, item: Any) -> Any:
    if is_opaque(values):
        return values
    values = _list(values) if not isinstance(values, dict) else list(values.values())
    if item in values:
        return True
    found = first_opaque(values) or first_opaque(item)
    return found if found is not None else False


def _tolist(values: Any) -> Any:
    if is_opaque(values):
        return values
    return _list(values)


def _toset(values: Any) -> Any:
    if is_opaque(values):
        return values
    return to_set(_list(values))


def _tomap(value: Any) -> Any:
    if is_opaque(value):
        return value
    return dict(_map(value))


def _zipmap(keys: Any, values: Any) -> Any:
    for value in (keys, values):
        if is_opaque(value):
            return value
    keys, values = _list(keys), _list(values)
    if len(keys) != len(values):
        raise _Failure("zipmap() lists must have the same length")
    return {to_string(k): v for k, v in zip(keys, values)}


def _one(values: Any) -> Any:
    if is_opaque(values):
        return values
    values = _list(values)
    if len(values) > 1:
        raise _Failure("one() of a list with more than one element")
    return values[0] if values else None


def _range(*args: Any) -> list[int | float]:
    numbers = [to_number(a) for a in args]
    if len(numbers) == 1:
        start, stop, step = 0, numbers[0], 1
    elif len(numbers) == 2:
        start, stop, step = numbers[0], numbers[1], 1 if numbers[1] >= numbers[0] else -1
    else:
        start, stop, step = numbers
    if step == 0 or abs((stop - start) / step) > 1024:
        raise _Failure("range() too long")
    out: list[int | float] = []
    value = start
    while (step > 0 and value < stop) or (step < 0 and value > stop):
        out.append(normalise_number(value))
        value += step
    return out


def _chunklist(values: Any, size: Any) -> Any:
    if is_opaque(values):
        return values
    values, size = _list(values), int(to_number(size))
    if size <= 0:
        return [values]
    return [values[i:i + size] for i in range(0, len(values), size)]


def _setunion(*sets: Any) -> Any:
    out: list[Any] = []
    for value in sets:
        if is_opaque(value):
            return value
        out.extend(_list(value))
    return to_set(out)


def _setintersection(first: Any, *rest: Any) -> Any:
    for value in (first, *rest):
        if is_opaque(value):
            return value
    out = [v for v in _list(first) if all(v in _list(r) for r in rest)]
    return to_set(out)


def _setsubtract(first: Any, second: Any) -> Any:
    return to_set([v for v in _list(first) if v not in _list(second)])


def _reverse(values: Any) -> Any:
    if is_opaque(values):
        return values
    return list(reversed(_list(values)))


def _sort(values: Any) -> Any:
    return sorted(to_string(v) for v in _list(values))


def _slice(values: Any, start: Any, end: Any) -> Any:
    if is_opaque(values):
        return values
    return _list(values)[int(to_number(start)):int(to_number(end))]


def _index(values: Any, item: Any) -> int:
    values = _list(values)
    if item not in values:
        raise _Failure("index() item not found")
    return values.index(item)


def _transpose(mapping: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in _map(mapping).items():
        for value in _list(values):
            out.setdefault(to_string(value), []).append(key)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _min(*values: Any) -> Any:
    return normalise_number(min(to_number(v) for v in values))


def _max(*values: Any) -> Any:
    return normalise_number(max(to_number(v) for v in values))


# ---------------------------------------------------------------------------------------------
# Encoding, hashing, network


def _base64decode(text: Any) -> str:
    try:
        return base64.b64decode(to_string(text), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise _Failure("base64decode() of text that is not base64-encoded UTF-8") from None


def _hash(algorithm: str) -> Callable[[Any], str]:
    def digest(text: Any) -> str:
        return hashlib.new(algorithm, to_string(text).encode("utf-8")).hexdigest()
    return digest


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    network = ipaddress.ip_network(to_string(prefix), strict=False)
    new_prefix = network.prefixlen + int(to_number(newbits))
    number = int(to_number(netnum))
    if new_prefix > network.max_prefixlen or number >= 2 ** int(to_number(newbits)) or number < 0:
        raise _Failure("cidrsubnet() arguments out of range")
    size = 2 ** (network.max_prefixlen - new_prefix)
    address = int(network.network_address) + number * size
    return str(ipaddress.ip_network((address, new_prefix)))


def _cidrhost(prefix: Any, hostnum: Any) -> str:
    network = ipaddress.ip_network(to_string(prefix), strict=False)
    number = int(to_number(hostnum))
    address = (network.broadcast_address + 1 + number) if number < 0 else network.network_address + number
    if address not in network:
        raise _Failure("cidrhost() host number out of range")
    return str(address)


def _cidrnetmask(prefix: Any) -> str:
    return str(ipaddress.ip_network(to_string(prefix), strict=False).netmask)


# ---------------------------------------------------------------------------------------------
# Files


def _file(ctx: FunctionContext, text: str, path: Any) -> Any:
    data = ctx.read_file(to_string(path), text)
    if is_opaque(data):
        return data
    try:
        return data.decode("utf-8")  # type: ignore[union-attr]
    except UnicodeDecodeError:
        raise _Failure(f"{path} is not UTF-8 text (use filebase64)") from None


def _filebase64(ctx: FunctionContext, text: str, path: Any) -> Any:
    data = ctx.read_file(to_string(path), text)
    if is_opaque(data):
        return data
    return base64.b64encode(data).decode("ascii")  # type: ignore[arg-type]


def _fileexists(ctx: FunctionContext, text: str, path: Any) -> Any:
    return ctx.is_file(ctx.resolve_path(to_string(path)))


def _templatefile(ctx: FunctionContext, text: str, path: Any, variables: Any) -> Any:
    data = ctx.read_file(to_string(path), text)
    if is_opaque(data):
        return data
    try:
        body = data.decode("utf-8")  # type: ignore[union-attr]
    except UnicodeDecodeError:
        raise _Failure(f"{path} is not UTF-8 text") from None
    return ctx.render_template(body, _map(variables), text)


def _file_digest(algorithm: str, encode: str) -> Callable[..., Any]:
    def digest(ctx: FunctionContext, text: str, path: Any) -> Any:
        data = ctx.read_file(to_string(path), text)
        if is_opaque(data):
            return data
        raw = hashlib.new(algorithm, data)  # type: ignore[arg-type]
        return base64.b64encode(raw.digest()).decode("ascii") if encode == "base64" else raw.hexdigest()
    return digest


def _unknown(what: str) -> Callable[..., Unknown]:
    def impl(*_args: Any) -> Unknown:
        return Unknown(f"{what} is known only after apply")
    return impl


FUNCTIONS: dict[str, _Fn] = {
    # JSON / encoding
    "jsonencode": _Fn(json_encode, known_args=False, min_args=1, max_args=1),
    "jsondecode": _Fn(_jsondecode, min_args=1, max_args=1),
    "yamlencode": _Fn(lambda v: json_encode(v), known_args=False, min_args=1, max_args=1),
    "base64encode": _Fn(lambda s: base64.b64encode(to_string(s).encode("utf-8")).decode("ascii"), min_args=1, max_args=1),
    "base64decode": _Fn(_base64decode, min_args=1, max_args=1),
    "urlencode": _Fn(lambda s: urllib.parse.quote(to_string(s), safe=""), min_args=1, max_args=1),
    "md5": _Fn(_hash("md5"), min_args=1, max_args=1),
    "sha1": _Fn(_hash("sha1"), min_args=1, max_args=1),
    "sha256": _Fn(_hash("sha256"), min_args=1, max_args=1),
    "sha512": _Fn(_hash("sha512"), min_args=1, max_args=1),
    "base64sha256": _Fn(lambda s: base64.b64encode(hashlib.sha256(to_string(s).encode()).digest()).decode(), min_args=1, max_args=1),
    # strings
    "format": _Fn(_format, min_args=1),
    "formatlist": _Fn(_formatlist, min_args=1),
    "join": _Fn(_join, min_args=2),
    "split": _Fn(_split, min_args=2, max_args=2),
    "lower": _Fn(lambda s: to_string(s).lower(), min_args=1, max_args=1),
    "upper": _Fn(lambda s: to_string(s).upper(), min_args=1, max_args=1),
    "title": _Fn(_title, min_args=1, max_args=1),
    "replace": _Fn(_replace, min_args=3, max_args=3),
    "substr": _Fn(_substr, min_args=3, max_args=3),
    "trimspace": _Fn(lambda s: to_string(s).strip(), min_args=1, max_args=1),
    "trim": _Fn(lambda s, c: to_string(s).strip(to_string(c)), min_args=2, max_args=2),
    "trimprefix": _Fn(lambda s, p: to_string(s).removeprefix(to_string(p)), min_args=2, max_args=2),
    "trimsuffix": _Fn(lambda s, p: to_string(s).removesuffix(to_string(p)), min_args=2, max_args=2),
    "chomp": _Fn(lambda s: to_string(s).rstrip("\r\n"), min_args=1, max_args=1),
    "indent": _Fn(_indent, min_args=2, max_args=2),
    "startswith": _Fn(lambda s, p: to_string(s).startswith(to_string(p)), min_args=2, max_args=2),
    "endswith": _Fn(lambda s, p: to_string(s).endswith(to_string(p)), min_args=2, max_args=2),
    "strcontains": _Fn(lambda s, p: to_string(p) in to_string(s), min_args=2, max_args=2),
    "regex": _Fn(_regex, min_args=2, max_args=2),
    "regexall": _Fn(_regexall, min_args=2, max_args=2),
    "strrev": _Fn(lambda s: to_string(s)[::-1], min_args=1, max_args=1),
    # conversions
    "tostring": _Fn(lambda v: None if v is None else to_string(v), min_args=1, max_args=1),
    "tonumber": _Fn(lambda v: None if v is None else to_number(v), min_args=1, max_args=1),
    "tobool": _Fn(lambda v: None if v is None else to_bool(v), min_args=1, max_args=1),
    "tolist": _Fn(_tolist, known_args=False, min_args=1, max_args=1),
    "list": _Fn(lambda *v: list(v), known_args=False),
    "toset": _Fn(_toset, known_args=False, min_args=1, max_args=1),
    "tomap": _Fn(_tomap, known_args=False, min_args=1, max_args=1),
    "map": _Fn(lambda *v: {to_string(v[i]): v[i + 1] for i in range(0, len(v) - 1, 2)}, known_args=False),
    "sensitive": _Fn(lambda v: v, known_args=False, min_args=1, max_args=1),
    "nonsensitive": _Fn(lambda v: v, known_args=False, min_args=1, max_args=1),
    # collections
    "merge": _Fn(_merge, known_args=False),
    "concat": _Fn(_concat, known_args=False),
    "lookup": _Fn(_lookup, known_args=False, min_args=2, max_args=3),
    "element": _Fn(_element, known_args=False, min_args=2, max_args=2),
    "length": _Fn(_length, known_args=False, min_args=1, max_args=1),
    "keys": _Fn(_keys, known_args=False, min_args=1, max_args=1),
    "values": _Fn(_values, known_args=False, min_args=1, max_args=1),
    "coalesce": _Fn(_coalesce, known_args=False, min_args=1),
    "coalescelist": _Fn(_coalescelist, known_args=False, min_args=1),
    "compact": _Fn(_compact, known_args=False, min_args=1, max_args=1),
    "distinct": _Fn(_distinct, known_args=False, min_args=1, max_args=1),
    "flatten": _Fn(_flatten, known_args=False, min_args=1, max_args=1),
    "contains": _Fn(_contains, known_args=False, min_args=2, max_args=2),
    "zipmap": _Fn(_zipmap, known_args=False, min_args=2, max_args=2),
    "one": _Fn(_one, known_args=False, min_args=1, max_args=1),
    "range": _Fn(_range, min_args=1, max_args=3),
    "chunklist": _Fn(_chunklist, known_args=False, min_args=2, max_args=2),
    "setunion": _Fn(_setunion, known_args=False, min_args=1),
    "setintersection": _Fn(_setintersection, known_args=False, min_args=1),
    "setsubtract": _Fn(_setsubtract, min_args=2, max_args=2),
    "reverse": _Fn(_reverse, known_args=False, min_args=1, max_args=1),
    "sort": _Fn(_sort, min_args=1, max_args=1),
    "slice": _Fn(_slice, known_args=False, min_args=3, max_args=3),
    "index": _Fn(_index, min_args=2, max_args=2),
    "transpose": _Fn(_transpose, min_args=1, max_args=1),
    "min": _Fn(_min, min_args=1),
    "max": _Fn(_max, min_args=1),
    "abs": _Fn(lambda n: abs(to_number(n)), min_args=1, max_args=1),
    "ceil": _Fn(lambda n: -int(-to_number(n) // 1), min_args=1, max_args=1),
    "floor": _Fn(lambda n: int(to_number(n) // 1), min_args=1, max_args=1),
    "signum": _Fn(lambda n: (to_number(n) > 0) - (to_number(n) < 0), min_args=1, max_args=1),
    "pow": _Fn(lambda a, b: normalise_number(float(to_number(a)) ** float(to_number(b))), min_args=2, max_args=2),
    "parseint": _Fn(lambda s, b: int(to_string(s), int(to_number(b))), min_args=2, max_args=2),
    # network
    "cidrsubnet": _Fn(_cidrsubnet, min_args=3, max_args=3),
    "cidrhost": _Fn(_cidrhost, min_args=2, max_args=2),
    "cidrnetmask": _Fn(_cidrnetmask, min_args=1, max_args=1),
    # files and paths
    "file": _Fn(_file, min_args=1, max_args=1, needs_context=True),
    "filebase64": _Fn(_filebase64, min_args=1, max_args=1, needs_context=True),
    "fileexists": _Fn(_fileexists, min_args=1, max_args=1, needs_context=True),
    "templatefile": _Fn(_templatefile, min_args=2, max_args=2, needs_context=True),
    "filemd5": _Fn(_file_digest("md5", "hex"), min_args=1, max_args=1, needs_context=True),
    "filesha1": _Fn(_file_digest("sha1", "hex"), min_args=1, max_args=1, needs_context=True),
    "filesha256": _Fn(_file_digest("sha256", "hex"), min_args=1, max_args=1, needs_context=True),
    "filebase64sha256": _Fn(_file_digest("sha256", "base64"), min_args=1, max_args=1, needs_context=True),
    "abspath": _Fn(lambda p: os.path.abspath(to_string(p)), min_args=1, max_args=1),
    "dirname": _Fn(lambda p: os.path.dirname(to_string(p)) or ".", min_args=1, max_args=1),
    "basename": _Fn(lambda p: os.path.basename(to_string(p)), min_args=1, max_args=1),
    "pathexpand": _Fn(lambda p: to_string(p), min_args=1, max_args=1),
    # known only after apply
    "timestamp": _Fn(_unknown("timestamp()"), known_args=False, max_args=0),
    "uuid": _Fn(_unknown("uuid()"), known_args=False, max_args=0),
    "plantimestamp": _Fn(_unknown("plantimestamp()"), known_args=False, max_args=0),
    "bcrypt": _Fn(_unknown("bcrypt()"), known_args=False, min_args=1),
}
