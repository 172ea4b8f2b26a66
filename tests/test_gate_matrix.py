"""Suppressions, expiry, missing reasons, baselines and new-only gating, each on Terraform,
CloudFormation and plan inputs, through the real command.

Every run is limited to IG-S3-001 (public ACL) so each input has one finding per public bucket and the
assertions can name it. Runs happen in a scratch folder, so the ignore file is discovered there.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RULE = "IG-S3-001"
FUTURE = "2099-12-31"
PAST = "2020-01-31"


def gate(cwd: Path, *args: str) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-m", "iacgate", "check", *args, "--only", RULE, "--format", "json"],
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def create_baseline(cwd: Path, *args: str) -> Path:
    out = cwd / "baseline.json"
    proc = subprocess.run([sys.executable, "-m", "iacgate", "baseline", "create", *args, "--only", RULE,
                           "-o", str(out)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return out


def only(data: dict, address: str) -> dict:
    [finding] = [f for f in data["findings"] if f["resource"]["address"] == address]
    return finding


def warnings(data: dict) -> list[str]:
    return [e["message"] for e in data["errors"] if e.get("kind") == "warning"]


# ------------------------------------------------------------------------------------------ inputs


def _hcl_ignore(reason: str | None, until: str | None) -> str:
    parts = [f"# iacgate:ignore {RULE}"]
    if reason is not None:
        parts.append(f'reason="{reason}"')
    if until is not None:
        parts.append(f"until={until}")
    return " ".join(parts) + "\n"


def terraform_input(tmp: Path, reason: str | None = None, until: str | None = None,
                    suppress: bool = False) -> tuple[str, str]:
    ignore = _hcl_ignore(reason, until) if suppress else ""
    (tmp / "tf").mkdir()
    (tmp / "tf" / "main.tf").write_text(
        f'{ignore}resource "aws_s3_bucket" "site" {{\n  bucket = "acme-site"\n}}\n\n'
        'resource "aws_s3_bucket_acl" "site" {\n  bucket = aws_s3_bucket.site.id\n  acl    = "public-read"\n}\n')
    return "tf", "aws_s3_bucket.site"


def cloudformation_input(tmp: Path, reason: str | None = None, until: str | None = None,
                         suppress: bool = False) -> tuple[str, str]:
    metadata = ""
    if suppress:
        entry = [f"id: {RULE}"] + ([f'reason: "{reason}"'] if reason is not None else []) \
            + ([f"until: {until}"] if until is not None else [])
        metadata = f"    Metadata:\n      iacgate:\n        ignore:\n          - {{{', '.join(entry)}}}\n"
    (tmp / "template.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  SiteBucket:\n    Type: AWS::S3::Bucket\n'
        f"{metadata}    Properties:\n      AccessControl: PublicRead\n")
    return "template.yaml", "SiteBucket"


def plan_input(tmp: Path, reason: str | None = None, until: str | None = None,
               suppress: bool = False) -> tuple[str, str]:
    """A plan keeps no comments: its suppressions live in the ignore file, keyed by address."""
    shutil.copy(REPO / "examples" / "plan" / "public-website-bucket.plan.json", tmp / "plan.json")
    if suppress:
        write_ignore_file(tmp, "aws_s3_bucket.site", reason, until)
    return "plan.json", "aws_s3_bucket.site"


def write_ignore_file(tmp: Path, address: str, reason: str | None, until: str | None) -> None:
    lines = ["ignore:", f"  - rule: {RULE}", f'    resource: "{address}"']
    if reason is not None:
        lines.append(f'    reason: "{reason}"')
    if until is not None:
        lines.append(f"    until: {until}")
    (tmp / ".iacgate-ignore.yaml").write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class Kind:
    name: str
    build: Callable[..., tuple[str, str]]
    origin: str


KINDS = [Kind("terraform", terraform_input, "inline"),
         Kind("cloudformation", cloudformation_input, "cloudformation-metadata"),
         Kind("plan", plan_input, ".iacgate-ignore.yaml")]
ids = [k.name for k in KINDS]


# ----------------------------------------------------------------------------------- suppressions


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_unsuppressed_finding_blocks(tmp_path: Path, kind: Kind) -> None:
    target, address = kind.build(tmp_path)
    code, data = gate(tmp_path, target)
    assert code == 1
    assert only(data, address)["blocking"]


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_suppression_with_a_reason_stops_blocking_and_stays_reported(tmp_path: Path, kind: Kind) -> None:
    target, address = kind.build(tmp_path, reason="public downloads, reviewed", until=FUTURE, suppress=True)
    code, data = gate(tmp_path, target)
    assert code == 0, data["summary"]
    finding = only(data, address)
    assert finding["suppressed"] and not finding["blocking"]
    assert finding["suppression"] == {"reason": "public downloads, reviewed", "until": FUTURE, "origin": kind.origin}
    assert data["summary"]["suppressed"] == 1 and "1 suppressed" in data["summary"]["text"]
    assert not warnings(data)


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_expired_suppression_stops_suppressing_and_warns(tmp_path: Path, kind: Kind) -> None:
    target, address = kind.build(tmp_path, reason="temporary exception", until=PAST, suppress=True)
    code, data = gate(tmp_path, target)
    assert code == 1
    assert only(data, address)["blocking"] and not only(data, address)["suppressed"]
    [warning] = warnings(data)
    assert f"expired on {PAST}" in warning and RULE in warning


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_suppression_without_a_reason_is_not_applied_and_warns(tmp_path: Path, kind: Kind) -> None:
    target, address = kind.build(tmp_path, reason=None, until=FUTURE, suppress=True)
    code, data = gate(tmp_path, target)
    assert code == 1
    assert only(data, address)["blocking"]
    [warning] = warnings(data)
    assert "has no reason" in warning
    assert data["summary"]["decision"] == "fail"  # a warning, not an input error


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_ignore_file_suppresses_every_input_kind(tmp_path: Path, kind: Kind) -> None:
    target, address = kind.build(tmp_path)
    write_ignore_file(tmp_path, address, "accepted by the platform team", FUTURE)
    code, data = gate(tmp_path, target)
    assert code == 0
    assert only(data, address)["suppression"]["origin"] == ".iacgate-ignore.yaml"


# --------------------------------------------------------------------------------------- baseline


def test_terraform_baseline_blocks_only_a_new_bucket_and_ignores_line_moves(tmp_path: Path) -> None:
    target, address = terraform_input(tmp_path)
    baseline = create_baseline(tmp_path, target)
    assert gate(tmp_path, target, "--baseline", str(baseline))[0] == 0
    main = tmp_path / "tf" / "main.tf"
    main.write_text("# moved down by a new header\n\n" + main.read_text()
                    + '\nresource "aws_s3_bucket" "new" {\n  bucket = "acme-new"\n}\n\n'
                    'resource "aws_s3_bucket_acl" "new" {\n  bucket = aws_s3_bucket.new.id\n  acl    = "public-read"\n}\n')
    code, data = gate(tmp_path, target, "--baseline", str(baseline))
    assert code == 1
    assert only(data, address)["suppression"]["origin"] == "baseline" and not only(data, address)["blocking"]
    assert only(data, "aws_s3_bucket.new")["blocking"]


def test_cloudformation_baseline_blocks_only_a_new_bucket(tmp_path: Path) -> None:
    target, address = cloudformation_input(tmp_path)
    baseline = create_baseline(tmp_path, target)
    template = tmp_path / target
    template.write_text(template.read_text()
                        + "  UploadsBucket:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                          "      AccessControl: PublicReadWrite\n")
    code, data = gate(tmp_path, target, "--baseline", str(baseline))
    assert code == 1
    assert not only(data, address)["blocking"] and only(data, address)["suppressed"]
    assert only(data, "UploadsBucket")["blocking"]


def test_plan_baseline_blocks_only_findings_it_does_not_hold(tmp_path: Path) -> None:
    target, address = plan_input(tmp_path)
    baseline = create_baseline(tmp_path, target)
    assert gate(tmp_path, target, "--baseline", str(baseline))[0] == 0
    # A second project's plan gated in the same run: its public buckets are not in the baseline.
    other = REPO / "tests" / "fixtures" / "plan" / "source_map" / "plan.json"
    code, data = gate(tmp_path, target, str(other), "--baseline", str(baseline))
    assert code == 1
    assert only(data, address)["suppression"]["origin"] == "baseline" and not only(data, address)["blocking"]
    assert only(data, "aws_s3_bucket.reports[0]")["blocking"]
    assert only(data, "module.shared.aws_s3_bucket.this")["blocking"]


# --------------------------------------------------------------------------------------- new-only


def test_plan_new_only_blocks_what_the_change_introduces(tmp_path: Path) -> None:
    plan = REPO / "tests" / "fixtures" / "plan" / "prior_state" / "plan.json"
    code, data = gate(tmp_path, str(plan))
    assert code == 1
    assert only(data, "aws_s3_bucket.legacy")["blocking"]  # without --new-only both block
    code, data = gate(tmp_path, str(plan), "--new-only")
    assert code == 1
    fresh, legacy = only(data, "aws_s3_bucket.fresh"), only(data, "aws_s3_bucket.legacy")
    assert (fresh["change"], fresh["blocking"]) == ("new", True)
    assert (legacy["change"], legacy["blocking"]) == ("existing", False)
    assert data["summary"]["changes"] == {"new": 1, "existing": 1, "fixed": 0}
    assert "introduced by the change" in data["summary"]["text"] and "1 existing" in data["summary"]["text"]
    assert not warnings(data)


def test_plan_of_creations_counts_every_finding_as_new(tmp_path: Path) -> None:
    target, address = plan_input(tmp_path)
    code, data = gate(tmp_path, target, "--new-only")
    assert code == 1 and only(data, address)["change"] == "new"
    assert data["summary"]["changes"] == {"new": 1, "existing": 0, "fixed": 0}


@pytest.mark.parametrize("build", [terraform_input, cloudformation_input], ids=["terraform", "cloudformation"])
def test_new_only_on_files_gates_everything_as_new_and_says_so(tmp_path: Path, build: Callable) -> None:
    target, address = build(tmp_path)
    plain_code, plain = gate(tmp_path, target)
    code, data = gate(tmp_path, target, "--new-only")
    assert code == plain_code == 1
    assert only(data, address)["blocking"] and "change" not in only(data, address)
    assert "changes" not in data["summary"]
    [warning] = warnings(data)
    assert "--new-only applies to plans" in warning and "--baseline" in warning
    assert "introduced by the change" not in data["summary"]["text"]
    assert not warnings(plain)


def test_new_only_blocks_a_bucket_made_public_by_a_change_to_its_acl_alone() -> None:
    # real plan: the bucket is no-op, its ACL goes from private (prior state) to public-read
    plan = REPO / "tests" / "fixtures" / "plan" / "acl_change" / "plan.json"
    proc = subprocess.run([sys.executable, "-m", "iacgate", "check", str(plan), "--new-only", "--format", "json"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=REPO)
    assert proc.returncode == 1, proc.stdout[-2000:]
    report = json.loads(proc.stdout)
    [public] = [f for f in report["findings"] if f["rule_id"] == "IG-S3-001"]
    assert (public["resource"]["address"], public["change"], public["blocking"]) == (
        "aws_s3_bucket.legacy", "new", True)


def test_copy_with_is_replace_without_init() -> None:
    import dataclasses

    from iacgate.findings import Evidence, Finding
    from iacgate.values import Source

    finding = Finding("IG-S3-001", "s3-public-acl", "critical", "fail", "t", "m", "aws_s3_bucket.b",
                      "aws_s3_bucket", "terraform", Source("main.tf", 1, 4),
                      evidence=[Evidence("aws_s3_bucket_acl.b", "main.tf", 6, 9, "acl")])
    copied = finding.copy_with(blocking=True, change="new")
    assert vars(copied) == vars(dataclasses.replace(finding, blocking=True, change="new"))
    assert copied is not finding and finding.blocking is False and finding.change is None
    with pytest.raises(TypeError):
        finding.copy_with(blockng=True)
