"""Loading rule packs: schema validation with JSON pointers, semantic checks, user packs."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from iacgate.findings import Subject
from iacgate.resources import builtin_policies_dir, rule_schema_path
from iacgate.rules.engine import evaluate
from iacgate.rules.loader import load_pack, load_rules, only_errors
from iacgate.values import Source, known

VALID_RULE = """\
id: acme.s3.versioning-required
title: Every bucket must have versioning
concept: s3-versioning
severity: high
resource: s3_bucket
condition:
  all:
    - {fact: declared, is_true: true}
    - {fact: versioning.enabled, not_equals: true}
message: "Bucket {name} must have versioning (versioning.enabled = {fact.versioning.enabled})."
remediation:
  summary: Enable versioning.
references: []
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def faults(folder: Path) -> list[str]:
    _, errors = load_pack(folder)
    return [str(e) for e in errors]


def bucket(**facts) -> Subject:
    return Subject("s3_bucket", "aws_s3_bucket.data", "aws_s3_bucket", "terraform",
                   Source("main.tf", 1, 9, "aws_s3_bucket.data"),
                   {k.replace("__", "."): known(v) for k, v in facts.items()})


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(rule_schema_path().read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_a_valid_user_rule_loads(tmp_path: Path) -> None:
    write(tmp_path, "s3/versioning.yaml", VALID_RULE)
    rules, errors = load_pack(tmp_path)
    assert errors == []
    [rule] = rules
    assert rule.id == "acme.s3.versioning-required" and rule.file == str(tmp_path / "s3/versioning.yaml")
    assert not rule.builtin and rule.enabled


@pytest.mark.parametrize("change,expected", [
    (("equals: true}", "equals: {value: 1}}"),
     "/condition/all/1/not_equals: {'value': 1} is not an operand"),
    (("- {fact: declared, is_true: true}", "- {fact: declared, in: public}"),
     "/condition/all/0/in: 'public' is not of type 'array'"),
    (("- {fact: declared, is_true: true}", "- {fact: declared, equal: true}"),
     "/condition/all/0: unknown key 'equal' (did you mean 'equals'?)"),
    (("- {fact: declared, is_true: true}", "- {fact: declared, is_true: true, exists: true}"),
     "/condition/all/0: a comparison takes exactly one operator, found 2: is_true, exists"),
    (("severity: high", "severity: urgent"), "/severity: 'urgent' is not one of"),
    (("concept: s3-versioning", "concept: s3-backups"), "/concept: 's3-backups' is not one of"),
    (("id: acme.s3.versioning-required", "id: 9lives"), "/id: '9lives' does not match"),
    (("title: Every bucket must have versioning\n", ""), "/: 'title' is a required property"),
    (("references: []", "references: []\nseverty: low"),
     "/: unknown key 'severty' (did you mean 'severity'?)"),
])
def test_schema_faults_name_file_and_json_pointer(tmp_path: Path, change, expected: str) -> None:
    path = write(tmp_path, "s3/x.yaml", VALID_RULE.replace(*change))
    found = faults(tmp_path)
    assert any(f.startswith(f"{path}: {expected}") for f in found), found


@pytest.mark.parametrize("change,expected", [
    (("versioning.enabled, not", "versioning.enabeld, not"),
     "/condition/all/1/fact: unknown fact 'versioning.enabeld' for resource kind 's3_bucket' "
     "(did you mean 'versioning.enabled'?)"),
    (("- {fact: declared, is_true: true}", "- {fact: name, matches: '(prod'}"),
     "/condition/all/0/matches: invalid regular expression '(prod'"),
    (("- {fact: declared, is_true: true}", "- {fact: name, matches: {param: pattern}}"),
     "/condition/all/0/matches/param: parameter 'pattern' is not declared under 'parameters'"),
    (("must have versioning (", "must have {versoning} ("), "/message: unknown placeholder {versoning}"),
    (("{fact.versioning.enabled}", "{fact.versioning.on}"),
     "/message: {fact.versioning.on}: unknown fact for resource kind 's3_bucket'"),
    (("Bucket {name}", "Bucket {name"), "/message: unbalanced '{'"),
    (("references: []", "references: []\nescalate: [{when: {fact: declared, is_true: true}, "
                        "severity: medium}]"),
     "/escalate/0/severity: 'medium' does not raise the rule's severity 'high'"),
])
def test_semantic_faults_name_file_and_json_pointer(tmp_path: Path, change, expected: str) -> None:
    path = write(tmp_path, "x.yaml", VALID_RULE.replace(*change))
    found = faults(tmp_path)
    assert any(f.startswith(f"{path}: {expected}") for f in found), found


def test_facts_of_uncatalogued_kinds_are_not_checked(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", VALID_RULE.replace("resource: s3_bucket", "resource: rds_instance")
          .replace("versioning.enabled", "storage.encrypted"))
    assert faults(tmp_path) == []


def test_bad_parameter_default_is_reported(tmp_path: Path) -> None:
    text = VALID_RULE.replace("- {fact: declared, is_true: true}",
                              "- {fact: name, matches: {param: pattern}}")
    write(tmp_path, "x.yaml", text + "parameters: {pattern: '[a-'}\n")
    assert any("/parameters/pattern: default does not suit 'matches'" in f for f in faults(tmp_path))


@pytest.mark.parametrize("text,expected", [
    ("id: a\nid: b\n", "invalid YAML at line 2, column 1: duplicate key 'id'"),
    ("base: &b {fact: declared, is_true: true}\ncondition: *b\n", "YAML aliases are not allowed"),
    ("id: [unclosed\n", "invalid YAML"),
    ("", "exactly one rule"),
    ("id: a\n---\nid: b\n", "exactly one rule (one YAML document), found 2"),
    ("- id: a\n", "/: [{'id': 'a'}] is not of type 'object'"),
])
def test_unreadable_files_are_errors_not_tracebacks(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, "x.yaml", text)
    found = faults(tmp_path)
    assert len(found) >= 1 and expected in found[0], found


@pytest.mark.parametrize("text", [
    "id: a\nid: b\n", "base: &b {fact: declared, is_true: true}\ncondition: *b\n", "id: [unclosed\n",
    "a: b: c\n", "\tx: 1\n", "{a: 1}: 2\n", "k: &a [1]\n", "[1, *x]\n",
])
def test_rule_yaml_faults_are_found_alike_with_and_without_libyaml(text: str) -> None:
    """The loader on libyaml and the pure-Python one refuse the same files, at the same place."""
    import yaml

    from iacgate.rules.loader import _yaml_loader

    def outcome(loader: type) -> object:
        try:
            return list(yaml.load_all(text, Loader=loader))  # noqa: S506 - safe loaders
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            return type(exc).__name__, mark.line, mark.column
        except yaml.YAMLError as exc:  # an undefined alias
            return type(exc).__name__

    assert outcome(_yaml_loader(libyaml=True)) == outcome(_yaml_loader(libyaml=False))


def test_builtin_rule_files_read_alike_with_and_without_libyaml() -> None:
    import yaml

    from iacgate.rules.loader import _yaml_loader

    files = sorted((Path(__file__).resolve().parent.parent / "policies").rglob("*.yaml"))
    assert len(files) >= 20 and yaml.__with_libyaml__
    for path in files:
        text = path.read_text(encoding="utf-8")
        with_c = list(yaml.load_all(text, Loader=_yaml_loader(libyaml=True)))  # noqa: S506
        assert with_c and with_c == list(yaml.load_all(text, Loader=_yaml_loader(libyaml=False))), path  # noqa: S506


def test_duplicate_ids_in_a_pack(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID_RULE)
    second = write(tmp_path, "b.yml", VALID_RULE)
    rules, errors = load_pack(tmp_path)
    assert len(rules) == 1
    assert [str(e) for e in errors] == [
        f"{second}: /id: duplicate rule id 'acme.s3.versioning-required' (also in "
        f"{tmp_path / 'a.yaml'})"]


def test_missing_and_empty_folders_are_errors(tmp_path: Path) -> None:
    assert faults(tmp_path) == [f"{tmp_path}: /: no rule files (*.yaml, *.yml) in this folder"]
    assert faults(tmp_path / "nope") == [f"{tmp_path / 'nope'}: /: no such folder"]


def test_a_single_rule_file_is_a_pack(tmp_path: Path) -> None:
    path = write(tmp_path, "one.yaml", VALID_RULE)
    rules, errors = load_pack(path)
    assert errors == [] and [r.file for r in rules] == [str(path)]
    other = write(tmp_path, "notes.txt", "hello")
    assert faults(other) == [f"{other}: /: not a folder or a rule file"]


def test_hidden_files_and_other_extensions_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "rule.yaml", VALID_RULE)
    write(tmp_path, ".git/config.yaml", "not: a rule")
    write(tmp_path, "README.md", "# my rules")
    rules, errors = load_pack(tmp_path)
    assert errors == [] and len(rules) == 1


