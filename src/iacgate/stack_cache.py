"""What the gate concluded about a stack, kept between runs so a re-scan pays only for the stacks that
changed.

A Terraform root module (with every module it calls) is one stack, analysed on its own: links never
cross stacks. (A CloudFormation template is one too; it reads no other file, so the loader's key for
it holds its text's digest and its read log is empty.) A Terraform root's findings are a function of:

- everything its evaluation saw on disk, recorded by the loader as a read log
  (:mod:`iacgate.adapters.terraform.reads`: file contents, folder listings, path tests), re-checked
  before an entry is used;
- how it was asked for: the root folder, the current folder, ``--var`` / ``--var-file``, the file
  size bound (the loader's root key);
- the analysis settings: ``--account-public-access-block``, the selected rules as written and their
  parameters;
- the code: a digest of every module of the installed iacgate and the versions of Python and of the
  parsers.

The entry for a stack is found by the digest of all but the first; the read log inside it decides
whether it still holds. So an entry is never stale, only unused. What is kept is the stack's findings
before suppressions, baselines and the gate (those are applied on every run, so an ignore file or a
``--fail-on`` change needs no new analysis), with its input errors, files and resource count.

Entries live beside the parse cache (``--cache-dir``; ``--no-cache`` turns both off), written to a
temporary file and renamed, so concurrent runs never see half an entry. They are pickles read back
with an unpickler that accepts only the few iacgate types a finding is made of and plain data.
"""
from __future__ import annotations

import functools
import hashlib
import json
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .findings import Finding
from .parse_cache import parser_fingerprint, pickled, read_pickled_entry, write_entry
from .raw import InputError

FORMAT_VERSION = "1"
CACHE_SUBDIR = f"stacks-v{FORMAT_VERSION}"
_PICKLE_PROTOCOL = 5
_ALLOWED = {
    ("iacgate.findings", "Finding"), ("iacgate.findings", "Evidence"), ("iacgate.findings", "Suppression"),
    ("iacgate.values", "Source"), ("iacgate.values", "Value"), ("iacgate.values", "State"),
    ("iacgate.values", "Unknown"), ("iacgate.values", "Unresolved"), ("iacgate.raw", "InputError"),
    ("iacgate.stack_cache", "StackFindings"),
}
_BUILTINS = frozenset({"tuple", "list", "dict", "set", "frozenset", "int", "float", "str", "bytes", "bool"})

Entry = tuple[str, str, str]


@dataclass
class StackFindings:
    """One stack's share of a scan, up to the rules."""

    findings: list[Finding]
    subject_meta: dict[tuple[str, str], dict[str, Any]]  # (address, file) -> meta (inline suppressions)
    load_errors: list[InputError]
    analysis_errors: list[InputError]
    files: list[str]
    resources: int  # managed resources


def analysis_salt(settings: Sequence[Any]) -> str:
    """A digest of the analysis settings (rules as written, parameters, account access blocks) and of
    the code that analyses."""
    text = json.dumps(list(settings), sort_keys=True, default=repr)
    return hashlib.sha256(f"{parser_fingerprint()}\0{text}".encode("utf-8", "surrogateescape")).hexdigest()


class _EntryUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module == "builtins" and name in _BUILTINS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a stack cache entry")


class StackCache:
    """Entries under ``root/stacks-vN/ab/abcdef....pickle``, for one set of analysis settings."""

    def __init__(self, root: str, settings: Callable[[], Sequence[Any]]) -> None:
        self.folder = Path(root) / CACHE_SUBDIR
        self.settings = settings
        self._writable = True

    @functools.cached_property
    def salt(self) -> str:
        # On first use: a scan with no Terraform root or template never imports the parser, nor waits
        # for its rules (``settings``) while it loads.
        return analysis_salt(self.settings())

    def _entry(self, key: str) -> Path:
        name = hashlib.sha256(f"{self.salt}\0{key}".encode("utf-8", "surrogateescape")).hexdigest()
        return self.folder / name[:2] / f"{name}.pickle"

    def take(self, key: str, still_valid: Callable[[Sequence[Entry]], bool]) -> StackFindings | None:
        """The findings stored for ``key`` when the entry exists, decodes and its read log still
        holds; else None."""
        entry = read_pickled_entry(self._entry(key), _EntryUnpickler)
        if not (isinstance(entry, tuple) and len(entry) == 2):
            return None
        reads, found = entry
        if not isinstance(found, StackFindings) or not isinstance(reads, tuple) or not still_valid(reads):
            return None
        return found

    def put(self, key: str, reads: tuple[Entry, ...], found: StackFindings) -> None:
        """Store ``found``; a cache that cannot be written is skipped silently (it is only a speed-up)."""
        payload = pickled((reads, found)) if self._writable else None
        if payload is not None:
            self._writable = write_entry(self._entry(key), payload)
