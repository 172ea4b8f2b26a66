"""Terraform source files -> a small, picklable syntax tree of blocks, attributes and expressions.

HCL files are parsed with python-hcl2's grammar and parser tables into the raw lark tree (no
transform stage) and converted once into the named tuples below, which :mod:`.evaluate` interprets.
Lines and source text are read from the tree's tokens (every token, punctuation included, carries its
position), so the parser need not propagate positions to every rule: a batch of files is parsed
without that (``lean=True``, about a third faster) and gives the same result.
``.tf.json`` / ``.tfvars.json`` files follow Terraform's JSON syntax: strings are templates, parsed
with the same grammar.

:func:`parse_file` is pure: the same text always gives the same :class:`ParsedFile`, which holds only
plain data (safe to pickle, cache by content hash or ship to a worker process).
"""
from __future__ import annotations

import functools
import io
import json
import os
import pickle
import re
import textwrap
from collections.abc import Callable
from typing import Any, NamedTuple, Union

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput
from lark.grammar import Rule

from hcl2.parser import parser as hcl2_parser


# ---------------------------------------------------------------------------------------------
# Expressions


class Lit(NamedTuple):
    value: Any  # str, int, float, bool or None


class Name(NamedTuple):
    """A bare identifier: a scope root (``var``, ``count``), a for-expression variable, a type name."""

    name: str


class Template(NamedTuple):
    """A string template; parts are ``str`` literals, expressions, :class:`TemplateIf`, :class:`TemplateFor`."""

    parts: tuple


class TemplateIf(NamedTuple):
    cond: "Expr"
    then: tuple
    otherwise: tuple


class TemplateFor(NamedTuple):
    key_var: str | None
    value_var: str
    collection: "Expr"
    body: tuple


class Traversal(NamedTuple):
    """``base`` followed by steps: ``("attr", name)``, ``("index", expr)``, ``("splat", steps)``."""

    base: "Expr"
    steps: tuple
    text: str


class Call(NamedTuple):
    name: str
    args: tuple
    expand_last: bool
    text: str


class BinOp(NamedTuple):
    op: str
    left: "Expr"
    right: "Expr"


class UnOp(NamedTuple):
    op: str
    operand: "Expr"


class Cond(NamedTuple):
    cond: "Expr"
    then: "Expr"
    otherwise: "Expr"
    text: str


class TupleExpr(NamedTuple):
    items: tuple


class ObjectExpr(NamedTuple):
    items: tuple  # ((key_expr, value_expr), ...)


class ForExpr(NamedTuple):
    key_var: str | None
    value_var: str
    collection: "Expr"
    key: "Expr | None"  # None: a tuple comprehension
    value: "Expr"
    cond: "Expr | None"
    grouping: bool
    text: str


class Invalid(NamedTuple):
    """An expression the converter could not represent (kept so evaluation reports it)."""

    text: str
    reason: str


Expr = Union[Lit, Name, Template, Traversal, Call, BinOp, UnOp, Cond, TupleExpr, ObjectExpr,
             ForExpr, Invalid]


# ---------------------------------------------------------------------------------------------
# Bodies and files


class Attribute(NamedTuple):
    name: str
    expr: Expr
    line: int
    end_line: int
    text: str


class Ignore(NamedTuple):
    """An inline suppression: ``# iacgate:ignore RULE-ID reason="..." until=YYYY-MM-DD``."""

    rule: str
    reason: str | None
    until: str | None
    line: int


class Block(NamedTuple):
    type: str
    labels: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    blocks: tuple["Block", ...]
    line: int
    end_line: int
    ignores: tuple[Ignore, ...] = ()

    def attribute(self, name: str) -> Attribute | None:
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None


class ParseProblem(NamedTuple):
    message: str
    line: int | None


class ParsedFile(NamedTuple):
    path: str
    blocks: tuple[Block, ...]
    attributes: tuple[Attribute, ...]  # top-level attributes (tfvars files)
    errors: tuple[ParseProblem, ...]


# ---------------------------------------------------------------------------------------------
# Reading bytes