def test_builtin_pack_loads_cleanly() -> None:
    rules, errors = load_rules([])
    assert errors == []
    assert all(r.builtin and r.file.startswith(str(builtin_policies_dir())) for r in rules)
    assert [r.id for r in rules] == sorted(r.id for r in rules)


def test_user_pack_overrides_a_builtin_and_adds_a_rule(tmp_path: Path) -> None:
    write(tmp_path, "versioning.yaml", VALID_RULE.replace("acme.s3.versioning-required", "IG-S3-020"))
    write(tmp_path, "naming.yaml", """\
        id: acme.s3.naming
        title: Bucket names start with the team prefix
        concept: other
        severity: low
        resource: s3_bucket
        parameters: {prefix: "^acme-"}
        condition:
          not: {fact: name, matches: {param: prefix}}
        message: "Bucket {name} does not match {param.prefix}."
        remediation: {summary: Rename the bucket.}
        references: []
        """)
    subject = bucket(name="scratch-data", declared=True, versioning__enabled=False)

    builtin, _ = load_rules([])
    before = {f.rule_id: f for f in evaluate(builtin, [subject])}
    assert before["IG-S3-020"].severity == "medium" and "acme.s3.naming" not in before

    rules, errors = load_rules([str(tmp_path)])
    assert only_errors(errors) == []
    [warning] = errors
    assert warning.kind == "warning" and "replaces built-in rule IG-S3-020" in str(warning)
    assert len(rules) == len(builtin) + 1
    after = {f.rule_id: f for f in evaluate(rules, [subject])}
    assert after["IG-S3-020"].severity == "high"
    assert after["IG-S3-020"].message == "Bucket scratch-data must have versioning (versioning.enabled = false)."
    assert after["acme.s3.naming"].message == "Bucket scratch-data does not match ^acme-."
    overriding = next(r for r in rules if r.id == "IG-S3-020")
    assert overriding.overrides and overriding.overrides.endswith("ig-s3-020-versioning.yaml")


def test_same_id_in_two_user_packs_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "one", "r.yaml", VALID_RULE)
    write(tmp_path / "two", "r.yaml", VALID_RULE.replace("severity: high", "severity: low"))
    rules, errors = load_rules([str(tmp_path / "one"), str(tmp_path / "two")])
    assert [str(e) for e in only_errors(errors)] == [
        f"{tmp_path / 'two' / 'r.yaml'}: /id: duplicate rule id 'acme.s3.versioning-required' "
        f"(also in {tmp_path / 'one' / 'r.yaml'})"]
    assert next(r for r in rules if r.id == "acme.s3.versioning-required").severity == "high"


def test_a_broken_user_pack_keeps_the_builtin_rules(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", VALID_RULE.replace("severity: high", "severity: urgent"))
    rules, errors = load_rules([str(tmp_path)])
    assert len(only_errors(errors)) == 1
    assert {r.id for r in rules} == {r.id for r in load_rules([])[0]}


def test_passing_the_builtin_folder_again_changes_nothing() -> None:
    rules, errors = load_rules([str(builtin_policies_dir())])
    assert errors == [] and len(rules) == len(load_rules([])[0])
