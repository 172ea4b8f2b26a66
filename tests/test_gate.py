"""Gate decisions: thresholds, unknown modes, input errors, new-only on plans."""
from __future__ import annotations

import pytest

from iacgate.findings import Finding, Subject, Suppression
from iacgate.gate import GateOptions, apply_gate, classify_changes, is_blocking
from iacgate.raw import InputError
from iacgate.values import Source


def finding(rule_id: str, severity: str, status: str = "fail", address: str = "aws_s3_bucket.data",
            **extra: object) -> Finding:
    return Finding(rule_id=rule_id, concept="other", severity=severity, status=status,
                   title=f"{rule_id} title", message=f"{rule_id} message", address=address,
                   resource_type=address.split(".")[-2] if "." in address else "aws_s3_bucket",
                   source_kind="terraform", location=Source("main.tf", 3, 12, address),
                   what=f"{rule_id} at {address}", **extra)  # type: ignore[arg-type]


def mixed() -> list[Finding]:
    return [finding("IG-S3-002", "critical"), finding("IG-S3-001", "high"),
            finding("IG-S3-010", "medium"), finding("IG-S3-011", "low"), finding("IG-S3-012", "info"),
            finding("IG-S3-003", "critical", suppression=Suppression("IG-S3-003", "website", None, "inline"))]


def test_default_threshold_high_blocks_critical_and_high() -> None:
    report = apply_gate(mixed(), [], GateOptions())
    assert report.decision == "fail" and report.exit_code == 1
    assert sorted(f.rule_id for f in report.findings if f.blocking) == ["IG-S3-001", "IG-S3-002"]
    assert report.summary_line == ("FAIL: 2 blocking findings (1 critical, 1 high) at or above high; "
                                   "3 below threshold; 1 suppressed")


@pytest.mark.parametrize("fail_on,blocking", [("critical", 1), ("high", 2), ("medium", 3), ("low", 4),
                                              ("info", 5)])
def test_fail_on_thresholds(fail_on: str, blocking: int) -> None:
    report = apply_gate(mixed(), [], GateOptions(fail_on=fail_on))
    assert sum(f.blocking for f in report.findings) == blocking


def test_pass_summary_says_what_was_below() -> None:
    findings = [finding("IG-S3-010", "medium"), finding("IG-S3-011", "low"),
                finding("IG-S3-012", "low"), finding("IG-S3-013", "info")]
    report = apply_gate(findings, [], GateOptions())
    assert report.decision == "pass" and report.exit_code == 0
    assert report.summary_line == "PASS: no findings at or above high (4 below)"
    assert apply_gate([], [], GateOptions()).summary_line == "PASS: no findings at or above high"


def test_suppressed_findings_never_block_and_stay_in_the_report() -> None:
    report = apply_gate([mixed()[-1]], [], GateOptions(fail_on="info"))
    assert report.decision == "pass" and len(report.findings) == 1
    assert report.findings[0].suppressed and not report.findings[0].blocking


@pytest.mark.parametrize("mode,severity,blocks", [
    ("auto", "critical", True), ("auto", "high", True), ("auto", "medium", False),
    ("fail", "medium", False), ("fail", "high", True), ("warn", "critical", False),
    ("pass", "critical", False)])
def test_unknown_modes(mode: str, severity: str, blocks: bool) -> None:
    unknown = finding("IG-S3-001", severity, status="unknown")
    assert is_blocking(unknown, GateOptions(unknown=mode)) is blocks


def test_unknown_fail_blocks_like_a_fail_at_a_lower_threshold() -> None:
    unknown = finding("IG-S3-010", "medium", status="unknown")
    assert is_blocking(unknown, GateOptions(fail_on="medium", unknown="fail"))
    assert not is_blocking(unknown, GateOptions(fail_on="medium", unknown="auto"))


def test_unknown_auto_respects_a_stricter_threshold() -> None:
    unknown = finding("IG-S3-001", "high", status="unknown")
    assert not is_blocking(unknown, GateOptions(fail_on="critical"))


def test_unknown_pass_marks_the_finding_and_keeps_it() -> None:
    report = apply_gate([finding("IG-S3-001", "critical", status="unknown")], [],
                        GateOptions(unknown="pass"))
    (f,) = report.findings
    assert report.decision == "pass" and not f.blocking
    assert f.suppression is not None and "--unknown pass" in f.suppression.origin
    assert "1 unknown (--unknown pass)" in report.summary_line


def test_unknown_warn_reported_in_summary() -> None:
    report = apply_gate([finding("IG-S3-001", "critical", status="unknown")], [],
                        GateOptions(unknown="warn"))
    assert report.summary_line == ("PASS: no blocking findings at or above high "
                                   "(1 unknown (--unknown warn))")


