"""Baselines: a round trip, and only findings outside the baseline block."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iacgate.findings import Finding, Suppression
from iacgate.gate import GateOptions, apply_gate
from iacgate.baseline import BaselineError, apply_baseline, baseline_app, load_baseline, write_baseline
from iacgate.raw import InputError
from iacgate.values import Source


def finding(rule_id: str, address: str, line: int = 4, what: str = "public policy") -> Finding:
    return Finding(rule_id=rule_id, concept="s3-public-policy", severity="critical", status="fail",
                   title="Public bucket", message="policy allows Principal *", address=address,
                   resource_type="aws_s3_bucket", source_kind="terraform",
                   location=Source("infra/main.tf", line, line + 8, address), what=what)


def test_round_trip_blocks_only_new_findings(tmp_path: Path) -> None:
    path = tmp_path / ".iacgate-baseline.json"
    old = [finding("IG-S3-002", "aws_s3_bucket.legacy"), finding("IG-S3-001", "aws_s3_bucket.legacy")]
    assert write_baseline(old, path) == 2
    data = json.loads(path.read_text())
    assert [(e["rule_id"], e["address"]) for e in data["findings"]] == [
        ("IG-S3-001", "aws_s3_bucket.legacy"), ("IG-S3-002", "aws_s3_bucket.legacy")]
    assert all(set(e) == {"fingerprint", "rule_id", "address"} for e in data["findings"])

    # The legacy bucket moved down the file; a new bucket appeared.
    later = [finding("IG-S3-002", "aws_s3_bucket.legacy", line=40), finding("IG-S3-002", "aws_s3_bucket.new")]
    marked = apply_baseline(later, load_baseline(path))
    assert [f.change for f in marked] == ["existing", None]
    assert marked[0].suppression is not None and marked[0].suppression.origin == "baseline"
    report = apply_gate(marked, [], GateOptions())
    assert [f.address for f in report.findings if f.blocking] == ["aws_s3_bucket.new"]
    assert "1 baselined" in report.summary_line


def test_a_different_violation_on_a_baselined_resource_is_new(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write_baseline([finding("IG-S3-002", "aws_s3_bucket.legacy", what="Statement[0] public")], path)
    marked = apply_baseline([finding("IG-S3-002", "aws_s3_bucket.legacy", what="Statement[1] public")],
                            load_baseline(path))
    assert marked[0].suppression is None


def test_existing_suppression_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    f = finding("IG-S3-002", "aws_s3_bucket.site")
    write_baseline([f], path)
    f.suppression = Suppression("IG-S3-002", "public website", None, "inline")
    (marked,) = apply_baseline([f], load_baseline(path))
    assert marked.suppression.origin == "inline"


@pytest.mark.parametrize("text", ["", "{", "[]", '{"findings": []}',
                                  '{"iacgate_baseline": "1", "findings": [{"rule_id": "x"}]}'])
def test_bad_baseline_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(BaselineError, match="b.json"):
        load_baseline(path)
    with pytest.raises(BaselineError, match="cannot read"):
        load_baseline(tmp_path / "missing.json")


def _report(findings: list[Finding], errors: list[InputError]):
    return apply_gate(findings, errors, GateOptions(), files=["main.tf"], resources=2)


def test_baseline_create_command_writes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import iacgate.scan

    seen = {}

    def fake_scan(paths, options):  # the pipeline is tested elsewhere; this checks the command
        seen["paths"], seen["only"] = paths, options.only
        return _report([finding("IG-S3-002", "aws_s3_bucket.legacy")], [])

    monkeypatch.setattr(iacgate.scan, "scan", fake_scan)
    out = tmp_path / "base.json"
    result = CliRunner().invoke(baseline_app, ["create", "infra", "-o", str(out), "--only", "IG-S3-002"])
    assert result.exit_code == 0, result.output
    assert "wrote 1 finding" in result.output
    assert seen == {"paths": ["infra"], "only": ["IG-S3-002"]}
    assert load_baseline(out).fingerprints == {finding("IG-S3-002", "aws_s3_bucket.legacy").fingerprint}


def test_baseline_create_refuses_a_partial_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import iacgate.scan

    monkeypatch.setattr(iacgate.scan, "scan", lambda paths, options: _report(
        [], [InputError("infra/broken.tf", "Unexpected token '}'", 7)]))
    out = tmp_path / "base.json"
    result = CliRunner().invoke(baseline_app, ["create", "infra", "-o", str(out)])
    assert result.exit_code == 2
    assert "infra/broken.tf:7" in result.output and not out.exists()