class SourceTextError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def decode_source(data: bytes) -> str:
    """The text of a Terraform file; raises SourceTextError for binary or non-UTF-8 content."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceTextError("file is UTF-16 (or UTF-32) text; Terraform reads only UTF-8, so save it as UTF-8")
    if b"\x00" in data:
        raise SourceTextError("file is binary (contains NUL bytes), not Terraform text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceTextError(f"file is not valid UTF-8 (byte {exc.start}, line {line})", line) from None
    return text.replace("\r\n", "\n")


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_file(path: str, text: str, lean: bool = False) -> ParsedFile:
    """Parse one ``.tf``, ``.tf.json``, ``.tfvars`` or ``.tfvars.json`` file. Never raises.
    ``lean``: parse with :func:`lean_parser` (worth making for a batch of files; same result). It is
    taken for any file when it is read from python-hcl2's tables (then it loads faster than
    python-hcl2's own parser)."""
    try:
        if path.endswith(".json"):
            return _parse_json_file(path, text)
        return _parse_hcl_file(path, text, lean_parser() if lean else _cached_lean() or hcl2_parser())
    except RecursionError:
        return ParsedFile(path, (), (), (ParseProblem("file is nested too deeply to be analysed", None),))
    except Exception as exc:  # a converter bug must not take the whole run down
        return ParsedFile(path, (), (), (ParseProblem(f"could not read file: {type(exc).__name__}: {exc}",
                                                      None),))


@functools.lru_cache(maxsize=1)
def lean_parser() -> Lark:
    """python-hcl2's parser (its grammar and parser tables) without position propagation:
    each rule reduction no longer copies its children's positions (a third of the parse time).
    Loaded from the tables python-hcl2 keeps in its lark cache file when they are the ones its own
    parser would load, else made from python-hcl2's loaded parser. Only python-hcl2 compiles its
    grammar (a second), on its parser's first use where it has no cache file yet."""
    cached = _cached_lean()
    if cached is not None:
        return cached
    buffer = io.BytesIO()
    hcl2_parser().save(buffer)
    return _lean(pickle.loads(buffer.getvalue()))  # lark's own serialisation of its own parser


@functools.lru_cache(maxsize=1)
def _cached_lean() -> Lark | None:
    return _lean_from_cached_tables()


def _lean(saved: dict[str, Any], **options: Any) -> Lark:
    saved["data"]["options"].update(options, propagate_positions=False)
    return _with_identity_rules(Lark.load(saved))


class _IdentityRule(Rule):
    """A grammar rule hashed and compared by identity. At every step the LALR loop checks the table's
    action against the end state (``arg != end_state``) and, on a reduction, finds the rule's tree
    builder (``callbacks[rule]``); with lark's ``Rule`` each runs a Python ``__eq__`` / ``__hash__``,
    about a tenth of the parse. In one loaded parser the table and the builders hold the same rule
    objects, so identity gives the same answers."""

    __slots__ = ()
    __hash__ = object.__hash__
    __eq__ = object.__eq__
    __ne__ = object.__ne__


def _with_identity_rules(parser: Lark) -> Lark:
    """``parser`` with its rules made :class:`_IdentityRule`, when its parse table and tree builders
    are laid out as this lark keeps them and share every rule object; else as it is."""
    try:
        inner = parser.parser.parser.parser
        callbacks, states = inner.callbacks, inner.parse_table.states
    except AttributeError:
        return parser
    if not isinstance(callbacks, dict):
        return parser
    built = {id(key): key for key in callbacks if type(key) is Rule}
    reduced = [arg for actions in states.values() for _, arg in actions.values() if isinstance(arg, Rule)]
    if not built or any(id(rule) not in built for rule in reduced):
        return parser
    for rule in built.values():
        rule.__class__ = _IdentityRule
    entries = list(callbacks.items())
    callbacks.clear()  # the same dict is shared by lark's other holders: re-hashed in place
    callbacks.update(entries)
    return parser


