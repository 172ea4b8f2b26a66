"""Evaluating rules over subjects: findings, messages, evidence, escalation, selection."""
from __future__ import annotations

from typing import Any

import pytest

from iacgate.findings import Evidence, Subject
from iacgate.rules.engine import (check_params, evaluate, parse_param_overrides, rule_params,
                                  select_rules, unmatched_selectors)
from iacgate.rules.loader import Rule, compile_rule
from iacgate.values import Source, absent, known, unknown, unresolved

BUCKET_SRC = Source("infra/logs/main.tf", 12, 31, "module.logs.aws_s3_bucket.this")
POLICY_SRC = Source("infra/logs/policy.tf", 4, 19, "module.logs.aws_s3_bucket_policy.this", "policy")
PAB_SRC = Source("infra/logs/main.tf", 33, 40, "module.logs.aws_s3_bucket_public_access_block.this")
ACCOUNT_PAB_SRC = Source("infra/account.tf", 1, 6, "aws_s3_account_public_access_block.this")


def bucket(facts: dict[str, Any], **kwargs: Any) -> Subject:
    return Subject(kind="s3_bucket", address="module.logs.aws_s3_bucket.this",
                   resource_type="aws_s3_bucket", source_kind="terraform", source=BUCKET_SRC,
                   facts=facts, **kwargs)


def rule(**overrides: Any) -> Rule:
    data: dict[str, Any] = {
        "id": "test.policy-any-principal", "title": "Bucket policy allows any principal",
        "concept": "s3-policy-any-principal", "severity": "high", "resource": "s3_bucket",
        "condition": {"fact": "policy.any_principal", "is_true": True},
        "message": "The policy of bucket {name} allows any principal.",
        "remediation": {"summary": "Name the principals.", "terraform": "principals {}",
                        "cloudformation": "Principal: {AWS: arn}"},
        "references": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                       "reference_policies_elements_principal.html"],
    }
    data.update(overrides)
    compiled, errors = compile_rule(data, "test.yaml")
    assert not errors, errors
    assert compiled is not None
    return compiled


# --- pass / fail / unknown ------------------------------------------------------------------------

def test_fail_finding_carries_rule_subject_and_location() -> None:
    subject = bucket({"name": known("acme-logs", BUCKET_SRC),
                      "policy.any_principal": known(True, POLICY_SRC)})
    [finding] = evaluate([rule()], [subject])
    assert finding.status == "fail"
    assert finding.rule_id == "test.policy-any-principal"
    assert finding.concept == "s3-policy-any-principal"
    assert finding.severity == "high"
    assert finding.message == "The policy of bucket acme-logs allows any principal."
    assert finding.address == "module.logs.aws_s3_bucket.this"
    assert finding.location == BUCKET_SRC
    assert finding.source_kind == "terraform"
    assert finding.remediation["terraform"] == "principals {}"
    assert finding.references and finding.blocking is False
    assert finding.evidence == [Evidence("module.logs.aws_s3_bucket_policy.this",
                                         "infra/logs/policy.tf", 4, 19,
                                         "policy.any_principal = true (policy)")]


def test_pass_gives_no_finding_and_other_kinds_are_ignored() -> None:
    clean = bucket({"policy.any_principal": known(False, POLICY_SRC)})
    other = Subject("ec2_launch_site", "aws_instance.web", "aws_instance", "terraform",
                    Source("web.tf", 1, 20, "aws_instance.web"),
                    {"policy.any_principal": known(True)})
    assert evaluate([rule()], [clean, other]) == []


def test_unknown_finding_names_what_the_gate_could_not_see_and_why() -> None:
    reason = "policy is computed from module.iam output, known only after apply"
    subject = bucket({"policy.any_principal": unknown(reason, POLICY_SRC)})
    [finding] = evaluate([rule()], [subject])
    assert finding.status == "unknown"
    assert "policy.any_principal" in finding.message
    assert reason in finding.message
    assert finding.message.startswith("Bucket policy allows any principal: cannot be decided for "
                                      "module.logs.aws_s3_bucket.this")
    assert finding.evidence[0].address == "module.logs.aws_s3_bucket_policy.this"
    assert finding.evidence[0].detail == "policy.any_principal = unknown (policy)"


