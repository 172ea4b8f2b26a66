"""Where the files that ship with iacgate (the built-in rule packs and their schema) are."""
from __future__ import annotations

from pathlib import Path


def builtin_policies_dir() -> Path:
    """The built-in ``policies/`` folder: installed as the ``iacgate.policies`` package, or the
    source checkout's top-level folder when running from an editable install."""
    try:
        import iacgate.policies as pkg  # type: ignore[import-not-found]

        return Path(next(iter(pkg.__path__)))
    except ImportError:
        return Path(__file__).resolve().parents[2] / "policies"


def rule_schema_path() -> Path:
    return builtin_policies_dir() / "schema" / "rule.schema.json"