def _lean_from_cached_tables() -> Lark | None:
    """The parser tables in python-hcl2's lark cache file, read as lark reads them for
    ``hcl2.parser.parser()``: only when the file's key is the one lark computes for that call (the
    grammar's text, the call's options, lark's and Python's versions) and the grammars it imports are
    unchanged. Half the time of loading python-hcl2's parser and re-serialising it. None otherwise
    (lark would rebuild that file; the caller then takes python-hcl2's parser)."""
    import hashlib
    import sys

    import lark

    try:  # another lark or python-hcl2 may lay these out otherwise: then the slow path
        from hcl2 import parser as hcl2_parser_module
        from hcl2.postlexer import PostLexer
        from lark.load_grammar import verify_used_files

        tables = str(hcl2_parser_module.PARSER_FILE)
        with open(os.path.join(os.path.dirname(hcl2_parser_module.__file__), "hcl2.lark"), encoding="utf8") as f:
            grammar = f.read()
        # as Lark.__init__ keys its cache: hcl2's options in the order it passes them, less the
        # unhashable postlex
        key = grammar + f"parserlalrcache{tables}propagate_positionsTrue" + lark.__version__ \
            + str(sys.version_info[:2])
        with open(tables, "rb") as f:
            if f.readline().rstrip(b"\n") != hashlib.sha256(key.encode("utf8")).hexdigest().encode():
                return None
            if not verify_used_files(pickle.load(f)):  # python-hcl2's own file, read as lark reads it
                return None
            saved = pickle.load(f)
        return _lean(saved, postlex=PostLexer())
    except Exception:  # noqa: BLE001 - any surprise in another package's file: take the slow path
        return None


def _parse_hcl_file(path: str, text: str, parser: Lark) -> ParsedFile:
    if not text.endswith("\n"):
        text += "\n"
    try:
        tree = parser.parse(text + "\n")  # as hcl2.parses_to_tree: the grammar needs a final newline
    except UnexpectedInput as exc:
        return ParsedFile(path, (), (), (ParseProblem(_lark_message(exc), getattr(exc, "line", None)),))
    except LarkError as exc:
        return ParsedFile(path, (), (), (ParseProblem(f"syntax error: {exc}", None),))
    ignores = _ignore_index(text)
    conv = _Converter(text)
    body = tree.children[0] if tree.children else None
    blocks: list[Block] = []
    attributes: list[Attribute] = []
    if isinstance(body, Tree):
        for child in body.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "block":
                block = conv.block(child)
                blocks.append(block._replace(ignores=_ignores_for(block.line, ignores)))
            elif child.data == "attribute":
                attributes.append(conv.attribute(child))
    return ParsedFile(path, tuple(blocks), tuple(attributes), ())


def _lark_message(exc: UnexpectedInput) -> str:
    line = getattr(exc, "line", None)
    col = getattr(exc, "column", None)
    where = f"line {line}, column {col}" if line and line > 0 else "end of file"
    token = getattr(exc, "token", None)
    if token is not None:
        text = str(token)
        if not text:
            return f"syntax error at {where}: unexpected end of input"
        if not text.strip():
            return f"syntax error at {where}: unexpected end of line"
        return f"syntax error at {where}: unexpected {text.splitlines()[0][:40]!r}"
    char = getattr(exc, "char", None)
    if char is not None:
        return f"syntax error at {where}: unexpected character {char!r}"
    return f"syntax error at {where}"


# ---------------------------------------------------------------------------------------------
# Suppression comments

_IGNORE_RE = re.compile(r"(?:#|//)\s*iacgate:ignore\s+([A-Za-z0-9_.\-*]+)(.*)$")
_REASON_RE = re.compile(r'reason\s*=\s*"((?:[^"\\]|\\.)*)"')
_UNTIL_RE = re.compile(r"until\s*=\s*(\d{4}-\d{2}-\d{2})")
_COMMENT_LINE_RE = re.compile(r"^\s*(#|//)")


class _IgnoreIndex(NamedTuple):
    by_line: dict[int, list[Ignore]]
    comment_lines: frozenset[int]


def _ignore_index(text: str) -> _IgnoreIndex:
    by_line: dict[int, list[Ignore]] = {}
    comment_lines: set[int] = set()
    if "iacgate:ignore" not in text:
        return _IgnoreIndex(by_line, frozenset())
    for number, line in enumerate(text.split("\n"), start=1):
        if _COMMENT_LINE_RE.match(line):
            comment_lines.add(number)
        found = _IGNORE_RE.search(line)
        if not found:
            continue
        rest = found.group(2)
        reason = _REASON_RE.search(rest)
        until = _UNTIL_RE.search(rest)
        by_line.setdefault(number, []).append(Ignore(
            found.group(1), reason.group(1).replace('\\"', '"') if reason else None,
            until.group(1) if until else None, number))
    return _IgnoreIndex(by_line, frozenset(comment_lines))


