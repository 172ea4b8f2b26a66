"""CloudFormation templates (YAML or JSON) -> raw resources with resolved intrinsics and line spans.

Discovery calls :func:`parse_document` to sniff a ``.yaml`` / ``.json`` file, then hands the same
parsed document to :func:`load_cloudformation_document`, so each file is parsed once.
:func:`load_cloudformation` does both.

One :class:`~iacgate.raw.RawResource` per resource (``mode="managed"``) and per parameter
(``mode="parameter"``, ``type="AWS::CloudFormation::Parameter"``). Refs name resources of the
template only (not parameters). See :mod:`.intrinsics` for how intrinsics are resolved.
"""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ...raw import InputError, LoadResult, RawResource
from ...collector import collector_paused
from . import yaml_loader
from .intrinsics import Resolver

SOURCE_KIND = "cloudformation"
PARAMETER_TYPE = "AWS::CloudFormation::Parameter"
SPANNED_SECTIONS = ("Resources", "Parameters")
RESOURCE_TYPE_PREFIXES = ("AWS::", "Alexa::")
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
# `rain pkg` expands these resource types (YAML `!Rain::Module path`, JSON `{"Rain::Module": path}`).
RAIN_MODULE_KEYS = ("Fn::Rain::Module", "Rain::Module")

_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")
_YAML_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")

Span = tuple[int, int]


@dataclass
class CfnDocument:
    """A parsed YAML / JSON document with the line spans the loader needs.

    ``data`` is plain Python data (the first document of a YAML stream);
    ``spans[section][key]`` is the 1-based inclusive span of each entry of ``Resources`` and
    ``Parameters``; ``key_lines`` the line of each top-level key."""

    path: str
    data: Any
    format: str  # "yaml" | "json"
    spans: dict[str, dict[str, Span]] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[str, int | None]] = field(default_factory=list)
    # A YAML stream of several documents: the documents after the first (CloudFormation takes one
    # document per template; each is analysed as its own template).
    following: list["CfnDocument"] = field(default_factory=list)


class _JsonSpanError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


# ----------------------------------------------------------------------------------------- JSON