def test_unknown_message_template_receives_the_reasons() -> None:
    r = rule(unknown_message="Cannot tell whether {name} allows anyone: {unknown}")
    subject = bucket({"name": known("acme-logs"),
                      "policy.any_principal": unresolved("policy = file(var.doc): could not be "
                                                         "evaluated", POLICY_SRC)})
    [finding] = evaluate([r], [subject])
    assert finding.message == ("Cannot tell whether acme-logs allows anyone: policy.any_principal "
                               "is unresolved: policy = file(var.doc): could not be evaluated")


def test_unknown_only_when_it_could_change_the_result() -> None:
    r = rule(condition={"all": [{"fact": "declared", "is_true": True},
                                {"fact": "versioning.enabled", "not_equals": True}]})
    not_declared = bucket({"declared": known(False),
                           "versioning.enabled": unknown("known only after apply")})
    assert evaluate([r], [not_declared]) == []
    declared = bucket({"declared": known(True),
                       "versioning.enabled": unknown("known only after apply")})
    [finding] = evaluate([r], [declared])
    assert finding.status == "unknown"
    assert "versioning.enabled is unknown: known only after apply" in finding.message


# --- messages --------------------------------------------------------------------------------------

def test_message_renders_values_reasons_and_subject_fields() -> None:
    r = rule(message="{address} ({resource_type}, {kind}): summary={fact.exposure.summary}; "
                     "versioning={fact.versioning.enabled} ({fact.versioning.enabled.reason}); "
                     "buckets={fact.role.readable_buckets}; {{literal}}",
             resource="custom_kind")
    subject = Subject("custom_kind", "aws_s3_bucket.b", "aws_s3_bucket", "terraform",
                      Source("b.tf", 1, 5, "aws_s3_bucket.b"),
                      {"policy.any_principal": known(True),
                       "exposure.summary": known("anyone can read objects through the policy"),
                       "versioning.enabled": absent(reason="no versioning resource"),
                       "role.readable_buckets": known(["a", "b"])})
    [finding] = evaluate([r], [subject])
    assert finding.message == (
        "aws_s3_bucket.b (aws_s3_bucket, custom_kind): summary=anyone can read objects through "
        "the policy; versioning=not set (no versioning resource); buckets=a, b; {literal}")


def test_name_falls_back_to_the_address() -> None:
    [finding] = evaluate([rule()], [bucket({"policy.any_principal": known(True)})])
    assert finding.message == "The policy of bucket module.logs.aws_s3_bucket.this allows any principal."


def test_messages_never_print_a_secret() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    # an uncatalogued kind, so the rule may cite a fact that holds the raw value
    r = rule(resource="secret_holder", condition={"fact": "credential.paired", "is_true": True},
             message="Key {fact.credential.location} = {fact.credential.value}")
    subject = Subject("secret_holder", "provider.aws", "provider", "terraform",
                      Source("providers.tf", 1, 5, "provider.aws"),
                      {"credential.paired": known(True),
                       "credential.location": known("secret_key"),
                       "credential.value": known(secret)})
    [finding] = evaluate([r], [subject])
    assert secret not in finding.message
    assert "wJal" in finding.message and secret not in finding.what
    unknown_subject = Subject("secret_holder", "var.key", "variable", "terraform",
                              Source("vars.tf", 1, 5, "var.key"),
                              {"credential.paired": unresolved("default = \"AKIAIOSFODNN7EXAMPLE\"")})
    [finding] = evaluate([r], [unknown_subject])
    assert "AKIAIOSFODNN7EXAMPLE" not in finding.message


def test_message_cases_pick_the_first_that_holds() -> None:
    r = rule(condition={"fact": "effective_block.all", "not_equals": True},
             message="settings off: acls={fact.effective_block.block_public_acls}",
             message_cases=[{"when": {"fact": "effective_block.declared", "not_equals": True},
                             "message": "no public access block for {name}"}])
    none = bucket({"effective_block.all": known(False), "effective_block.declared": known(False)})
    weak = bucket({"effective_block.all": known(False), "effective_block.declared": known(True),
                   "effective_block.block_public_acls": known(False)})
    assert [f.message for f in evaluate([r], [none, weak])] == [
        "no public access block for module.logs.aws_s3_bucket.this", "settings off: acls=false"]


# --- escalation --------------------------------------------------------------------------------------

