"""What a loader hands to the model builder: resources as written, with raw attribute trees.

A loader (Terraform HCL, Terraform plan JSON, CloudFormation) reads files and produces
:class:`RawResource` objects plus :class:`InputError` objects; it knows nothing about AWS
semantics. Model builders (``adapters/*/aws.py``) turn raw resources into the provider-neutral
model in :mod:`iacgate.model`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .values import Source


@dataclass(slots=True)
class InputError:
    """A problem with the input: the gate could not read or fully understand something."""

    file: str
    message: str
    line: int | None = None
    kind: str = "error"  # "error" (blocks: exit 2) or "warning" (reported, e.g. a remote module not analysed)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "line": self.line, "message": self.message}
        if self.kind != "error":
            out["kind"] = self.kind
        return out


@dataclass(slots=True)
class RawResource:
    """One resource instance (or provider / variable / output / parameter) as an input declares it.

    ``attrs`` is a raw tree (see :mod:`iacgate.values`): nested blocks are lists of dicts in
    Terraform, CloudFormation ``Properties`` as written but with intrinsics resolved where static.
    ``refs`` maps a top-level attribute name to the addresses its expression refers to, in the
    same address space as ``address`` (``aws_s3_bucket.b``, ``module.m.aws_s3_bucket.b[0]``, a CFN
    logical id). Model builders use it to link satellite resources (a public access block, a
    policy) to their bucket when the attribute value itself is not known before apply.
    """

    address: str
    type: str
    name: str
    source_kind: str  # "terraform" | "cloudformation" | "plan"
    file: str
    line: int | None = None
    end_line: int | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=dict)
    mode: str = "managed"  # managed | data | provider | variable | output | local | parameter | module
    module: str = ""  # Terraform module path ("" = root, "module.a.module.b")
    index: Any = None  # count index (int) or for_each key (str); None when not repeated
    actions: tuple[str, ...] = ()  # plan: the change's actions ("create", "update", "delete", ...)
    before: dict[str, Any] | None = None  # plan: the prior values, when the change updates
    sensitive_paths: tuple[str, ...] = ()  # dotted attribute paths marked sensitive
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. CFN Metadata, inline suppressions
    stack: str = ""  # what the resource deploys with: a Terraform root folder, a plan file, a template


    @property
    def source(self) -> Source:
        return Source(self.file, self.line, self.end_line, self.address)

    @property
    def deleted(self) -> bool:
        """The plan deletes this resource and does not create it again."""
        return "delete" in self.actions and "create" not in self.actions


@dataclass(slots=True)
class LoadResult:
    """Everything one loader produced."""

    resources: list[RawResource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    stacks: list[StackOrigin] = field(default_factory=list)  # only when the caller asked to reuse results

    def extend(self, other: LoadResult) -> None:
        self.resources.extend(other.resources)
        self.errors.extend(other.errors)
        self.files.extend(other.files)
        self.stacks.extend(other.stacks)


@dataclass
class StackOrigin:
    """A stack whose making the loader can state whole: a key for how it was asked for (the root
    folder, options) and the read log of everything on disk it was made from. ``resources``,
    ``errors`` and ``files`` are that stack's share of the load result (empty when ``reused``)."""

    stack: str
    key: str
    reads: tuple[tuple[str, str, str], ...]
    resources: list[RawResource]
    errors: list[InputError]
    files: list[str]
    reused: bool = False  # the caller holds its results; the loader did not evaluate it
    # the caller's results: those it held (``reused``), or its analysis made in a worker process
    # (``LoadOptions.analyse``); ``resources`` is then empty
    analysed: Any = None


def error_key(error: InputError) -> tuple[str, str, int | None, str]:
    return (error.file, error.message, error.line, error.kind)


def distinct_errors(errors: Iterable[InputError]) -> list[InputError]:
    """The errors in order, each reported once."""
    seen: set[tuple[str, str, int | None, str]] = set()
    out = []
    for error in errors:
        key = error_key(error)
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out