class _JsonReader:
    """Reads a JSON object top-down with the C decoder for every value, recording the offsets of
    the entries of chosen sections: exact spans at json's speed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.decoder = json.JSONDecoder()
        self._newlines: list[int] | None = None

    def line(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, offset) + 1

    def skip(self, index: int) -> int:
        return _JSON_WHITESPACE.match(self.text, index).end()  # type: ignore[union-attr]

    def expect(self, index: int, char: str) -> int:
        if index >= len(self.text) or self.text[index] != char:
            found = repr(self.text[index]) if index < len(self.text) else "end of file"
            raise _JsonSpanError(f"expected {char!r}, found {found}", index)
        return index + 1

    def value(self, index: int) -> tuple[Any, int]:
        try:
            return self.decoder.raw_decode(self.text, index)
        except json.JSONDecodeError as exc:
            raise _JsonSpanError(exc.msg, exc.pos) from None

    def entries(self, index: int, nested: tuple[str, ...] = ()) -> tuple[list["_JsonEntry"], int]:
        """The entries of the object at ``index``; the values of ``nested`` keys that are objects
        are read entry by entry too (their entries in ``_JsonEntry.children``)."""
        out: list[_JsonEntry] = []
        index = self.skip(self.expect(index, "{"))
        if index < len(self.text) and self.text[index] == "}":
            return out, index + 1
        while True:
            index = self.skip(index)
            if index >= len(self.text) or self.text[index] != '"':
                raise _JsonSpanError("expected a property name in double quotes", index)
            key_offset = index
            key, index = self.value(index)
            index = self.skip(self.expect(self.skip(index), ":"))
            if key in nested and self.text.startswith("{", index):
                children, index = self.entries(index)
                value: Any = {child.key: child.value for child in children}
                out.append(_JsonEntry(key, key_offset, value, index, children))
            else:
                value, index = self.value(index)
                out.append(_JsonEntry(key, key_offset, value, index))
            index = self.skip(index)
            if index < len(self.text) and self.text[index] == ",":
                index += 1
                continue
            return out, self.expect(index, "}")


@dataclass
class _JsonEntry:
    key: str
    offset: int
    value: Any
    end: int  # offset just after the value
    children: list["_JsonEntry"] | None = None


def _duplicate_warnings(entries: list[_JsonEntry], reader: _JsonReader, where: str) -> list[tuple[str, int]]:
    seen: set[str] = set()
    out: list[tuple[str, int]] = []
    for entry in entries:
        if entry.key in seen:
            out.append((f"duplicate key {entry.key!r}{where}; the last one is used", reader.line(entry.offset)))
        seen.add(entry.key)
    return out


def _parse_json(path: str, text: str) -> CfnDocument:
    reader = _JsonReader(text)
    start = reader.skip(0)
    if not text.startswith("{", start):
        data, end = reader.value(start)
        if reader.skip(end) != len(text):
            raise _JsonSpanError("extra data after the JSON value", reader.skip(end))
        return CfnDocument(path, data, "json")
    top, end = reader.entries(start, SPANNED_SECTIONS)
    if reader.skip(end) != len(text):
        raise _JsonSpanError("extra data after the JSON value", reader.skip(end))
    document = CfnDocument(path, {entry.key: entry.value for entry in top}, "json")
    document.warnings.extend(_duplicate_warnings(top, reader, ""))
    for entry in top:
        document.key_lines[entry.key] = reader.line(entry.offset)
        if entry.children is not None:
            document.warnings.extend(_duplicate_warnings(entry.children, reader, f" in {entry.key}"))
            document.spans[entry.key] = {child.key: (reader.line(child.offset), reader.line(child.end - 1))
                                         for child in entry.children}
    return document


# ----------------------------------------------------------------------------------------- YAML


def _yaml_document(path: str, data: Any, root: yaml.Node, lines: list[str]) -> CfnDocument:
    document = CfnDocument(path, data, "yaml")
    if isinstance(root, yaml.MappingNode):
        for key_node, _ in root.value:
            if isinstance(key_node, yaml.ScalarNode):
                document.key_lines[str(key_node.value)] = key_node.start_mark.line + 1
        for section in SPANNED_SECTIONS:
            node = yaml_loader.section_node(root, section)
            if node is not None:
                document.warnings.extend((f"{message} (in {section})", line)
                                         for message, line in yaml_loader.duplicate_keys(node))
                document.spans[section] = yaml_loader.entry_spans(node, lines)
    return document


def _yaml_lines(text: str) -> list[str]:
    """The text's lines as YAML breaks them (its marks count these lines)."""
    if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return _YAML_LINE_BREAK.split(text)
    return text.split("\n")  # the usual text: the same lines, without a regular expression


def _parse_yaml(path: str, text: str) -> CfnDocument:
    parsed, warnings = yaml_loader.load(text)
    if not parsed:
        return CfnDocument(path, None, "yaml", warnings=warnings)
    lines = _yaml_lines(text)
    documents = [_yaml_document(path, data, root, lines) for data, root in parsed]
    first = documents[0]
    first.warnings[:0] = warnings
    first.following = documents[1:]
    return first


# ---------------------------------------------------------------------------------------- public


def _looks_like_json(path: str, text: str) -> bool:
    return path.lower().endswith(".json") or text.lstrip()[:1] in ("{", "[")


def parse_document(path: str, text: str) -> tuple[Any, InputError | None]:
    """Decode YAML (CloudFormation short tags) or JSON into a :class:`CfnDocument` (its ``data``
    is plain Python data; its spans serve :func:`load_cloudformation_document`).

    Returns ``(None, InputError)`` when the text cannot be decoded; never raises."""
    if "\x00" in text:
        return None, InputError(path, "binary content (NUL characters); not a YAML or JSON template")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte order mark; lines are unaffected
    with collector_paused():
        return _parse_document(path, text)