def _ignores_for(first_line: int, index: _IgnoreIndex) -> tuple[Ignore, ...]:
    if not index.by_line:
        return ()
    found: list[Ignore] = []
    number = first_line - 1
    while number in index.comment_lines:
        found = index.by_line.get(number, []) + found
        number -= 1
    found.extend(index.by_line.get(first_line, []))
    return tuple(found)


# ---------------------------------------------------------------------------------------------
# lark tree -> syntax tree

_BINARY_OPS = {"||", "&&", "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw

    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)

    return _ESCAPE_RE.sub(repl, raw)


def _edge_token(node: Tree | Token, last: bool) -> Token | None:
    """The first (or last) token of a subtree: where its source text starts (or ends)."""
    edge = -1 if last else 0
    step = node
    while not isinstance(step, Token):  # straight down the edge: the usual case, a few steps
        if not step.children:
            break  # an empty subtree on the edge: search the whole subtree
        step = step.children[edge]
    else:
        return step
    pending: list[Any] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, Token):
            return item
        pending.extend(item.children if last else reversed(item.children))
    return None


def _line(node: Tree | Token) -> int:
    token = _edge_token(node, last=False)
    return token.line if token is not None and token.line is not None else 0


def _end_line(node: Tree | Token) -> int:
    token = _edge_token(node, last=True)
    return token.end_line if token is not None and token.end_line is not None else 0


def _trees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


class _Directive(NamedTuple):
    kind: str  # if | else | endif | for | endfor
    strip_left: bool
    strip_right: bool
    payload: tuple