def test_escalate_raises_severity_on_the_first_match_and_adds_evidence() -> None:
    acl_src = Source("infra/logs/acl.tf", 1, 4, "module.logs.aws_s3_bucket_acl.this", "acl")
    r = rule(condition={"fact": "exposure.via_acl", "is_true": True},
             escalate=[{"when": {"fact": "exposure.public_write", "is_true": True},
                        "severity": "critical"}])
    read_only = bucket({"exposure.via_acl": known(True, acl_src),
                        "exposure.public_write": known(False, acl_src)})
    read_write = bucket({"exposure.via_acl": known(True, acl_src),
                         "exposure.public_write": known(True, acl_src)})
    unsure = bucket({"exposure.via_acl": known(True, acl_src),
                     "exposure.public_write": unknown("grants are known only after apply")})
    findings = evaluate([r], [read_only, read_write, unsure])
    assert [f.severity for f in findings] == ["high", "critical", "high"]
    assert findings[1].evidence[0].detail == ("exposure.via_acl = true (acl); "
                                              "exposure.public_write = true (acl)")
    assert findings[0].fingerprint != findings[1].fingerprint


# --- evidence --------------------------------------------------------------------------------------

def test_evidence_is_deduplicated_and_excludes_the_subject_itself() -> None:
    r = rule(condition={"all": [{"fact": "declared", "is_true": True},
                                {"fact": "effective_block.all", "not_equals": True}]})
    subject = bucket({
        "declared": known(True, BUCKET_SRC),
        "effective_block.all": known(False, PAB_SRC, ACCOUNT_PAB_SRC,
                                     Source("infra/logs/main.tf", 20, 20, None, "acl")),
    })
    [finding] = evaluate([r], [subject])
    assert [e.address for e in finding.evidence] == [
        "module.logs.aws_s3_bucket_public_access_block.this",
        "aws_s3_account_public_access_block.this"]


def test_evidence_merges_facts_from_the_same_resource() -> None:
    r = rule(condition={"any": [{"fact": "policy.any_principal", "is_true": True},
                                {"fact": "policy.all_actions", "is_true": True}]})
    subject = bucket({"policy.any_principal": known(True, POLICY_SRC),
                      "policy.all_actions": known(True, POLICY_SRC)})
    [finding] = evaluate([r], [subject])
    assert finding.evidence == [Evidence("module.logs.aws_s3_bucket_policy.this",
                                         "infra/logs/policy.tf", 4, 19,
                                         "policy.any_principal = true (policy); "
                                         "policy.all_actions = true (policy)")]


def test_fingerprint_survives_line_moves_but_not_a_different_verdict() -> None:
    moved = Source("infra/logs/policy.tf", 40, 55, "module.logs.aws_s3_bucket_policy.this")
    first = evaluate([rule()], [bucket({"policy.any_principal": known(True, POLICY_SRC)})])[0]
    second = evaluate([rule()], [bucket({"policy.any_principal": known(True, moved)})])[0]
    opaque = evaluate([rule()], [bucket({"policy.any_principal": unknown("after apply")})])[0]
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != opaque.fingerprint
    assert first.what == "test.policy-any-principal fail policy.any_principal=true"


# --- parameters ------------------------------------------------------------------------------------

def hop_rule() -> Rule:
    return rule(id="test.hop-limit", resource="ec2_launch_site", concept="imds-v2",
                parameters={"max_hops": 1},
                condition={"fact": "imds.hop_limit", "gt": {"param": "max_hops"}},
                message="{name} allows {fact.imds.hop_limit} hops (limit {param.max_hops})")


def site(hops: int) -> Subject:
    return Subject("ec2_launch_site", "aws_launch_template.eks", "aws_launch_template",
                   "terraform", Source("eks.tf", 3, 30, "aws_launch_template.eks"),
                   {"imds.hop_limit": known(hops)})


def test_parameter_defaults_and_overrides() -> None:
    r = hop_rule()
    [finding] = evaluate([r], [site(2)])
    assert finding.message == "aws_launch_template.eks allows 2 hops (limit 1)"
    assert evaluate([r], [site(2)], {"test.hop-limit": {"max_hops": 2}}) == []
    assert evaluate([r], [site(2)], {"*": {"max_hops": 2}}) == []
    assert rule_params(r, {"*": {"max_hops": 3}, "test.hop-limit": {"max_hops": 5}}) == {"max_hops": 5}
    assert rule_params(r, {"*": {"undeclared": 3}}) == {"max_hops": 1}


def test_check_params_reports_unknown_rules_names_and_bad_values() -> None:
    r = hop_rule()
    assert check_params([r], {"test.hop-limit": {"max_hops": 2}}) == []
    problems = check_params([r], {"nope": {"x": 1}, "test.hop-limit": {"max_hop": 2},
                                  "*": {"max_hops": "many"}})
    assert problems == ["parameter override for unknown rule 'nope'",
                        "test.hop-limit: no parameter named 'max_hop'",
                        "test.hop-limit: parameter 'max_hops': 'gt' takes a number"]