def _parse_document(path: str, text: str) -> tuple[Any, InputError | None]:
    try:
        if _looks_like_json(path, text):
            try:
                return _parse_json(path, text), None
            except (_JsonSpanError, RecursionError) as exc:
                if path.lower().endswith(".json"):
                    if isinstance(exc, RecursionError):
                        return None, InputError(path, "invalid JSON: nesting is too deep")
                    return None, InputError(path, f"invalid JSON: {exc.message}",
                                            _JsonReader(text).line(exc.offset))
                # Not JSON after all: YAML flow style may also start with "{" or "[".
        return _parse_yaml(path, text), None
    except yaml_loader.YamlTemplateError as exc:
        return None, InputError(path, exc.message, exc.line)
    except RecursionError:
        return None, InputError(path, "nesting is too deep to read")
    except MemoryError:
        return None, InputError(path, "the document is too large to read")


def looks_like_cloudformation(data: Any) -> bool:
    """AWSTemplateFormatVersion present, or Resources is a mapping holding at least one resource
    whose Type starts with AWS:: or Alexa:: (SAM's AWS::Serverless::* included)."""
    if isinstance(data, CfnDocument):
        return any(_looks_like_template(d.data) for d in (data, *data.following))
    return _looks_like_template(data)


def _looks_like_template(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    if not isinstance(resources, dict):
        return False
    return any(isinstance(r, dict) and isinstance(r.get("Type"), str)
               and r["Type"].startswith(RESOURCE_TYPE_PREFIXES) for r in resources.values())


def load_cloudformation(path: str, text: str, params: dict[str, str] | None = None,
                        max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> LoadResult:
    """Parse and load one template."""
    size = len(text) if len(text) * 4 <= max_file_size else len(text.encode("utf-8", "surrogatepass"))
    if size > max_file_size:
        return LoadResult(errors=[InputError(path, f"file is larger than the {max_file_size:,}-byte limit; "
                                             "not analysed")], files=[path])
    parsed, error = parse_document(path, text)
    if error is not None:
        return LoadResult(errors=[error], files=[path])
    if not looks_like_cloudformation(parsed):
        return LoadResult(errors=[InputError(path, "not a CloudFormation template (no "
                                             "AWSTemplateFormatVersion, no Resources with an AWS:: type)")],
                          files=[path])
    return load_cloudformation_document(path, parsed, params)


def load_cloudformation_document(path: str, parsed: Any, params: dict[str, str] | None = None) -> LoadResult:
    """Load a document returned by :func:`parse_document` (or plain template data, without spans)."""
    document = parsed if isinstance(parsed, CfnDocument) else CfnDocument(path, parsed, "data")
    result = LoadResult(files=[path])
    try:
        with collector_paused():
            if document.following:
                result.errors.append(InputError(
                    path, f"a YAML stream of {len(document.following) + 1} documents; CloudFormation takes "
                    "one template per file, each document is analysed as its own template", None, "warning"))
                for part in (document, *document.following):
                    if _looks_like_template(part.data):
                        _load(part, path, params, result)
            else:
                _load(document, path, params, result)
    except RecursionError:
        result.errors.append(InputError(path, "the template is nested too deeply to analyse"))
    except MemoryError:
        result.errors.append(InputError(path, "the template is too large to analyse"))
    return result


# ----------------------------------------------------------------------------------------- load


def _load(document: CfnDocument, path: str, params: dict[str, str] | None, result: LoadResult) -> None:
    template = document.data
    errors = result.errors
    errors.extend(InputError(path, message, line, "warning") for message, line in document.warnings)
    if not isinstance(template, dict):
        errors.append(InputError(path, "the template is not a mapping"))
        return
    if "Transform" in template:
        transform = template["Transform"]
        names = ", ".join(str(t if not isinstance(t, dict) else t.get("Name", t))
                          for t in (transform if isinstance(transform, list) else [transform]))
        errors.append(InputError(path, f"the template declares Transform {names}; it is analysed as "
                                 "written, without expanding the transform", document.key_lines.get("Transform"),
                                 "warning"))
    for section in ("Parameters", "Mappings", "Conditions", "Resources"):
        if template.get(section) is not None and not isinstance(template[section], dict):
            errors.append(InputError(path, f"{section} is not a mapping; ignored", document.key_lines.get(section)))
    resolver = Resolver(template, params)
    parameter_spans = document.spans.get("Parameters", {})
    resource_spans = document.spans.get("Resources", {})

    for name, definition in resolver.parameters.items():
        line, end_line = parameter_spans.get(name, (None, None))
        if not isinstance(definition, dict):
            errors.append(InputError(path, f"parameter {name} is not a mapping", line))
            continue
        result.resources.append(RawResource(
            address=str(name), type=PARAMETER_TYPE, name=str(name), source_kind=SOURCE_KIND, file=path,
            line=line, end_line=end_line, attrs=dict(definition), mode="parameter",
            meta={"overridden": bool(params) and name in params}))  # type: ignore[operator]

    for logical_id, definition in resolver.resources.items():
        line, end_line = resource_spans.get(logical_id, (None, None))
        raw = _resource(path, str(logical_id), definition, line, end_line, resolver, errors)
        if raw is not None:
            result.resources.append(raw)

    first_line = {name: span[0] for name, span in resource_spans.items()}
    for issue in resolver.issues:
        line = first_line.get(issue.logical_id) if issue.logical_id else None
        where = f"{issue.logical_id}: " if issue.logical_id else ""
        errors.append(InputError(path, where + issue.message, line, issue.kind))


def _resource(path: str, logical_id: str, definition: Any, line: int | None, end_line: int | None,
              resolver: Resolver, errors: list[InputError]) -> RawResource | None:
    if logical_id.startswith("Fn::ForEach"):
        errors.append(InputError(path, f"{logical_id} (AWS::LanguageExtensions) is not expanded; the "
                                 "resources it generates are not analysed", line, "warning"))
        return None
    if not isinstance(definition, dict):
        errors.append(InputError(path, f"resource {logical_id} is not a mapping", line))
        return None
    resource_type = definition.get("Type")
    if isinstance(resource_type, dict) and len(resource_type) == 1 and next(iter(resource_type)) in RAIN_MODULE_KEYS:
        module = next(iter(resource_type.values()))
        errors.append(InputError(path, f"{logical_id} is a Rain module (!Rain::Module {module!r}), "
                                 "which only `rain pkg` expands; the resources it generates are not analysed "
                                 "(scan the packaged template)", line, "warning"))
        return None
    if not isinstance(resource_type, str) or not resource_type:
        what = "has no Type" if resource_type in (None, "") else "has a Type that is not a string"
        errors.append(InputError(path, f"resource {logical_id} {what}", line))
        return None
    meta: dict[str, Any] = {
        "metadata": definition.get("Metadata"),
        "condition": definition.get("Condition"),
        "depends_on": _depends_on(definition.get("DependsOn")),
    }
    if meta["condition"] is not None:
        decision = resolver.resource_condition(logical_id, meta["condition"])
        if decision.value is False:
            return None  # not created
        if decision.value is None:
            meta["condition_unknown"] = True
            meta["condition_reason"] = decision.reason
    properties = definition.get("Properties", {})
    attrs, refs = resolver.resolve_properties(logical_id, properties)
    return RawResource(address=logical_id, type=resource_type, name=logical_id, source_kind=SOURCE_KIND,
                       file=path, line=line, end_line=end_line, attrs=attrs, refs=refs, meta=meta)


def _depends_on(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]