class _Converter:
    def __init__(self, text: str) -> None:
        self.text = text
        # literals, names and attribute steps written more than once in the file become one object
        # (fewer objects to pickle, unpickle and keep; the tree is immutable, so sharing is invisible)
        self._shared: dict[tuple[Any, ...], Any] = {}

    def share(self, node: Any) -> Any:
        kind = type(node)
        if kind is Lit:
            value_type = type(node.value)
            if value_type is float:  # 0.0 and -0.0 are equal but not the same value
                return node
            key: tuple[Any, ...] = (Lit, value_type, node.value)  # the type keeps 1, 1.0 and true apart
        elif kind is Name:
            key = (Name, node.name)
        else:
            return node
        return self._shared.setdefault(key, node)

    def source(self, node: Tree | Token) -> str:
        if isinstance(node, Token):
            return str(node)
        first, last = _edge_token(node, last=False), _edge_token(node, last=True)
        if first is None or last is None:
            return ""
        return self.text[first.start_pos:last.end_pos].strip()

    # -- bodies

    def block(self, node: Tree) -> Block:
        parts = _trees(node)
        head = [p for p in parts if p.data != "body"]
        body = next((p for p in parts if p.data == "body"), None)
        block_type = self.name_of(head[0])
        labels = tuple(self.label(p) for p in head[1:])
        attributes, blocks = self.body(body) if body is not None else ((), ())
        return Block(block_type, labels, attributes, blocks, _line(node), _end_line(node))

    def body(self, node: Tree) -> tuple[tuple[Attribute, ...], tuple[Block, ...]]:
        attributes: list[Attribute] = []
        blocks: list[Block] = []
        for child in _trees(node):
            if child.data == "attribute":
                attributes.append(self.attribute(child))
            elif child.data == "block":
                blocks.append(self.block(child))
        return tuple(attributes), tuple(blocks)

    def attribute(self, node: Tree) -> Attribute:
        parts = _trees(node)
        name = self.name_of(parts[0])
        expr_node = parts[-1]
        text = self.source(expr_node)
        line = _line(node)
        start_line = _line(expr_node) or line
        # the parsed node can include a trailing newline; count the lines of the text itself
        return Attribute(name, self.expr(expr_node), line, start_line + text.count("\n"), text)

    def name_of(self, node: Tree) -> str:
        if node.data == "string":
            return self.label(node)
        token = node.children[0]
        return str(token)

    def label(self, node: Tree) -> str:
        if node.data == "string":
            out = []
            for part in node.children:
                if isinstance(part, Tree) and part.data == "string_part":
                    inner = part.children[0]
                    out.append(_unescape(str(inner)) if isinstance(inner, Token) else self.source(inner))
            return "".join(out)
        return self.name_of(node)

    # -- expressions

    def expr(self, node: Tree | Token) -> Expr:
        if isinstance(node, Token):
            return Invalid(str(node), "unexpected token")
        handler = _EXPRESSION_HANDLERS.get(node.data)
        if handler is None:
            return Invalid(self.source(node), f"unsupported syntax {node.data}")
        made = handler(self, node)
        kind = type(made)
        return self.share(made) if kind is Lit or kind is Name else made

    def x_expr_term(self, node: Tree) -> Expr:
        children = node.children
        if len(children) == 1 and type(children[0]) is Tree and children[0].data != "new_line_or_comment":
            return self.expr(children[0])  # the usual case: one subexpression, nothing around it
        inner = _trees(node)
        if len(inner) != 1:
            return Invalid(self.source(node), "unsupported expression")
        return self.expr(inner[0])

    def x_int_lit(self, node: Tree) -> Expr:
        return Lit(int(str(node.children[0])))

    def x_float_lit(self, node: Tree) -> Expr:
        value = float(str(node.children[0]))
        return Lit(int(value) if value.is_integer() and abs(value) < 2 ** 53 else value)

    def x_literal_value(self, node: Tree) -> Expr:
        return Lit({"true": True, "false": False, "null": None}[str(node.children[0])])

    def x_identifier(self, node: Tree) -> Expr:
        return Name(str(node.children[0]))

    def x_keyword(self, node: Tree) -> Expr:
        return Name(str(node.children[0]))

    def x_conditional(self, node: Tree) -> Expr:
        cond, then, otherwise = _trees(node)
        return Cond(self.expr(cond), self.expr(then), self.expr(otherwise), self.source(node))

    def x_binary_op(self, node: Tree) -> Expr:
        left, term = _trees(node)[:2]
        op_node, right = _trees(term)[:2]
        op = str(op_node.children[0])
        if op not in _BINARY_OPS:
            return Invalid(self.source(node), f"unknown operator {op}")
        return BinOp(op, self.expr(left), self.expr(right))

    def x_unary_op(self, node: Tree) -> Expr:
        op = str(node.children[0])
        return UnOp(op, self.expr(_trees(node)[0]))

    def x_tuple(self, node: Tree) -> Expr:
        return TupleExpr(tuple(self.expr(c) for c in _trees(node)))

    def x_object(self, node: Tree) -> Expr:
        items = []
        for elem in _trees(node):
            key_node, value_node = _trees(elem)[:2]
            key_inner = _trees(key_node)
            key = self.expr(key_inner[0]) if key_inner else Lit(self.source(key_node))
            if isinstance(key, Name):
                key = Lit(key.name)
            items.append((key, self.expr(value_node)))
        return ObjectExpr(tuple(items))

    def x_function_call(self, node: Tree) -> Expr:
        names = [str(c.children[0]) for c in node.children if isinstance(c, Tree) and c.data == "identifier"]
        args_node = next((c for c in node.children if isinstance(c, Tree) and c.data == "arguments"), None)
        args: tuple = ()
        expand = False
        if args_node is not None:
            args = tuple(self.expr(c) for c in _trees(args_node))
            expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_node.children)
        return Call("::".join(names), args, expand, self.source(node))

    def x_string(self, node: Tree) -> Expr:
        raw_parts: list[Any] = []
        for part in node.children:
            if not (isinstance(part, Tree) and part.data == "string_part"):
                continue
            inner = part.children[0]
            if isinstance(inner, Token):
                value = str(inner)
                if inner.type == "ESCAPED_INTERPOLATION":
                    raw_parts.append(value[1:])
                elif inner.type == "ESCAPED_DIRECTIVE":
                    raw_parts.append(value[1:])
                else:
                    raw_parts.append(_unescape(value))
            elif inner.data == "interpolation":
                raw_parts.append(self.expr(_trees(inner)[0]))
            else:
                raw_parts.append(self.directive(inner))
        return _assemble_template(raw_parts, lambda: self.source(node))

    def directive(self, node: Tree) -> _Directive:
        kind = node.data.replace("template_", "").replace("_start", "")
        tokens = [c for c in node.children if isinstance(c, Token)]
        strip_left = len(tokens) > 1 and tokens[1].type == "STRIP_MARKER"
        strip_right = len(tokens) > 1 and tokens[-2].type == "STRIP_MARKER"
        subtrees = _trees(node)
        payload: tuple = ()
        if kind == "if":
            payload = (self.expr(subtrees[0]),)
        elif kind == "for":
            names = [str(t.children[0]) for t in subtrees if t.data == "identifier"]
            payload = (names, self.expr(subtrees[-1]))
        return _Directive(kind, strip_left, strip_right, payload)

    def x_template_string(self, node: Tree) -> Expr:
        raw = str(node.children[0])
        return Lit(_unescape(raw[2:-2]))

    def x_heredoc_template(self, node: Tree) -> Expr:
        return self.heredoc(str(node.children[0]), trim=False)

    def x_heredoc_template_trim(self, node: Tree) -> Expr:
        return self.heredoc(str(node.children[0]), trim=True)

    def heredoc(self, raw: str, trim: bool) -> Expr:
        lines = raw.split("\n")
        body_lines = lines[1:-2]  # drop the opening marker, the closing marker and the final ""
        body = "\n".join(body_lines) + ("\n" if body_lines else "")
        if trim:
            body = textwrap.dedent(body)
        return parse_template_text(body)

    def _traverse(self, node: Tree, step: tuple) -> Expr:
        base, steps = self._traversal_parts(_trees(node)[0])
        return Traversal(base, steps + (step,), self.source(node))

    def _traversal_parts(self, node: Tree) -> tuple[Expr, tuple]:
        """The base and steps of a traversal's base expression (``a.b`` of ``a.b.c``), without the
        source text of each shorter traversal, which the longer one replaces."""
        while (node.data == "expr_term" and len(node.children) == 1 and type(node.children[0]) is Tree
               and node.children[0].data != "new_line_or_comment"):
            node = node.children[0]  # as x_expr_term reads it
        handler = _TRAVERSAL_STEPS.get(node.data)
        if handler is None:
            base = self.expr(node)
            if isinstance(base, Traversal):
                return base.base, base.steps
            return base, ()
        base, steps = self._traversal_parts(_trees(node)[0])
        return base, steps + (handler(self, node),)

    def step(self, node: Tree) -> tuple:
        if node.data == "get_attr":
            step = ("attr", self.name_of(_trees(node)[0]))
            return self._shared.setdefault(step, step)
        if node.data == "braces_index":
            return ("index", self.expr(_trees(node)[0]))
        if node.data == "short_index":
            token = [c for c in node.children if isinstance(c, Token) and c.type == "INT_LITERAL"][0]
            return ("index", Lit(int(str(token))))
        raise ValueError(f"unknown traversal step {node.data}")

    def x_get_attr_expr_term(self, node: Tree) -> Expr:
        return self._traverse(node, self.traversal_step(node))

    x_index_expr_term = x_get_attr_expr_term

    def x_attr_splat_expr_term(self, node: Tree) -> Expr:
        return self._traverse(node, self.splat_step(node))

    x_full_splat_expr_term = x_attr_splat_expr_term

    def traversal_step(self, node: Tree) -> tuple:
        return self.step(_trees(node)[1])

    def splat_step(self, node: Tree) -> tuple:
        return ("splat", tuple(self.step(s) for s in _trees(_trees(node)[1])))

    def x_for_tuple_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=False)

    def x_for_object_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=True)

    def _for(self, node: Tree, is_object: bool) -> Expr:
        parts = _trees(node)
        intro = parts[0]
        intro_parts = _trees(intro)
        names = [str(p.children[0]) for p in intro_parts if p.data == "identifier"]
        collection = self.expr(intro_parts[-1])
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        cond_node = next((p for p in parts if p.data == "for_cond"), None)
        cond = self.expr(_trees(cond_node)[0]) if cond_node is not None else None
        bodies = [p for p in parts[1:] if p.data != "for_cond"]
        grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        if is_object:
            key, value = self.expr(bodies[0]), self.expr(bodies[1])
        else:
            key, value = None, self.expr(bodies[0])
        return ForExpr(key_var, value_var, collection, key, value, cond, grouping, self.source(node))


