"""Rule packs: YAML files, one rule each, checked against the JSON Schema and then compiled.

A fault is a :class:`RuleError` naming the file and the JSON pointer of the fault
(``policies/s3/x.yaml: /condition/all/0/equals: ...``). The schema checks the shape; the compiler
checks what a schema cannot: duplicate ids, fact paths unknown to the kind's catalog, invalid
regular expressions, undeclared parameters, placeholders in messages, escalations that do not raise.
"""
from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ..findings import severity_rank
from ..resources import builtin_policies_dir, rule_schema_path
from .catalog import known_facts
from .conditions import OPERATORS, Condition, check_param_value, compile_collecting
from .pack_cache import RulePackCache, pack_fingerprint, pack_key
from .template import Template, TemplateError, parse_template

if TYPE_CHECKING:
    from ..workers import ForkedCall

BUILTIN_ID = re.compile(r"^IG-[A-Z0-9]+-[0-9]{3}$")
RULE_FILE_SUFFIXES = (".yaml", ".yml")
MAX_RULE_FILE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class RuleError:
    """A fault in a rule file (``kind="error"``), or a warning about it (``kind="warning"``, e.g. a
    user rule that replaces a built-in one)."""

    file: str
    pointer: str
    message: str
    kind: str = "error"

    def __str__(self) -> str:
        return f"{self.file}: {self.pointer or '/'}: {self.message}"


@dataclass(frozen=True, slots=True)
class Escalation:
    when: Condition
    severity: str


@dataclass(frozen=True, slots=True)
class MessageCase:
    when: Condition
    message: Template


@dataclass(eq=False)
class Rule:
    id: str
    title: str
    concept: str
    severity: str
    resource: str
    condition: Condition
    message: Template
    remediation: dict[str, str]
    references: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    escalate: tuple[Escalation, ...] = ()
    message_cases: tuple[MessageCase, ...] = ()
    unknown_message: Template | None = None
    enabled: bool = True
    description: str = ""
    file: str = ""
    builtin: bool = False
    overrides: str | None = None  # the built-in rule file this user rule replaces
    data: dict[str, Any] = field(default_factory=dict)  # the rule as written

    @property
    def severities(self) -> tuple[str, ...]:
        """The base severity and every severity an escalation can raise it to."""
        return (self.severity, *(e.severity for e in self.escalate))

    @property
    def max_severity(self) -> str:
        return min(self.severities, key=severity_rank)


# ---------------------------------------------------------------------------------------------
# Reading files


