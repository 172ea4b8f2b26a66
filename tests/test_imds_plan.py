"""A real ``terraform show -json`` plan (tests/fixtures/imds/plan_fleet, regenerate with
`tests/fixtures/regenerate.sh tests/fixtures/imds`) through the plan loader, the model and the IMDS analysis."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iacgate.analysis.imds import launch_site_subjects
from iacgate.build import build_model
from iacgate.rules.engine import evaluate
from iacgate.rules.loader import load_rules

PLAN = Path(__file__).parent / "fixtures" / "imds" / "plan_fleet" / "plan.json"


@pytest.fixture(scope="module")
def subjects() -> dict[str, Any]:
    loader = pytest.importorskip("iacgate.adapters.plan.loader", reason="the plan loader is not available")
    loaded = loader.load_plan(str(PLAN), json.loads(PLAN.read_text()))
    return {s.address: s for s in launch_site_subjects(build_model(loaded.resources))}


def test_plan_instance_with_explicit_options(subjects: dict[str, Any]) -> None:
    facts = subjects["aws_instance.hop3"].facts
    assert facts["imds.tokens_required"].value is True
    assert facts["imds.hop_limit"].value == 3
    assert facts["imds.decided_by"].value == "resource"


def test_plan_account_defaults_decide_tokens_but_not_hop(subjects: dict[str, Any]) -> None:
    facts = subjects["aws_instance.plain"].facts
    assert facts["imds.tokens_required"].value is True
    assert facts["imds.decided_by"].value == "account defaults"
    assert facts["imds.hop_limit"].value == 1  # hop limit -1 is "no preference"


def test_plan_template_group_and_role(subjects: dict[str, Any]) -> None:
    group = subjects["aws_autoscaling_group.fleet"].facts
    assert group["imds.tokens_required"].value is True
    assert group["role.readable_buckets"].value[:2] == ["*", "aws_s3_bucket.reports"]
    assert group["egress.unrestricted"].value is True
    assert group["path.ssrf_to_s3"].value is False
    template = subjects["aws_launch_template.fleet"].facts
    assert template["site_kind"].value == "launch_template"
    assert template["imds.tokens_required"].value is True


def test_plan_findings(subjects: dict[str, Any]) -> None:
    rules, _ = load_rules([])
    found = {(f.rule_id, f.address, f.status) for f in evaluate(
        [r for r in rules if r.id.startswith("IG-EC2")], list(subjects.values()))}
    assert ("IG-EC2-002", "aws_instance.hop3", "fail") in found
    assert ("IG-EC2-003", "aws_security_group.app", "fail") in found
    assert not any(rule in ("IG-EC2-001", "IG-EC2-004") for rule, _, _ in found)


def test_plan_statement_resource_derived_from_a_bucket_names_that_bucket():
    """A policy document whose Resource is the ARN of a bucket created in the same plan is unknown in
    the plan; the configuration's references still say which bucket it reads."""
    import json as _json
    from pathlib import Path as _Path

    from iacgate.scan import ScanOptions, scan

    plan = _Path(__file__).resolve().parents[1] / "examples" / "plan" / "capital-one-path.plan.json"
    report = scan([str(plan)], ScanOptions())
    paths = {f.address: f for f in report.findings if f.rule_id == "IG-EC2-004"}
    assert set(paths) == {"aws_instance.waf", "aws_launch_template.waf"}
    for finding in paths.values():
        assert finding.status == "fail", finding.message
        assert "-> bucket aws_s3_bucket.customer_data" in finding.message
        # the instance writes no profile or groups itself: its launch template's apply
        assert "aws_security_group.waf allows all traffic to 0.0.0.0/0" in finding.message
    assert _json.loads(plan.read_text())["format_version"]
