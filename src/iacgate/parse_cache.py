"""Content-hash cache of parsed Terraform files, so a re-scan pays only for the files that changed.

An entry is keyed by the SHA-256 of the file's bytes together with everything that shapes the parsed
result: the syntax the file is read with (HCL, ``.tf.json``, ``.tfvars.json``), the AST format version,
the iacgate version and code (a digest of its modules) and the python-hcl2 and lark versions. A changed
file, parser or iacgate therefore never hits an old entry; entries are never stale, only unused.

Entries are pickles of :class:`~iacgate.adapters.terraform.hcl.ParsedFile`, read back with an unpickler
that only accepts iacgate's own syntax-tree types and plain data (no other classes, no callables), and
only from the cache folder of the user running the gate. Writes go to a temporary file in the same
folder followed by ``os.replace``, so concurrent runs never see half an entry. An entry that cannot be
read or does not decode is ignored (the file is parsed again and the entry rewritten).
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from .collector import collector_paused

AST_FORMAT_VERSION = "1"
CACHE_SUBDIR = f"parse-v{AST_FORMAT_VERSION}"
_PICKLE_PROTOCOL = 5
_AST_MODULE = "iacgate.adapters.terraform.hcl"
_BUILTINS = frozenset({"tuple", "list", "dict", "set", "frozenset", "int", "float", "str", "bytes", "bool",
                       "complex"})


def default_cache_dir(environ: dict[str, str] | None = None) -> str:
    """``$XDG_CACHE_HOME/iacgate``, else ``~/.cache/iacgate``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "iacgate")


def syntax_of(path: str) -> str:
    """The syntax a Terraform file is parsed with; part of the cache key."""
    if path.endswith(".tfvars.json"):
        return "tfvars.json"
    if path.endswith(".json"):
        return "tf.json"
    return "hcl"


def parser_fingerprint() -> str:
    """What shapes a parsed file: the iacgate code (see :func:`code_fingerprint`), the AST format,
    python-hcl2 and lark."""
    import hcl2
    import lark

    from . import __version__

    return (f"iacgate={__version__};code={code_fingerprint()};ast={AST_FORMAT_VERSION};"
            f"python-hcl2={getattr(hcl2, '__version__', '?')};lark={lark.__version__}")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the installed iacgate's modules and the Python version: results an older or
    edited iacgate wrote are never read back (a source install edited in place included)."""
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8", "surrogateescape") + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0unreadable\0")
    return digest.hexdigest()


def cache_key(data: bytes, syntax: str, fingerprint: str) -> str:
    digest = hashlib.sha256()
    digest.update(f"{fingerprint};syntax={syntax}\0".encode())
    digest.update(data)
    return digest.hexdigest()


class _AstUnpickler(pickle.Unpickler):
    """Only iacgate's syntax-tree named tuples and builtin containers may be constructed."""

    def find_class(self, module: str, name: str) -> Any:
        if module == _AST_MODULE and name[:1].isupper() and not name.startswith("_"):
            from .adapters.terraform import hcl

            found = getattr(hcl, name, None)
            if isinstance(found, type) and issubclass(found, tuple):
                return found
        if module == "builtins" and name in _BUILTINS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"class {module}.{name} is not allowed in a parse cache entry")


class ParseCache:
    """Parsed files stored under ``root/parse-vN/ab/abcdef....pickle``."""

    def __init__(self, root: str, fingerprint: str | None = None) -> None:
        self.folder = Path(root) / CACHE_SUBDIR
        self.fingerprint = fingerprint if fingerprint is not None else parser_fingerprint()
        self._writable = True

    def key(self, data: bytes, path: str) -> str:
        return cache_key(data, syntax_of(path), self.fingerprint)

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    # The call index: for a folder's configuration files (names and contents), the local ``source``
    # strings of its module calls, so the root modules of a tree are known without loading every
    # parsed file.

    def call_index_key(self, folder_files: bytes) -> str:
        return cache_key(folder_files, "module-calls", self.fingerprint)

    def get_call_sources(self, key: str) -> list[str] | None:
        try:
            with open(self.folder / "calls" / key[:2] / f"{key}.json", encoding="utf-8") as handle:
                found = json.load(handle)
        except (OSError, ValueError):
            return None
        if isinstance(found, list) and all(isinstance(item, str) for item in found):
            return found
        return None

    def put_call_sources(self, key: str, sources: list[str]) -> None:
        self._write(self.folder / "calls" / key[:2] / f"{key}.json",
                    json.dumps(sources).encode("utf-8", "surrogateescape"))

    def get(self, key: str, path: str) -> Any | None:
        """The cached ParsedFile for ``key`` (with ``path`` as its path), or None on a miss or a bad entry."""
        from .adapters.terraform.hcl import ParsedFile

        parsed = read_pickled_entry(self._entry(key), _AstUnpickler)
        if not isinstance(parsed, ParsedFile):
            return None
        return parsed._replace(path=path)

    def put(self, key: str, parsed: Any) -> None:
        """Store ``parsed``; a cache that cannot be written is skipped silently (it is only a speed-up)."""
        payload = pickled(parsed._replace(path="")) if self._writable else None
        if payload is not None:
            self._write(self._entry(key), payload)

    def _write(self, entry: Path, payload: bytes) -> None:
        if self._writable:
            self._writable = write_entry(entry, payload)


def read_pickled_entry(entry: Path, unpickler: type[pickle.Unpickler]) -> Any | None:
    """What a pickled cache entry holds, read through ``unpickler`` (which allows only the classes
    such an entry is made of); None when it is missing, unreadable, corrupt, truncated or foreign."""
    try:
        with open(entry, "rb") as handle:
            payload = handle.read()
    except OSError:
        return None
    try:
        with collector_paused():  # thousands of small objects, no garbage cycles among them
            return unpickler(io.BytesIO(payload)).load()
    except Exception:  # noqa: BLE001 - any corrupt, truncated or foreign entry is a miss
        return None


def pickled(value: Any) -> bytes | None:
    """``value`` as a cache entry's bytes, or None when it cannot be pickled (then it is not stored)."""
    try:
        return pickle.dumps(value, protocol=_PICKLE_PROTOCOL)
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return None


def write_entry(entry: Path, payload: bytes) -> bool:
    """Write a cache entry whole or not at all (a temporary file in the same folder, then
    ``os.replace``), so concurrent runs never read half an entry. False when the folder cannot be
    written (a cache is only a speed-up: the caller carries on without it)."""
    import tempfile  # here: runs without a cache (--no-cache) never need it

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".tmp-", dir=entry.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temp, entry)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
    except OSError:
        return False
    return True