def test_parse_param_overrides() -> None:
    assert parse_param_overrides(["IG-EC2-002.max_hops=2", "max_hops=3", "kinds=[a, b]"]) == {
        "IG-EC2-002": {"max_hops": 2}, "*": {"max_hops": 3, "kinds": ["a", "b"]}}
    with pytest.raises(ValueError):
        parse_param_overrides(["no-equals-sign"])


# --- plans -----------------------------------------------------------------------------------------

def test_plan_change_is_new_or_existing() -> None:
    after = {"policy.any_principal": known(True)}
    updated_still_bad = bucket(after, actions=("update",), before_facts={"policy.any_principal": known(True)})
    updated_now_bad = bucket(after, actions=("update",), before_facts={"policy.any_principal": known(False)})
    created = bucket(after, actions=("create",))
    untouched = bucket(after, actions=("no-op",))
    config = bucket(after)
    assert [f.change for f in evaluate([rule()], [updated_still_bad, updated_now_bad, created,
                                                  untouched, config])] == [
        "existing", "new", "new", "existing", None]


# --- robustness ------------------------------------------------------------------------------------

class ExplodingFacts(dict):
    def get(self, key, default=None):  # a broken analyser must not break the gate
        raise RuntimeError("analyser bug")


def test_a_rule_that_cannot_be_evaluated_is_reported_not_skipped() -> None:
    [finding] = evaluate([rule()], [bucket(ExplodingFacts())])
    assert finding.status == "unknown"
    assert "could not be evaluated" in finding.message


def test_thousands_of_subjects() -> None:
    rules = [rule(), rule(id="test.versioning", condition={"fact": "versioning.enabled",
                                                            "not_equals": True})]
    subjects = [bucket({"policy.any_principal": known(i % 3 == 0),
                        "versioning.enabled": known(i % 2 == 0)}) for i in range(3000)]
    findings = evaluate(rules, subjects)
    assert len(findings) == 1000 + 1500


# --- selection -------------------------------------------------------------------------------------

def selection_rules() -> list[Rule]:
    return [rule(id="IG-S3-001", severity="high", concept="s3-public-acl",
                 escalate=[{"when": {"fact": "exposure.public_write", "is_true": True},
                            "severity": "critical"}]),
            rule(id="IG-S3-020", severity="medium", concept="s3-versioning"),
            rule(id="IG-S3-022", severity="low", concept="s3-logging"),
            rule(id="acme.mfa", severity="medium", concept="other", enabled=False)]


def ids(rules: list[Rule]) -> list[str]:
    return [r.id for r in rules]


def test_select_rules_defaults_to_enabled_rules() -> None:
    assert ids(select_rules(selection_rules())) == ["IG-S3-001", "IG-S3-020", "IG-S3-022"]


def test_select_only_by_id_glob_or_concept_and_enables_disabled_rules() -> None:
    rules = selection_rules()
    assert ids(select_rules(rules, only=["acme.mfa"])) == ["acme.mfa"]
    assert ids(select_rules(rules, only=["IG-S3-02*"])) == ["IG-S3-020", "IG-S3-022"]
    assert ids(select_rules(rules, only=["s3-public-acl"])) == ["IG-S3-001"]


def test_select_skip_and_min_severity() -> None:
    rules = selection_rules()
    assert ids(select_rules(rules, skip=["IG-S3-022", "s3-versioning"])) == ["IG-S3-001"]
    assert ids(select_rules(rules, min_severity="medium")) == ["IG-S3-001", "IG-S3-020"]
    # a rule that can escalate to critical stays when only critical findings matter
    assert ids(select_rules(rules, min_severity="critical")) == ["IG-S3-001"]


def test_unmatched_selectors_flag_typos() -> None:
    assert unmatched_selectors(selection_rules(), ["IG-S3-001", "IG-S3-999", "s3-tls"]) == [
        "IG-S3-999", "s3-tls"]


def test_a_huge_value_is_cut_in_messages() -> None:
    huge = "x" * 100_000
    subject = bucket({"policy.any_principal": known(True, POLICY_SRC), "name": known(huge, BUCKET_SRC)})
    [finding] = evaluate([rule()], [subject], {})
    assert len(finding.message) < 5000
    assert "(95904 more characters)" in finding.message
