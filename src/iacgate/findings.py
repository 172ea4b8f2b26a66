"""Subjects (what rules look at) and findings (what rules say)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from .values import Source, Value

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info; higher is milder."""
    return SEVERITIES.index(severity)


@dataclass(eq=False)
class Subject:
    """One thing a rule can be evaluated against: a resource of a kind, with its facts.

    ``facts`` maps dotted fact paths (``versioning.enabled``, ``exposure.public_read``) to
    :class:`Value` objects; the sources of the values a rule used become the finding's evidence."""

    kind: str
    address: str
    resource_type: str
    source_kind: str
    source: Source
    facts: Mapping[str, Value]
    actions: tuple[str, ...] = ()
    before_facts: Mapping[str, Value] | None = None  # plan: the same facts over the prior state
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. inline suppressions


@dataclass(frozen=True, slots=True)
class Evidence:
    address: str | None
    file: str | None
    line: int | None
    end_line: int | None
    detail: str = ""

    def __reduce__(self) -> tuple[Any, ...]:  # pickled by its fields: much faster to load than slot state
        return (Evidence, (self.address, self.file, self.line, self.end_line, self.detail))

    @classmethod
    def from_source(cls, source: Source, detail: str = "") -> "Evidence":
        return cls(source.address, source.file, source.line, source.end_line, detail)

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "file": self.file, "line": self.line,
                "end_line": self.end_line, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Suppression:
    rule_id: str
    reason: str
    until: str | None = None  # ISO date
    origin: str = ""  # "inline", "cloudformation-metadata", ".iacgate-ignore.yaml", "baseline"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Suppression, (self.rule_id, self.reason, self.until, self.origin))


@dataclass(eq=False)
class Finding:
    rule_id: str
    concept: str
    severity: str
    status: str  # "fail" | "unknown"
    title: str
    message: str
    address: str
    resource_type: str
    source_kind: str
    location: Source
    evidence: list[Evidence] = field(default_factory=list)
    what: str = ""  # stable description of what is wrong, for the fingerprint
    remediation: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    blocking: bool = False
    suppression: Suppression | None = None
    change: str | None = None  # plans: "new" | "existing"

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line moves: rule, resource address and what is wrong."""
        text = "\x1f".join((self.rule_id, self.address, self.what or self.status))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def copy_with(self, **changes: Any) -> "Finding":
        """A copy with ``changes`` made, as ``dataclasses.replace`` (a finding has no ``__post_init__``
        to run) at a quarter of its cost: the gate copies every finding of a run."""
        unknown = changes.keys() - _FINDING_FIELDS
        if unknown:
            raise TypeError(f"Finding has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(Finding)
        copy.__dict__.update(self.__dict__, **changes)
        return copy


_FINDING_FIELDS = frozenset(f.name for f in fields(Finding))


@dataclass(eq=False)
class ScanReport:
    """Everything one run produced, ready for the report formats.

    ``decision`` is "pass", "fail" (blocking findings) or "error" (input or usage errors); the exit
    code follows from it (0 / 1 / 2)."""

    findings: list[Finding]
    errors: list[Any]  # iacgate.raw.InputError
    files: list[str]
    resources: int
    decision: str
    summary_line: str
    tool_version: str
    changes: dict[str, int] | None = None  # plans: {"new": n, "existing": n, "fixed": n}

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1}.get(self.decision, 2)
