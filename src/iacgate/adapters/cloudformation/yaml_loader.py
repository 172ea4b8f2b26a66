"""CloudFormation YAML: short-form intrinsic tags, safe typing, node marks for line spans.

The node graph is composed once (libyaml's ``CSafeLoader`` when available) and kept long enough
to read the line spans of the ``Resources`` / ``Parameters`` entries; the Python data is then
constructed from that same graph with cfn-flip's constructors, so a file is parsed only once.

Hostile input is refused before construction: a node graph whose aliases expand to far more nodes
than the file holds (a "billion laughs"), or an alias that contains itself, raises
:class:`YamlTemplateError`. libyaml itself refuses nesting deeper than 1,000 levels.
"""
from __future__ import annotations

import re
from typing import Any

import yaml
from cfn_tools.yaml_loader import FN_PREFIX, TAG_MAP, UNCONVERTED_SUFFIXES, construct_getatt

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

# Aliases may add at most this many nodes beyond those written in the file.
MAX_ALIAS_EXPANSION = 1_000_000
MAX_DUPLICATE_KEY_WARNINGS = 20

# An anchor (``&name``) can only follow whitespace, a flow indicator or the start of the text.
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]", re.MULTILINE)


def _construct_timestamp_as_text(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> str:
    """``Version: 2012-10-17`` stays the string ``"2012-10-17"`` (YAML 1.1 would make it a date)."""
    return str(node.value)


def construct_mapping(loader: yaml.BaseLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    """cfn-flip's mapping constructor, building a plain (ordered) ``dict``: duplicate keys keep the
    last value, and no merge-key (``<<``) expansion, as CloudFormation does not do it."""
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def multi_constructor(loader: yaml.BaseLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    """cfn-flip's short-form tag mapping: ``!X v`` -> ``{"Fn::X": v}``; ``!Ref`` / ``!Condition``
    keep their names; ``!GetAtt A.B.C`` -> ``{"Fn::GetAtt": ["A", "B.C"]}``."""
    name = tag_suffix if tag_suffix in UNCONVERTED_SUFFIXES else FN_PREFIX + tag_suffix
    if name == "Fn::GetAtt":
        return {name: construct_getatt(node)}
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: construct_mapping(loader, node, deep=True)}


def _loader_class(base: type) -> type:
    """A safe YAML loader on ``base`` with CloudFormation's short-form tags."""
    loader = type(f"Cfn{base.__name__}", (base,), {})
    loader.add_constructor(TAG_MAP, construct_mapping)
    loader.add_constructor(TIMESTAMP_TAG, _construct_timestamp_as_text)
    loader.add_multi_constructor("!", multi_constructor)
    return loader


# libyaml's parser when PyYAML was built with it (several times faster), else pure Python.
CfnYamlLoader = _loader_class(_BaseLoader)
PureCfnYamlLoader = _loader_class(yaml.SafeLoader)


class YamlTemplateError(Exception):
    """The YAML text cannot be turned into data; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _mark_line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _yaml_error(exc: yaml.YAMLError, text: str = "") -> YamlTemplateError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        return YamlTemplateError(f"invalid YAML: {exc}".splitlines()[0], line)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {context + ', ' if context else ''}{problem}"
    return YamlTemplateError(message, _mark_line(mark))


def compose_all(text: str, loader_class: type = CfnYamlLoader) -> list[yaml.Node]:
    """The node graph of each document of a YAML stream (empty documents left out)."""
    loader = loader_class(text)
    try:
        roots = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                roots.append(node)
        return roots
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text) from None
    except RecursionError:
        raise YamlTemplateError("YAML nesting is too deep") from None
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_aliases(root: yaml.Node, max_extra_nodes: int = MAX_ALIAS_EXPANSION) -> None:
    """Refuse alias cycles and alias expansion beyond ``max_extra_nodes`` extra nodes.

    Iterative and memoised per node, so it costs one visit per distinct node whatever the
    expansion factor."""
    expanded: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            total = 1 + sum(expanded[id(child)] for child in _children(node))
            expanded[key] = total
            if total - distinct > max_extra_nodes:
                raise YamlTemplateError(
                    f"YAML aliases expand to more than {max_extra_nodes:,} extra nodes "
                    "(alias bomb); refusing to load", _mark_line(node.start_mark))
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise YamlTemplateError("a YAML alias refers to a node that contains it (recursive alias)",
                                    _mark_line(node.start_mark))
        on_path.add(key)
        distinct += 1
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlTemplateError("a YAML alias refers to a node that contains it (recursive alias)",
                                        _mark_line(child.start_mark))
            if id(child) not in expanded:
                stack.append((child, False))


def duplicate_keys(node: yaml.MappingNode) -> list[tuple[str, int | None]]:
    """Warnings for scalar keys written twice in one mapping (YAML keeps the last)."""
    seen: set[str] = set()
    out: list[tuple[str, int | None]] = []
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            if key_node.value in seen:
                out.append((f"duplicate key {key_node.value!r}; the last one is used",
                            _mark_line(key_node.start_mark)))
            seen.add(key_node.value)
    return out


def has_anchors(text: str) -> bool:
    return "&" in text and _ANCHOR.search(text) is not None  # most templates have no "&" at all


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def construct(root: yaml.Node | None, loader_class: type = CfnYamlLoader) -> Any:
    """Python data from a composed node graph, with cfn-flip's short-form tag mapping.

    Strings, mappings, sequences and short-form tags (nearly every node of a template) are built
    directly, twice as fast as PyYAML's generic constructor; other scalars (int, float, bool, null)
    and unusual tags go through the loader's own constructors. A node reached through several
    aliases is built once and shared."""
    if root is None:
        return None
    helper = loader_class("")
    built: dict[int, Any] = {}

    def build(node: yaml.Node) -> Any:
        key = id(node)
        if key in built:
            return built[key]
        tag = node.tag
        if tag.startswith("!"):
            suffix = tag[1:]
            name = suffix if suffix in UNCONVERTED_SUFFIXES else FN_PREFIX + suffix
            if name == "Fn::GetAtt":
                inner: Any = construct_getatt(node)
            elif isinstance(node, yaml.ScalarNode):
                inner = node.value
            elif isinstance(node, yaml.MappingNode):
                inner = {build(k): build(v) for k, v in node.value}
            else:
                inner = [build(v) for v in node.value]
            out: Any = {name: inner}
        elif isinstance(node, yaml.ScalarNode):
            out = node.value if tag in (_STR_TAG, TIMESTAMP_TAG) else helper.construct_object(node, deep=True)
        elif tag == TAG_MAP:
            out = {}
            for key_node, value_node in node.value:
                out[build(key_node)] = build(value_node)  # duplicate keys: the last one wins
        elif tag == _SEQ_TAG:
            out = [build(v) for v in node.value]
        else:
            out = helper.construct_object(node, deep=True)
        built[key] = out
        return out

    try:
        return build(root)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    except RecursionError:
        raise YamlTemplateError("YAML nesting is too deep") from None
    except (ValueError, TypeError) as exc:  # an unhashable key, !GetAtt on an unexpected node
        raise YamlTemplateError(f"invalid YAML value: {exc}") from None
    except Exception as exc:  # any other constructor failure is an input problem, never a traceback
        raise YamlTemplateError(f"invalid YAML: {exc}") from None
    finally:
        helper.dispose()


def load(text: str, loader_class: type = CfnYamlLoader
         ) -> tuple[list[tuple[Any, yaml.Node]], list[tuple[str, int | None]]]:
    """Parse once: ([(data, root node) per document], warnings). Raises :class:`YamlTemplateError`."""
    roots = compose_all(text, loader_class)
    warnings: list[tuple[str, int | None]] = []
    anchors = has_anchors(text)
    documents = []
    for root in roots:
        if anchors:
            check_aliases(root)
        if isinstance(root, yaml.MappingNode):
            warnings.extend(duplicate_keys(root))
        documents.append((construct(root, loader_class), root))
    return documents, warnings


# ------------------------------------------------------------------------------------ line spans


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node written last inside a block collection (a flow collection or scalar is its own end)."""
    current = node
    while (isinstance(current, (yaml.MappingNode, yaml.SequenceNode)) and not current.flow_style
           and current.value):
        last = current.value[-1]
        current = last[1] if isinstance(current, yaml.MappingNode) else last
    return current


def _last_content_line(lines: list[str], line0: int, column: int, floor: int) -> int:
    """1-based line of the last non-blank text before (line0, column), not above ``floor``."""
    if 0 <= line0 < len(lines) and lines[line0][:column].strip():
        return line0 + 1
    i = min(line0 - 1, len(lines) - 1)
    while i >= floor - 1 and not lines[i].strip():
        i -= 1
    return max(i + 1, floor)


def _last_content_line_skipping_comments(lines: list[str], line0: int, column: int, floor: int) -> int:
    if 0 <= line0 < len(lines) and lines[line0][:column].strip():
        return line0 + 1
    i = min(line0 - 1, len(lines) - 1)
    while i >= floor - 1 and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i -= 1
    return max(i + 1, floor)


def entry_spans(mapping: yaml.MappingNode, lines: list[str]) -> dict[str, tuple[int, int]]:
    """1-based inclusive (line, end_line) of each entry of a mapping node, key line to last content
    line of its value (not the next key's line, not trailing comments)."""
    spans: dict[str, tuple[int, int]] = {}
    pairs = mapping.value
    for position, (key_node, value_node) in enumerate(pairs):
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        start = key_node.start_mark.line + 1
        if position + 1 < len(pairs):
            bound_mark = pairs[position + 1][0].start_mark
        else:
            bound_mark = mapping.end_mark
        upper = _last_content_line_skipping_comments(lines, bound_mark.line, bound_mark.column, start)
        leaf = _last_leaf(value_node)
        end = _last_content_line(lines, leaf.end_mark.line, leaf.end_mark.column, start)
        if not start <= end <= max(upper, start):  # an alias leaf points elsewhere in the file
            end = max(upper, start)
        spans[str(key_node.value)] = (start, end)
    return spans


def key_line(mapping: yaml.MappingNode, key: str) -> int | None:
    for key_node, _ in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node.start_mark.line + 1
    return None


def section_node(root: yaml.Node | None, section: str) -> yaml.MappingNode | None:
    """The (last) value node of a top-level section, when it is a mapping."""
    if not isinstance(root, yaml.MappingNode):
        return None
    found = None
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == section:
            found = value_node
    return found if isinstance(found, yaml.MappingNode) else None