def test_input_error_decides_error_even_with_findings() -> None:
    errors = [InputError("infra/broken.tf", "Unexpected token '}'", 7)]
    report = apply_gate(mixed(), errors, GateOptions())
    assert report.decision == "error" and report.exit_code == 2
    assert report.summary_line == ("ERROR: 1 input could not be read: infra/broken.tf:7; also 2 blocking "
                                   "findings (1 critical, 1 high) at or above high; 3 below threshold; "
                                   "1 suppressed")
    assert apply_gate([], errors, GateOptions()).summary_line == \
        "ERROR: 1 input could not be read: infra/broken.tf:7"


def test_warnings_do_not_change_the_decision() -> None:
    warning = InputError("main.tf", 'module "vpc" was not analysed: not downloaded', 3, kind="warning")
    report = apply_gate([finding("IG-S3-010", "medium")], [warning], GateOptions())
    assert report.decision == "pass"
    assert report.summary_line == "PASS: no findings at or above high (1 below threshold, 1 input warning)"


def test_error_summary_scrubs_secrets_in_file_names() -> None:
    errors = [InputError("AKIAABCDEFGHIJKLMNOP.tf", "bad", None)]
    assert "AKIAABCDEFGHIJKLMNOP" not in apply_gate([], errors, GateOptions()).summary_line


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ValueError):
        GateOptions(fail_on="severe")
    with pytest.raises(ValueError):
        GateOptions(unknown="maybe")


def test_new_only_blocks_only_new_findings() -> None:
    new = finding("IG-S3-002", "critical", change="new")
    existing = finding("IG-S3-001", "critical", address="aws_s3_bucket.old", change="existing")
    report = apply_gate([new, existing], [], GateOptions(new_only=True))
    assert [f.rule_id for f in report.findings if f.blocking] == ["IG-S3-002"]
    assert "introduced by the change" in report.summary_line and "1 existing" in report.summary_line
    only_existing = apply_gate([existing], [], GateOptions(new_only=True))
    assert only_existing.decision == "pass"
    assert apply_gate([existing], [], GateOptions()).decision == "fail"


def test_new_only_treats_unclassified_findings_as_new() -> None:
    assert apply_gate([finding("IG-S3-002", "critical")], [], GateOptions(new_only=True)).decision == "fail"


def test_classify_changes_new_existing_fixed() -> None:
    created = finding("IG-S3-002", "critical", address="aws_s3_bucket.new")
    made_public = finding("IG-S3-002", "critical", address="aws_s3_bucket.site")
    still_open = finding("IG-S3-010", "medium", address="aws_s3_bucket.site")
    became_unknown = finding("IG-S3-001", "high", status="unknown", address="aws_s3_bucket.site")
    before = [finding("IG-S3-010", "medium", address="aws_s3_bucket.site"),
              finding("IG-S3-011", "low", address="aws_s3_bucket.site"),  # fixed by the change
              finding("IG-S3-001", "high", status="unknown", address="aws_s3_bucket.site")]
    marked, counts = classify_changes([created, made_public, still_open, became_unknown], before)
    assert [f.change for f in marked] == ["new", "new", "existing", "existing"]
    assert counts == {"new": 2, "existing": 2, "fixed": 1}
    assert created.change is None  # inputs are not modified


def test_classify_changes_fail_after_unknown_is_new_and_an_untouched_resource_can_change() -> None:
    after = [finding("IG-S3-001", "high", address="aws_s3_bucket.a"),
             # the bucket is no-op, but its policy changed from private to public
             finding("IG-S3-002", "critical", address="aws_s3_bucket.untouched"),
             finding("IG-S3-010", "high", address="aws_s3_bucket.untouched")]
    before = [finding("IG-S3-001", "high", status="unknown", address="aws_s3_bucket.a"),
              finding("IG-S3-010", "high", address="aws_s3_bucket.untouched")]
    marked, counts = classify_changes(after, before, {"aws_s3_bucket.untouched": ("no-op",),
                                                      "aws_s3_bucket.a": ("update",)})
    assert [f.change for f in marked] == ["new", "new", "existing"]
    assert counts["fixed"] == 0


def test_classify_then_gate_new_only_on_a_plan_subject() -> None:
    subject = Subject(kind="s3_bucket", address="aws_s3_bucket.site", resource_type="aws_s3_bucket",
                      source_kind="plan", source=Source("plan.json"), facts={}, actions=("update",))
    after = [finding("IG-S3-002", "critical", address=subject.address),
             finding("IG-S3-010", "high", address=subject.address)]
    before = [finding("IG-S3-010", "high", address=subject.address)]
    marked, counts = classify_changes(after, before, {subject.address: subject.actions})
    report = apply_gate(marked, [], GateOptions(new_only=True), changes=counts)
    assert [f.rule_id for f in report.findings if f.blocking] == ["IG-S3-002"]
    assert report.changes == {"new": 1, "existing": 1, "fixed": 0}
