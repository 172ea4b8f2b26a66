"""The credentials rule pack evaluated over real subjects: right rules, severities, no secrets."""
from __future__ import annotations

from pathlib import Path

import pytest

from iacgate.analysis.credentials import access_key_subjects, credential_subjects, find_credentials
from iacgate.raw import RawResource
from iacgate.values import Unresolved

rules_loader = pytest.importorskip("iacgate.rules.loader")
rules_engine = pytest.importorskip("iacgate.rules.engine")

PACK = Path(__file__).resolve().parents[1] / "policies" / "credentials"
KEY_ID = "AKIA" + "SXANV4XVIJ7YCIJ5"
SECRET = "ZH6HDV/EolIbS2UTxbLplG" + "pukOdaGmlq9MtAg1Xv"
EXAMPLE_KEY_ID = "AKIAIOSFODNN7" + "EXAMPLE"


def load_pack() -> list:
    rules, errors = rules_loader.load_pack(PACK, builtin=True)
    assert errors == []
    return rules


def test_pack_loads_with_six_rules() -> None:
    assert [r.id for r in sorted(load_pack(), key=lambda r: r.id)] == [
        f"IG-CRED-00{i}" for i in range(1, 7)]


def test_findings_for_each_rule_and_no_secret_in_any_text() -> None:
    resources = [
        RawResource("provider.aws", "aws", "aws", "terraform", "providers.tf", 1, 5,
                    {"access_key": KEY_ID, "secret_key": SECRET}, mode="provider"),
        RawResource("provider.aws.docs", "aws", "docs", "terraform", "providers.tf", 7, 10,
                    {"access_key": EXAMPLE_KEY_ID}, mode="provider"),
        RawResource("aws_instance.boot", "aws_instance", "boot", "terraform", "main.tf", 1, 9,
                    {"user_data": "export AWS_SECRET_ACCESS_KEY=replace_me"}),
        RawResource("WebServer", "AWS::EC2::Instance", "WebServer", "cloudformation", "t.yaml", 3, 20,
                    {}, meta={"metadata": {"AWS::CloudFormation::Authentication": {
                        "Basic": {"type": "basic", "username": "u", "password": "badpassword"}}}}),
        RawResource("aws_iam_access_key.ci", "aws_iam_access_key", "ci", "terraform", "iam.tf", 1, 4,
                    {"user": "ci"}),
        RawResource("output.ci_secret", "output", "ci_secret", "terraform", "iam.tf", 6, 8,
                    {"value": Unresolved("aws_iam_access_key.ci.secret")}, mode="output"),
    ]
    subjects = credential_subjects(find_credentials(resources)) + access_key_subjects(resources)
    findings = rules_engine.evaluate(load_pack(), subjects)
    got = sorted((f.rule_id, f.severity, f.address, f.status) for f in findings)
    assert got == [
        ("IG-CRED-001", "critical", "provider.aws", "fail"),
        ("IG-CRED-001", "critical", "provider.aws", "fail"),
        ("IG-CRED-002", "low", "provider.aws.docs", "fail"),
        ("IG-CRED-003", "high", "aws_iam_access_key.ci", "fail"),
        ("IG-CRED-004", "medium", "aws_iam_access_key.ci", "fail"),
        ("IG-CRED-005", "medium", "aws_instance.boot", "fail"),
        ("IG-CRED-006", "high", "WebServer", "fail"),
    ]
    # Two keys in one holder are two findings, not one fingerprint.
    assert len({f.fingerprint for f in findings}) == len(findings)
    for finding in findings:
        text = " ".join([finding.message, finding.what, finding.title,
                         *(e.detail for e in finding.evidence)])
        for raw in (KEY_ID, SECRET, EXAMPLE_KEY_ID, "badpassword", "replace_me"):
            assert raw not in text
    paired = [f for f in findings if f.rule_id == "IG-CRED-001"]
    assert all("together with its key pair" in f.message for f in paired)
