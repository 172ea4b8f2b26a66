"""Project configuration: ``.iacgate.yaml`` in the current directory, else ``[tool.iacgate]`` in
``pyproject.toml``. Command-line options win; callers merge."""
from __future__ import annotations

from pathlib import Path
from typing import Any

CONFIG_FILE_NAMES: tuple[str, ...] = (".iacgate.yaml", ".iacgate.yml")
_SEVERITY = {"enum": ["critical", "high", "medium", "low", "info"]}
_FORMAT = {"enum": ["text", "json", "sarif", "junit", "markdown", "github", "atlantis"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_STRING_OR_STRINGS = {"anyOf": [{"type": "string"}, _STRINGS]}

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "fail_on": _SEVERITY,
        "unknown": {"enum": ["auto", "fail", "warn", "pass"]},
        "format": _FORMAT,
        "outputs": {"anyOf": [
            {"type": "object", "propertyNames": _FORMAT, "additionalProperties": {"type": "string"}},
            {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+=.+$"}}]},
        "policies": _STRING_OR_STRINGS,
        "only": _STRING_OR_STRINGS,
        "skip": _STRING_OR_STRINGS,
        "severity": _SEVERITY,
        "ignore_file": {"type": "string"},
        "baseline": {"type": "string"},
        "new_only": {"type": "boolean"},
        "var_files": _STRING_OR_STRINGS,
        "vars": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "account_context": {"type": "string"},
        "source_root": {"type": "string"},
        "max_file_size": {"type": "integer", "minimum": 1},
        "cache": {"anyOf": [{"type": "boolean"}, {"type": "string"}]},
        "parameters": {"type": "object"},
    },
}
_LISTS = ("policies", "only", "skip", "var_files")


class ConfigError(ValueError):
    """A configuration file the gate cannot use (a usage error: exit 2)."""


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name}: not valid YAML: {exc}") from exc


def _read_pyproject(path: Path) -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError as exc:
            raise ConfigError("pyproject.toml: reading [tool.iacgate] needs Python 3.11+ or the tomli "
                              "package; use .iacgate.yaml instead") from exc
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"pyproject.toml: cannot read: {exc}") from exc
    return data.get("tool", {}).get("iacgate")


def find_config(cwd: str | Path) -> tuple[Path, str] | None:
    """The config file in ``cwd`` and its kind ("yaml" or "pyproject"), if any."""
    base = Path(cwd)
    for name in CONFIG_FILE_NAMES:
        if (base / name).is_file():
            return base / name, "yaml"
    if (base / "pyproject.toml").is_file():
        return base / "pyproject.toml", "pyproject"
    return None


def validate_config(data: Any, origin: str) -> dict[str, Any]:
    """Check a config mapping; keys may use ``-`` or ``_``. Returns it with ``_`` keys and list
    options as lists. Raises :class:`ConfigError` naming the offending key."""
    if data is None:
        return {}  # e.g. a pyproject.toml without [tool.iacgate]: no validator import
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of options, got {type(data).__name__}")
    from jsonschema import Draft202012Validator

    config = {str(k).replace("-", "_"): v for k, v in data.items()}
    errors = sorted(Draft202012Validator(CONFIG_SCHEMA).iter_errors(config),
                    key=lambda e: (list(e.path), e.message))
    if errors:
        first = errors[0]
        if first.validator == "additionalProperties":
            known = set(CONFIG_SCHEMA["properties"])
            unknown = sorted(set(config) - known)
            raise ConfigError(f"{origin}: unknown key {unknown[0]!r} "
                              f"(known keys: {', '.join(sorted(known))})")
        key = ".".join(str(p) for p in first.path) or "(top level)"
        raise ConfigError(f"{origin}: key {key!r}: {_short(first.message)}")
    for key in _LISTS:
        if isinstance(config.get(key), str):
            config[key] = [config[key]]
    return config


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."


def load_config(cwd: str | Path) -> dict[str, Any]:
    """The options set in ``cwd``'s config file (``{}`` when there is none)."""
    found = find_config(cwd)
    if found is None:
        return {}
    path, kind = found
    data = _read_yaml(path) if kind == "yaml" else _read_pyproject(path)
    origin = path.name if kind == "yaml" else "pyproject.toml [tool.iacgate]"
    return validate_config(data, origin)
