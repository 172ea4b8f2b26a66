"""What evaluating one Terraform root module looked at on disk.

A root module's raw resources are a function of the options it was evaluated with and of what its
evaluation saw on disk: the files it read (configuration, variable files, module manifests,
``file()`` / ``templatefile()`` arguments), the folders it listed, the paths it tested
(``fileexists()``, path resolution) and the files the scan found in each folder. A :class:`ReadLog`
records each of those with the state seen. A later run recomputes every state
(:func:`unchanged`); only when all are equal may it reuse what was derived from that root.

States are content digests and test results, never times: an edit that leaves a file's bytes
unchanged changes nothing, any other edit is seen.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

FILE = "file"          # the file's bytes (or why they could not be read)
LISTING = "listing"    # the Terraform configuration files a folder holds
SCANNED = "scanned"    # the Terraform files the scan found in a folder
IS_FILE = "isfile"
IS_DIR = "isdir"
EXISTS = "exists"
REALPATH = "realpath"

CONFIG_SUFFIXES = (".tf", ".tf.json")

Entry = tuple[str, str, str]  # (kind, path, state)
# Asked once per root module before it is evaluated: (the root's key, a check that a recorded read
# log still holds) -> the root's results when the caller already holds them, else None.
Reuse = Callable[[str, Callable[[Sequence[Entry]], bool]], Any]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_state(path: str, max_size: int) -> str:
    """The file's content digest; for a file the gate would not read, the reason instead."""
    try:
        size = os.path.getsize(path)
        if size > max_size:
            return f"larger than {max_size}"
        with open(path, "rb") as handle:
            return digest(handle.read())
    except (OSError, ValueError) as exc:
        return f"unreadable: {getattr(exc, 'errno', None)}"


def listing_state(folder: str) -> str:
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(CONFIG_SUFFIXES))
    except (OSError, ValueError) as exc:
        return f"unreadable: {getattr(exc, 'errno', None)}"
    return digest("\0".join(names).encode("utf-8", "surrogateescape"))


def scanned_state(files: Iterable[str] | None) -> str:
    if files is None:
        return "not scanned"
    return digest("\0".join(sorted(files)).encode("utf-8", "surrogateescape"))


def _test_state(kind: str, path: str) -> str:
    try:
        if kind == IS_FILE:
            return str(os.path.isfile(path))
        if kind == IS_DIR:
            return str(os.path.isdir(path))
        if kind == EXISTS:
            return str(os.path.exists(path))
        return os.path.realpath(path)
    except ValueError:  # a path holding a NUL character
        return "invalid"


class ReadLog:
    """The states one evaluation saw, first sight kept (later reads of the same thing agree with
    it within one run)."""

    def __init__(self, max_file_size: int) -> None:
        self.max_file_size = max_file_size
        self.entries: dict[tuple[str, str], str] = {}

    def _note(self, kind: str, path: str, state: str) -> None:
        self.entries.setdefault((kind, path), state)

    def file(self, path: str, data: bytes | None = None) -> None:
        """A file read; ``data`` when the caller already holds its bytes."""
        if (FILE, path) not in self.entries:
            self._note(FILE, path, digest(data) if data is not None else file_state(path, self.max_file_size))

    def file_state(self, path: str, state: str) -> None:
        """A file read whose state the caller already worked out (see :func:`file_state`)."""
        self._note(FILE, path, state)

    def listing(self, folder: str) -> None:
        if (LISTING, folder) not in self.entries:
            self._note(LISTING, folder, listing_state(folder))

    def scanned(self, folder: str, files: Iterable[str] | None) -> None:
        self._note(SCANNED, folder, scanned_state(files))

    def test(self, kind: str, path: str) -> bool:
        """``isfile`` / ``isdir`` / ``exists`` of ``path``, recorded."""
        state = _test_state(kind, path)
        self._note(kind, path, state)
        return state == "True"

    def realpath(self, path: str) -> str:
        resolved = _test_state(REALPATH, path)
        self._note(REALPATH, path, resolved)
        return resolved

    def merge(self, other: ReadLog) -> None:
        for key, state in other.entries.items():
            self.entries.setdefault(key, state)

    def frozen(self) -> tuple[Entry, ...]:
        return tuple(sorted((kind, path, state) for (kind, path), state in self.entries.items()))


def current_state(kind: str, path: str, scanned: Mapping[str, Iterable[str]], max_file_size: int) -> str:
    """The state of one read log entry on disk now (``scanned``: folder -> the files this run's scan
    found there)."""
    if kind == FILE:
        return file_state(path, max_file_size)
    if kind == LISTING:
        return listing_state(path)
    if kind == SCANNED:
        return scanned_state(scanned.get(path))
    if kind in (IS_FILE, IS_DIR, EXISTS, REALPATH):
        return _test_state(kind, path)
    return "unknown kind"


def unchanged(entries: Iterable[Entry], state_now: Callable[[str, str], str]) -> bool:
    """Whether every recorded state is still the state now."""
    return all(state_now(kind, path) == state for kind, path, state in entries)
