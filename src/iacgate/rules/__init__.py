"""Declarative rules: YAML rule packs evaluated over the facts the analysers compute.

``load_rules`` reads the built-in pack and user packs, ``select_rules`` applies ``--only`` /
``--skip`` / ``--min-severity``, and ``evaluate`` turns fails and unknowns into findings.
Imported lazily, so that ``python -m iacgate.rules.catalog`` runs cleanly."""
from __future__ import annotations

from typing import Any

_EXPORTS = {"evaluate": "engine", "evaluate_each": "engine", "select_rules": "engine", "load_rules": "loader",
            "Rule": "loader", "RuleError": "loader"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