_EXPRESSION_HANDLERS: dict[str, Any] = {name[2:]: handler for name, handler in vars(_Converter).items()
                                         if name.startswith("x_")}
# traversal nodes -> how each makes its last step
_TRAVERSAL_STEPS: dict[str, Any] = {
    "get_attr_expr_term": _Converter.traversal_step, "index_expr_term": _Converter.traversal_step,
    "attr_splat_expr_term": _Converter.splat_step, "full_splat_expr_term": _Converter.splat_step}


def _assemble_template(raw_parts: list[Any], source: Callable[[], str]) -> Expr:
    """Flat string parts (literals, expressions, directives) -> a Template with if/for structure.
    ``source``: the template's text, for an error (worked out only then)."""
    parts = list(raw_parts)
    # strip markers trim the whitespace of the neighbouring literal
    for i, part in enumerate(parts):
        if isinstance(part, _Directive):
            if part.strip_left and i > 0 and isinstance(parts[i - 1], str):
                parts[i - 1] = parts[i - 1].rstrip()
            if part.strip_right and i + 1 < len(parts) and isinstance(parts[i + 1], str):
                parts[i + 1] = parts[i + 1].lstrip()
    position = 0

    def sequence(stops: tuple[str, ...]) -> tuple[tuple, str | None]:
        nonlocal position
        out: list[Any] = []
        while position < len(parts):
            part = parts[position]
            position += 1
            if isinstance(part, _Directive):
                if part.kind in stops:
                    return tuple(out), part.kind
                if part.kind == "if":
                    then, stop = sequence(("else", "endif"))
                    otherwise: tuple = ()
                    if stop == "else":
                        otherwise, stop = sequence(("endif",))
                    if stop != "endif":
                        raise _TemplateError("%{if} without %{endif}")
                    out.append(TemplateIf(part.payload[0], then, otherwise))
                elif part.kind == "for":
                    names, collection = part.payload
                    body, stop = sequence(("endfor",))
                    if stop != "endfor":
                        raise _TemplateError("%{for} without %{endfor}")
                    key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
                    out.append(TemplateFor(key_var, value_var, collection, body))
                else:
                    raise _TemplateError(f"unexpected %{{{part.kind}}}")
            elif isinstance(part, str):
                if out and isinstance(out[-1], str):
                    out[-1] += part
                elif part:
                    out.append(part)
            else:
                out.append(part)
        return tuple(out), None

    try:
        result, stop = sequence(())
    except _TemplateError as exc:
        return Invalid(source(), str(exc))
    if not result:
        return Lit("")
    if len(result) == 1 and isinstance(result[0], str):
        return Lit(result[0])
    if len(result) == 1 and not isinstance(result[0], (TemplateIf, TemplateFor)):
        return result[0]  # "${expr}" is the value of expr itself, not its string form
    return Template(result)


