"""Find the inputs under the paths a user names, and tell their kind by name and content.

Terraform files are grouped by folder (each folder is one module). JSON and YAML files are sniffed:
a ``terraform show -json`` plan or a CloudFormation template; anything else in a walked folder is
not ours and is passed over, but a file named explicitly must be recognised.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from .raw import InputError

SKIPPED_DIRS = frozenset({".git", ".terraform", "node_modules", ".hg", ".svn", "__pycache__",
                          ".venv", ".tox", ".mypy_cache", ".pytest_cache"})
TERRAFORM_SUFFIXES = (".tf", ".tf.json")
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")
DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml", ".template", ".cfn")
STDIN = "-"
NOT_REGULAR_FILE = "not a regular file (a FIFO, device or socket)"


@dataclass(frozen=True, slots=True)
class Document:
    """A JSON or YAML file whose kind is decided by content."""

    path: str
    explicit: bool  # named on the command line, not found by walking a folder


@dataclass
class Inputs:
    terraform_dirs: dict[str, list[str]] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    stdin: bool = False
    errors: list[InputError] = field(default_factory=list)


def display_path(path: str | os.PathLike[str]) -> str:
    """Relative to the current directory when the file lies below it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd:
        return "."
    if absolute.startswith(cwd + os.sep):
        return os.path.relpath(absolute, cwd)
    return absolute


def _kind_by_name(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(TERRAFORM_SUFFIXES) or lower.endswith(TFVARS_SUFFIXES):
        return "terraform"
    if lower.endswith(DOCUMENT_SUFFIXES):
        return "document"
    return None


def _add_file(inputs: Inputs, path: str, explicit: bool) -> None:
    kind = _kind_by_name(os.path.basename(path))
    if kind == "terraform":
        folder = display_path(os.path.dirname(os.path.abspath(path)))
        inputs.terraform_dirs.setdefault(folder, []).append(display_path(path))
    elif kind == "document":
        inputs.documents.append(Document(display_path(path), explicit))
    elif explicit:
        inputs.errors.append(InputError(display_path(path), "not a Terraform, CloudFormation or plan "
                                        "JSON file (by name: .tf, .tf.json, .tfvars, .json, .yaml, .yml, .template)"))


def _walk(inputs: Inputs, root: str) -> None:
    """Walk a folder, following symlinked folders once each (a symlink loop is reported, not followed)."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError as exc:
            inputs.errors.append(InputError(display_path(folder), f"cannot read folder: {exc.strerror}"))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            inputs.errors.append(InputError(display_path(folder), "symlink loop: folder already scanned "
                                            "through another path; not followed again", kind="warning"))
            continue
        seen.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            inputs.errors.append(InputError(display_path(folder), f"cannot list folder: {exc.strerror}"))
            continue
        subfolders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = not is_dir and entry.is_file(follow_symlinks=True)
            except OSError:
                is_dir = is_file = False
            if is_dir:
                if entry.name not in SKIPPED_DIRS:
                    subfolders.append(entry.path)
            elif is_file:
                _add_file(inputs, entry.path, explicit=False)
            elif entry.is_symlink():
                if _kind_by_name(entry.name):
                    inputs.errors.append(InputError(display_path(entry.path),
                                                    "broken or looping symlink"))
            elif _kind_by_name(entry.name):
                inputs.errors.append(InputError(display_path(entry.path), f"{NOT_REGULAR_FILE}; not read"))
        stack.extend(reversed(subfolders))


def discover(paths: list[str]) -> Inputs:
    inputs = Inputs()
    for raw in paths:
        if raw == STDIN:
            inputs.stdin = True
            continue
        try:
            st = os.stat(raw)
        except OSError as exc:
            reason = "symlink loop" if exc.errno == 40 else (exc.strerror or "cannot be read")
            inputs.errors.append(InputError(display_path(raw) if raw else raw, f"path not found: {reason}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk(inputs, raw)
        elif stat.S_ISREG(st.st_mode):
            _add_file(inputs, raw, explicit=True)
        else:
            inputs.errors.append(InputError(display_path(raw), f"{NOT_REGULAR_FILE}; not read"))
    for files in inputs.terraform_dirs.values():
        files.sort()
    return inputs


def read_bytes(path: str, max_size: int) -> tuple[bytes | None, InputError | None]:
    """Read a regular file of at most ``max_size`` bytes; never raises, never blocks.

    Text in UTF-16 or UTF-32 with a byte-order mark (what Windows PowerShell writes when output is
    redirected) is returned re-encoded as UTF-8."""
    try:
        # O_NONBLOCK: opening a FIFO swapped in after discovery returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, InputError(path, f"cannot read file: {exc.strerror or exc}")
    try:
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                return None, InputError(path, f"{NOT_REGULAR_FILE}; not read")
            if st.st_size > max_size:
                return None, InputError(path, f"file is {st.st_size:,} bytes, above the --max-file-size "
                                        f"limit of {max_size:,} bytes; not read")
            data = fh.read(max_size + 1)
    except OSError as exc:
        return None, InputError(path, f"cannot read file: {exc.strerror or exc}")
    if len(data) > max_size:
        return None, InputError(path, f"file grew above the --max-file-size limit of {max_size:,} bytes "
                                "while being read; not read")
    return _utf8_from_bom(path, data)


_UNICODE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                 (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _utf8_from_bom(path: str, data: bytes) -> tuple[bytes | None, InputError | None]:
    """UTF-16 / UTF-32 text that starts with a byte-order mark, as UTF-8; other bytes unchanged."""
    for bom, encoding in _UNICODE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).encode("utf-8"), None
            except UnicodeDecodeError as exc:
                line = data[:exc.start].decode(encoding, "replace").count("\n") + 1
                return None, InputError(path, f"starts with a {encoding.upper()} byte-order mark but is not "
                                        f"valid {encoding.upper()} text", line)
    return data, None
