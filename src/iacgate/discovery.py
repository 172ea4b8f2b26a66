"""Find the inputs under the paths a user names, and tell their kind by name and content.

Terraform files are grouped by folder (each folder is one module). JSON and YAML files are sniffed:
a ``terraform show -json`` plan or a CloudFormation template; anything else in a walked folder is
not ours and is passed over, but a file named explicitly must be recognised.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .raw import InputError

SKIPPED_DIRS = frozenset({".git", ".terraform", "node_modules", ".hg", ".svn", "__pycache__",
                          ".venv", ".tox", ".mypy_cache", ".pytest_cache"})
TERRAFORM_SUFFIXES = (".tf", ".tf.json")
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")
DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml", ".template", ".cfn")
STDIN = "-"


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
        else:
            _add_file(inputs, raw, explicit=True)
    for files in inputs.terraform_dirs.values():
        files.sort()
    return inputs


def read_bytes(path: str, max_size: int) -> tuple[bytes | None, InputError | None]:
    """Read a file with a size bound; never raises."""
    try:
        size = Path(path).stat().st_size
        if size > max_size:
            return None, InputError(path, f"file is {size:,} bytes, above the --max-file-size limit of "
                                    f"{max_size:,} bytes; not read")
        with open(path, "rb") as fh:
            return fh.read(max_size + 1), None
    except OSError as exc:
        return None, InputError(path, f"cannot read file: {exc.strerror or exc}")