class _TemplateError(ValueError):
    pass


# ---------------------------------------------------------------------------------------------
# Templates given as plain text (heredoc bodies, JSON-syntax strings)


def _interpolation_end(text: str, start: int) -> int:
    """Index just past the ``}`` closing the ``${`` / ``%{`` that starts at ``start``; -1 if none."""
    depth = 0
    i = start + 2
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i + 1
            depth -= 1
        i += 1
    return -1


_TEMPLATE_START_RE = re.compile(r"(\$\$\{|%%\{|\$\{|%\{)")


def parse_template_text(text: str) -> Expr:
    """A template written as raw text (heredoc body, JSON string) -> its expression."""
    if "${" not in text and "%{" not in text:
        return Lit(text)
    position = 0
    for_grammar: list[str] = []
    while True:
        found = _TEMPLATE_START_RE.search(text, position)
        if not found:
            break
        start = found.start()
        for_grammar.append(_escape_literal(text[position:start]))
        if found.group(1) in ("$${", "%%{"):
            for_grammar.append(found.group(1))
            position = found.end()
            continue
        end = _interpolation_end(text, start)
        if end < 0:
            return Invalid(text, "unterminated template interpolation")
        for_grammar.append(text[start:end].replace("\n", " "))
        position = end
    for_grammar.append(_escape_literal(text[position:]))
    source = f'__template__ = "{"".join(for_grammar)}"\n'
    try:
        tree = hcl2_parser().parse(source + "\n")
    except LarkError as exc:
        return Invalid(text, f"template could not be parsed: {str(exc).splitlines()[0] if str(exc) else exc}")
    attribute = _trees(tree.children[0])[0]
    return _Converter(source).attribute(attribute).expr


def _escape_literal(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))


def parse_expression_text(text: str) -> Expr:
    """One HCL expression written as text (``--var`` values); raises ValueError when invalid."""
    source = f"__expr__ = {text}\n"
    try:
        tree = hcl2_parser().parse(source + "\n")
    except LarkError as exc:
        raise ValueError(str(exc)) from None
    return _Converter(source).attribute(_trees(tree.children[0])[0]).expr


