"""Message templates: ``{fact.PATH}``, ``{fact.PATH.reason}``, ``{param.NAME}``, ``{address}``,
``{name}``, ``{resource_type}``, ``{kind}``, ``{unknown}``; ``{{`` and ``}}`` are literal braces.

Every value is rendered as text and scrubbed, so a template can never print a secret."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..findings import Subject
from ..redact import scrub
from ..values import State, Value, to_jsonable
from .catalog import SUBJECT_PLACEHOLDERS
from .conditions import MISSING

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_FACT_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Placeholder:
    kind: str  # "subject", "fact", "param"
    key: str
    reason_of: str | None = None  # for {fact.X.reason}: X, when X.reason is not itself a fact


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    parts: tuple[str | Placeholder, ...]

    def fact_paths(self) -> list[str]:
        return [p.key for p in self.parts if isinstance(p, Placeholder) and p.kind == "fact"]

    def placeholders(self) -> list[Placeholder]:
        return [p for p in self.parts if isinstance(p, Placeholder)]

    def render(self, subject: Subject, params: Mapping[str, Any],
               extra: Mapping[str, str] | None = None) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif part.kind == "fact":
                out.append(capped(scrub(_render_fact(subject.facts, part))))
            elif part.kind == "param":
                out.append(capped(scrub(render_plain(params.get(part.key)))))
            else:
                out.append(capped(scrub(_subject_field(subject, part.key, extra))))
        return "".join(out)


MAX_PLACEHOLDER_CHARS = 4096


def capped(text: str) -> str:
    """A placeholder's text, cut to :data:`MAX_PLACEHOLDER_CHARS` so that a huge input value (a
    20 MB string in a template) cannot multiply into every message that shows it."""
    if len(text) <= MAX_PLACEHOLDER_CHARS:
        return text
    return f"{text[:MAX_PLACEHOLDER_CHARS]}... ({len(text) - MAX_PLACEHOLDER_CHARS} more characters)"


def parse_template(text: str) -> Template:
    """Parse a template; raise :class:`TemplateError` on a malformed or unknown placeholder."""
    parts: list[str | Placeholder] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            parts.append(text[pos:match.start()])
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
            continue
        if token in ("{", "}"):
            raise TemplateError(f"unbalanced '{token}' at character {match.start()} "
                                "(write {{ or }} for a literal brace)")
        parts.append(_placeholder(match.group(1).strip()))
    if pos < len(text):
        parts.append(text[pos:])
    return Template(text, tuple(parts))


def _placeholder(name: str) -> Placeholder:
    if name in SUBJECT_PLACEHOLDERS:
        return Placeholder("subject", name)
    head, _, rest = name.partition(".")
    if head == "fact" and _FACT_PATH.match(rest):
        reason_of = rest[: -len(".reason")] if rest.endswith(".reason") else None
        return Placeholder("fact", rest, reason_of or None)
    if head == "param" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rest):
        return Placeholder("param", rest)
    raise TemplateError(f"unknown placeholder {{{name}}} (use {{fact.PATH}}, {{fact.PATH.reason}}, "
                        f"{{param.NAME}} or one of {', '.join(SUBJECT_PLACEHOLDERS)})")


def render_plain(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(render_plain(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return json.dumps(to_jsonable(value), sort_keys=True)
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, (str, int, float)):
        return str(value)
    return json.dumps(to_jsonable(value))


def render_value(value: Value) -> str:
    """A fact's value as message text (not yet scrubbed)."""
    if value.state is State.KNOWN:
        return render_plain(value.value)
    if value.state is State.ABSENT:
        return "not set"
    return "unknown"


def render_reason(value: Value) -> str:
    if value.reason:
        return value.reason
    return {State.KNOWN: "known", State.ABSENT: "not set",
            State.UNKNOWN: "known only after apply",
            State.UNRESOLVED: "could not be evaluated"}[value.state]


def _render_fact(facts: Mapping[str, Value], part: Placeholder) -> str:
    if part.reason_of is not None and part.key not in facts:
        return render_reason(facts.get(part.reason_of) or MISSING)
    return render_value(facts.get(part.key) or MISSING)


def subject_name(subject: Subject) -> str:
    fact = subject.facts.get("name")
    if fact is not None and fact.known and isinstance(fact.value, str) and fact.value:
        return fact.value
    meta_name = subject.meta.get("name") if isinstance(subject.meta, dict) else None
    if isinstance(meta_name, str) and meta_name:
        return meta_name
    return subject.address


def _subject_field(subject: Subject, key: str, extra: Mapping[str, str] | None) -> str:
    if extra and key in extra:
        return extra[key]
    if key == "address":
        return subject.address
    if key == "name":
        return subject_name(subject)
    if key == "resource_type":
        return subject.resource_type
    if key == "kind":
        return subject.kind
    return ""
