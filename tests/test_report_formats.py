"""Every report format over one realistic run: a public bucket with its evidence chain, an unknown
from a plan, a suppressed finding, a below-threshold finding, an input error and a warning."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.findings import Evidence, Finding, Suppression
from iacgate.gate import GateOptions, apply_gate
from iacgate.raw import InputError
from iacgate.report import FORMATS, OutputSpecError, parse_output_spec, render, write_outputs
from iacgate.report.common import display_path, escape_control
from iacgate.report.github import escape_data, escape_property
from iacgate.report.markdown import MAX_CHARS, md
from iacgate.values import Source

SHARED = Path(__file__).parents[2] / "shared"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
KEY_ID = "AKIAABCDEFGHIJKLMNOP"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"
ATLANTIS_FAILED = re.compile(r'([1-9][0-9]* failure|failures": \[)')


def public_bucket() -> Finding:
    return Finding(
        rule_id="IG-S3-002", concept="s3-public-policy", severity="critical", status="fail",
        title="S3 bucket policy makes the bucket public",
        message='aws_s3_bucket_policy.site allows s3:GetObject to Principal "*" and no public '
                "access block in the configuration restricts it",
        address="aws_s3_bucket.site", resource_type="aws_s3_bucket", source_kind="terraform",
        location=Source("infra/site/main.tf", 1, 4, "aws_s3_bucket.site"),
        evidence=[Evidence("aws_s3_bucket_policy.site", "infra/site/policy.tf", 1, 18,
                           'Statement[0]: Effect Allow, Principal "*", Action s3:GetObject'),
                  Evidence("aws_s3_bucket_public_access_block.site", "infra/site/main.tf", 6, 12,
                           "restrict_public_buckets = false")],
        what="public-policy Statement[0]",
        remediation={"summary": "Turn on the bucket's public access block or narrow the principal.",
                     "terraform": 'resource "aws_s3_bucket_public_access_block" "site" {\n'
                                  "  bucket                  = aws_s3_bucket.site.id\n"
                                  "  restrict_public_buckets = true\n}"},
        references=["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"])


def unknown_from_plan() -> Finding:
    return Finding(
        rule_id="IG-S3-001", concept="s3-public-access-block", severity="high", status="unknown",
        title="S3 bucket has no complete public access block",
        message="block_public_policy is known only after apply (computed from module.pab output)",
        address='module.logs.aws_s3_bucket.this["eu"]', resource_type="aws_s3_bucket",
        source_kind="plan", location=Source("plan.json", None, None),
        what="pab.block_public_policy unknown")


def suppressed_versioning() -> Finding:
    return Finding(
        rule_id="IG-S3-010", concept="s3-versioning", severity="medium", status="fail",
        title="S3 bucket versioning is off", message="versioning.enabled is false",
        address="aws_s3_bucket.site", resource_type="aws_s3_bucket", source_kind="terraform",
        location=Source("infra/site/main.tf", 1, 4), what="versioning off",
        suppression=Suppression("IG-S3-010", "static website content is rebuilt from git", "2099-01-01",
                                "inline"))


def low_logging() -> Finding:
    return Finding(
        rule_id="IG-S3-011", concept="s3-logging", severity="low", status="fail",
        title="S3 bucket access logging is off", message="logging.enabled is false",
        address="AssetsBucket", resource_type="AWS::S3::Bucket", source_kind="cloudformation",
        location=Source("templates/assets.yaml", 5, 14), what="logging off")


def sample_report(**options: object):
    errors = [InputError("infra/broken.tf", "Unclosed configuration block: expected '}'", 7),
              InputError("infra/main.tf", 'module "vpc" (source git::https://example.com/vpc.git) '
                         "was not analysed: not downloaded", 3, kind="warning")]
    findings = [public_bucket(), unknown_from_plan(), suppressed_versioning(), low_logging()]
    return apply_gate(findings, errors, GateOptions(**options), files=["infra/site/main.tf"] * 3,
                      resources=7)


def passing_report():
    return apply_gate([low_logging(), suppressed_versioning()], [], GateOptions(), files=["t.yaml"],
                      resources=2)


# -- json ------------------------------------------------------------------------------------------

def test_json_has_every_contract_key_and_stays_complete_on_error() -> None:
    report = sample_report()
    assert report.decision == "error" and report.exit_code == 2
    data = json.loads(render(report, "json"))
    assert data["schema_version"] == "1"
    assert data["tool"] == {"name": "iacgate", "version": report.tool_version}
    summary = data["summary"]
    assert {"files", "resources", "findings", "blocking", "by_severity", "decision"} <= set(summary)
    assert summary["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 0}
    assert (summary["findings"], summary["blocking"], summary["decision"]) == (4, 2, "error")
    for finding in data["findings"]:
        assert {"rule_id", "concept", "severity", "status", "blocking", "title", "message", "resource",
                "location", "evidence", "fingerprint"} <= set(finding)
        assert set(finding["resource"]) == {"address", "type", "source_kind"}
        assert set(finding["location"]) == {"file", "line", "end_line"}
        for ev in finding["evidence"]:
            assert set(ev) == {"address", "file", "line", "end_line", "detail"}
    first = data["findings"][0]
    assert first["rule_id"] == "IG-S3-002" and first["blocking"] is True
    assert [e["address"] for e in first["evidence"]] == [
        "aws_s3_bucket_policy.site", "aws_s3_bucket_public_access_block.site"]
    suppressed = next(f for f in data["findings"] if f["rule_id"] == "IG-S3-010")
    assert suppressed["suppressed"] is True and suppressed["blocking"] is False
    assert suppressed["suppression"]["reason"] == "static website content is rebuilt from git"
    assert data["errors"][0] == {"file": "infra/broken.tf", "line": 7,
                                 "message": "Unclosed configuration block: expected '}'"}
    assert data["errors"][1]["kind"] == "warning"


def test_json_location_paths_relative_below_cwd_else_absolute(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    finding = public_bucket()
    finding.location = Source(str(tmp_path / "infra" / "main.tf"), 1, 4)
    outside = tmp_path.parent / "elsewhere" / "main.tf"
    finding.evidence = [Evidence("aws_s3_bucket_policy.site", str(outside), 2, 3, "")]
    data = json.loads(render(apply_gate([finding], [], GateOptions()), "json"))
    assert data["findings"][0]["location"]["file"] == "infra/main.tf"
    assert data["findings"][0]["evidence"][0]["file"] == outside.as_posix()
    assert display_path("-") == "-"
    assert display_path("git::https://example.com/m.git//s3/main.tf") == \
        "git::https://example.com/m.git//s3/main.tf"


# -- sarif -----------------------------------------------------------------------------------------

def test_sarif_validates_against_the_official_schema() -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not available at {SARIF_SCHEMA}")
    import jsonschema

    sarif = json.loads(render(sample_report(), "sarif"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)


def test_sarif_rules_results_locations_and_suppressions() -> None:
    sarif = json.loads(render(sample_report(), "sarif"))
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    public = rules["IG-S3-002"]
    assert public["properties"]["security-severity"] == "9.5"
    assert rules["IG-S3-001"]["properties"]["security-severity"] == "8.0"
    assert rules["IG-S3-010"]["properties"]["security-severity"] == "5.5"
    assert rules["IG-S3-011"]["properties"]["security-severity"] == "3.0"
    assert "restrict_public_buckets = true" in public["help"]["markdown"]
    assert public["shortDescription"]["text"] and public["fullDescription"]["text"]
    assert "s3-public-policy" in public["properties"]["tags"]
    results = {r["ruleId"]: r for r in run["results"]}
    bucket = results["IG-S3-002"]
    assert bucket["level"] == "error"
    physical = bucket["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "infra/site/main.tf", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 1, "endLine": 4}
    assert bucket["partialFingerprints"]["iacgateFingerprint/v1"] == public_bucket().fingerprint
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    unknown = results["IG-S3-001"]
    assert unknown["level"] == "warning"
    assert "region" not in unknown["locations"][0]["physicalLocation"]
    assert results["IG-S3-010"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted",
         "justification": "static website content is rebuilt from git"}]
    uris = re.findall(r'"uri": "([^"]*)"', json.dumps(sarif))
    assert uris and not any(u.startswith(("git::", "//")) or "::" in u for u in uris)


def test_sarif_remote_module_location_falls_back_to_local_evidence() -> None:
    finding = public_bucket()
    finding.location = Source("git::https://example.com/s3.git//modules/bucket/main.tf", 3, 9)
    sarif = json.loads(render(apply_gate([finding], [], GateOptions()), "sarif"))
    location = sarif["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "infra/site/policy.tf"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "aws_s3_bucket.site"


# -- junit -----------------------------------------------------------------------------------------

def test_junit_parses_and_has_one_case_per_rule_and_resource() -> None:
    root = ET.fromstring(render(sample_report(), "junit"))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert cases[("IG-S3-002", "aws_s3_bucket.site")].find("failure") is not None
    assert cases[("IG-S3-010", "aws_s3_bucket.site")].find("skipped") is not None
    blocked_unknown = cases[("IG-S3-001", 'module.logs.aws_s3_bucket.this["eu"]')]
    assert blocked_unknown.find("failure").get("type") == "unknown"
    assert cases[("iacgate.input", "infra/broken.tf:7")].find("error") is not None
    assert root.get("failures") == "3" and root.get("skipped") == "1" and root.get("errors") == "1"


def test_junit_unknown_not_blocking_is_a_property_and_output() -> None:
    root = ET.fromstring(render(apply_gate([unknown_from_plan()], [], GateOptions(unknown="warn")), "junit"))
    case = next(root.iter("testcase"))
    assert case.find("failure") is None
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["status"] == "unknown"
    assert "known only after apply" in case.find("system-out").text


def test_junit_escapes_hostile_input() -> None:
    finding = public_bucket()
    finding.address = 'aws_s3_bucket.x["</testcase><injected/>&\x1b[31m"]'
    finding.message = "]]> <![CDATA[ & \x00 \x07"
    root = ET.fromstring(render(apply_gate([finding], [], GateOptions()), "junit"))
    assert root.find(".//injected") is None
    assert any("</testcase>" in (c.get("name") or "") for c in root.iter("testcase"))


# -- markdown --------------------------------------------------------------------------------------

def test_markdown_verdict_counts_blocking_table_and_details() -> None:
    text = render(sample_report(), "markdown")
    assert text.startswith("## ⚠️ iacgate: ERROR")
    assert "| Severity | Findings | Blocking |" in text
    assert "### Blocking findings" in text
    assert "<details><summary>aws_s3_bucket.site (2)</summary>" in text
    assert "aws\\_s3\\_bucket\\_policy\\.site" in text


def test_markdown_escapes_injected_names() -> None:
    finding = public_bucket()
    finding.address = 'aws_s3_bucket.x["a|b<img src=x onerror=alert(1)>`code`[link](http://e)@team"]'
    text = render(apply_gate([finding], [], GateOptions()), "markdown")
    row = next(line for line in text.splitlines() if line.startswith("| critical"))
    assert row.count(" | ") == 4  # the injected | does not add a column
    assert "<img" not in text and "`code`" not in text and "[link](" not in text
    assert "@team" not in text
    assert md("a|b") == "a\\|b"


def test_markdown_stays_under_the_limit_with_5000_findings() -> None:
    findings = []
    for i in range(5000):
        f = public_bucket()
        f.address = f"module.tenant_{i}.aws_s3_bucket.data"
        findings.append(f)
    text = render(apply_gate(findings, [], GateOptions()), "markdown")
    assert len(text) <= MAX_CHARS
    assert "Comment shortened" in text and "more blocking findings are not listed" in text
    assert "details of 5000 of 5000 resources were left out" in text


def test_markdown_cuts_details_before_table_rows() -> None:
    findings = []
    for i in range(150):
        f = public_bucket()
        f.address = f"module.tenant_{i}.aws_s3_bucket.data"
        findings.append(f)
    text = render(apply_gate(findings, [], GateOptions()), "markdown")
    assert len(text) <= MAX_CHARS
    assert sum(line.startswith("| critical | IG") for line in text.splitlines()) == 150
    assert "resources were left out" in text and "not listed in the table" not in text


# -- github ----------------------------------------------------------------------------------------

def test_github_annotations_levels_and_escaping() -> None:
    lines = render(sample_report(), "github").splitlines()
    bucket = next(line for line in lines if "IG-S3-002" in line)
    assert bucket.startswith("::error file=infra/site/main.tf,line=1,endLine=4,title=IG-S3-002 ")
    assert any(line.startswith("::error file=plan.json,title=IG-S3-001") for line in lines)
    assert any(line.startswith("::notice file=templates/assets.yaml,line=5,endLine=14") for line in lines)
    assert not any("IG-S3-010" in line for line in lines)  # suppressed: no annotation
    assert any(line.startswith("::error file=infra/broken.tf,line=7") for line in lines)
    assert lines[-1].startswith("ERROR: 1 input could not be read")
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    assert escape_data("50% done\r\nnext: x, y") == "50%25 done%0D%0Anext: x, y"


def test_github_input_newlines_cannot_start_a_new_command() -> None:
    finding = public_bucket()
    finding.message = "line one\n::error file=x::forged"
    finding.title = "title, with: colon"
    out = render(apply_gate([finding], [], GateOptions()), "github")
    assert not any(line.startswith("::error file=x") for line in out.splitlines())
    assert "title=IG-S3-002 [critical] title%2C with%3A colon::" in out


# -- atlantis --------------------------------------------------------------------------------------

def atlantis_failed(output: str) -> bool:
    """Atlantis's own test for a custom policy check's output."""
    return output.strip() == "" or bool(ATLANTIS_FAILED.search(output)) or output.startswith("FAIL")


def test_atlantis_failing_run_is_read_as_failed_one_line_per_blocking_finding() -> None:
    report = sample_report(unknown="warn")
    report.errors = []
    report = apply_gate(report.findings, [], GateOptions())
    out = render(report, "atlantis")
    assert atlantis_failed(out)
    lines = out.splitlines()
    assert lines[-1] == "2 failures"
    assert lines[0].startswith("iacgate IG-S3-002 [critical] aws_s3_bucket.site")


def test_atlantis_passing_run_is_not_read_as_failed() -> None:
    out = render(passing_report(), "atlantis")
    assert out == "iacgate: PASS, 0 blocking findings (1 below threshold, 1 suppressed)\n"
    assert not atlantis_failed(out)


def test_atlantis_passing_run_ignores_hostile_finding_text() -> None:
    finding = low_logging()
    finding.title = 'FAIL 3 failures "failures": ['
    out = render(apply_gate([finding], [], GateOptions()), "atlantis")
    assert not atlantis_failed(out)


def test_atlantis_input_error_fails() -> None:
    out = render(sample_report(), "atlantis")
    assert atlantis_failed(out) and out.startswith("FAIL")


# -- text ------------------------------------------------------------------------------------------

def test_text_groups_by_resource_with_evidence_and_summary_last() -> None:
    out = render(sample_report(), "text")
    lines = out.splitlines()
    assert "aws_s3_bucket.site (aws_s3_bucket)  infra/site/main.tf:1-4" in lines
    assert any("CRITICAL IG-S3-002 [BLOCKING]" in line for line in lines)
    assert any("<- aws_s3_bucket_policy.site | infra/site/policy.tf:1-18 |" in line for line in lines)
    assert lines[-1].startswith("ERROR: 1 input could not be read: infra/broken.tf:7")
    assert "\x1b[" not in out


def test_text_color_only_when_asked_and_input_control_chars_escaped() -> None:
    finding = public_bucket()
    finding.address = "aws_s3_bucket.x\x1b[2J\rPASS"
    report = apply_gate([finding], [], GateOptions())
    plain = render(report, "text")
    assert "\x1b" not in plain and "\r" not in plain and "\\x1b[2J\\x0dPASS" in plain
    colored = render(report, "text", color=True)
    assert "\x1b[1;31m" in colored and "\x1b[2J" not in colored
    assert escape_control("a\u202eb") == "a\\u202eb"


# -- all formats -----------------------------------------------------------------------------------

def test_no_format_prints_a_secret() -> None:
    finding = public_bucket()
    finding.title = f"Access key {KEY_ID} in provider block"
    finding.message = f"access_key = {KEY_ID}, secret_key = {SECRET}"
    finding.address = f'aws_iam_access_key.k["{KEY_ID}"]'
    finding.evidence = [Evidence("var.secret", "vars.tf", 1, 3, f"default = {SECRET}")]
    finding.remediation = {"summary": f"Remove {SECRET} and rotate {KEY_ID}"}
    finding.suppression = None
    suppressed = suppressed_versioning()
    suppressed.suppression = Suppression("IG-S3-010", f"key {KEY_ID} is a test key", None, "inline")
    errors = [InputError(f"creds-{KEY_ID}.tf", f"cannot parse near '{SECRET}'", 2)]
    report = apply_gate([finding, suppressed], errors, GateOptions())
    for fmt in FORMATS:
        out = render(report, fmt)
        assert KEY_ID not in out and SECRET not in out, fmt
        assert "AKIA" in out or fmt == "atlantis", fmt


def test_every_format_renders_an_empty_passing_run() -> None:
    report = apply_gate([], [], GateOptions(), files=["main.tf"], resources=0)
    for fmt in FORMATS:
        assert render(report, fmt).strip(), fmt
    assert json.loads(render(report, "json"))["summary"]["decision"] == "pass"


def test_output_specs_and_write_outputs(tmp_path: Path) -> None:
    assert parse_output_spec("sarif=out/results.sarif") == ("sarif", "out/results.sarif")
    for bad in ("sarif", "yaml=x.yaml", "json="):
        with pytest.raises(OutputSpecError):
            parse_output_spec(bad)
    with pytest.raises(OutputSpecError):
        render(passing_report(), "html")
    import io

    stream = io.StringIO()
    write_outputs(sample_report(), "text", [("json", str(tmp_path / "r.json")),
                                             ("sarif", str(tmp_path / "r.sarif"))], stream)
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["decision"] == "error"
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert "\x1b[" not in stream.getvalue() and stream.getvalue().rstrip().endswith("1 input warning")


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=0, max_size=60))
def test_any_input_text_renders_safely_in_every_format(text: str) -> None:
    finding = public_bucket()
    finding.address, finding.title, finding.message = f"aws_s3_bucket.x{text}", text, text
    finding.evidence = [Evidence(text, text or None, 1, 2, text)]
    report = apply_gate([finding, low_logging()], [InputError(text or "x.tf", text, 1)], GateOptions())
    outputs = {fmt: render(report, fmt) for fmt in FORMATS}
    ET.fromstring(outputs["junit"])
    json.loads(outputs["json"])
    json.loads(outputs["sarif"])
    assert "\x1b" not in outputs["text"] and "\x1b" not in outputs["atlantis"]
    annotations = outputs["github"].rstrip("\n").split("\n")[:-1]  # the summary line comes last
    assert len(annotations) == 3 and all(line.startswith("::") for line in annotations)
    assert len(outputs["markdown"]) <= MAX_CHARS
    passing = apply_gate([low_logging()], [], GateOptions())
    low = passing.findings[0]
    low.title = low.message = text
    assert not atlantis_failed(render(passing, "atlantis"))


_KEY_ID = "AKIA" + "Q3EGRIUT5BVKXY7N"
_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "Qa8Lm2Zt4u"
_texts = st.one_of(st.sampled_from(["", "x", _KEY_ID, f"key {_SECRET} end", f"aws_secret_access_key = {_SECRET}",
                                    "a" * 19, "b" * 40, "aws_s3_bucket.logs"]),
                   st.text(max_size=30))
_maybe_texts = st.none() | _texts
_lines = st.none() | st.integers(min_value=0, max_value=10**6)


@st.composite
def _findings(draw) -> Finding:  # type: ignore[no-untyped-def]
    suppression = draw(st.none() | st.builds(Suppression, _texts, _texts, _maybe_texts, _texts))
    return Finding(
        rule_id=draw(_texts), concept=draw(_texts), severity=draw(st.sampled_from(["critical", "high", "low"])),
        status=draw(st.sampled_from(["fail", "unknown"])), title=draw(_texts), message=draw(_texts),
        address=draw(_texts), resource_type=draw(_texts), source_kind=draw(_texts),
        location=Source(draw(_maybe_texts), draw(_lines), draw(_lines), draw(_maybe_texts), draw(_texts)),
        evidence=draw(st.lists(st.builds(Evidence, _maybe_texts, _maybe_texts, _lines, _lines, _texts), max_size=3)),
        what=draw(_texts), remediation=draw(st.dictionaries(_texts, _texts, max_size=3)),
        references=draw(st.lists(_texts, max_size=3)), blocking=draw(st.booleans()), suppression=suppression,
        change=draw(st.none() | st.sampled_from(["new", "existing"])))


@settings(max_examples=300, deadline=None)
@given(_findings())
def test_json_findings_are_the_scrubbed_finding_data(finding: Finding) -> None:
    """The JSON report builds each finding scrubbed in one pass; it is what scrubbing the shared
    finding data gives, field for field and in the same order."""
    from iacgate.report.json_report import _memoised_rule_text, _scrubbed_finding, finding_data, scrub_tree

    expected = scrub_tree(finding_data(finding, display_path))
    made = _scrubbed_finding(finding, display_path, _memoised_rule_text())
    assert made == expected
    assert json.dumps(made) == json.dumps(expected)
    assert _SECRET not in json.dumps(made) and _KEY_ID not in json.dumps(made)


@settings(max_examples=300, deadline=None)
@given(_findings())
def test_json_finding_text_is_the_encoded_scrubbed_finding(finding: Finding) -> None:
    """The JSON report's text of a finding splices in its rule's text encoded once per report: the
    same characters as encoding the whole scrubbed finding."""
    from iacgate.report.json_report import (
        _encoded_finding,
        _memoised,
        _memoised_rule_text,
        _scrubbed_finding,
        scrub_tree,
    )

    rule_json = _memoised(lambda value: json.dumps(scrub_tree(value)))
    text = _encoded_finding(finding, display_path, rule_json)
    assert text == json.dumps(_scrubbed_finding(finding, display_path, _memoised_rule_text()))
    assert text == _encoded_finding(finding, display_path, rule_json)  # the remembered rule text