# ---------------------------------------------------------------------------------------------
# JSON syntax

# JSON-syntax object values under these names are maps (attributes), not nested blocks.
_JSON_MAP_ATTRIBUTES = frozenset({"tags", "tags_all", "labels", "variables", "environment_variables",
                                  "default", "value", "locals", "triggers", "parameters", "inputs"})


def _parse_json_file(path: str, text: str) -> ParsedFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParsedFile(path, (), (), (ParseProblem(f"invalid JSON: {exc.msg}", exc.lineno),))
    if not isinstance(data, dict):
        return ParsedFile(path, (), (), (ParseProblem("a Terraform JSON file must hold an object", 1),))
    lines = _JsonLines(text)
    if path.endswith(".tfvars.json"):
        attrs = tuple(Attribute(k, _json_literal(v), *lines.span(k), json.dumps(v)[:200])
                      for k, v in data.items())
        return ParsedFile(path, (), attrs, ())
    blocks: list[Block] = []
    label_depth = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1,
                   "locals": 0, "terraform": 0}
    for block_type, content in data.items():
        depth = label_depth.get(block_type)
        if depth is None:
            continue
        for labels, body in _json_labelled(content, depth):
            line, end_line = lines.span(block_type, *labels)
            literal = block_type == "variable"
            blocks.append(_json_block(block_type, tuple(labels), body, line, end_line, literal))
    return ParsedFile(path, tuple(blocks), (), ())


def _json_labelled(content: Any, depth: int) -> list[tuple[list[str], Any]]:
    if depth == 0:
        items = content if isinstance(content, list) else [content]
        return [([], item) for item in items if isinstance(item, dict)]
    out: list[tuple[list[str], Any]] = []
    groups = content if isinstance(content, list) else [content]
    for group in groups:
        if not isinstance(group, dict):
            continue
        for label, inner in group.items():
            for labels, body in _json_labelled(inner, depth - 1):
                out.append(([label, *labels], body))
    return out


def _json_block(block_type: str, labels: tuple[str, ...], body: dict[str, Any], line: int,
                end_line: int, literal: bool = False) -> Block:
    attributes: list[Attribute] = []
    blocks: list[Block] = []
    for key, value in body.items():
        if key == "//":
            continue
        if key == "dynamic" and isinstance(value, dict):
            for name, spec in value.items():
                for item in spec if isinstance(spec, list) else [spec]:
                    if isinstance(item, dict):
                        blocks.append(_json_block("dynamic", (name,), item, line, end_line))
            continue
        is_block = (key not in _JSON_MAP_ATTRIBUTES and block_type not in ("locals",)
                    and (isinstance(value, dict) or (isinstance(value, list) and value
                                                      and all(isinstance(v, dict) for v in value))))
        if is_block and not literal:
            for item in value if isinstance(value, list) else [value]:
                blocks.append(_json_block(key, (), item, line, end_line))
        else:
            expr = _json_literal(value) if literal else _json_expr(value)
            attributes.append(Attribute(key, expr, line, end_line, json.dumps(value)[:200]))
    return Block(block_type, labels, tuple(attributes), tuple(blocks), line, end_line)


def _json_expr(value: Any) -> Expr:
    if isinstance(value, str):
        return parse_template_text(value)
    if isinstance(value, list):
        return TupleExpr(tuple(_json_expr(v) for v in value))
    if isinstance(value, dict):
        return ObjectExpr(tuple((parse_template_text(k), _json_expr(v)) for k, v in value.items()))
    return Lit(value)


def _json_literal(value: Any) -> Expr:
    if isinstance(value, list):
        return TupleExpr(tuple(_json_literal(v) for v in value))
    if isinstance(value, dict):
        return ObjectExpr(tuple((Lit(k), _json_literal(v)) for k, v in value.items()))
    return Lit(value)


class _JsonLines:
    """Approximate line spans for JSON keys (the first line where the quoted key appears)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def span(self, *keys: str) -> tuple[int, int]:
        """The line of the last key, searching each key after the previous one."""
        index = 0
        for key in keys:
            found = self.text.find(json.dumps(key), index)
            if found < 0:
                break
            index = found
        line = self.text.count("\n", 0, index) + 1
        return line, line
