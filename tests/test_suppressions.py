"""Suppressions: inline comments, CloudFormation Metadata, the ignore file; reasons and expiry."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from iacgate.findings import Finding, Subject
from iacgate.gate import GateOptions, apply_gate
from iacgate.report import render
from iacgate.suppressions import (IgnoreFileError, address_matches, apply_suppressions,
                                  discover_ignore_file, load_ignore_file, meta_by_subject)
from iacgate.values import Source

TODAY = dt.date(2026, 9, 1)
SITE = "infra/site/main.tf"


def finding(rule_id: str, address: str, source_kind: str = "terraform",
            file: str = "infra/site/main.tf") -> Finding:
    return Finding(rule_id=rule_id, concept="s3-public-policy", severity="critical", status="fail",
                   title="Public bucket", message="bucket policy allows Principal *", address=address,
                   resource_type="aws_s3_bucket", source_kind=source_kind,
                   location=Source(file, 4, 9, address), what="public")


def test_inline_terraform_comment_suppresses_with_reason_and_until() -> None:
    # As the Terraform loader hands over:
    #   # iacgate:ignore IG-S3-002 reason="public website" until=2027-03-31
    #   resource "aws_s3_bucket" "site" {
    meta = {("aws_s3_bucket.site", SITE): {"ignore": [
        {"rule": "IG-S3-002", "reason": "public website", "until": "2027-03-31", "line": 3}]}}
    out, warnings = apply_suppressions([finding("IG-S3-002", "aws_s3_bucket.site"),
                                        finding("IG-S3-001", "aws_s3_bucket.site")], meta, [], TODAY)
    assert warnings == []
    assert out[0].suppression is not None
    assert (out[0].suppression.reason, out[0].suppression.until, out[0].suppression.origin) == \
        ("public website", "2027-03-31", "inline")
    assert out[1].suppression is None  # a different rule on the same resource


def test_cloudformation_metadata_suppresses() -> None:
    metadata = {"iacgate": {"ignore": [{"id": "IG-S3-002", "reason": "CDN origin, served via OAC",
                                        "until": dt.date(2027, 1, 31)}]},
                "cfn_nag": {"rules_to_suppress": [{"id": "W35", "reason": "n/a"}]}}
    meta = {("WebsiteBucket", "templates/site.yaml"): {"metadata": metadata, "condition": None, "depends_on": []}}
    out, warnings = apply_suppressions(
        [finding("IG-S3-002", "WebsiteBucket", "cloudformation", "templates/site.yaml")], meta, [], TODAY)
    assert warnings == []
    assert out[0].suppression is not None and out[0].suppression.origin == "cloudformation-metadata"
    assert out[0].suppression.until == "2027-01-31"


def test_missing_reason_warns_and_does_not_suppress() -> None:
    meta = {("aws_s3_bucket.site", SITE): {"file": SITE,
                                           "ignore": [{"rule": "IG-S3-002", "reason": None, "until": None, "line": 3}]}}
    out, warnings = apply_suppressions([finding("IG-S3-002", "aws_s3_bucket.site")], meta, [], TODAY)
    assert out[0].suppression is None
    assert len(warnings) == 1 and warnings[0].kind == "warning"
    assert (warnings[0].file, warnings[0].line) == ("infra/site/main.tf", 3)
    assert "no reason" in warnings[0].message


def test_expired_suppression_warns_and_stops_suppressing() -> None:
    meta = {("aws_s3_bucket.site", SITE): {"ignore": [
        {"rule": "IG-S3-002", "reason": "temporary", "until": "2026-08-31", "line": 3}]}}
    out, warnings = apply_suppressions([finding("IG-S3-002", "aws_s3_bucket.site")], meta, [], TODAY)
    assert out[0].suppression is None
    assert "expired on 2026-08-31" in warnings[0].message
    assert warnings[0].file == SITE  # the file the subject is declared in
    still_valid, _ = apply_suppressions([finding("IG-S3-002", "aws_s3_bucket.site")], meta, [],
                                        dt.date(2026, 8, 31))
    assert still_valid[0].suppression is not None  # "until" is the last day it applies


def test_unreadable_until_date_warns() -> None:
    meta = {("X", SITE): {"metadata": {"iacgate": {"ignore": [{"id": "IG-S3-002", "reason": "r", "until": "soon"}]}}}}
    out, warnings = apply_suppressions([finding("IG-S3-002", "X", "cloudformation")], meta, [], TODAY)
    assert out[0].suppression is None and "unreadable until date 'soon'" in warnings[0].message


IGNORE_FILE = """\
ignore:
  - rule: IG-S3-002
    resource: module.logs.aws_s3_bucket.this
    reason: log archive, public read is required by the SIEM vendor
    until: 2027-03-31
  - rule: IG-S3-01*
    resource: "module.tenant_*.aws_s3_bucket.*"
    reason: tenant buckets are hygiene-exempt until the migration
  - rule: IG-S3-001
    resource: aws_s3_bucket.nope
