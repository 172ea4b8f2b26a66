"""The built-in S3 rule pack, over subjects shaped like the analysers' output."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iacgate.findings import SEVERITIES, Subject
from iacgate.rules.catalog import FACT_CATALOG
from iacgate.rules.engine import evaluate
from iacgate.rules.loader import Rule, load_rules
from iacgate.values import Source, State, Value, absent, known, unknown

SHARED = Path(__file__).parents[2] / "shared"
BUCKET = Source("infra/site/main.tf", 1, 14, "aws_s3_bucket.site")
ACL = Source("infra/site/main.tf", 16, 19, "aws_s3_bucket_acl.site", "acl")
POLICY = Source("infra/site/policy.tf", 1, 30, "aws_s3_bucket_policy.site", "policy")
PAB = Source("infra/site/main.tf", 21, 27, "aws_s3_bucket_public_access_block.site")


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    loaded, errors = load_rules([])
    assert errors == []
    return loaded


def by_id(rules: list[Rule], *ids: str) -> list[Rule]:
    return [r for r in rules if r.id in ids]


def private_bucket_facts() -> dict[str, Value]:
    """A declared bucket with every protection: no built-in rule fires."""
    facts: dict[str, Value] = {path: known(False, BUCKET) for path in FACT_CATALOG["s3_bucket"]}
    facts.update({
        "name": known("acme-site", BUCKET), "declared": known(True, BUCKET),
        "versioning.enabled": known(True, BUCKET), "encryption.enabled": known(True, BUCKET),
        "encryption.algorithm": known("aws:kms", BUCKET), "logging.enabled": known(True, BUCKET),
        "public_access_block.present": known(True, PAB), "effective_block.all": known(True, PAB),
        "effective_block.declared": known(True, PAB), "ownership.acls_disabled": known(True, BUCKET),
        "acl.canned": absent(BUCKET), "policy.present": known(True, POLICY),
        "policy.denies_insecure_transport": known(True, POLICY),
        "exposure.summary": known("not public", BUCKET),
    })
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                    "restrict_public_buckets"):
        facts[f"public_access_block.{setting}"] = known(True, PAB)
        facts[f"effective_block.{setting}"] = known(True, PAB)
    return facts


def bucket(**changes: Value) -> Subject:
    facts = private_bucket_facts()
    facts.update({k.replace("__", "."): v for k, v in changes.items()})
    return Subject("s3_bucket", "aws_s3_bucket.site", "aws_s3_bucket", "terraform", BUCKET, facts)


def fired(rules: list[Rule], subject: Subject) -> dict[str, Any]:
    return {f.rule_id: f for f in evaluate(rules, [subject])}


def test_a_well_protected_bucket_passes_every_rule(rules: list[Rule]) -> None:
    assert fired(rules, bucket()) == {}


def test_every_builtin_s3_rule_is_complete(rules: list[Rule]) -> None:
    s3_rules = [r for r in rules if r.id.startswith("IG-S3-")]
    assert [r.id for r in s3_rules] == [
        "IG-S3-001", "IG-S3-002", "IG-S3-003", "IG-S3-004", "IG-S3-005", "IG-S3-006", "IG-S3-007",
        "IG-S3-010", "IG-S3-011", "IG-S3-012", "IG-S3-020", "IG-S3-021", "IG-S3-022", "IG-S3-023"]
    for rule in s3_rules:
        assert f"/s3/{rule.id.lower()}-" in rule.file
        assert rule.severity in SEVERITIES
        assert rule.remediation["summary"] and rule.remediation["terraform"]
        assert rule.remediation["cloudformation"]
        assert any(ref.startswith("https://docs.aws.amazon.com/") for ref in rule.references)
        assert rule.description


def test_public_acl_is_high_and_public_write_is_critical(rules: list[Rule]) -> None:
    summary = "anyone can read objects through the public-read ACL (aws_s3_bucket_acl.site)"
    via_acl = Value(State.KNOWN, True, summary, (ACL,))
    read = bucket(exposure__via_acl=via_acl, exposure__public=known(True, ACL),
                  exposure__public_read=known(True, ACL), exposure__summary=known("public", ACL))
    finding = fired(by_id(rules, "IG-S3-001"), read)["IG-S3-001"]
    assert finding.severity == "high"
    assert finding.message == f"Bucket acme-site is public through its ACL: {summary}"
    assert finding.evidence[0].address == "aws_s3_bucket_acl.site"
    write = bucket(exposure__via_acl=known(True, ACL), exposure__public_write=known(True, ACL))
    assert fired(by_id(rules, "IG-S3-001"), write)["IG-S3-001"].severity == "critical"


def test_public_policy_or_access_point(rules: list[Rule]) -> None:
    rule = by_id(rules, "IG-S3-002")
    via_policy = fired(rule, bucket(exposure__via_policy=Value(State.KNOWN, True, "anyone can GetObject",
                                                               (POLICY,))))
    assert via_policy["IG-S3-002"].message == ("Bucket acme-site is public through its policy: "
                                               "anyone can GetObject")
    ap = Source("infra/site/ap.tf", 1, 12, "aws_s3_access_point.public")
    via_ap = fired(rule, bucket(exposure__via_access_point=Value(
        State.KNOWN, True, "anyone can GetObject via the access point", (ap,))))
    assert via_ap["IG-S3-002"].severity == "critical"
    assert "Internet access point" in via_ap["IG-S3-002"].message
    assert via_ap["IG-S3-002"].evidence[0].address == "aws_s3_access_point.public"


def test_public_policy_computed_at_apply_is_unknown(rules: list[Rule]) -> None:
    reason = "policy is computed from module.iam output, known only after apply"
    found = fired(by_id(rules, "IG-S3-002"), bucket(exposure__via_policy=unknown(reason, POLICY)))
    assert found["IG-S3-002"].status == "unknown"
    assert found["IG-S3-002"].message == (
        "Whether the policy of bucket acme-site makes it public cannot be decided: "
        f"exposure.via_policy is unknown: {reason}")


@pytest.mark.parametrize("fact,rule_id,severity", [
    ("policy.broad_source_ip", "IG-S3-003", "high"),
    ("policy.any_principal", "IG-S3-004", "high"),
    ("policy.allow_not_principal", "IG-S3-005", "high"),
    ("policy.all_actions", "IG-S3-006", "high"),
    ("policy.allow_not_action", "IG-S3-007", "medium"),
])
def test_policy_statement_rules(rules: list[Rule], fact: str, rule_id: str, severity: str) -> None:
    found = fired(rules, bucket(**{fact.replace(".", "__"): known(True, POLICY)}))
    assert list(found) == [rule_id]
    assert found[rule_id].severity == severity
    assert found[rule_id].evidence[0].address == "aws_s3_bucket_policy.site"


def test_all_actions_to_anyone_is_critical(rules: list[Rule]) -> None:
    found = fired(by_id(rules, "IG-S3-006"), bucket(policy__all_actions=known(True, POLICY),
                                                    policy__all_actions_public=known(True, POLICY)))
    assert found["IG-S3-006"].severity == "critical"
    assert found["IG-S3-006"].message.endswith("to anyone.")


def test_public_access_block_messages_distinguish_missing_from_weak(rules: list[Rule]) -> None:
    rule = by_id(rules, "IG-S3-010")
    missing = fired(rule, bucket(effective_block__all=known(False), effective_block__declared=known(False),
                                 public_access_block__present=known(False)))
    assert missing["IG-S3-010"].message == (
        "Bucket acme-site has no public access block: neither a bucket-level nor an account-level "
        "block is declared in the configuration.")
    weak = fired(rule, bucket(effective_block__all=known(False, PAB),
                              effective_block__ignore_public_acls=known(False, PAB),
                              effective_block__restrict_public_buckets=known(False, PAB)))
    assert weak["IG-S3-010"].message == (
        "The public access block in effect for bucket acme-site leaves settings off: "
        "block_public_acls=true, block_public_policy=true, ignore_public_acls=false, "
        "restrict_public_buckets=false.")
    assert weak["IG-S3-010"].evidence[0].address == "aws_s3_bucket_public_access_block.site"


def test_buckets_only_named_by_a_policy_skip_hygiene_rules(rules: list[Rule]) -> None:
    found = fired(rules, bucket(declared=known(False), versioning__enabled=absent(),
                                encryption__enabled=absent(), logging__enabled=absent(),
                                public_access_block__present=known(False), effective_block__all=known(False)))
    assert found == {}


def test_a_weak_block_on_an_unidentified_bucket_is_still_reported(rules: list[Rule]) -> None:
    found = fired(rules, bucket(declared=known(False), public_access_block__present=known(True, PAB),
                                effective_block__all=known(False, PAB)))
    assert set(found) == {"IG-S3-010"}


@pytest.mark.parametrize("fact,rule_id,severity", [
    ("versioning.enabled", "IG-S3-020", "medium"),
    ("encryption.enabled", "IG-S3-021", "medium"),
    ("logging.enabled", "IG-S3-022", "low"),
])
def test_hygiene_rules_fire_on_false_and_absent(rules: list[Rule], fact: str, rule_id: str,
                                                severity: str) -> None:
    key = fact.replace(".", "__")
    for value in (known(False, BUCKET), absent(BUCKET)):
        found = fired(rules, bucket(**{key: value}))
        assert list(found) == [rule_id]
        assert found[rule_id].severity == severity
        assert found[rule_id].evidence == []  # the bucket itself is the location, not evidence


def test_tls_rule_fires_without_any_policy(rules: list[Rule]) -> None:
    found = fired(rules, bucket(policy__present=known(False),
                                policy__denies_insecure_transport=known(False)))
    assert list(found) == ["IG-S3-023"]
    assert "accepts requests without TLS" in found["IG-S3-023"].message


def test_public_website(rules: list[Rule]) -> None:
    found = fired(by_id(rules, "IG-S3-012"), bucket(website__enabled=known(True),
                                                    exposure__public=known(True),
                                                    exposure__summary=known("anyone can read")))
    assert found["IG-S3-012"].message == "Bucket acme-site serves a public static website: anyone can read"


def test_account_public_access_block(rules: list[Rule]) -> None:
    source = Source("infra/account.tf", 1, 6, "aws_s3_account_public_access_block.this")
    settings = {"block_public_acls": True, "block_public_policy": False,
                "ignore_public_acls": True, "restrict_public_buckets": False}
    facts = {k: known(v, source) for k, v in settings.items()}
    account = Subject("s3_account_public_access_block", "aws_s3_account_public_access_block.this",
                      "aws_s3_account_public_access_block", "terraform", source,
                      {**facts, "all": known(False, source)})
    [finding] = evaluate(rules, [account])
    assert finding.rule_id == "IG-S3-011" and finding.severity == "high"
    assert "block_public_policy=false" in finding.message
    strong = Subject(account.kind, account.address, account.resource_type, "terraform", source,
                     {"all": known(True, source)})
    assert evaluate(rules, [strong]) == []


def test_cis_controls_are_cited_where_they_apply(rules: list[Rule]) -> None:
    cites = {r.id: [ref for ref in r.references if ref.startswith("CIS AWS Foundations")]
             for r in rules}
    assert cites["IG-S3-010"] == ["CIS AWS Foundations 2.1.4 (v3.0.0)"]
    assert cites["IG-S3-011"] == ["CIS AWS Foundations 2.1.4 (v3.0.0)"]
    assert cites["IG-S3-023"] == ["CIS AWS Foundations 2.1.1 (v3.0.0)"]


S3_CONCEPTS = {"s3-public-acl", "s3-public-policy", "s3-policy-any-principal",
               "s3-policy-all-actions", "s3-public-access-block", "s3-account-public-access-block",
               "s3-tls", "s3-encryption", "s3-versioning", "s3-logging"}


def test_every_s3_concept_of_the_labelled_corpus_has_a_rule(rules: list[Rule]) -> None:
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip(f"labelled corpus not available at {corpus}")
    labelled = {json.loads(p.read_text())["concept"] for p in corpus.glob("*/*/expected.json")}
    covered = {r.concept for r in rules}
    assert (labelled & S3_CONCEPTS) - covered == set()
    assert S3_CONCEPTS <= covered