def pointer_of(path: Iterable[Any]) -> str:
    """A JSON pointer (RFC 6901) for a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _yaml_loader(libyaml: bool = True) -> type:
    r"""The rule files' YAML loader: on libyaml's scanner and parser where PyPI's build has it (six
    times faster), nodes composed by PyYAML's composer either way, which sees each alias. The two
    scanners differ in corners: libyaml takes a tab as a separator (``a:\t1``) and refuses a lone
    surrogate escape (``"\ud800"``), where PyYAML does the opposite, and some errors are worded
    differently (their positions agree)."""
    import yaml

    if libyaml and yaml.__with_libyaml__:
        from yaml.cyaml import CParser

        class ComposingLoader(yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor,
                              yaml.resolver.Resolver):
            def __init__(self, stream: Any) -> None:
                CParser.__init__(self, stream)
                yaml.composer.Composer.__init__(self)
                yaml.constructor.SafeConstructor.__init__(self)
                yaml.resolver.Resolver.__init__(self)

        base: type = ComposingLoader
    else:
        base = yaml.SafeLoader

    class RuleLoader(base):  # type: ignore[valid-type,misc]
        """Safe YAML that refuses duplicate keys and aliases (a rule file is small and flat)."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed in "
                                                  "rule files", event.start_mark)
            return super().compose_node(parent, index)

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        loader.flatten_mapping(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
        return loader.construct_mapping(node, deep=deep)

    RuleLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return RuleLoader


@lru_cache(maxsize=1)
def _loader_class() -> type:
    return _yaml_loader()


def read_rule_text(path: Path, display: str) -> tuple[str | None, RuleError | None]:
    """The text of a rule file, or the error that prevented reading it."""
    try:
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            return None, RuleError(display, "/", f"file is larger than {MAX_RULE_FILE_BYTES} bytes")
        return path.read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, RuleError(display, "/", f"cannot read file: {exc}")


def parse_rule_text(text: str, display: str) -> tuple[Any, RuleError | None]:
    """The one YAML document of a rule file's text, or the error that prevented parsing it."""
    import yaml

    try:
        documents = list(yaml.load_all(text, Loader=_loader_class()))  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, RuleError(display, "/", f"invalid YAML{where}: {problem}")
    except RecursionError:
        return None, RuleError(display, "/", "invalid YAML: nested too deeply")
    documents = [d for d in documents if d is not None]
    if len(documents) != 1:
        return None, RuleError(display, "/", "a rule file holds exactly one rule (one YAML "
                                             f"document), found {len(documents)}")
    return documents[0], None


def read_rule_file(path: Path, display: str) -> tuple[Any, RuleError | None]:
    """The parsed YAML document of a rule file, or the error that prevented reading it."""
    text, error = read_rule_text(path, display)
    if text is None:
        return None, error
    return parse_rule_text(text, display)


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(rule_schema_path().read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _deepest(error: Any) -> Any:
    """For anyOf/oneOf faults, the alternative's error that says most about the fault."""
    from jsonschema.exceptions import best_match

    while error.context:
        candidate = best_match(error.context)
        if candidate is None or len(candidate.absolute_path) < len(error.absolute_path):
            break
        if candidate.validator == "$ref":
            break
        error = candidate
    return error


def schema_errors(data: Any, display: str) -> list[RuleError]:
    errors = []
    try:
        found = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:
        return [RuleError(display, "/", "rule is nested too deeply")]
    for error in found:
        error = _deepest(error)
        pointer = pointer_of(error.absolute_path)
        errors.append(RuleError(display, pointer, _plain_message(error, pointer)))
    return list(dict.fromkeys(errors))


def _plain_message(error: Any, pointer: str) -> str:
    """The schema's message, or the condition compiler's clearer one for a malformed condition
    (a comparison with two operators, ``all`` beside another key, ...)."""
    if isinstance(error.instance, dict) and "param" not in error.instance \
            and pointer.rpartition("/")[2] in OPERATORS:
        return f"{error.instance!r} is not an operand: use a value, a list, or {{param: NAME}}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extra = [str(k) for k in error.instance if k not in allowed
                 and not any(re.search(p, str(k)) for p in patterns)]
        if extra:
            return "; ".join(f"unknown key '{k}'{_suggest(k, allowed)}" for k in extra)
    steps = list(error.schema_path)
    from_condition_rules = len(steps) >= 4 and steps[-2] == "then" and steps[-4] == "allOf"
    if isinstance(error.instance, dict) and (from_condition_rules or error.instance == {}):
        try:
            _, faults = compile_collecting(error.instance, pointer)
        except RecursionError:
            return error.message
        own = [f.message for f in faults if f.pointer == pointer]
        if own:
            return own[0]
    return error.message


# ---------------------------------------------------------------------------------------------
# Compiling one rule


def _suggest(path: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(path, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Faults:
    def __init__(self, display: str) -> None:
        self.display = display
        self.errors: list[RuleError] = []

    def add(self, pointer: str, message: str) -> None:
        self.errors.append(RuleError(self.display, pointer, message))


def _compile_cond(data: Any, pointer: str, faults: _Faults) -> Condition | None:
    """The compiled condition (None when it has faults; all of them are recorded). Fact paths
    and parameters are checked on the parts that did compile."""
    try:
        condition, errors = compile_collecting(data, pointer)
    except RecursionError:
        faults.add(pointer, "condition is nested too deeply")
        return None
    for error in errors:
        faults.add(error.pointer, error.message)
    return condition


def _compile_template(text: str, pointer: str, faults: _Faults) -> Template | None:
    try:
        return parse_template(text)
    except TemplateError as exc:
        faults.add(pointer, str(exc))
        return None


def _check_facts(condition: Condition, kind: str, faults: _Faults) -> None:
    facts = known_facts(kind)
    if facts is None:
        return
    for pointer, path in condition.fact_paths():
        if path not in facts:
            faults.add(f"{pointer}/fact", f"unknown fact '{path}' for resource kind '{kind}'"
                                          f"{_suggest(path, facts)}")


def _check_params(condition: Condition, parameters: dict[str, Any], faults: _Faults) -> None:
    for pointer, op, name in condition.param_refs():
        if name not in parameters:
            faults.add(f"{pointer}/{op}/param", f"parameter '{name}' is not declared under "
                                                "'parameters'")
            continue
        problem = check_param_value(op, parameters[name])
        if problem:
            faults.add(f"/parameters/{name}", f"default does not suit '{op}' at {pointer}: "
                                              f"{problem}")


def _check_template(template: Template, pointer: str, kind: str, parameters: dict[str, Any],
                    faults: _Faults, allow_unknown: bool) -> None:
    facts = known_facts(kind)
    for placeholder in template.placeholders():
        if placeholder.kind == "param" and placeholder.key not in parameters:
            faults.add(pointer, f"{{param.{placeholder.key}}}: parameter is not declared")
        elif placeholder.kind == "fact" and facts is not None and placeholder.key not in facts \
                and placeholder.reason_of not in facts:
            faults.add(pointer, f"{{fact.{placeholder.key}}}: unknown fact for resource kind "
                                f"'{kind}'{_suggest(placeholder.key, facts)}")
        elif placeholder.kind == "subject" and placeholder.key == "unknown" and not allow_unknown:
            faults.add(pointer, "{unknown} is only available in unknown_message")


def compile_rule(data: dict[str, Any], display: str, *, builtin: bool = False
                 ) -> tuple[Rule | None, list[RuleError]]:
    """Compile schema-valid rule data; return the rule (None on any fault) and the faults."""
    faults = _Faults(display)
    kind = data["resource"]
    parameters = dict(data.get("parameters") or {})
    severity = data["severity"]

    if builtin:
        if not BUILTIN_ID.match(data["id"]):
            faults.add("/id", f"built-in rule ids match {BUILTIN_ID.pattern}")
        for key in ("terraform", "cloudformation"):
            if not data["remediation"].get(key):
                faults.add("/remediation", f"built-in rules give a '{key}' fix")
        if not data["references"]:
            faults.add("/references", "built-in rules cite at least one reference")

    condition = _compile_cond(data["condition"], "/condition", faults)
    if condition is not None:
        _check_facts(condition, kind, faults)
        _check_params(condition, parameters, faults)

    escalations: list[Escalation] = []
    for i, entry in enumerate(data.get("escalate") or []):
        when = _compile_cond(entry["when"], f"/escalate/{i}/when", faults)
        if severity_rank(entry["severity"]) >= severity_rank(severity):
            faults.add(f"/escalate/{i}/severity", f"'{entry['severity']}' does not raise the rule's "
                                                  f"severity '{severity}'")
        if when is not None:
            _check_facts(when, kind, faults)
            _check_params(when, parameters, faults)
            escalations.append(Escalation(when, entry["severity"]))

    message = _compile_template(data["message"], "/message", faults)
    if message is not None:
        _check_template(message, "/message", kind, parameters, faults, allow_unknown=False)
    cases: list[MessageCase] = []
    for i, entry in enumerate(data.get("message_cases") or []):
        when = _compile_cond(entry["when"], f"/message_cases/{i}/when", faults)
        text = _compile_template(entry["message"], f"/message_cases/{i}/message", faults)
        if when is not None:
            _check_facts(when, kind, faults)
            _check_params(when, parameters, faults)
        if text is not None:
            _check_template(text, f"/message_cases/{i}/message", kind, parameters, faults,
                            allow_unknown=False)
        if when is not None and text is not None:
            cases.append(MessageCase(when, text))
    unknown_message = None
    if "unknown_message" in data:
        unknown_message = _compile_template(data["unknown_message"], "/unknown_message", faults)
        if unknown_message is not None:
            _check_template(unknown_message, "/unknown_message", kind, parameters, faults,
                            allow_unknown=True)

    if faults.errors or condition is None or message is None:
        return None, faults.errors
    rule = Rule(
        id=data["id"], title=data["title"], concept=data["concept"], severity=severity,
        resource=kind, condition=condition, message=message,
        remediation={k: v for k, v in data["remediation"].items()},
        references=tuple(data["references"]), parameters=parameters,
        escalate=tuple(escalations), message_cases=tuple(cases), unknown_message=unknown_message,
        enabled=data.get("enabled", True), description=data.get("description", ""),
        file=display, builtin=builtin, data=data,
    )
    return rule, []


# ---------------------------------------------------------------------------------------------
# Packs


def rule_files(directory: Path) -> list[Path]:
    """The rule files under a folder, in a stable order (hidden files and folders skipped)."""
    found = []
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix in RULE_FILE_SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def load_file(path: Path, display: str, *, builtin: bool = False
              ) -> tuple[Rule | None, list[RuleError]]:
    data, error = read_rule_file(path, display)
    if error is not None:
        return None, [error]
    errors = schema_errors(data, display)
    if errors:
        return None, errors
    return compile_rule(data, display, builtin=builtin)


@dataclass(frozen=True, slots=True)
class _PackFile:
    name: str  # the path inside the pack (the key of its document in a cache entry)
    display: str
    text: str | None
    read_error: RuleError | None


@dataclass
class _Pack:
    """A folder of rules (or one rule file) read, before its files are checked and compiled."""

    files: list[_PackFile]
    builtin: bool
    documents: dict[str, Any] | None = None  # every file's checked document, from the cache
    key: str | None = None  # the pack's cache key (None: not cached)
    errors: list[RuleError] = field(default_factory=list)  # faults of the folder itself


Checked = list[tuple[Any, list[RuleError]]]  # each file's document (None on a fault) and faults


def _checked_document(file: _PackFile) -> tuple[Any, list[RuleError]]:
    """The document of a file that was read, when it parses and matches the schema."""
    if file.text is None:
        return None, [file.read_error] if file.read_error is not None else []
    data, error = parse_rule_text(file.text, file.display)
    if error is not None:
        return None, [error]
    errors = schema_errors(data, file.display)
    return (None, errors) if errors else (data, [])


def _checked_packs(packs: list[list[_PackFile]]) -> list[Checked]:
    return [[_checked_document(file) for file in files] for files in packs]


def _cached_documents(files: list[_PackFile], cache: RulePackCache | None
                      ) -> tuple[dict[str, Any] | None, str | None]:
    """The pack's checked documents from the cache (None on a miss) and the pack's cache key (None
    when the pack cannot be cached: no cache, or a file that could not be read)."""
    if cache is None or any(f.text is None for f in files):
        return None, None
    key = pack_key([(f.name, f.text or "") for f in files], cache.fingerprint)
    return cache.get(key, [f.name for f in files]), key


def _pack_file(path: Path, name: str, display: str) -> _PackFile:
    text, error = read_rule_text(path, display)
    return _PackFile(name, display, text, error)


def _read_pack(directory: str | Path, *, builtin: bool = False, display_root: str | None = None,
               cache: RulePackCache | None = None) -> _Pack:
    """A folder's rule files (or the one rule file given), named as ``display_root`` (default: the
    folder as given) joined with their path inside the folder, with their documents when the cache
    holds the pack."""
    root = Path(directory)
    shown = str(directory) if display_root is None else display_root
    if root.is_file() and root.suffix in RULE_FILE_SUFFIXES:
        files = [_pack_file(root, root.name, shown)]
    elif not root.is_dir():
        return _Pack([], builtin, errors=[RuleError(shown, "/", "not a folder or a rule file" if root.exists()
                                                    else "no such folder")])
    else:
        paths = rule_files(root)
        if not paths:
            return _Pack([], builtin, errors=[RuleError(shown, "/", "no rule files (*.yaml, *.yml) in this folder")])
        files = [_pack_file(path, path.relative_to(root).as_posix(), str(Path(shown) / path.relative_to(root)))
                 for path in paths]
    documents, key = _cached_documents(files, cache)
    return _Pack(files, builtin, documents, key)


def _compiled_pack(pack: _Pack, checked: Checked | None, cache: RulePackCache | None
                   ) -> tuple[list[Rule], list[RuleError]]:
    """The pack's rules and faults, from its files' checked documents (``checked``, in file order;
    None when they came from the cache). A pack whose every file checked clean is stored in the
    cache; a second rule with an id already seen is an error."""
    rules: list[Rule] = []
    errors: list[RuleError] = list(pack.errors)
    seen: dict[str, str] = {}
    documents: dict[str, Any] = {}
    for index, file in enumerate(pack.files):
        if checked is None:
            assert pack.documents is not None
            data, faults = pack.documents[file.name], []
        else:
            data, faults = checked[index]
        errors.extend(faults)
        if faults:
            continue
        documents[file.name] = data
        rule, faults = compile_rule(data, file.display, builtin=pack.builtin)
        errors.extend(faults)
        if rule is None:
            continue
        if rule.id in seen:
            errors.append(RuleError(file.display, "/id", f"duplicate rule id '{rule.id}' (also in "
                                                         f"{seen[rule.id]})"))
            continue
        seen[rule.id] = file.display
        rules.append(rule)
    if cache is not None and pack.key is not None and checked is not None and len(documents) == len(pack.files):
        cache.put(pack.key, documents)
    return rules, errors


def load_pack(directory: str | Path, *, builtin: bool = False,
              display_root: str | None = None, cache: RulePackCache | None = None
              ) -> tuple[list[Rule], list[RuleError]]:
    """Every rule in a folder (or the one rule of a rule file). Files are named as
    ``display_root`` (default: the folder as given) joined with their path inside the folder. A
    second rule with an id already seen is an error. With ``cache``, the checked documents of a
    pack whose files are unchanged are read from it."""
    pack = _read_pack(directory, builtin=builtin, display_root=display_root, cache=cache)
    checked = None if pack.documents is not None else _checked_packs([pack.files])[0]
    return _compiled_pack(pack, checked, cache)


def open_pack_cache(cache_dir: str | None) -> RulePackCache | None:
    """The rule pack cache in ``cache_dir`` (the parsed-file cache's folder), or None for no cache."""
    if not cache_dir:
        return None
    try:
        schema_text = rule_schema_path().read_bytes()
    except OSError:
        return None
    fingerprint = pack_fingerprint(schema_text)
    return RulePackCache(cache_dir, fingerprint) if fingerprint is not None else None


def is_builtin_dir(directory: str | Path) -> bool:
    try:
        return Path(directory).resolve() == builtin_policies_dir().resolve()
    except OSError:
        return False


class BuiltinCheck:
    """The built-in pack read and checked in a forked process from the very start of a run, before
    the command line is even parsed (that check is the same whatever the options say): PendingRules
    takes its result when the cache does not hold the pack and the files read the same. ``close``
    ends the process when nothing took it."""

    def __init__(self) -> None:
        from .. import workers

        self.pack = _read_pack(builtin_policies_dir(), builtin=True)
        self.call = (workers.ForkedCall(functools.partial(_checked_packs, [self.pack.files]))
                     if workers.can_fork() else None)

    def checked(self, files: list[_PackFile]) -> Checked | None:
        """The checked documents of ``files`` (the built-in pack as read since), when they are the
        files this check read; None otherwise, or when the check failed."""
        from ..workers import ForkedCallFailed

        if self.call is None or [(f.name, f.text) for f in files] != [(f.name, f.text) for f in self.pack.files]:
            return None
        try:
            return self.call.result()[0]
        except ForkedCallFailed:
            return None

    def close(self) -> None:
        if self.call is not None:
            self.call.close()


class PendingRules:
    """The built-in pack plus user packs (``--policies DIR``, in order), being loaded: ``result()``
    gives what ``load_rules`` gives. The files are read, and the cache consulted, when it is made.
    With ``background``, files the cache does not hold are parsed and checked against the schema in
    a forked process meanwhile (the caller loads its inputs; the YAML and JSON Schema libraries are
    then never imported here); else, or when that process fails, here on the first ``result()``."""

    def __init__(self, extra_dirs: list[str] | None = None, *, cache_dir: str | None = None,
                 background: bool = False, builtin_check: BuiltinCheck | None = None) -> None:
        self.cache = open_pack_cache(cache_dir)
        self.packs = [_read_pack(builtin_policies_dir(), builtin=True, cache=self.cache)]
        self.packs += [_read_pack(d, cache=self.cache) for d in extra_dirs or [] if not is_builtin_dir(d)]
        self._result: tuple[list[Rule], list[RuleError]] | None = None
        self._checking: ForkedCall | None = None
        self._builtin_check = builtin_check if self.packs[0].documents is None else None
        if builtin_check is not None and self._builtin_check is None:
            builtin_check.close()  # the cache holds the built-in pack
        # the packs the cache does not hold, but for the built-in one when it is being checked already
        self._to_check = [pack for index, pack in enumerate(self.packs)
                          if pack.documents is None and not (index == 0 and self._builtin_check is not None)]
        if background and any(pack.files for pack in self._to_check):
            from .. import workers

            if workers.can_fork():
                self._checking = workers.ForkedCall(functools.partial(_checked_packs,
                                                                      [pack.files for pack in self._to_check]))

    def result(self) -> tuple[list[Rule], list[RuleError]]:
        """Sorted by rule id. A user rule with the id of a built-in rule replaces it (a ``warning``
        says so); the same id in two user packs is an error and the first one is kept."""
        if self._result is None:
            self._result = self._merged(self._compiled())
        return self._result

    def close(self) -> None:
        """Stop the background checks whose results were never taken."""
        if self._checking is not None:
            self._checking.close()
            self._checking = None
        if self._builtin_check is not None:
            self._builtin_check.close()

    def _compiled(self) -> list[tuple[list[Rule], list[RuleError]]]:
        checked = dict(zip(map(id, self._to_check), self._checked_here_or_there()))
        if self._builtin_check is not None:
            builtin = self.packs[0]
            found = self._builtin_check.checked(builtin.files)
            self._builtin_check.close()
            self._builtin_check = None
            # changed since it was started, or the check failed: checked here
            checked[id(builtin)] = found if found is not None else _checked_packs([builtin.files])[0]
        return [_compiled_pack(pack, checked.get(id(pack)), self.cache) for pack in self.packs]

    def _checked_here_or_there(self) -> list[Checked]:
        """The checked documents of the packs to check: from the background check, else made here."""
        if self._checking is not None:
            from ..workers import ForkedCallFailed

            checking, self._checking = self._checking, None
            try:
                return checking.result()
            except ForkedCallFailed:
                pass
        return _checked_packs([pack.files for pack in self._to_check])

    @staticmethod
    def _merged(packs: list[tuple[list[Rule], list[RuleError]]]) -> tuple[list[Rule], list[RuleError]]:
        (builtin, builtin_errors), *user_packs = packs
        errors = list(builtin_errors)
        by_id: dict[str, Rule] = {rule.id: rule for rule in builtin}
        user_seen: dict[str, str] = {}
        for rules, faults in user_packs:
            errors.extend(faults)
            for rule in rules:
                if rule.id in user_seen:
                    errors.append(RuleError(rule.file, "/id", f"duplicate rule id '{rule.id}' (also "
                                                              f"in {user_seen[rule.id]})"))
                    continue
                user_seen[rule.id] = rule.file
                replaced = by_id.get(rule.id)
                if replaced is not None and replaced.builtin and replaced.file != rule.file:
                    rule.overrides = replaced.file
                    errors.append(RuleError(rule.file, "/id", f"replaces built-in rule {rule.id} "
                                                              f"({replaced.file})", kind="warning"))
                by_id[rule.id] = rule
        return sorted(by_id.values(), key=lambda r: r.id), errors


def load_rules(extra_dirs: list[str] | None = None, *, cache_dir: str | None = None
               ) -> tuple[list[Rule], list[RuleError]]:
    """The built-in pack plus user packs (``--policies DIR``, in order), sorted by rule id (see
    ``PendingRules.result``). ``cache_dir``: the folder of the checked-document cache (see
    :mod:`.pack_cache`); None reads and checks every file."""
    return PendingRules(extra_dirs, cache_dir=cache_dir).result()


def only_errors(errors: Iterable[RuleError]) -> list[RuleError]:
    return [e for e in errors if e.kind == "error"]


__all__ = ["Rule", "RuleError", "Escalation", "MessageCase", "load_rules", "load_pack",
           "load_file", "compile_rule", "read_rule_file", "read_rule_text", "parse_rule_text",
           "schema_errors", "rule_files", "pointer_of", "only_errors", "is_builtin_dir", "open_pack_cache",
           "PendingRules", "BuiltinCheck"]
