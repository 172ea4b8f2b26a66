"""Helpers every report format shares: display paths, terminal-safe text, severity levels."""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

# Paths that name no file on this machine: stdin, remote module sources, URLs.
_NOT_LOCAL = re.compile(r"^(?:-|<[^>]*>)$|::|^[A-Za-z][A-Za-z0-9+.-]*://")
# C0 and C1 control characters, DEL, the Unicode line and paragraph separators, and the bidi
# overrides/isolates that reorder text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The same, with tabs and every kind of line break: a name or path must stay on its own line, visibly.
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def is_local_path(file: str | None) -> bool:
    return bool(file) and not _NOT_LOCAL.search(file or "")


def display_path(file: str | None, cwd: str | os.PathLike[str] | None = None,
                 real_cwd: str | None = None, realpath: Callable[[str], str] = os.path.realpath) -> str | None:
    """``file`` relative to ``cwd`` (default: the current directory) when it lies below it, also
    through symlinks (a checkout under /tmp -> /private/tmp), else absolute; stdin markers and
    remote sources are returned as given. ``real_cwd``: ``cwd`` with its symlinks resolved, when the
    caller already knows it; ``realpath``: how a path's symlinks are resolved (``os.path.realpath``)."""
    if not file or not is_local_path(file):
        return file
    base = os.fspath(cwd) if cwd is not None else os.getcwd()
    if os.sep != "/" or file.startswith("//") or base.startswith("//"):
        return _display_path_by_parts(file, base)
    absolute = os.path.normpath(os.path.join(base, file))
    below = _posix_below(absolute, os.path.normpath(base))
    if below is not None:
        return below
    try:
        below = _posix_below(realpath(absolute), real_cwd or os.path.realpath(base))
    except (ValueError, OSError):  # a name no file system accepts
        below = None
    return below if below is not None else absolute


def _posix_below(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` when below it (``.`` when the same), as
    ``PurePosixPath.relative_to`` gives it; None otherwise. Both are normalised absolute paths."""
    if path == folder:
        return "."
    prefix = folder if folder.endswith("/") else folder + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


def _display_path_by_parts(file: str, cwd: str) -> str:
    """:func:`display_path` where paths are not plain POSIX strings (Windows; a ``//`` root)."""
    base = Path(cwd)
    path = Path(file)
    absolute = Path(os.path.normpath(path if path.is_absolute() else base / path))
    try:
        return absolute.relative_to(os.path.normpath(base)).as_posix()
    except ValueError:
        pass
    try:
        return absolute.resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, OSError):
        return absolute.as_posix()


class ReportPaths:
    """:func:`display_path` for the many files of one report: each file worked out once, the
    current folder resolved once, and each folder of files outside it once (resolving a path checks
    every folder on the way; a file in a resolved folder needs one check of its own)."""

    def __init__(self) -> None:
        self._base = os.getcwd()
        self._real_base: str | None = None
        self._shown: dict[str | None, str | None] = {}
        self._real_folders: dict[str, str] = {}

    def __call__(self, file: str | None) -> str | None:
        if file not in self._shown:
            if self._real_base is None:
                self._real_base = os.path.realpath(self._base)
            self._shown[file] = display_path(file, self._base, self._real_base, self._realpath)
        return self._shown[file]

    def _realpath(self, path: str) -> str:
        """``os.path.realpath`` of a normalised absolute path."""
        folder, name = os.path.split(path)
        if not name or name in (".", "..") or not folder or "\x00" in path:  # as realpath: raises
            return os.path.realpath(path)
        real_folder = self._real_folders.get(folder)
        if real_folder is None:
            real_folder = self._real_folders[folder] = os.path.realpath(folder)
        candidate = os.path.join(real_folder, name)
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


def _spelled(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """Terminal control characters (escape sequences, carriage returns, bidi overrides) spelled
    out, so input cannot move the cursor, recolour or rewrite what the user reads."""
    return _CONTROL.sub(_spelled, text)


def escape_name(text: str) -> str:
    """A file path or resource address with every control character spelled out, line breaks and
    tabs included (``ev\\x0ail.tf``), so it reads as the one name it is."""
    return _CONTROL_OR_BREAK.sub(_spelled, text)


def one_line(text: str) -> str:
    """``text`` on a single line: newlines and tabs become spaces."""
    return " ".join(str(text).split())


def span(file: str | None, line: int | None, end_line: int | None) -> str:
    """``file:line-end_line`` (or as much of it as is known)."""
    if not file:
        return ""
    if line is None:
        return file
    if end_line is not None and end_line != line:
        return f"{file}:{line}-{end_line}"
    return f"{file}:{line}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
