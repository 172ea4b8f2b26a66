"""Cache of rule packs whose files read and checked clean, so a run with unchanged rule files neither
parses YAML nor imports or runs the JSON Schema validator.

An entry holds the YAML document of every file of a pack, keyed by the SHA-256 of each file's path in
the pack and text, together with the rule schema file, the iacgate version and the PyYAML and
jsonschema versions. A changed rule file, schema, iacgate or library never hits an old entry; entries
are never stale, only unused. Only packs whose every file was read, parsed and matched the schema are
stored (the faults of a pack are found again on every run, exactly as without the cache), and only
documents made of JSON values (a YAML date or set is left to the loader each run).

Entries are JSON files under ``root/rules-vN/``; writes go to a temporary file in the same folder
followed by ``os.replace``, so concurrent runs never see half an entry. An entry that cannot be read,
does not decode or does not name exactly the pack's files is a miss.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from ..parse_cache import write_entry

CACHE_FORMAT_VERSION = "1"
CACHE_SUBDIR = f"rules-v{CACHE_FORMAT_VERSION}"


def _distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pack_fingerprint(schema_text: bytes) -> str | None:
    """What shapes a checked rule document besides its text: the schema, iacgate, PyYAML and
    jsonschema. None when a library's version cannot be told (then nothing is cached)."""
    from .. import __version__

    yaml_version, jsonschema_version = _distribution_version("PyYAML"), _distribution_version("jsonschema")
    if yaml_version is None or jsonschema_version is None:
        return None
    schema_digest = hashlib.sha256(schema_text).hexdigest()
    return (f"iacgate={__version__};format={CACHE_FORMAT_VERSION};schema={schema_digest};"
            f"pyyaml={yaml_version};jsonschema={jsonschema_version}")


def pack_key(texts: list[tuple[str, str]], fingerprint: str) -> str:
    """The key of a pack's files, given as (path inside the pack, text) in load order."""
    digest = hashlib.sha256(fingerprint.encode())
    for name, text in texts:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(f"\0{name}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
        digest.update(data)
    return digest.hexdigest()


def is_json_document(value: Any, depth: int = 0) -> bool:
    """True when ``value`` is made only of what JSON stores and reads back unchanged."""
    if depth > 100:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_json_document(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_json_document(item, depth + 1) for key, item in value.items())
    return False


class RulePackCache:
    """Checked rule documents stored under ``root/rules-vN/abcdef....json``."""

    def __init__(self, root: str, fingerprint: str) -> None:
        self.folder = Path(root) / CACHE_SUBDIR
        self.fingerprint = fingerprint

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str, names: list[str]) -> dict[str, Any] | None:
        """The documents by path inside the pack, or None on a miss or an entry that is not one."""
        try:
            documents = json.loads(self._entry(key).read_bytes())
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(documents, dict) or sorted(documents) != sorted(names):
            return None
        return documents

    def put(self, key: str, documents: dict[str, Any]) -> None:
        """Store the documents; a cache that cannot be written is skipped (it is only a speed-up)."""
        if not all(is_json_document(document) for document in documents.values()):
            return
        payload = json.dumps(documents, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")
        write_entry(self._entry(key), payload)
