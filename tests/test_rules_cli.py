"""``iacgate rules list / show / validate`` through typer's CliRunner."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iacgate.resources import builtin_policies_dir
from iacgate.rules.commands import rules_app

USER_RULE = """\
id: acme.s3.versioning-required
title: Every bucket must have versioning
concept: s3-versioning
severity: high
resource: s3_bucket
condition:
  all:
    - {fact: declared, is_true: true}
    - {fact: versioning.enabled, not_equals: true}
message: "Bucket {name} must have versioning."
remediation: {summary: Enable versioning.}
references: []
"""


@pytest.fixture()
def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # older click
    except TypeError:
        return CliRunner()


def pack(folder: Path, **files: str) -> Path:
    for name, text in files.items():
        path = folder / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_list_shows_the_builtin_rules(runner: CliRunner) -> None:
    result = runner.invoke(rules_app, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "CONCEPT", "RESOURCE", "TITLE"]
    row = next(line for line in lines if line.startswith("IG-S3-001"))
    assert "high (up to critical)" in row and "s3-public-acl" in row and "s3_bucket" in row
    assert any(line.startswith("IG-S3-023") for line in lines)


def test_list_json_with_a_user_pack(runner: CliRunner, tmp_path: Path) -> None:
    pack(tmp_path, versioning=USER_RULE,
         logging=USER_RULE.replace("acme.s3.versioning-required", "IG-S3-022"))
    result = runner.invoke(rules_app, ["list", "--policies", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["acme.s3.versioning-required"]["builtin"] is False
    assert rows["IG-S3-022"]["severity"] == "high"
    assert rows["IG-S3-022"]["overrides"].endswith("ig-s3-022-logging.yaml")
    assert "warning:" in result.stderr and "replaces built-in rule IG-S3-022" in result.stderr


def test_list_with_a_broken_user_pack_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    pack(tmp_path, bad=USER_RULE.replace("severity: high", "severity: urgent"))
    result = runner.invoke(rules_app, ["list", "--policies", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.yaml'}: /severity: 'urgent' is not one of" in result.stderr
    assert "IG-S3-001" in result.stdout  # the valid rules are still listed


def test_show_prints_the_full_rule(runner: CliRunner) -> None:
    result = runner.invoke(rules_app, ["show", "IG-S3-001"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("IG-S3-001: S3 bucket is public through its ACL")
    for fragment in ("severity:  high (up to critical)", "condition (true = violation):",
                     "fact: exposure.via_acl", "severity critical when:", "Terraform fix:",
                     'resource "aws_s3_bucket_public_access_block"', "CloudFormation fix:",
                     "BlockPublicAcls: true", "references:",
                     "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html"):
        assert fragment in text, fragment


def test_show_is_case_insensitive_and_has_json(runner: CliRunner) -> None:
    result = runner.invoke(rules_app, ["show", "ig-s3-023", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "IG-S3-023" and data["builtin"] is True
    assert data["condition"] == {"fact": "policy.denies_insecure_transport", "not_equals": True}


def test_show_unknown_id_suggests_close_ones(runner: CliRunner) -> None:
    result = runner.invoke(rules_app, ["show", "IG-S3-0011"])
    assert result.exit_code == 2
    assert "no rule with id 'IG-S3-0011'" in result.stderr and "IG-S3-001" in result.stderr


def test_validate_the_shipped_policies(runner: CliRunner) -> None:
    result = runner.invoke(rules_app, ["validate", str(builtin_policies_dir())])
    assert result.exit_code == 0, result.output
    assert "rules valid" in result.stdout


def test_validate_reports_each_fault_as_file_pointer_message(runner: CliRunner,
                                                             tmp_path: Path) -> None:
    pack(tmp_path / "s3", good=USER_RULE,
         x=USER_RULE.replace("acme.s3.versioning-required", "acme.s3.x")
                    .replace("not_equals: true}", "equals: {value: 1}}")
                    .replace("fact: declared,", "fact: decalred,"))
    result = runner.invoke(rules_app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert errors == [f"{tmp_path / 's3' / 'x.yaml'}: /condition/all/1/equals: {{'value': 1}} is not "
                      "an operand: use a value, a list, or {param: NAME}"]
    fixed = USER_RULE.replace("acme.s3.versioning-required", "acme.s3.x").replace(
        "fact: declared,", "fact: decalred,")
    pack(tmp_path / "s3", x=fixed)
    result = runner.invoke(rules_app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{tmp_path / 's3' / 'x.yaml'}: /condition/all/0/fact: unknown fact 'decalred' for "
        "resource kind 's3_bucket' (did you mean 'declared'?)")


def test_validate_several_folders_finds_duplicates_across_them(runner: CliRunner,
                                                               tmp_path: Path) -> None:
    pack(tmp_path / "a", rule=USER_RULE)
    pack(tmp_path / "b", rule=USER_RULE)
    result = runner.invoke(rules_app, ["validate", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "duplicate rule id 'acme.s3.versioning-required'" in result.stderr


def test_validate_a_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(rules_app, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope'}: /: no such folder"


def test_validate_needs_a_folder(runner: CliRunner) -> None:
    assert runner.invoke(rules_app, ["validate"]).exit_code == 2
