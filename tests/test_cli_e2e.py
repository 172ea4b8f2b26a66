"""End to end through the real command: the shipped examples, exit codes, reports, bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def run(*args: str, cwd: Path = REPO, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iacgate", *args], cwd=cwd, input=stdin.decode() if stdin else None,
                          capture_output=True, text=True, timeout=120)


def report(*args: str, cwd: Path = REPO) -> tuple[int, dict]:
    proc = run("check", *args, "--format", "json", cwd=cwd)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def by_rule(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in data["findings"]:
        out.setdefault(finding["rule_id"], []).append(finding)
    return out


def test_public_website_bucket_is_blocked_with_its_evidence_chain():
    code, data = report("examples/terraform/public-website-bucket")
    assert code == 1
    assert data["summary"]["decision"] == "fail"
    rules = by_rule(data)
    acl = rules["IG-S3-001"][0]
    assert acl["resource"]["address"] == "aws_s3_bucket.site"
    assert acl["location"] == {"file": "examples/terraform/public-website-bucket/main.tf", "line": 27, "end_line": 29}
    evidence = {e["address"] for e in acl["evidence"]}
    assert {"aws_s3_bucket_acl.site", "aws_s3_bucket_public_access_block.site",
            "aws_s3_bucket_ownership_controls.site"} <= evidence
    policy = rules["IG-S3-002"][0]
    assert policy["severity"] == "critical" and policy["blocking"]
    assert "aws_s3_bucket_policy.site" in {e["address"] for e in policy["evidence"]}


def test_private_bucket_built_from_split_resources_passes():
    code, data = report("examples/terraform/private-data-bucket")
    assert code == 0, data["summary"]
    assert data["summary"]["blocking"] == 0
    suppressed = [f for f in data["findings"] if f.get("suppressed")]
    assert [f["rule_id"] for f in suppressed] == ["IG-S3-022"]
    assert suppressed[0]["resource"]["address"] == "aws_s3_bucket.logs"


def test_broad_source_ip_and_not_ip_address_are_flagged():
    code, data = report("examples/terraform/source-ip-policy")
    assert code == 1
    rules = by_rule(data)
    assert rules["IG-S3-003"][0]["resource"]["address"] == "aws_s3_bucket.reports"
    assert "NotIpAddress" in rules["IG-S3-002"][0]["message"]


def test_cloudformation_examples():
    code, data = report("examples/cloudformation/public-bucket.yaml")
    assert code == 1
    rules = by_rule(data)
    assert rules["IG-S3-001"][0]["resource"]["address"] == "DownloadsBucket"
    assert rules["IG-S3-002"][0]["evidence"][0]["address"] == "DownloadsBucketPolicy"
    code, data = report("examples/cloudformation/private-bucket.yaml")
    assert code == 0, data["findings"]


def test_malformed_terraform_is_an_input_error_with_file_and_line(tmp_path: Path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl = \n}\n')
    code, data = report(str(tmp_path))
    assert code == 2
    assert data["summary"]["decision"] == "error"
    [error] = data["errors"]
    assert error["file"].endswith("main.tf") and error["line"] in (3, 4)


def test_plan_on_standard_input_is_gated(tmp_path: Path):
    plan = REPO / "tests" / "fixtures" / "plan"
    candidates = sorted(plan.glob("*/plan.json"))
    if not candidates:
        pytest.skip("no plan fixtures")
    proc = run("check", "-", "--format", "json", stdin=candidates[0].read_bytes())
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["files"] == 1
    assert all(f["resource"]["source_kind"] == "plan" for f in data["findings"])


def test_usage_errors_exit_2():
    assert run("check", "examples", "--fail-on", "severe").returncode == 2
    assert run("check", "does-not-exist").returncode == 2
    assert run("check").returncode == 2


def test_every_format_renders_the_examples(tmp_path: Path):
    outputs = [f"{fmt}={tmp_path / ('out.' + fmt)}" for fmt in ("json", "sarif", "junit", "markdown", "github",
                                                                 "atlantis")]
    args = ["check", "examples"]
    for item in outputs:
        args += ["--output", item]
    proc = run(*args)
    assert proc.returncode == 1, proc.stderr
    for fmt in ("json", "sarif", "junit", "markdown", "github", "atlantis"):
        assert (tmp_path / f"out.{fmt}").read_text().strip(), fmt
    assert "failure" in (tmp_path / "out.atlantis").read_text()
