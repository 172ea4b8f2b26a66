"""Helpers that remember their results (IAM glob patterns, attribute-name normalisation, secret
scrubbing) give the same answers as computing afresh and keep distinct inputs apart; the credential
scan's short-text shortcut skips nothing it could find; the JSON report's one-item-per-line layout
decodes to exactly the report data."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.analysis import credentials, iam_policy
from iacgate.findings import Evidence, Finding
from iacgate.gate import GateOptions, apply_gate
from iacgate.raw import InputError, RawResource
from iacgate.redact import scrub
from iacgate.report import render
from iacgate.report.json_report import dumps, report_data
from iacgate.values import Source

KEY_ID = "AKIAABCDEFGHIJKLMNOP"  # 20 characters: the shortest shape scrub removes
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"


def _fresh_glob(pattern: str, text: str, case_sensitive: bool) -> bool:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.fullmatch(regex, text, flags) is not None


def test_glob_match_keeps_case_sensitivity_apart_for_the_same_pattern() -> None:
    pattern = "arn:aws:s3:::Logs-*/*"
    assert iam_policy.glob_match(pattern, "arn:aws:s3:::logs-prod/key")
    assert not iam_policy.glob_match(pattern, "arn:aws:s3:::logs-prod/key", case_sensitive=True)
    assert iam_policy.glob_match(pattern, "arn:aws:s3:::logs-prod/key")  # remembered, not overwritten
    assert iam_policy.glob_match(pattern, "arn:aws:s3:::Logs-prod/key", case_sensitive=True)


def test_glob_match_agrees_with_a_fresh_translation_on_every_pair() -> None:
    patterns = ["s3:Get*", "s3:*Object", "s3:?etObject", "*", "s3:GetObject", "s3:Put*Acl", "a.b*", "s3:Get[x]*",
                "s3:ListBucket?"]
    texts = ["s3:GetObject", "s3:getobject", "s3:PutObjectAcl", "s3:ListBucket", "s3:ListBuckets", "ab",
             "a.bc", "s3:Get[x]y", "s3:GetxObject", "line\nbreak"]
    for _ in range(2):  # the second round is served from memory
        for pattern in patterns:
            for text in texts:
                for case_sensitive in (False, True):
                    assert iam_policy.glob_match(pattern, text, case_sensitive=case_sensitive) == \
                        _fresh_glob(pattern, text, case_sensitive), (pattern, text, case_sensitive)


def test_granted_actions_of_repeated_statements_are_the_same() -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "NotAction": "s3:Delete*", "Resource": "*"}]}
    first = [iam_policy.granted_actions(s) for s in iam_policy.parse_policy(document).statements]
    second = [iam_policy.granted_actions(s) for s in iam_policy.parse_policy(json.dumps(document)).statements]
    assert first == second
    assert "s3:GetObject" in first[0][0] and "s3:PutObject" not in first[0][0]
    assert "s3:DeleteObject" not in first[1][0] and "s3:PutObject" in first[1][0]


def test_attribute_name_normalisation_is_stable_and_distinct() -> None:
    assert credentials._norm("AWS_Secret-Access.Key") == "awssecretaccesskey"
    assert credentials._norm("AWS_Secret-Access.Key") == "awssecretaccesskey"
    assert credentials._norm("aws_session_token") == "awssessiontoken"
    assert credentials._norm("") == ""


def test_scrub_redacts_at_the_shortest_secret_length_and_leaves_shorter_text() -> None:
    assert scrub(KEY_ID) == "AKIA************MNOP"
    assert scrub(KEY_ID[:-1]) == KEY_ID[:-1]  # 19 characters cannot hold a key
    assert scrub("secretkey=" + "A1b2" * 4) == "secretkey=A1b2********A1b2"  # 26: shortest assignment
    for _ in range(2):  # the second call is remembered; both must redact
        assert KEY_ID not in scrub(f"key {KEY_ID} in text")
        assert SECRET not in scrub(f"aws_secret_access_key = {SECRET}")
    assert scrub("") == "" and scrub("short text") == "short text"


def _report():
    finding = Finding(
        rule_id="IG-S3-002", concept="s3-public-policy", severity="critical", status="fail",
        title="S3 bucket policy makes the bucket public",
        message=f"aws_s3_bucket_policy.site allows s3:GetObject to Principal \"*\" (key {KEY_ID})",
        address="aws_s3_bucket.site", resource_type="aws_s3_bucket", source_kind="terraform",
        location=Source("infra/site/main.tf", 1, 4, "aws_s3_bucket.site"),
        evidence=[Evidence("aws_s3_bucket_policy.site", "infra/site/policy.tf", 1, 18, "line\nbreak")])
    other = Finding(
        rule_id="IG-S3-020", concept="s3-versioning", severity="medium", status="fail",
        title="S3 bucket versioning is not enabled", message="no versioning",
        address="aws_s3_bucket.logs", resource_type="aws_s3_bucket", source_kind="terraform",
        location=Source("infra/site/main.tf", 6, 9, "aws_s3_bucket.logs"))
    errors = [InputError("infra/broken.tf", "unexpected token", 7)]
    return apply_gate([finding, other], errors, GateOptions(), files=["infra/site/main.tf"])


def test_json_report_puts_each_finding_and_error_on_one_line_and_decodes_to_the_data() -> None:
    report = _report()
    text = render(report, "json")
    assert json.loads(text) == report_data(report)
    lines = text.splitlines()
    finding_lines = [line for line in lines if line.startswith('    {"rule_id"')]
    assert len(finding_lines) == 2
    assert all(json.loads(line.rstrip(",")).get("fingerprint") for line in finding_lines)
    assert any(json.loads(line.rstrip(",")) == {"file": "infra/broken.tf", "line": 7,
                                                "message": "unexpected token"}
               for line in lines if line.startswith('    {"file"'))
    assert KEY_ID not in text


def test_json_layout_of_empty_lists_and_nested_summary() -> None:
    data = {"schema_version": "1", "summary": {"by_severity": {"high": 0}}, "findings": [], "errors": []}
    text = dumps(data)
    assert json.loads(text) == data
    assert '"findings": []' in text and '\n    "by_severity": {\n      "high": 0\n    }' in text


def _raw(address: str, attrs: dict) -> RawResource:  # type: ignore[type-arg]
    parts = address.split(".")
    return RawResource(address=address, type=parts[-2], name=parts[-1], source_kind="terraform",
                       file="main.tf", line=1, end_line=20, attrs=attrs, mode="managed")


def _found(attrs: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return sorted((hit.type, hit.form) for hit in credentials.find_credentials([_raw("aws_instance.web", attrs)]))


def test_short_text_is_still_scanned_under_an_environment_variable_name() -> None:
    # Below the length any unnamed credential needs, only an AWS environment variable name can make
    # a value count: directly, as a name/value pair, or through a short JSON text's generic key.
    assert _found({"environment": {"AWS_ACCESS_KEY_ID": "deploy"}}) == [("access_key_id", "setup")]
    assert _found({"environment": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "hunter2"}]}) == [
        ("secret_access_key", "setup")]
    assert _found({"AWS_SESSION_TOKEN": '{"value":"t0k"}'}) == [("session_token", "setup")]
    assert _found({"environment": {"DEPLOY_USER": "deploy", "region": "eu-west-1"}}) == []


def test_shortest_unnamed_credentials_are_found_under_any_name() -> None:
    assert _found({"note": KEY_ID}) == [("access_key_id", "key")]
    assert _found({"dest": "~/.aws/credentials"}) == [("credentials_file", "setup")]  # 18 characters
    assert _found({"dest": "/.aws/credentials"}) == [("credentials_file", "setup")]  # 17
    assert _found({"dest": ".aws/credentials"}) == [("credentials_file", "setup")]  # 16, the shortest


_PIECES = list('aAkK0129/+=.{}[]":, $-_>') + ["AKIA", "aws", ".aws/credentials", '"value"', '"name"', "AWS_"]
_SHORT_TEXT = st.lists(st.sampled_from(_PIECES), max_size=8).map(lambda parts: "".join(parts)[:24])
_NAMES = st.sampled_from(["AWS_ACCESS_KEY_ID", "aws_secret_access_key", "AWS_SESSION_TOKEN", "aws-security-token",
                          "secret", "token", "dest", "value", "user_data", "environment", "name", "region"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_NAMES, st.one_of(_SHORT_TEXT, st.lists(_SHORT_TEXT, max_size=2),
                                         st.fixed_dictionaries({"name": _NAMES, "value": _SHORT_TEXT})),
                       max_size=3))
def test_short_text_shortcut_finds_exactly_what_the_full_scan_finds(attrs: dict) -> None:  # type: ignore[type-arg]
    shortcut = _found(attrs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_SHORTEST_UNNAMED_HIT", 0)
        assert _found(attrs) == shortcut


def test_report_data_leaves_the_collector_as_it_found_it() -> None:
    import gc

    report = _report()
    assert gc.isenabled()
    first = report_data(report)
    assert gc.isenabled()
    gc.disable()
    try:
        assert report_data(report) == first
        assert not gc.isenabled()
    finally:
        gc.enable()
