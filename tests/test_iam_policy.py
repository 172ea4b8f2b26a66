"""Focused tests of policy parsing and statement analysis."""
from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.analysis.iam_policy import (PolicyOptions, analyse_policy, denies_insecure_transport,
                                         glob_match, parse_policy, public_ipv4_pieces, s3_read_targets)
from iacgate.values import State, Unknown, Unresolved, Value, known

BUCKET = "arn:aws:s3:::assets-prod"
OBJECTS = f"{BUCKET}/*"

# AWS's TLS-only example (S3 User Guide, example bucket policies).
AWS_TLS_EXAMPLE = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "RestrictToTLSRequestsOnly",
    "Action": "s3:*",
    "Effect": "Deny",
    "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    "Principal": "*"
  }]
}"""

WEBSITE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "PublicReadGetObject", "Effect": "Allow", "Principal": "*",
                   "Action": ["s3:GetObject"], "Resource": [OBJECTS]}],
}


def single(statement: dict, version: str = "2012-10-17") -> dict:
    return {"Version": version, "Statement": statement}


# ------------------------------------------------------------------------------------ parsing


def test_parse_json_string_and_single_statement_object() -> None:
    document = parse_policy(json.dumps(single({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                               "Resource": OBJECTS})))
    assert document.readable
    assert len(document.statements) == 1
    statement = document.statements[0]
    assert statement.effect == "Allow"
    assert statement.actions == ("s3:GetObject",)
    assert statement.principals[0].kind == "*"


@pytest.mark.parametrize("principal, kind, value", [
    ("*", "*", "*"),
    ({"AWS": "*"}, "AWS", "*"),
    ({"AWS": ["*"]}, "AWS", "*"),
    ({"AWS": 11122223333}, "AWS", "011122223333"),
    ({"AWS": "11122223333"}, "AWS", "011122223333"),
    ({"aws": "arn:aws:iam::111122223333:role/app"}, "AWS", "arn:aws:iam::111122223333:role/app"),
    ({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, "CanonicalUser",
     "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
    ({"Service": ["logging.s3.amazonaws.com"]}, "Service", "logging.s3.amazonaws.com"),
    ({"Federated": "arn:aws:iam::111122223333:saml-provider/corp"}, "Federated",
     "arn:aws:iam::111122223333:saml-provider/corp"),
])
def test_principal_forms_are_normalised(principal: object, kind: str, value: str) -> None:
    statement = parse_policy(single({"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                                     "Resource": OBJECTS})).statements[0]
    assert (statement.principals[0].kind, statement.principals[0].value) == (kind, value)


def test_condition_operator_qualifier_and_ifexists_are_split() -> None:
    statement = parse_policy(single({
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS,
        "Condition": {"ForAnyValue:StringEqualsIfExists": {"AWS:SourceVpce": ["vpce-1", "vpce-2"]},
                      "Bool": {"aws:SecureTransport": True}},
    })).statements[0]
    first, second = statement.conditions
    assert (first.base, first.qualifier, first.if_exists, first.key) == ("stringequals", "foranyvalue", True,
                                                                         "aws:sourcevpce")
    assert first.values == ("vpce-1", "vpce-2")
    assert (second.base, second.values) == ("bool", (True,))


@pytest.mark.parametrize("text, problem", [
    ('{"Version": "2012-10-17", "Statement": [', "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('"just a string"', "not a JSON object"),
    ("", "empty"),
    ('{"Version": "2012-10-17"}', "no Statement"),
    ('{"Statement": 5}', "not a list"),
])
def test_unreadable_policies_carry_a_problem_and_are_unknown(text: str, problem: str) -> None:
    analysis = analyse_policy(text)
    assert any(problem in p for p in analysis.problems)
    assert analysis.aws_public is None and analysis.effective_public is None
    assert analysis.denies_insecure_transport is None


def test_opaque_leaf_and_opaque_value_are_unknown() -> None:
    leaf = Unresolved("data.aws_iam_policy_document.p.json", "data source not evaluated")
    for doc in (leaf, Value(State.UNKNOWN, None, "policy is known only after apply")):
        analysis = analyse_policy(doc)
        assert analysis.aws_public is None
        assert analysis.unknown_reason
    assert "data.aws_iam_policy_document.p.json" in analyse_policy(leaf).unknown_reason


def test_absent_value_is_a_problem_not_safe() -> None:
    assert analyse_policy(Value(State.ABSENT)).aws_public is None


def test_cloudformation_date_version_and_lowercase_effect() -> None:
    import datetime
    document = {"Version": datetime.date(2012, 10, 17), "Statement": [
        {"Effect": "allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS}]}
    assert analyse_policy(document).aws_public is True


# ------------------------------------------------------------------------------------- verdicts


def test_aws_website_example_is_public_with_reasons() -> None:
    analysis = analyse_policy(WEBSITE_POLICY)
    statement = analysis.statements[0]
    assert analysis.aws_public is True and analysis.effective_public is True
    assert statement.principal_class == "public"
    assert statement.reasons[0] == 'Principal "*" with no condition'
    assert any("s3:GetObject" in r and "read" in r for r in statement.reasons)
    assert analysis.public_access == frozenset({"read"})


def test_ifexists_reason_explains_why() -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                      "Resource": OBJECTS,
                                      "Condition": {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}}))
    assert "StringEqualsIfExists aws:SourceVpce \"vpce-1\" does not confine: true when the key is absent" in \
        analysis.statements[0].reasons


def test_inferred_principal_keys_say_so() -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                      "Resource": OBJECTS,
                                      "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}))
    assert analysis.aws_public is False
    assert any("by inference" in r for r in analysis.statements[0].reasons)


@pytest.mark.parametrize("principal, expected", [
    ("*", "public"), ({"AWS": "111122223333"}, "account"), ({"Service": "cloudtrail.amazonaws.com"}, "service"),
    ({"Federated": "graph.facebook.com"}, "public"), ({"AWS": Unknown()}, "unknown"),
])
def test_principal_class(principal: object, expected: str) -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                                      "Resource": OBJECTS}))
    assert analysis.statements[0].principal_class == expected


def test_access_point_context_rejects_access_point_arn_wildcard() -> None:
    policy = single({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS,
                     "Condition": {"StringLike": {
                         "s3:DataAccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}})
    assert analyse_policy(policy, context="bucket").aws_public is False
    assert analyse_policy(policy, context="access_point").aws_public is True


def test_identity_policy_without_principal_is_not_public() -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), context="identity")
    assert analysis.aws_public is False
    assert analysis.statements[0].principal_class == "none"


# ------------------------------------------------------------------------------------- actions


@pytest.mark.parametrize("action, kinds", [
    ("s3:GetObject", {"read"}),
    ("s3:Get*", {"read"}),
    ("S3:GETOBJECT", {"read"}),
    ("s3:ListBucket", {"list"}),
    ("s3:PutObject", {"write"}),
    ("s3:AbortMultipartUpload", {"write"}),
    ("s3:DeleteObject*", {"delete"}),
    ("s3:DeleteBucket", {"delete"}),
    ("s3:PutBucketAcl", {"acl"}),
    ("s3:Put*Acl", {"acl"}),
    ("s3:PutBucketPolicy", {"policy"}),
    ("s3:PutBucketPublicAccessBlock", {"policy"}),
    ("s3:*Object", {"read", "write", "delete"}),
    ("s3:Get?bject", {"read"}),
    ("s3:*", {"read", "list", "write", "delete", "acl", "policy", "all"}),
    ("*", {"read", "list", "write", "delete", "acl", "policy", "all"}),
    ("ec2:*", set()),
    ("s3:GetObjectAcl", set()),
])
def test_access_classification(action: str, kinds: set[str]) -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": action,
                                      "Resource": "*"}))
    assert analysis.statements[0].access == frozenset(kinds)


def test_not_action_grants_everything_not_excluded() -> None:
    # s3:AbortMultipartUpload (a write) is not excluded by Delete* / Put*.
    loose = analyse_policy(single({"Effect": "Allow", "Principal": "*", "NotAction": ["s3:Delete*", "s3:Put*"],
                                   "Resource": "*"}))
    assert loose.statements[0].access == frozenset({"read", "list", "write"})
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": "*", "Resource": "*", "NotAction": [
        "s3:Delete*", "s3:Put*", "s3:AbortMultipartUpload", "s3:RestoreObject", "s3:ReplicateObject"]}))
    statement = analysis.statements[0]
    assert statement.access == frozenset({"read", "list"})
    assert analysis.allow_not_action is True
    assert statement.all_actions is False


def test_not_action_excluding_nothing_in_s3_is_all() -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": "*", "NotAction": "iam:*", "Resource": "*"}))
    assert "all" in analysis.statements[0].access


def test_opaque_action_makes_access_incomplete() -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": "*",
                                      "Action": ["s3:GetObject", Unresolved("var.extra_action")], "Resource": "*"}))
    statement = analysis.statements[0]
    assert statement.access_complete is False
    assert statement.all_actions is None


def test_glob_match_only_star_and_question_mark_are_special() -> None:
    assert glob_match("s3:Get*", "s3:getobject")
    assert glob_match("s3:Get?bject", "s3:GetObject")
    assert not glob_match("s3:[G]etObject", "s3:GetObject")
    assert glob_match("arn:aws:s3:::b/*", "arn:aws:s3:::b/k", case_sensitive=True)
    assert not glob_match("arn:aws:s3:::B/*", "arn:aws:s3:::b/k", case_sensitive=True)


# ------------------------------------------------------------------------------------ address space


@pytest.mark.parametrize("cidr, aws_public, broad", [
    ("201.0.0.0/8", False, True),
    ("10.0.0.0/8", False, False),
    ("100.64.0.0/10", False, False),  # CGNAT
    ("169.254.0.0/16", False, False),
    ("127.0.0.0/8", False, False),
    ("11.0.0.0/8", False, True),
    ("52.94.76.0/22", False, False),
    ("52.94.0.0/16", False, False),
    ("52.94.0.0/15", False, True),
    ("0.0.0.0/0", True, False),
    ("4.0.0.0/6", True, False),
    ("2600:1f00::/32", False, True),
    ("2600:1f18::/47", False, True),
    ("2600:1f18:1234::/48", False, False),
    ("fc00::/8", True, False),  # broader than /32; AWS excepts only RFC 1918 ranges
    ("2000::/3", True, False),
])
def test_source_ip_widths(cidr: str, aws_public: bool, broad: bool) -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                      "Resource": OBJECTS, "Condition": {"IpAddress": {"aws:SourceIp": cidr}}}))
    assert analysis.aws_public is aws_public
    assert analysis.broad_source_ip is broad


def test_broad_reason_counts_public_addresses() -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                      "Resource": OBJECTS,
                                      "Condition": {"IpAddress": {"aws:SourceIp": "201.0.0.0/8"}}}))
    assert any("aws:SourceIp 201.0.0.0/8 pins 16,777,216 public addresses" in r
               for r in analysis.statements[0].reasons)
    assert analysis.broad_access == frozenset({"read"})


def test_options_change_the_broad_limits() -> None:
    policy = single({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS,
                     "Condition": {"IpAddress": {"aws:SourceIp": "52.94.0.0/20"}}})
    assert analyse_policy(policy).broad_source_ip is False
    strict = PolicyOptions(min_ipv4_prefix=24, max_public_addresses=256)
    assert analyse_policy(policy, strict).broad_source_ip is True


def test_public_pieces_exclude_private_space() -> None:
    pieces = public_ipv4_pieces(ipaddress.IPv4Network("172.0.0.0/8"))
    assert sum(p.num_addresses for p in pieces) == 2 ** 24 - 2 ** 20
    assert public_ipv4_pieces(ipaddress.IPv4Network("10.1.0.0/16")) == []


# --------------------------------------------------------------------------------------- Deny


def _with_deny(condition: dict | None, action: object = "s3:*", resource: object = "*",
               principal: object = "*") -> dict:
    deny: dict = {"Sid": "Guard", "Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource}
    if condition is not None:
        deny["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS},
        deny]}


@pytest.mark.parametrize("condition, effective", [
    ({"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, False),
    ({"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, False),
    ({"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}, False),
    ({"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, False),
    ({"ArnNotEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}}, False),
    ({"StringNotLike": {"aws:SourceVpce": "vpce-*"}}, True),  # wildcard: not a fixed pin
    ({"NotIpAddress": {"aws:SourceIp": "0.0.0.0/1"}}, True),  # too wide for AWS
    ({"Bool": {"aws:SecureTransport": "false"}}, True),
    ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}, "Bool": {"aws:SecureTransport": "false"}}, True),
    (None, False),  # unconditional Deny for everyone
])
def test_deny_narrowing(condition: dict | None, effective: bool) -> None:
    analysis = analyse_policy(_with_deny(condition))
    assert analysis.aws_public is True
    assert analysis.effective_public is effective
    if not effective:
        assert analysis.statements[0].closed_by == (1,)
        assert any("Deny statement 'Guard'" in r for r in analysis.statements[0].reasons)


def test_deny_must_cover_actions_and_resources() -> None:
    vpce = {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}
    assert analyse_policy(_with_deny(vpce, action="s3:PutObject")).effective_public is True
    assert analyse_policy(_with_deny(vpce, resource=BUCKET)).effective_public is True
    assert analyse_policy(_with_deny(vpce, resource=[BUCKET, OBJECTS])).effective_public is False
    assert analyse_policy(_with_deny(vpce, action="s3:Get*")).effective_public is False
    assert analyse_policy(_with_deny(vpce, principal={"AWS": "111122223333"})).effective_public is True


def test_deny_with_unseen_pin_value_makes_effective_unknown() -> None:
    analysis = analyse_policy(_with_deny({"StringNotEquals": {"aws:SourceVpce": Unresolved("var.vpce_id")}}))
    assert analysis.aws_public is True
    assert analysis.effective_public is None


def test_deny_with_unresolved_resources_compares_expressions() -> None:
    objects = Unresolved("${aws_s3_bucket.b.arn}/*")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": objects},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [Unresolved("aws_s3_bucket.b.arn"), Unresolved("${aws_s3_bucket.b.arn}/*")],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}]}
    assert analyse_policy(policy).effective_public is False
    policy["Statement"][1]["Resource"] = Unresolved("var.other")
    assert analyse_policy(policy).effective_public is None


# -------------------------------------------------------------------------------- TLS and reach


def test_aws_tls_example_denies_insecure_transport() -> None:
    assert denies_insecure_transport(AWS_TLS_EXAMPLE) is True
    assert analyse_policy(AWS_TLS_EXAMPLE).aws_public is False


@pytest.mark.parametrize("statement, expected", [
    ({"Action": "s3:PutObject"}, False),  # put only: reads over plain HTTP still allowed
    ({"Action": ["s3:GetObject", "s3:PutObject"]}, True),
    ({"Action": "*"}, True),
    ({"Principal": {"AWS": "111122223333"}}, False),
    ({"Effect": "Allow"}, False),
    ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
    ({"Condition": {"Bool": {"aws:SecureTransport": False}}}, True),
    ({"Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}, True),
    ({"Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}, True),
    ({"Condition": {"Bool": {"aws:SecureTransport": Unknown()}}}, None),
    ({"Resource": BUCKET}, False),  # the bucket alone, not its objects
    ({"Resource": Unresolved("${aws_s3_bucket.b.arn}/*")}, True),
    ({"Resource": Unresolved("aws_s3_bucket.b.arn")}, None),
    # CloudFormation: !Join ["", ["arn:aws:s3:::", !Ref Bucket, "/*"]] on a bucket named at deploy
    ({"Resource": Unknown("ARN of bucket Site (name known only after deploy): arn:aws:s3:::${Site}/*",
                          shape="arn:aws:s3:::${Site}/*")}, True),
    ({"Resource": Unknown("ARN of bucket Site is known only after deploy")}, None),
])
def test_denies_insecure_transport_variants(statement: dict, expected: bool | None) -> None:
    base = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, OBJECTS],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    base.update(statement)
    assert denies_insecure_transport(single(base)) is expected


def test_s3_read_targets() -> None:
    role_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [BUCKET, OBJECTS]},
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secrets/*"},
    ]}
    assert s3_read_targets(role_policy) == [BUCKET, OBJECTS]
    assert s3_read_targets(single({"Effect": "Allow", "Action": "*", "NotResource": BUCKET})) == ["*"]
    assert s3_read_targets(single({"Effect": "Allow", "Action": "s3:*", "Resource": Unknown()})) is None
    assert s3_read_targets("not json") is None
    assert s3_read_targets(single({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})) == []


def test_known_value_wrapping_a_dict_is_accepted() -> None:
    assert analyse_policy(known(WEBSITE_POLICY)).aws_public is True


# ------------------------------------------------------------------------------- robustness

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                      st.sampled_from(["*", "Allow", "Deny", "s3:*", "aws:SourceIp", "0.0.0.0/0", "vpce-1",
                                       Unknown(), Unresolved("var.x")]))
json_tree = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["Version", "Statement", "Effect", "Principal", "NotPrincipal", "Action",
                                     "NotAction", "Resource", "Condition", "AWS", "StringEquals", "IpAddress",
                                     "aws:SourceIp", "Bool", "Sid"]), inner, max_size=5)), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(json_tree)
def test_any_tree_is_analysed_without_raising(tree: object) -> None:
    analysis = analyse_policy(tree)
    assert analysis.aws_public in (True, False, None)
    assert denies_insecure_transport(tree) in (True, False, None)
    s3_read_targets(tree)


@pytest.mark.parametrize("principal, public, any_principal", [
    # Fn::FindInMap on a region-keyed map of ELB account ids: every possible value is one account
    ({"AWS": Unresolved('Fn::FindInMap ["Region2ELBAccountId",{"Ref":"AWS::Region"},"AccountId"]',
                        "the key depends on AWS::Region", ("127311923021", "027434742980"))}, False, False),
    # one of the branches of an Fn::If is "*"
    ({"AWS": Unresolved("Fn::If IsPublic", "condition IsPublic depends on a parameter",
                        ("*", "111122223333"))}, None, None),
    # an ARN principal whose account is a parameter cannot be a wildcard
    ({"AWS": Unresolved("Fn::Sub arn:${AWS::Partition}:iam::${PublisherAccountID}:root",
                        "depends on parameter PublisherAccountID")}, False, False),
    # a bare parameter could be "*"
    ({"AWS": Unresolved("Ref AccountIdSource", "parameter AccountIdSource has no default")}, None, None),
])
def test_opaque_principals_narrowed_by_what_they_can_be(principal, public, any_principal) -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                                      "Resource": OBJECTS}))
    assert analysis.aws_public is public
    assert analysis.any_principal is any_principal


_PLAN_IDENTIFIER = "data.aws_iam_policy_document.p.statement[0].principals[0].identifiers[0] is known only after apply"


@pytest.mark.parametrize("leaf, decided", [
    (Unknown("aws_iam_role.this.arn is known only after apply"), True),
    (Unknown("module.app.aws_iam_role.reader[0].arn is known only after apply"), True),
    (Unknown("aws_cloudfront_origin_access_identity.site.iam_arn is known only after apply"), True),
    (Unknown("aws_cloudfront_origin_access_identity.site.etag is known only after apply"), False),
    # a plan: the configuration says what the value is computed from
    (Unknown(_PLAN_IDENTIFIER, derived_from=("aws_iam_role.this",)), True),
    (Unknown(_PLAN_IDENTIFIER, derived_from=("aws_iam_role.this", "var.extra_principal")), False),
    (Unknown(_PLAN_IDENTIFIER + "; it is derived from aws_iam_role.this"), False),  # words alone do not count
    (Unknown("var.principal is known only after apply"), False),
    (Unknown("aws_s3_bucket.this.arn is known only after apply"), False),
])
def test_principal_that_is_an_iam_role_created_here_is_not_any_principal(leaf: Unknown, decided: bool) -> None:
    analysis = analyse_policy(single({"Effect": "Allow", "Principal": {"AWS": leaf},
                                      "Action": "s3:GetObject", "Resource": OBJECTS}))
    assert analysis.any_principal is (False if decided else None)
    assert analysis.aws_public is (False if decided else None)