"""


def test_ignore_file_globs_instance_keys_and_plans(tmp_path: Path) -> None:
    path = tmp_path / ".iacgate-ignore.yaml"
    path.write_text(IGNORE_FILE)
    entries = load_ignore_file(path)
    findings = [finding("IG-S3-002", 'module.logs.aws_s3_bucket.this["eu-west-1"]', "plan", "plan.json"),
                finding("IG-S3-010", "module.tenant_a.aws_s3_bucket.data[0]", "plan", "plan.json"),
                finding("IG-S3-002", "module.tenant_a.aws_s3_bucket.data[0]", "plan", "plan.json"),
                finding("IG-S3-001", "aws_s3_bucket.nope", "plan", "plan.json")]
    out, warnings = apply_suppressions(findings, {}, entries, TODAY)
    assert [f.suppression is not None for f in out] == [True, True, False, False]
    assert out[0].suppression.origin == ".iacgate-ignore.yaml"
    assert len(warnings) == 1 and "no reason" in warnings[0].message
    assert warnings[0].file == str(path)
    assert discover_ignore_file(tmp_path) == path
    assert discover_ignore_file(tmp_path / "missing") is None


def test_address_globs_treat_brackets_literally() -> None:
    assert address_matches('aws_s3_bucket.b["x"]', 'aws_s3_bucket.b["x"]')
    assert not address_matches('aws_s3_bucket.b["x"]', 'aws_s3_bucket.b["y"]')
    assert address_matches("aws_s3_bucket.b", 'aws_s3_bucket.b["y"]')
    assert address_matches("module.m.*", 'module.m.aws_s3_bucket.b[3]')
    assert not address_matches("aws_s3_bucket.b", "aws_s3_bucket.bb")


@pytest.mark.parametrize("text,complaint", [
    ("ignore: {rule: x}\n", "'ignore' list"),
    ("ignore:\n  - resource: a\n    reason: r\n", "needs a 'rule'"),
    ("ignore:\n  - rule: X\n    reasn: typo\n", "unknown key(s) reasn"),
    ("ignore: [\n", "not valid YAML"),
])
def test_bad_ignore_file_is_a_usage_error(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "ignore.yaml"
    path.write_text(text)
    with pytest.raises(IgnoreFileError, match="ignore.yaml") as info:
        load_ignore_file(path)
    assert complaint in str(info.value)


def test_empty_ignore_file_suppresses_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".iacgate-ignore.yaml"
    path.write_text("")
    assert load_ignore_file(path) == []


def test_odd_metadata_shapes_do_not_crash() -> None:
    meta = {("A", SITE): {"metadata": {"iacgate": "yes"}}, ("B", SITE): {"metadata": ["x"]},
            ("C", SITE): {"ignore": "IG-S3-002"}, ("D", SITE): {"metadata": {"iacgate": {"ignore": ["IG-S3-002"]}}},
            ("E", SITE): {"ignore": [{"rule": "IG-S3-002", "reason": ["list"], "until": ["x"]}]}}
    findings = [finding("IG-S3-002", a, "cloudformation") for a in "ABCDE"]
    out, warnings = apply_suppressions(findings, meta, [], TODAY)
    assert all(f.suppression is None for f in out)
    assert len(warnings) == 2  # D: bare id without reason; E: reason is not text


def test_suppressed_findings_stay_in_json_and_sarif_marked() -> None:
    subject = Subject(kind="s3_bucket", address="aws_s3_bucket.site", resource_type="aws_s3_bucket",
                      source_kind="terraform", source=Source("infra/site/main.tf", 4, 9), facts={},
                      meta={"ignore": [{"rule": "IG-S3-002", "reason": "public website", "until": None,
                                        "line": 3}]})
    out, _ = apply_suppressions([finding("IG-S3-002", "aws_s3_bucket.site")],
                                meta_by_subject([subject]), [], TODAY)
    report = apply_gate(out, [], GateOptions())
    assert report.decision == "pass"
    data = json.loads(render(report, "json"))
    assert data["findings"][0]["suppressed"] is True
    assert data["findings"][0]["suppression"]["reason"] == "public website"
    sarif = json.loads(render(report, "sarif"))
    assert sarif["runs"][0]["results"][0]["suppressions"][0]["justification"] == "public website"


@pytest.mark.parametrize("cached", [False, True])
def test_an_inline_suppression_applies_to_its_own_stack_only(tmp_path: Path, cached: bool) -> None:
    """Two root modules both declare aws_s3_bucket.data; the suppression written in prod must not
    hide dev's public bucket."""
    from iacgate.load import LoadOptions
    from iacgate.scan import ScanOptions, scan

    acl = 'resource "aws_s3_bucket_acl" "data" {\n  bucket = aws_s3_bucket.data.id\n  acl    = "public-read"\n}\n'
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "main.tf").write_text(
        '# iacgate:ignore IG-S3-001 reason="public website assets"\n'
        'resource "aws_s3_bucket" "data" {\n  bucket = "prod-site"\n}\n' + acl)
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "main.tf").write_text('resource "aws_s3_bucket" "data" {\n  bucket = "dev-exports"\n}\n' + acl)
    options = ScanOptions(load=LoadOptions(cache_dir=str(tmp_path / "cache") if cached else None), today=TODAY)
    for _ in range(2 if cached else 1):  # with the cache: the run that fills it and the run that reads it
        report = scan([str(tmp_path / "prod"), str(tmp_path / "dev")], options)
        public = {Path(f.location.file).parent.name: f for f in report.findings if f.rule_id == "IG-S3-001"}
        assert sorted(public) == ["dev", "prod"]
        assert public["prod"].suppressed and public["prod"].suppression.reason == "public website assets"
        assert not public["dev"].suppressed and public["dev"].blocking
        assert report.decision == "fail"
