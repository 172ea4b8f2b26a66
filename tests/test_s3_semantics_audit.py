"""Adversarial S3 exposure cases run through the real command, each naming the AWS rule that decides it.

Every row is a small, realistic Terraform configuration, CloudFormation template or plan. All rows are
checked in a few runs of ``iacgate check ... --format json`` and each row's findings are compared with
what AWS does. Rule tags: S-BPA (S3 Block Public Access, "The meaning of public"), S-ACL (ACL
overview), S-OWN (object ownership), S-APP (access point policies), S-WEB (website hosting), I-OPS /
I-MULTI / I-NPR / I-NACT / I-NRES / I-PRN / I-COND / I-EVAL (IAM condition operators, multi-value
conditions, NotPrincipal, NotAction, NotResource, Principal, Condition, evaluation logic), C-SCH
(CloudFormation resource schemas), T-* (Terraform AWS provider documentation), A.n / F.n (sections of
the S3 and IAM semantics reference), GATE (the gate's own policy, stricter than AWS).

Account-level blocks cover every bucket in one run, so cases that declare one run in a group of their
own.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FAIL, UNKNOWN, PASS = "fail", "unknown", None
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


@dataclass(frozen=True)
class Case:
    id: str
    rule: str  # the AWS rule (or gate policy) that decides the expected result
    files: dict[str, str]
    expect: dict[str, str | None]  # rule id -> "fail" / "unknown" / None (no finding)
    address: str = "aws_s3_bucket.b"
    message_has: dict[str, tuple[str, ...]] = field(default_factory=dict)
    group: str = "shared"  # cases with an account-level block run alone: it covers every bucket scanned

    def address_for(self, rule_id: str) -> str:
        return ACCOUNT_BLOCK if rule_id in ACCOUNT_RULES else self.address


ACCOUNT_BLOCK = "aws_s3_account_public_access_block.acct"
ACCOUNT_RULES = {"IG-S3-011"}


# ------------------------------------------------------------------------------ input builders


def _name(case_id: str) -> str:
    return f"audit-{case_id}"[:63]


def _heredoc_json(document: dict) -> str:
    return json.dumps(document, indent=2).replace("${", "$${")


def tf_policy_case(case_id: str, statements: list[dict], extra: str = "") -> dict[str, str]:
    """A bucket and an aws_s3_bucket_policy whose document is a heredoc; ``{B}`` in the statements
    stands for the bucket name."""
    name = _name(case_id)
    document = json.loads(json.dumps({"Version": "2012-10-17", "Statement": statements}).replace("{B}", name))
    text = f'''
        resource "aws_s3_bucket" "b" {{
          bucket = "{name}"
        }}

        resource "aws_s3_bucket_policy" "p" {{
          bucket = aws_s3_bucket.b.id
          policy = <<POLICY
        {{POLICY}}
        POLICY
        }}
        {extra}'''
    return {"main.tf": textwrap.dedent(text).replace("{POLICY}", _heredoc_json(document))}


def tf(text: str) -> dict[str, str]:
    return {"main.tf": textwrap.dedent(text)}


def cfn(text: str) -> dict[str, str]:
    return {"template.yaml": textwrap.dedent(text)}


def public_get(condition: dict | None = None, principal: Any = "*", action: Any = "s3:GetObject",
               resource: Any = "arn:aws:s3:::{B}/*", effect: str = "Allow", sid: str = "Audit",
               **extra: Any) -> dict:
    statement: dict[str, Any] = {"Sid": sid, "Effect": effect, "Principal": principal, "Action": action,
                                 "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    statement.update(extra)
    for swapped, original in (("NotPrincipal", "Principal"), ("NotAction", "Action"), ("NotResource", "Resource")):
        if swapped in extra:
            statement.pop(original)
    return statement


def ip_case(case_id: str, rule: str, addresses: Any, expect: dict, operator: str = "IpAddress",
            key: str = "aws:SourceIp", **kw: Any) -> Case:
    return Case(case_id, rule, tf_policy_case(case_id, [public_get({operator: {key: addresses}})]), expect, **kw)


def cond_case(case_id: str, rule: str, condition: dict, expect: dict, **kw: Any) -> Case:
    return Case(case_id, rule, tf_policy_case(case_id, [public_get(condition)]), expect, **kw)


def tf_acl_case(case_id: str, acl_body: str, ownership: str | None = "BucketOwnerPreferred",
                extra: str = "") -> dict[str, str]:
    name = _name(case_id)
    owner = f'''
        resource "aws_s3_bucket_ownership_controls" "o" {{
          bucket = aws_s3_bucket.b.id
          rule {{
            object_ownership = "{ownership}"
          }}
        }}''' if ownership else ""
    text = f'''
        resource "aws_s3_bucket" "b" {{
          bucket = "{name}"
        }}
        {owner}

        resource "aws_s3_bucket_acl" "a" {{
          bucket = aws_s3_bucket.b.id
        {{ACL}}
        }}
        {extra}'''
    return {"main.tf": textwrap.dedent(text).replace("{ACL}", textwrap.indent(textwrap.dedent(acl_body), "  "))}


def acp(grants: list[tuple[str, str, str]]) -> str:
    """An access_control_policy block: (grantee type, uri or id, permission) per grant."""
    blocks = []
    for kind, who, permission in grants:
        field_name = "uri" if kind == "Group" else "id"
        blocks.append(f'''
          grant {{
            grantee {{
              type = "{kind}"
              {field_name} = "{who}"
            }}
            permission = "{permission}"
          }}''')
    return ("access_control_policy {" + "".join(blocks) + '''
          owner {
            id = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
          }
        }''')


def pab(settings: dict[str, bool | str], address: str = "b", bucket: str = "aws_s3_bucket.b.id") -> str:
    lines = "\n".join(f"  {k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in settings.items())
    return f'''
resource "aws_s3_bucket_public_access_block" "{address}" {{
  bucket = {bucket}
{lines}
}}
'''


ALL_BLOCKS = {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
              "restrict_public_buckets": True}


def cfn_policy_case(case_id: str, statements: list[dict], bucket_props: str = "") -> dict[str, str]:
    """A bucket and an AWS::S3::BucketPolicy; the statements are written as YAML flow (JSON)."""
    document = json.dumps({"Version": "2012-10-17", "Statement": statements}).replace(
        '"arn:aws:s3:::{B}/*"', '!Sub "${Bucket.Arn}/*"')
    props = textwrap.indent(textwrap.dedent(bucket_props).strip(), " " * 6) if bucket_props else ""
    text = f'''AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: {_name(case_id)}
{props}
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument: {document}
'''
    return {"template.yaml": text}


# ----------------------------------------------------------------------------------- plans


def plan_resource(address: str, actions: list[str], after: dict, after_unknown: dict | None = None,
                  before: dict | None = None) -> dict:
    kind, name = address.split(".", 1)
    return {"address": address, "mode": "managed", "type": kind, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after,
                       "after_unknown": after_unknown or {}, "before_sensitive": False, "after_sensitive": {}}}


def plan_config(address: str, bucket_ref: str | None) -> dict:
    kind, name = address.split(".", 1)
    expressions = {"bucket": {"references": [f"{bucket_ref}.id", bucket_ref]}} if bucket_ref else {}
    return {"address": address, "mode": "managed", "type": kind, "name": name, "provider_config_key": "aws",
            "expressions": expressions, "schema_version": 0}


def plan(case_id: str, changes: list[tuple[str, list[str], dict, dict | None]]) -> dict[str, str]:
    """A ``terraform show -json`` plan of an existing bucket ``aws_s3_bucket.b`` and its satellites:
    (address, actions, after, after_unknown) per satellite."""
    name = _name(case_id)
    bucket_after = {"bucket": name, "force_destroy": False, "tags": None}
    resources = [plan_resource("aws_s3_bucket.b", ["no-op"], bucket_after, {}, before=bucket_after)]
    configs = [plan_config("aws_s3_bucket.b", None)]
    for address, actions, after, unknown in changes:
        after = {"bucket": name, **after} if after is not None else None
        before = None if actions == ["create"] else {"bucket": name, **{k: v for k, v in (after or {}).items()}}
        if actions == ["delete"]:
            before, after = {"bucket": name, **(unknown or {})}, None
            unknown = {}
        resources.append(plan_resource(address, actions, after, unknown, before=before))
        configs.append(plan_config(address, "aws_s3_bucket.b"))
    document = {"format_version": "1.2", "terraform_version": "1.7.5", "applyable": True, "complete": True,
                "errored": False, "planned_values": {"root_module": {}}, "resource_changes": resources,
                "configuration": {"root_module": {"resources": configs}}}
    return {"plan.json": json.dumps(document, indent=1)}


def policy_json(case_id: str, statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}).replace("{B}", _name(case_id))


PAB_OFF = {"block_public_acls": False, "block_public_policy": False, "ignore_public_acls": False,
           "restrict_public_buckets": False}

# ------------------------------------------------------------------------------------- rows

CASES: list[Case] = [
    # ---- aws:SourceIp widths, IPv6 and mixed lists (A.2: per value, broader than /8 or /32 is public)
    ip_case("ip-mixed-v4-narrow-v6-any", "S-BPA A.2: values are OR'ed; ::/0 in the list is broader than /32",
            ["203.0.113.0/24", "::/0"], {"IG-S3-002": FAIL},
            message_has={"IG-S3-002": ("::/0 is broader than /32",)}),
    ip_case("ip-v6-slash31", "S-BPA A.2: an IPv6 /31 is broader than /32", "2600:1f18::/31", {"IG-S3-002": FAIL}),
    ip_case("ip-v6-slash32", "S-BPA A.2: an IPv6 /32 is not broader than /32; GATE: a public /32 is broad",
            "2600:1f18::/32", {"IG-S3-002": PASS, "IG-S3-003": FAIL}),
    ip_case("ip-v6-slash56", "S-BPA A.2 + GATE: an IPv6 /56 confines and is narrow", "2600:1f18:4a3b:ab00::/56",
            {"IG-S3-002": PASS, "IG-S3-003": PASS, "IG-S3-004": FAIL}),
    ip_case("ip-mixed-narrow", "S-BPA A.2: every value is narrow", ["203.0.113.0/24", "2600:1f18:4a3b::/48"],
            {"IG-S3-002": PASS, "IG-S3-003": PASS}),
    ip_case("ip-v4-slash8-public", "S-BPA A.2: /8 is not broader than /8; GATE: 16.7M public addresses is broad",
            "11.0.0.0/8", {"IG-S3-002": PASS, "IG-S3-003": FAIL}),
    ip_case("ip-v4-slash9", "S-BPA A.2 + GATE: a public /9 passes AWS but is broad", "52.0.0.0/9",
            {"IG-S3-002": PASS, "IG-S3-003": FAIL}),
    ip_case("ip-v4-slash7", "S-BPA A.2: a /7 is broader than /8", "52.0.0.0/7", {"IG-S3-002": FAIL}),
    ip_case("ip-v4-slash32", "S-BPA A.2: one address confines", "198.51.100.7/32",
            {"IG-S3-002": PASS, "IG-S3-003": PASS}),
    ip_case("ip-v4-reserved-slash4", "S-BPA A.2: only RFC 1918 ranges are excepted; 240.0.0.0/4 is broader "
            "than /8 and public by AWS's text", "240.0.0.0/4", {"IG-S3-002": FAIL},
            message_has={"IG-S3-002": ("240.0.0.0/4 is broader than /8",)}),
    ip_case("ip-v6-unique-local-slash7", "S-BPA A.2: fc00::/7 is broader than /32 and not an RFC 1918 range",
            "fc00::/7", {"IG-S3-002": FAIL}),
    ip_case("ip-v4-rfc1918-supernet", "S-BPA A.2: 10.0.0.0/7 is broader than /8 and reaches past RFC 1918",
            "10.0.0.0/7", {"IG-S3-002": FAIL}),
    ip_case("ip-rfc1918-all", "S-BPA A.2: RFC 1918 ranges confine", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
            {"IG-S3-002": PASS, "IG-S3-003": PASS}),
    ip_case("ip-not-ip-address", "I-OPS: NotIpAddress grants everyone outside the range", "203.0.113.0/24",
            {"IG-S3-002": FAIL}, operator="NotIpAddress"),
    ip_case("ip-if-exists", "I-OPS: IpAddressIfExists is true when aws:SourceIp is absent (VPC endpoint requests)",
            "203.0.113.0/24", {"IG-S3-002": FAIL}, operator="IpAddressIfExists"),
    ip_case("ip-for-all-values", "I-MULTI: ForAllValues is true when the request has no value",
            "203.0.113.0/24", {"IG-S3-002": FAIL}, operator="ForAllValues:IpAddress"),
    ip_case("ip-for-any-value", "I-MULTI: ForAnyValue is false with no value, so a narrow range confines",
            "203.0.113.0/24", {"IG-S3-002": PASS}, operator="ForAnyValue:IpAddress"),
    ip_case("ip-key-upper-case", "I-COND: condition key names are case-insensitive", "203.0.113.0/24",
            {"IG-S3-002": PASS}, key="AWS:SOURCEIP"),
    ip_case("ip-operator-lower-case", "I-COND: operator names are case-insensitive", "203.0.113.0/24",
            {"IG-S3-002": PASS}, operator="ipaddress"),
    ip_case("ip-string-equals", "S-BPA: aws:SourceIp pins an address only through IpAddress", "203.0.113.7",
            {"IG-S3-002": FAIL}, operator="StringEquals"),
    ip_case("ip-unparsable", "fail closed: a value that is not an address range is public", "office-vpn",
            {"IG-S3-002": FAIL}),
    # ---- other confining keys, wildcards, qualifiers and negations (S-BPA list, A.3)
    cond_case("vpce-star-equals", 'S-BPA: "*" is a wildcard, not a fixed value, whatever the operator',
              {"StringEquals": {"aws:SourceVpce": "*"}}, {"IG-S3-002": FAIL}),
    cond_case("vpce-like-wildcard", 'S-BPA example: StringLike aws:SourceVpc "vpc-*" is public',
              {"StringLike": {"aws:SourceVpce": "vpce-*"}}, {"IG-S3-002": FAIL}),
    cond_case("vpce-like-question-mark", "S-BPA: ? is a wildcard too",
              {"StringLike": {"aws:SourceVpce": "vpce-1a2b3c4?"}}, {"IG-S3-002": FAIL}),
    cond_case("vpce-like-fixed", "A.3: StringLike without wildcards pins a fixed value",
              {"StringLike": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, {"IG-S3-002": PASS, "IG-S3-004": FAIL}),
    cond_case("vpc-ignore-case", "S-BPA: StringEqualsIgnoreCase aws:SourceVpc pins fixed values",
              {"StringEqualsIgnoreCase": {"aws:SourceVpc": "vpc-91237329"}}, {"IG-S3-002": PASS}),
    cond_case("vpce-list-with-star", "S-BPA: one wildcard value among fixed ones is not a fixed set",
              {"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", "*"]}}, {"IG-S3-002": FAIL}),
    cond_case("vpce-not-like", "I-OPS: StringNotLike grants everyone else",
              {"StringNotLike": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, {"IG-S3-002": FAIL}),
    cond_case("org-id-mixed-case-key", "I-COND + S-BPA: aws:PrincipalOrgId in any case is aws:PrincipalOrgID",
              {"StringEquals": {"AWS:principalorgid": "o-a1b2c3d4e5"}}, {"IG-S3-002": PASS}),
    cond_case("org-id-like-star", 'S-BPA: StringLike aws:PrincipalOrgID "*" confines nothing',
              {"StringLike": {"aws:PrincipalOrgID": "*"}}, {"IG-S3-002": FAIL}),
    cond_case("org-id-for-all-values", "I-MULTI: ForAllValues is true with no value in the request",
              {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, {"IG-S3-002": FAIL}),
    cond_case("org-id-for-any-value", "I-MULTI: ForAnyValue with a fixed value confines",
              {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, {"IG-S3-002": PASS}),
    cond_case("org-id-if-exists", "I-OPS: StringEqualsIfExists is true for anonymous callers (no org id)",
              {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, {"IG-S3-002": FAIL}),
    cond_case("principal-account-like-star", "S-BPA: a wildcard principal-scoping value does not confine",
              {"StringLike": {"aws:PrincipalAccount": "*"}}, {"IG-S3-002": FAIL}),
    cond_case("principal-account-fixed", "A.3 (inferred): aws:PrincipalAccount fixed confines",
              {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}, {"IG-S3-002": PASS}),
    cond_case("source-account-and-wildcard-vpce", "S-BPA: one fixed restricting key is enough (keys are AND'ed)",
              {"StringEquals": {"aws:SourceAccount": "111122223333"}, "StringLike": {"aws:SourceVpce": "vpce-*"}},
              {"IG-S3-002": PASS}),
    cond_case("secure-transport-only", "S-BPA: aws:SecureTransport is not a restricting key",
              {"Bool": {"aws:SecureTransport": "true"}}, {"IG-S3-002": FAIL}),
    cond_case("userid-role-session", "S-BPA: aws:userid AROLEID:* does not confine",
              {"StringLike": {"aws:userid": "AROAEXAMPLEROLEID:*"}}, {"IG-S3-002": FAIL}),
    cond_case("source-arn-arnlike-fixed", "S-BPA: ArnLike aws:SourceArn with no wildcard pins a fixed ARN",
              {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}},
              {"IG-S3-002": PASS}),
    cond_case("principal-arn-wildcard", "S-BPA: aws:PrincipalArn with a wildcard is not a fixed value",
              {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}}, {"IG-S3-002": FAIL}),
    cond_case("referer-only", "S-BPA: aws:Referer is not a restricting key",
              {"StringLike": {"aws:Referer": ["https://example.com/*"]}}, {"IG-S3-002": FAIL}),
    # ---- principal forms (F.1)
    Case("principal-aws-star-list", 'F.1: {"AWS": ["*"]} is everyone',
         tf_policy_case("principal-aws-star-list", [public_get(principal={"AWS": ["*"]})]),
         {"IG-S3-002": FAIL, "IG-S3-004": FAIL}),
    Case("principal-account-wildcard-arn", "I-PRN: no wildcard inside a principal ARN; not a fixed value",
         tf_policy_case("principal-account-wildcard-arn", [public_get(principal={"AWS": "arn:aws:iam::*:root"})]),
         {"IG-S3-002": FAIL}),
    Case("principal-account-root", "S-BPA A.8: a fixed account is cross-account, not public",
         tf_policy_case("principal-account-root", [public_get(principal={"AWS": "arn:aws:iam::111122223333:root"},
                                                              action="s3:*")]),
         {"IG-S3-002": PASS, "IG-S3-004": PASS}),
    Case("principal-federated", "S-BPA example: a Federated principal is public",
         tf_policy_case("principal-federated", [public_get(principal={"Federated": "cognito-identity.amazonaws.com"})]),
         {"IG-S3-002": FAIL}),
    Case("principal-service-star", "S-BPA: a service principal with a wildcard is not fixed",
         tf_policy_case("principal-service-star", [public_get(principal={"Service": "*"})]), {"IG-S3-002": FAIL}),
    Case("principal-service-fixed", "S-BPA: a service principal is fixed",
         tf_policy_case("principal-service-fixed", [public_get(principal={"Service": "logging.s3.amazonaws.com"},
                                                               action="s3:PutObject")]),
         {"IG-S3-002": PASS}),
    Case("not-principal-allow", "I-NPR: Allow with NotPrincipal grants everyone else, anonymous users included",
         tf_policy_case("not-principal-allow", [public_get(NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})]),
         {"IG-S3-002": FAIL, "IG-S3-005": FAIL}),
    Case("not-principal-deny-with-account-allow", "I-NPR: Deny with NotPrincipal restricts; the Allow names an account",
         tf_policy_case("not-principal-deny-with-account-allow", [
             public_get(principal={"AWS": "arn:aws:iam::111122223333:root"}, sid="Account"),
             public_get(effect="Deny", sid="OnlyAccount", action="s3:*",
                        resource=["arn:aws:s3:::{B}", "arn:aws:s3:::{B}/*"],
                        NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})]),
         {"IG-S3-002": PASS, "IG-S3-005": PASS}),
    # ---- actions (F.2, I-NACT)
    Case("action-get-glob", "F.2: s3:Get* to everyone is public read",
         tf_policy_case("action-get-glob", [public_get(action="s3:Get*")]), {"IG-S3-002": FAIL}),
    Case("action-object-glob", "F.2: s3:*Object covers GetObject, PutObject and DeleteObject",
         tf_policy_case("action-object-glob", [public_get(action="s3:*Object")]), {"IG-S3-002": FAIL},
         message_has={"IG-S3-002": ("s3:*Object",)}),
    Case("action-upper-case", "F.2: action names are case-insensitive",
         tf_policy_case("action-upper-case", [public_get(action="S3:GETOBJECT")]), {"IG-S3-002": FAIL}),
    Case("action-harmless-still-public", "S-BPA: action lists do not rescue a public principal",
         tf_policy_case("action-harmless-still-public", [public_get(action="s3:GetBucketLocation",
                                                                    resource="arn:aws:s3:::{B}")]),
         {"IG-S3-002": FAIL}),
    Case("not-action-allow", "I-NACT: Allow with NotAction allows every other action",
         tf_policy_case("not-action-allow", [public_get(NotAction="s3:DeleteBucket",
                                                        resource=["arn:aws:s3:::{B}", "arn:aws:s3:::{B}/*"])]),
         {"IG-S3-002": FAIL, "IG-S3-007": FAIL}),
    # ---- Deny statements (A.10, A.11)
    Case("deny-unless-vpce", "A.11: a Deny for everyone unless a fixed VPC endpoint closes the public Allow",
         tf_policy_case("deny-unless-vpce", [
             public_get(),
             public_get(effect="Deny", sid="VpceOnly", action="s3:*",
                        resource=["arn:aws:s3:::{B}", "arn:aws:s3:::{B}/*"],
                        condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})]),
         {"IG-S3-002": PASS, "IG-S3-004": FAIL}),
    Case("deny-unless-vpce-wildcard", "A.11: a Deny unless StringNotLike vpce-* leaves every endpoint in",
         tf_policy_case("deny-unless-vpce-wildcard", [
             public_get(),
             public_get(effect="Deny", sid="VpceOnly", action="s3:*",
                        resource=["arn:aws:s3:::{B}", "arn:aws:s3:::{B}/*"],
                        condition={"StringNotLike": {"aws:SourceVpce": "vpce-*"}})]),
         {"IG-S3-002": FAIL}),
    Case("deny-tls-only-with-public-allow", "A.10: a TLS-only Deny does not narrow who may read",
         tf_policy_case("deny-tls-only-with-public-allow", [
             public_get(),
             public_get(effect="Deny", sid="TLS", action="s3:*", resource=["arn:aws:s3:::{B}", "arn:aws:s3:::{B}/*"],
                        condition={"Bool": {"aws:SecureTransport": "false"}})]),
         {"IG-S3-002": FAIL, "IG-S3-023": PASS}),
    Case("deny-other-bucket", "A.11: a Deny on another bucket's resources does not close this Allow",
         tf_policy_case("deny-other-bucket", [
             public_get(),
             public_get(effect="Deny", sid="Other", action="s3:*", resource="arn:aws:s3:::someone-else/*")]),
         {"IG-S3-002": FAIL}),
    Case("deny-everything-unconditional", "I-EVAL: an unconditional Deny for everyone overrides the Allow",
         tf_policy_case("deny-everything-unconditional", [
             public_get(),
             public_get(effect="Deny", sid="Nobody", action="s3:*", resource=["arn:aws:s3:::{B}", "arn:aws:s3:::{B}/*"])]),
         {"IG-S3-002": PASS}),
    # ---- Terraform policy documents: aws_iam_policy_document and jsonencode
    Case("tf-doc-star-principal", 'F.1: principals { type = "*" } is Principal "*"', tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-doc-star-principal"
        }

        data "aws_iam_policy_document" "public" {
          statement {
            sid       = "PublicRead"
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.b.arn}/*"]
            principals {
              type        = "*"
              identifiers = ["*"]
            }
          }
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = data.aws_iam_policy_document.public.json
        }
        '''), {"IG-S3-002": FAIL, "IG-S3-004": FAIL}),
    Case("tf-doc-policy-variable", "S-BPA: a policy variable ($${...} in HCL) is not a fixed value", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-doc-policy-variable"
        }

        data "aws_iam_policy_document" "p" {
          statement {
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.b.arn}/*"]
            principals {
              type        = "AWS"
              identifiers = ["*"]
            }
            condition {
              test     = "StringEquals"
              variable = "aws:SourceAccount"
              values   = ["$${aws:PrincipalAccount}"]
            }
          }
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = data.aws_iam_policy_document.p.json
        }
        '''), {"IG-S3-002": FAIL}, message_has={"IG-S3-002": ("policy variable",)}),
    Case("tf-doc-not-principals", "I-NPR: not_principals in an Allow statement is public", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-doc-not-principals"
        }

        data "aws_iam_policy_document" "p" {
          statement {
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.b.arn}/*"]
            not_principals {
              type        = "AWS"
              identifiers = ["arn:aws:iam::111122223333:root"]
            }
          }
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = data.aws_iam_policy_document.p.json
        }
        '''), {"IG-S3-002": FAIL, "IG-S3-005": FAIL}),
    Case("tf-doc-org-id-from-variable", "S-BPA: aws:PrincipalOrgID pinned to a variable's fixed default confines", tf('''
        variable "org_id" {
          type    = string
          default = "o-a1b2c3d4e5"
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-doc-org-id-from-variable"
        }

        data "aws_iam_policy_document" "p" {
          statement {
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.b.arn}/*"]
            principals {
              type        = "AWS"
              identifiers = ["*"]
            }
            condition {
              test     = "StringEquals"
              variable = "aws:PrincipalOrgID"
              values   = [var.org_id]
            }
          }
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = data.aws_iam_policy_document.p.json
        }
        '''), {"IG-S3-002": PASS, "IG-S3-004": FAIL}),
    Case("tf-doc-vpce-from-unset-variable", "fail closed: a VPC endpoint named by a variable with no value",
         tf('''
        variable "vpce_id" {
          type = string
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-doc-vpce-from-unset-variable"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_bucket.b.arn}/*"
              Condition = { StringEquals = { "aws:SourceVpce" = var.vpce_id } }
            }]
          })
        }
        '''), {"IG-S3-002": UNKNOWN}),
    Case("tf-jsonencode-aws-star-list", 'F.1: jsonencode Principal = { AWS = ["*"] }', tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-jsonencode-aws-star-list"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = ["*"] }
              Action    = ["s3:GetObject", "s3:ListBucket"]
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
            }]
          })
        }
        '''), {"IG-S3-002": FAIL, "IG-S3-004": FAIL}),
    # ---- ACLs (A.4) and object ownership (A.6)
    Case("acl-authenticated-read", "S-BPA: AuthenticatedUsers READ is public",
         tf_acl_case("acl-authenticated-read", 'acl = "authenticated-read"'), {"IG-S3-001": FAIL},
         message_has={"IG-S3-001": ("AuthenticatedUsers",)}),
    Case("acl-log-delivery-write", "S-BPA: the LogDelivery group is not AllUsers or AuthenticatedUsers",
         tf_acl_case("acl-log-delivery-write", 'acl = "log-delivery-write"'), {"IG-S3-001": PASS}),
    Case("acl-grant-all-users-read", "S-BPA: an explicit AllUsers grant is public",
         tf_acl_case("acl-grant-all-users-read", acp([("Group", ALL_USERS, "READ")])), {"IG-S3-001": FAIL}),
    Case("acl-grant-auth-users-write-acp", "S-ACL: AuthenticatedUsers WRITE_ACP lets any AWS account rewrite the ACL",
         tf_acl_case("acl-grant-auth-users-write-acp", acp([("Group", AUTH_USERS, "WRITE_ACP")])),
         {"IG-S3-001": FAIL}),
    Case("acl-grant-all-users-read-acp", "S-BPA: any permission to AllUsers is public, READ_ACP included",
         tf_acl_case("acl-grant-all-users-read-acp", acp([("Group", ALL_USERS, "READ_ACP")])), {"IG-S3-001": FAIL}),
    Case("acl-grant-log-delivery", "S-BPA: LogDelivery grants are not public",
         tf_acl_case("acl-grant-log-delivery", acp([("Group", LOG_DELIVERY, "WRITE"), ("Group", LOG_DELIVERY, "READ_ACP")])),
         {"IG-S3-001": PASS}),
    Case("acl-grant-canonical-user", "S-ACL: a canonical user grant is one account",
         tf_acl_case("acl-grant-canonical-user", acp([
             ("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "FULL_CONTROL")])),
         {"IG-S3-001": PASS}),
    Case("acl-public-owner-enforced", "S-OWN: BucketOwnerEnforced disables ACLs",
         tf_acl_case("acl-public-owner-enforced", 'acl = "public-read"', ownership="BucketOwnerEnforced"),
         {"IG-S3-001": PASS}),
    Case("acl-public-ignore-only", "S-BPA: IgnorePublicAcls alone neutralises a public ACL",
         tf_acl_case("acl-public-ignore-only", 'acl = "public-read"',
                     extra=pab({"ignore_public_acls": True})), {"IG-S3-001": PASS}),
    Case("acl-public-block-policy-only", "S-BPA: policy settings do not touch ACLs",
         tf_acl_case("acl-public-block-policy-only", 'acl = "public-read-write"',
                     extra=pab({"block_public_policy": True, "restrict_public_buckets": True})), {"IG-S3-001": FAIL}),
    Case("acl-v3-inline-public-read", "T-BKT3: the v3 inline acl argument sets the bucket ACL", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-acl-v3-inline-public-read"
          acl    = "public-read"
        }
        '''), {"IG-S3-001": FAIL}),
    Case("acl-v3-inline-grant", "T-BKT3: a v3 inline grant to AllUsers is public", tf(f'''
        resource "aws_s3_bucket" "b" {{
          bucket = "audit-acl-v3-inline-grant"
          grant {{
            type        = "Group"
            uri         = "{ALL_USERS}"
            permissions = ["READ"]
          }}
        }}
        '''), {"IG-S3-001": FAIL}),
    Case("acl-v3-inline-and-split", "T-ACL: inline acl and aws_s3_bucket_acl fight; the public one may win",
         tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-acl-v3-inline-and-split"
          acl    = "public-read"
        }

        resource "aws_s3_bucket_acl" "a" {
          bucket = aws_s3_bucket.b.id
          acl    = "private"
        }
        '''), {"IG-S3-001": FAIL}),
    Case("acl-v3-inline-private", "T-BKT3: inline private is not public", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-acl-v3-inline-private"
          acl    = "private"
        }
        '''), {"IG-S3-001": PASS}),
    # ---- public access block settings (A.5) and the account block
    Case("policy-restrict-only", "S-BPA: RestrictPublicBuckets alone stops a public policy at request time",
         tf_policy_case("policy-restrict-only", [public_get()], extra=pab({"restrict_public_buckets": True})),
         {"IG-S3-002": PASS, "IG-S3-004": FAIL}),
    Case("policy-acl-settings-only", "S-BPA: ACL settings do not stop a public policy",
         tf_policy_case("policy-acl-settings-only", [public_get()],
                        extra=pab({"block_public_acls": True, "ignore_public_acls": True})), {"IG-S3-002": FAIL}),
    Case("policy-block-string-true", "T-PAB: a string \"true\" is a true setting",
         tf_policy_case("policy-block-string-true", [public_get()],
                        extra=pab({"restrict_public_buckets": '"true"'})), {"IG-S3-002": PASS}),
    Case("policy-all-blocks", "S-BPA: all four settings stop the public policy",
         tf_policy_case("policy-all-blocks", [public_get()], extra=pab(ALL_BLOCKS)),
         {"IG-S3-002": PASS, "IG-S3-010": PASS}),
    Case("policy-block-unknown", "fail closed: RestrictPublicBuckets from a variable with no value",
         tf_policy_case("policy-block-unknown", [public_get()], extra='variable "restrict" {\n  type = bool\n}\n' + pab(
             {"block_public_acls": True, "ignore_public_acls": True, "block_public_policy": False,
              "restrict_public_buckets": "var.restrict"})),
         {"IG-S3-002": UNKNOWN}),
    Case("account-block-neutralises", "S-BPA: the account block is OR'ed with the bucket's", tf('''
        resource "aws_s3_account_public_access_block" "acct" {
          block_public_acls       = true
          block_public_policy     = true
          ignore_public_acls      = true
          restrict_public_buckets = true
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-account-block-neutralises"
        }

        resource "aws_s3_bucket_ownership_controls" "o" {
          bucket = aws_s3_bucket.b.id
          rule {
            object_ownership = "ObjectWriter"
          }
        }

        resource "aws_s3_bucket_acl" "a" {
          bucket = aws_s3_bucket.b.id
          acl    = "public-read"
        }

        resource "aws_s3_bucket_public_access_block" "b" {
          bucket                  = aws_s3_bucket.b.id
          block_public_acls       = false
          block_public_policy     = false
          ignore_public_acls      = false
          restrict_public_buckets = false
        }
        '''), {"IG-S3-001": PASS, "IG-S3-010": PASS, "IG-S3-011": PASS}, group="account-full"),
    Case("account-block-partial", "T-APAB: omitted account settings are false; IgnorePublicAcls still applies",
         tf('''
        resource "aws_s3_account_public_access_block" "acct" {
          ignore_public_acls = true
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-account-block-partial"
        }

        resource "aws_s3_bucket_ownership_controls" "o" {
          bucket = aws_s3_bucket.b.id
          rule {
            object_ownership = "BucketOwnerPreferred"
          }
        }

        resource "aws_s3_bucket_acl" "a" {
          bucket = aws_s3_bucket.b.id
          acl    = "public-read"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject",
                           Resource = "${aws_s3_bucket.b.arn}/*" }]
          })
        }
        '''), {"IG-S3-001": PASS, "IG-S3-002": FAIL, "IG-S3-011": FAIL}, group="account-partial"),
    # ---- website hosting (A.9)
    Case("website-without-public-access", "S-WEB: a website configuration alone does not make the bucket public",
         tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-website-without-public-access"
        }

        resource "aws_s3_bucket_website_configuration" "w" {
          bucket = aws_s3_bucket.b.id
          index_document {
            suffix = "index.html"
          }
        }
        '''), {"IG-S3-012": PASS, "IG-S3-002": PASS, "IG-S3-001": PASS}),
    Case("website-v3-inline-public-policy", "S-WEB + T-BKT3: inline website and inline public policy", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-website-v3-inline-public-policy"
          website {
            index_document = "index.html"
          }
          policy = <<POLICY
        {
          "Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                         "Resource": "arn:aws:s3:::audit-website-v3-inline-public-policy/*"}]
        }
        POLICY
        }
        '''), {"IG-S3-012": FAIL, "IG-S3-002": FAIL}),
    Case("policy-v3-inline-and-split", "T-POL: inline and split policies fight; a public one may win", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-policy-v3-inline-and-split"
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject",
                           Resource = "arn:aws:s3:::audit-policy-v3-inline-and-split/*" }]
          })
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" },
                           Action = "s3:GetObject", Resource = "${aws_s3_bucket.b.arn}/*" }]
          })
        }
        '''), {"IG-S3-002": FAIL}),
    # ---- access points (S-APP, S-BPA access point rules)
    Case("ap-public-delegated", "S-APP: an Internet access point with a public policy, its blocks off, "
         "on a bucket that delegates to access points", tf('''
        data "aws_caller_identity" "current" {}

        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-public-delegated"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-public-ap"
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = false
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-public-ap/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": FAIL}, message_has={"IG-S3-002": ("access point",)}),
    Case("ap-public-default-blocks", "T-AP: access point block settings default to true", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-public-default-blocks"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-default-ap"
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-default-ap/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": PASS}),
    Case("ap-public-vpc-origin", "S-BPA: an access point with VPC network origin is never public", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-public-vpc-origin"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-vpc-ap"
          vpc_configuration {
            vpc_id = "vpc-91237329"
          }
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = false
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-vpc-ap/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": PASS}),
    Case("ap-public-bucket-restricts", "S-BPA: the bucket's RestrictPublicBuckets also applies through access "
         "points (most restrictive combination)", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-public-bucket-restricts"
        }

        resource "aws_s3_bucket_public_access_block" "b" {
          bucket                  = aws_s3_bucket.b.id
          block_public_acls       = true
          ignore_public_acls      = true
          block_public_policy     = false
          restrict_public_buckets = true
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-restricted-ap"
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = false
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-restricted-ap/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": PASS}),
    # ---- CloudFormation
    Case("cfn-authenticated-read", "S-BPA: AuthenticatedRead grants AuthenticatedUsers (any AWS account)", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-authenticated-read
              AccessControl: AuthenticatedRead
              OwnershipControls:
                Rules:
                  - ObjectOwnership: ObjectWriter
        '''), {"IG-S3-001": FAIL}, address="Bucket"),
    Case("cfn-log-delivery-write", "S-BPA: LogDeliveryWrite is not public", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-log-delivery-write
              AccessControl: LogDeliveryWrite
              OwnershipControls:
                Rules:
                  - ObjectOwnership: ObjectWriter
        '''), {"IG-S3-001": PASS}, address="Bucket"),
    Case("cfn-public-read-owner-enforced", "S-OWN + C-SCH: with BucketOwnerEnforced a public ACL cannot apply",
         cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-public-read-owner-enforced
              AccessControl: PublicRead
              OwnershipControls:
                Rules:
                  - ObjectOwnership: BucketOwnerEnforced
        '''), {"IG-S3-001": PASS}, address="Bucket"),
    Case("cfn-public-read-ignore-acls", "S-BPA: IgnorePublicAcls neutralises AccessControl PublicRead", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-public-read-ignore-acls
              AccessControl: PublicRead
              OwnershipControls:
                Rules:
                  - ObjectOwnership: BucketOwnerPreferred
              PublicAccessBlockConfiguration:
                IgnorePublicAcls: true
        '''), {"IG-S3-001": PASS, "IG-S3-010": FAIL}, address="Bucket"),
    Case("cfn-not-principal-allow", "I-NPR: Allow with NotPrincipal is public",
         cfn_policy_case("cfn-not-principal-allow", [public_get(NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})]),
         {"IG-S3-002": FAIL, "IG-S3-005": FAIL}, address="Bucket"),
    Case("cfn-aws-star-list", 'F.1: Principal {"AWS": ["*"]} in a template',
         cfn_policy_case("cfn-aws-star-list", [public_get(principal={"AWS": ["*"]})]),
         {"IG-S3-002": FAIL, "IG-S3-004": FAIL}, address="Bucket"),
    Case("cfn-org-id-confines", "S-BPA: aws:PrincipalOrgID fixed confines",
         cfn_policy_case("cfn-org-id-confines", [public_get({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})]),
         {"IG-S3-002": PASS, "IG-S3-004": FAIL}, address="Bucket"),
    Case("cfn-ipv6-any", "S-BPA A.2: ::/0 in a template", cfn_policy_case(
        "cfn-ipv6-any", [public_get({"IpAddress": {"aws:SourceIp": ["198.51.100.0/24", "::/0"]}})]),
         {"IG-S3-002": FAIL}, address="Bucket"),
    Case("cfn-policy-restrict", "S-BPA: RestrictPublicBuckets on the bucket stops a public policy",
         cfn_policy_case("cfn-policy-restrict", [public_get()], bucket_props='''
            PublicAccessBlockConfiguration:
              RestrictPublicBuckets: true
            '''), {"IG-S3-002": PASS, "IG-S3-004": FAIL}, address="Bucket"),
    Case("cfn-vpce-from-parameter", "fail closed: a VPC endpoint id given at deploy may be a wildcard", cfn('''
        Parameters:
          EndpointId:
            Type: String
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-vpce-from-parameter
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:GetObject
                    Resource: !Sub "${Bucket.Arn}/*"
                    Condition:
                      StringEquals:
                        aws:SourceVpce: !Ref EndpointId
        '''), {"IG-S3-002": UNKNOWN}, address="Bucket"),
    Case("cfn-access-point-public", "S-APP: a CloudFormation access point with its blocks off and a public policy",
         cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-access-point-public
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {AWS: "*"}
                    Action: "*"
                    Resource: [!GetAtt Bucket.Arn, !Sub "${Bucket.Arn}/*"]
                    Condition:
                      StringEquals:
                        s3:DataAccessPointAccount: !Ref AWS::AccountId
          AccessPoint:
            Type: AWS::S3::AccessPoint
            Properties:
              Bucket: !Ref Bucket
              Name: audit-cfn-ap
              PublicAccessBlockConfiguration:
                BlockPublicAcls: false
                BlockPublicPolicy: false
                IgnorePublicAcls: false
                RestrictPublicBuckets: false
              Policy:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:GetObject
                    Resource: !Sub "arn:${AWS::Partition}:s3:${AWS::Region}:${AWS::AccountId}:accesspoint/audit-cfn-ap/object/*"
        '''), {"IG-S3-002": FAIL}, address="Bucket"),
    # ---- plans (C.3): what the apply changes, and what it leaves in place
    Case("plan-block-unknown", "fail closed: RestrictPublicBuckets known only after apply", plan(
        "plan-block-unknown", [
            ("aws_s3_bucket_policy.p", ["no-op"], {"policy": policy_json("plan-block-unknown", [public_get()])}, {}),
            ("aws_s3_bucket_public_access_block.b", ["create"],
             {"block_public_acls": True, "ignore_public_acls": True, "block_public_policy": False},
             {"restrict_public_buckets": True})]),
         {"IG-S3-002": UNKNOWN}),
    Case("plan-block-policy-on-existing-policy", "S-BPA A.5: BlockPublicPolicy does not touch a policy already in "
         "place", plan("plan-block-policy-on-existing-policy", [
             ("aws_s3_bucket_policy.p", ["no-op"],
              {"policy": policy_json("plan-block-policy-on-existing-policy", [public_get()])}, {}),
             ("aws_s3_bucket_public_access_block.b", ["create"],
              {**PAB_OFF, "block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True}, {})]),
         {"IG-S3-002": FAIL}),
    Case("plan-block-acls-on-existing-acl", "S-BPA A.5: BlockPublicAcls does not touch an ACL already in place",
         plan("plan-block-acls-on-existing-acl", [
             ("aws_s3_bucket_ownership_controls.o", ["no-op"],
              {"rule": [{"object_ownership": "BucketOwnerPreferred"}]}, {}),
             ("aws_s3_bucket_acl.a", ["no-op"], {"acl": "public-read", "access_control_policy": []}, {}),
             ("aws_s3_bucket_public_access_block.b", ["create"], {**PAB_OFF, "block_public_acls": True}, {})]),
         {"IG-S3-001": FAIL}),
    Case("plan-ignore-acls-on-existing-acl", "S-BPA A.5: IgnorePublicAcls neutralises an ACL already in place",
         plan("plan-ignore-acls-on-existing-acl", [
             ("aws_s3_bucket_ownership_controls.o", ["no-op"],
              {"rule": [{"object_ownership": "BucketOwnerPreferred"}]}, {}),
             ("aws_s3_bucket_acl.a", ["no-op"], {"acl": "public-read", "access_control_policy": []}, {}),
             ("aws_s3_bucket_public_access_block.b", ["create"], {**PAB_OFF, "ignore_public_acls": True}, {})]),
         {"IG-S3-001": PASS}),
    Case("plan-block-deleted", "S-BPA A.7: removing the block re-exposes the existing public policy",
         plan("plan-block-deleted", [
             ("aws_s3_bucket_policy.p", ["no-op"], {"policy": policy_json("plan-block-deleted", [public_get()])}, {}),
             ("aws_s3_bucket_public_access_block.b", ["delete"], None,
              {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
               "restrict_public_buckets": True})]),
         {"IG-S3-002": FAIL}),
    # ---- more policy shapes
    Case("not-resource-allow", "I-NRES: Allow with NotResource covers every other resource, this bucket included",
         tf_policy_case("not-resource-allow", [public_get(NotResource="arn:aws:s3:::someone-else/*")]),
         {"IG-S3-002": FAIL}),
    Case("single-statement-object", "F.3 grammar: Statement may be one object instead of a list", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-single-statement-object"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = { Effect = "Allow", Principal = "*", Action = "s3:GetObject",
                          Resource = "${aws_s3_bucket.b.arn}/*" }
          })
        }
        '''), {"IG-S3-002": FAIL}),
    Case("source-account-number", "S-BPA: aws:SourceAccount written as a number is a fixed value",
         tf_policy_case("source-account-number", [public_get({"StringEquals": {"aws:SourceAccount": 111122223333}})]),
         {"IG-S3-002": PASS}),
    Case("vpce-and-broad-ip", "S-BPA: a fixed aws:SourceVpce confines even next to 0.0.0.0/0",
         tf_policy_case("vpce-and-broad-ip", [public_get({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"},
                                                          "IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})]),
         {"IG-S3-002": PASS, "IG-S3-003": PASS}),
    Case("access-point-account-like-star", "S-BPA: s3:DataAccessPointAccount with a wildcard is not fixed",
         tf_policy_case("access-point-account-like-star", [public_get(
             {"StringLike": {"s3:DataAccessPointAccount": "*"}})]), {"IG-S3-002": FAIL}),
    Case("access-point-arn-name-wildcard", "S-BPA: in a bucket policy s3:DataAccessPointArn may wildcard the "
         "access point name when the account is fixed",
         tf_policy_case("access-point-arn-name-wildcard", [public_get(
             {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-east-1:111122223333:accesspoint/*"}})]),
         {"IG-S3-002": PASS}),
    Case("public-and-account-statement", "S-BPA: one public statement makes the whole policy public",
         tf_policy_case("public-and-account-statement", [
             public_get(principal={"AWS": "arn:aws:iam::222222222222:root"}, sid="Partner"),
             public_get(sid="Anyone", action="s3:ListBucket", resource="arn:aws:s3:::{B}")]),
         {"IG-S3-002": FAIL}),
    # ---- access point policy resources
    Case("ap-separate-policy-resource", "S-APP: aws_s3control_access_point_policy attaches a public policy",
         tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-separate-policy-resource"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-separate-ap"
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = false
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          lifecycle {
            ignore_changes = [policy]
          }
        }

        resource "aws_s3control_access_point_policy" "ap" {
          access_point_arn = aws_s3_access_point.ap.arn
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_access_point.ap.arn}/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": FAIL}),
    Case("ap-policy-arn-wildcard", "S-BPA: a s3:DataAccessPointArn wildcard makes an access point policy public",
         tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-policy-arn-wildcard"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-wild-ap"
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = false
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-wild-ap/object/*"
              Condition = { StringLike = { "s3:DataAccessPointArn" = "arn:aws:s3:us-east-1:111122223333:accesspoint/*" } }
            }]
          })
        }
        '''), {"IG-S3-002": FAIL}),
    Case("ap-own-block-policy-on", "S-BPA A.5: the access point's own BlockPublicPolicy rejects its public policy",
         tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-own-block-policy-on"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-bpp-ap"
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = true
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-bpp-ap/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": PASS}),
    Case("cfn-access-point-partial-block", "S-APP (access-points-bpa-settings): every access point setting is on "
         "unless explicitly disabled, so a block naming one setting keeps the other three on", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-access-point-partial-block
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {AWS: "*"}
                    Action: "*"
                    Resource: [!GetAtt Bucket.Arn, !Sub "${Bucket.Arn}/*"]
                    Condition:
                      StringEquals:
                        s3:DataAccessPointAccount: !Ref AWS::AccountId
          AccessPoint:
            Type: AWS::S3::AccessPoint
            Properties:
              Bucket: !Ref Bucket
              Name: audit-cfn-partial-ap
              PublicAccessBlockConfiguration:
                BlockPublicAcls: true
              Policy:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:GetObject
                    Resource: !Sub "arn:${AWS::Partition}:s3:${AWS::Region}:${AWS::AccountId}:accesspoint/audit-cfn-partial-ap/object/*"
        '''), {"IG-S3-002": PASS}, address="Bucket"),
    # ---- CloudFormation parameters and website
    Case("cfn-acl-parameter-default", "S-ACL: an AccessControl parameter whose default is PublicRead", cfn('''
        Parameters:
          BucketAcl:
            Type: String
            Default: PublicRead
            AllowedValues: [Private, PublicRead]
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-acl-parameter-default
              AccessControl: !Ref BucketAcl
              OwnershipControls:
                Rules:
                  - ObjectOwnership: ObjectWriter
        '''), {"IG-S3-001": FAIL}, address="Bucket"),
    Case("cfn-website-public-policy", "S-WEB: website hosting with a public read policy serves a public site",
         cfn_policy_case("cfn-website-public-policy", [public_get()], bucket_props='''
            WebsiteConfiguration:
              IndexDocument: index.html
            '''), {"IG-S3-012": FAIL, "IG-S3-002": FAIL}, address="Bucket"),
    Case("cfn-website-blocked", "S-WEB: a website whose public policy is neutralised is not a public site",
         cfn_policy_case("cfn-website-blocked", [public_get()], bucket_props='''
            WebsiteConfiguration:
              IndexDocument: index.html
            PublicAccessBlockConfiguration:
              BlockPublicAcls: true
              BlockPublicPolicy: true
              IgnorePublicAcls: true
              RestrictPublicBuckets: true
            '''), {"IG-S3-012": PASS, "IG-S3-002": PASS}, address="Bucket"),
    # ---- plans of the v3 inline arguments and of ownership
    Case("plan-inline-acl-public", "T-BKT3: an inline acl the configuration sets is the bucket ACL",
         {"plan.json": json.dumps({
             "format_version": "1.2", "terraform_version": "1.7.5", "applyable": True, "complete": True,
             "errored": False, "planned_values": {"root_module": {}},
             "resource_changes": [plan_resource("aws_s3_bucket.b", ["create"],
                                                {"bucket": "audit-plan-inline-acl-public", "acl": "public-read"},
                                                {"id": True, "arn": True, "grant": True, "policy": True})],
             "configuration": {"root_module": {"resources": [{
                 "address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
                 "provider_config_key": "aws", "schema_version": 0,
                 "expressions": {"bucket": {"constant_value": "audit-plan-inline-acl-public"},
                                 "acl": {"constant_value": "public-read"}}}]}}})},
         {"IG-S3-001": FAIL}),
    Case("plan-inline-grant-public", "T-BKT3: an inline grant to AllUsers in a plan",
         {"plan.json": json.dumps({
             "format_version": "1.2", "terraform_version": "1.7.5", "applyable": True, "complete": True,
             "errored": False, "planned_values": {"root_module": {}},
             "resource_changes": [plan_resource(
                 "aws_s3_bucket.b", ["update"],
                 {"bucket": "audit-plan-inline-grant-public", "acl": None,
                  "grant": [{"id": "", "type": "Group", "uri": ALL_USERS, "permissions": ["READ"]}]},
                 {}, before={"bucket": "audit-plan-inline-grant-public", "acl": None, "grant": []})],
             "configuration": {"root_module": {"resources": [{
                 "address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
                 "provider_config_key": "aws", "schema_version": 0,
                 "expressions": {"bucket": {"constant_value": "audit-plan-inline-grant-public"},
                                 "grant": [{"type": {"constant_value": "Group"}, "uri": {"constant_value": ALL_USERS},
                                            "permissions": {"constant_value": ["READ"]}}]}}]}}})},
         {"IG-S3-001": FAIL}),
    Case("plan-unconfigured-inline-unknown", "T-BKT3: computed inline acl/policy unknown in a plan is not "
         "configured here, so not public",
         {"plan.json": json.dumps({
             "format_version": "1.2", "terraform_version": "1.7.5", "applyable": True, "complete": True,
             "errored": False, "planned_values": {"root_module": {}},
             "resource_changes": [plan_resource("aws_s3_bucket.b", ["create"],
                                                {"bucket": "audit-plan-unconfigured-inline-unknown"},
                                                {"acl": True, "grant": True, "policy": True, "website": True})],
             "configuration": {"root_module": {"resources": [{
                 "address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
                 "provider_config_key": "aws", "schema_version": 0,
                 "expressions": {"bucket": {"constant_value": "audit-plan-unconfigured-inline-unknown"}}}]}}})},
         {"IG-S3-001": PASS, "IG-S3-002": PASS, "IG-S3-012": PASS}),
    Case("plan-ownership-deleted", "S-OWN: deleting BucketOwnerEnforced re-enables the existing public ACL",
         plan("plan-ownership-deleted", [
             ("aws_s3_bucket_acl.a", ["no-op"], {"acl": "public-read", "access_control_policy": []}, {}),
             ("aws_s3_bucket_ownership_controls.o", ["delete"], None,
              {"rule": [{"object_ownership": "BucketOwnerEnforced"}]})]),
         {"IG-S3-001": FAIL}),
    # ---- values fixed at deploy or plan time: the stack's or the credentials' account (S-BPA "fixed values")
    Case("cfn-sub-account-root-principal", "S-BPA + I-PRN: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:root "
         "is the stack's own account, a fixed principal", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-sub-account-root-principal
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
                    Action: s3:*
                    Resource: [!GetAtt Bucket.Arn, !Sub "${Bucket.Arn}/*"]
        '''), {"IG-S3-002": PASS, "IG-S3-004": PASS}, address="Bucket"),
    Case("cfn-ref-account-principal", "S-BPA: Principal {AWS: !Ref AWS::AccountId} is one fixed account", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-ref-account-principal
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {AWS: !Ref AWS::AccountId}
                    Action: s3:GetObject
                    Resource: !Sub "${Bucket.Arn}/*"
        '''), {"IG-S3-002": PASS}, address="Bucket"),
    Case("cfn-sub-source-account", "S-BPA: aws:SourceAccount !Sub ${AWS::AccountId} pins a fixed account "
         "(a CloudFormation pseudo parameter is not an IAM policy variable)", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-sub-source-account
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:PutObject
                    Resource: !Sub "${Bucket.Arn}/AWSLogs/*"
                    Condition:
                      StringEquals:
                        aws:SourceAccount: !Sub "${AWS::AccountId}"
        '''), {"IG-S3-002": PASS, "IG-S3-004": FAIL}, address="Bucket"),
    Case("cfn-sub-account-role-wildcard", "S-BPA: a wildcard after the stack's account is still not a fixed value",
         cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-sub-account-role-wildcard
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:GetObject
                    Resource: !Sub "${Bucket.Arn}/*"
                    Condition:
                      ArnLike:
                        aws:PrincipalArn: !Sub "arn:aws:iam::${AWS::AccountId}:role/*"
        '''), {"IG-S3-002": FAIL}, address="Bucket"),
    Case("cfn-access-point-arn-sub-account", "S-BPA: s3:DataAccessPointArn with the stack's account and a "
         "wildcard access point name confines in a bucket policy", cfn('''
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-access-point-arn-sub-account
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {AWS: "*"}
                    Action: s3:GetObject
                    Resource: !Sub "${Bucket.Arn}/*"
                    Condition:
                      StringLike:
                        s3:DataAccessPointArn: !Sub "arn:aws:s3:${AWS::Region}:${AWS::AccountId}:accesspoint/*"
        '''), {"IG-S3-002": PASS}, address="Bucket"),
    Case("tf-caller-identity-principals", "S-BPA + I-PRN: the credentials' account (data.aws_caller_identity) "
         "is one fixed account, as a bare id, in an ARN, or as s3:DataAccessPointAccount", tf('''
        data "aws_caller_identity" "current" {}
        data "aws_partition" "current" {}

        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-caller-identity-principals"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Sid       = "AccountRoot"
              Effect    = "Allow"
              Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
              Action    = "s3:*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
            }, {
              Sid       = "AccountId"
              Effect    = "Allow"
              Principal = { AWS = data.aws_caller_identity.current.account_id }
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_bucket.b.arn}/*"
            }, {
              Sid       = "DelegateToAccessPoints"
              Effect    = "Allow"
              Principal = { AWS = "*" }
              Action    = "*"
              Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = data.aws_caller_identity.current.account_id } }
            }]
          })
        }
        '''), {"IG-S3-002": PASS}),
    Case("tf-caller-identity-role-wildcard", "S-BPA: a wildcard role name after the credentials' account is "
         "not a fixed value", tf('''
        data "aws_caller_identity" "current" {}

        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-caller-identity-role-wildcard"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_bucket.b.arn}/*"
              Condition = { ArnLike = { "aws:PrincipalArn" = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/*" } }
            }]
          })
        }
        '''), {"IG-S3-002": FAIL}),
    Case("tf-principal-from-unset-variable", "fail closed: a principal from a variable with no value may be \"*\"",
         tf('''
        variable "reader" {
          type = string
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-principal-from-unset-variable"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = var.reader }
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_bucket.b.arn}/*"
            }]
          })
        }
        '''), {"IG-S3-002": UNKNOWN}),
    # ---- object ACLs (A.4: an object's public ACL is exposure under the same blocks and ownership rules)
    Case("object-public-read", "S-BPA + A.4: an object ACL granting AllUsers READ makes that object public",
         tf_acl_case("object-public-read", 'acl = "private"', extra='''
resource "aws_s3_object" "report" {
  bucket  = aws_s3_bucket.b.id
  key     = "reports/q3.pdf"
  source  = "q3.pdf"
  acl     = "public-read"
}
'''), {"IG-S3-001": FAIL}, message_has={"IG-S3-001": ("aws_s3_object.report sets canned ACL public-read on its object",)}),
    Case("object-public-read-ignored", "S-BPA: IgnorePublicAcls ignores object ACLs too",
         tf_acl_case("object-public-read-ignored", 'acl = "private"', extra='''
resource "aws_s3_object" "report" {
  bucket = aws_s3_bucket.b.id
  key    = "reports/q3.pdf"
  source = "q3.pdf"
  acl    = "public-read"
}
''' + pab({"ignore_public_acls": True})), {"IG-S3-001": PASS}),
    Case("object-public-read-owner-enforced", "S-OWN: with BucketOwnerEnforced an upload with a public ACL "
         "fails and no ACL grants access", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-object-public-read-owner-enforced"
        }

        resource "aws_s3_bucket_ownership_controls" "o" {
          bucket = aws_s3_bucket.b.id
          rule {
            object_ownership = "BucketOwnerEnforced"
          }
        }

        resource "aws_s3_object" "report" {
          bucket = aws_s3_bucket.b.id
          key    = "reports/q3.pdf"
          source = "q3.pdf"
          acl    = "public-read"
        }
        '''), {"IG-S3-001": PASS}),
    Case("object-legacy-authenticated-read", "S-BPA: AuthenticatedUsers on an object (deprecated aws_s3_bucket_object)",
         tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-object-legacy-authenticated-read"
          acl    = "private"
        }

        resource "aws_s3_bucket_object" "report" {
          bucket  = aws_s3_bucket.b.bucket
          key     = "reports/q3.csv"
          content = "a,b"
          acl     = "authenticated-read"
        }
        '''), {"IG-S3-001": FAIL}),
    Case("object-bucket-owner-full-control", "S-ACL: bucket-owner-full-control on an object is not public",
         tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-object-bucket-owner-full-control"
        }

        resource "aws_s3_object" "report" {
          bucket  = aws_s3_bucket.b.id
          key     = "reports/q3.csv"
          content = "a,b"
          acl     = "bucket-owner-full-control"
        }
        '''), {"IG-S3-001": PASS}),
    Case("tf-created-vpc-endpoint", "S-BPA: aws:SourceVpce pinned to the id AWS gives a VPC endpoint this "
         "configuration creates is a fixed value", tf('''
        resource "aws_vpc_endpoint" "s3" {
          vpc_id       = "vpc-91237329"
          service_name = "com.amazonaws.us-east-1.s3"
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-created-vpc-endpoint"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = ["s3:GetObject", "s3:PutObject"]
              Resource  = "${aws_s3_bucket.b.arn}/*"
              Condition = { StringEquals = { "aws:SourceVpce" = aws_vpc_endpoint.s3.id } }
            }]
          })
        }
        '''), {"IG-S3-002": PASS, "IG-S3-004": FAIL}),
    Case("tf-created-endpoint-like-wildcard", "S-BPA: a wildcard around a created endpoint's id is not fixed",
         tf('''
        resource "aws_vpc_endpoint" "s3" {
          vpc_id       = "vpc-91237329"
          service_name = "com.amazonaws.us-east-1.s3"
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-created-endpoint-like-wildcard"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_bucket.b.arn}/*"
              Condition = { StringLike = { "aws:SourceVpce" = "${aws_vpc_endpoint.s3.id}*" } }
            }]
          })
        }
        '''), {"IG-S3-002": FAIL}),
    Case("plan-block-turned-off", "S-BPA A.5: turning RestrictPublicBuckets off re-exposes the existing public "
         "policy", plan("plan-block-turned-off", [
             ("aws_s3_bucket_policy.p", ["no-op"], {"policy": policy_json("plan-block-turned-off", [public_get()])}, {}),
             ("aws_s3_bucket_public_access_block.b", ["update"],
              {**PAB_OFF, "block_public_acls": True, "ignore_public_acls": True}, {})]),
         {"IG-S3-002": FAIL}),
    Case("plan-account-block-unknown", "fail closed: an account RestrictPublicBuckets known only after apply",
         plan("plan-account-block-unknown", [
             ("aws_s3_bucket_policy.p", ["no-op"],
              {"policy": policy_json("plan-account-block-unknown", [public_get()])}, {}),
             ("aws_s3_account_public_access_block.acct", ["create"],
              {"block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True},
              {"restrict_public_buckets": True})]),
         {"IG-S3-002": UNKNOWN}, group="account-plan-unknown"),
    Case("ap-delegation-to-named-role", "S-APP: a request through an access point needs the bucket policy too; "
         "delegating only for one role does not let the access point's public grant through", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-delegation-to-named-role"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "arn:aws:iam::111122223333:role/analytics" }
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_bucket.b.arn}/*"
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-named-role-ap"
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = false
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-named-role-ap/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": PASS}),
    Case("ap-delegation-principal-unset", "fail closed: a delegating statement whose principal is not known may "
         "let the access point's public grant through", tf('''
        variable "reader" {
          type = string
        }

        resource "aws_s3_bucket" "b" {
          bucket = "audit-ap-delegation-principal-unset"
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = var.reader }
              Action    = "s3:GetObject"
              Resource  = "${aws_s3_bucket.b.arn}/*"
              Condition = { StringEquals = { "s3:DataAccessPointAccount" = "111122223333" } }
            }]
          })
        }

        resource "aws_s3_access_point" "ap" {
          bucket = aws_s3_bucket.b.id
          name   = "audit-unset-ap"
          public_access_block_configuration {
            block_public_acls       = false
            block_public_policy     = false
            ignore_public_acls      = false
            restrict_public_buckets = false
          }
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = "*"
              Action    = "s3:GetObject"
              Resource  = "arn:aws:s3:us-east-1:111122223333:accesspoint/audit-unset-ap/object/*"
            }]
          })
        }
        '''), {"IG-S3-002": UNKNOWN}),
    Case("tf-cloudfront-oai-principal", "S-BPA: a CloudFront origin access identity created here is one fixed "
         "principal, by IAM ARN or canonical user id", tf('''
        resource "aws_s3_bucket" "b" {
          bucket = "audit-tf-cloudfront-oai-principal"
        }

        resource "aws_cloudfront_origin_access_identity" "oai" {
          comment = "site"
        }

        data "aws_iam_policy_document" "p" {
          statement {
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.b.arn}/*"]
            principals {
              type        = "AWS"
              identifiers = [aws_cloudfront_origin_access_identity.oai.iam_arn]
            }
          }
          statement {
            actions   = ["s3:ListBucket"]
            resources = [aws_s3_bucket.b.arn]
            principals {
              type        = "CanonicalUser"
              identifiers = [aws_cloudfront_origin_access_identity.oai.s3_canonical_user_id]
            }
          }
        }

        resource "aws_s3_bucket_policy" "p" {
          bucket = aws_s3_bucket.b.id
          policy = data.aws_iam_policy_document.p.json
        }
        '''), {"IG-S3-002": PASS, "IG-S3-004": PASS}),
    # ---- write-time blocks declared next to what they block (A.5): the gate takes the block to be in place
    # first. Terraform orders the two only through depends_on or a reference, so this is the gate's reading.
    Case("policy-block-policy-only-same-config", "S-BPA A.5 + GATE: BlockPublicPolicy declared with the policy "
         "rejects it at apply", tf_policy_case("policy-block-policy-only-same-config", [public_get()],
                                               extra=pab({"block_public_policy": True})),
         {"IG-S3-002": PASS, "IG-S3-004": FAIL}),
    Case("acl-block-acls-only-same-config", "S-BPA A.5 + GATE: BlockPublicAcls declared with the ACL rejects it "
         "at apply", tf_acl_case("acl-block-acls-only-same-config", 'acl = "public-read"',
                                 extra=pab({"block_public_acls": True})), {"IG-S3-001": PASS}),
    Case("cfn-created-endpoint-and-oai", "S-BPA: a VPC endpoint's id and a CloudFront origin access identity "
         "(canonical user id, or its IAM ARN built with Fn::Sub) created in the template are fixed values", cfn('''
        Resources:
          Endpoint:
            Type: AWS::EC2::VPCEndpoint
            Properties:
              VpcId: vpc-91237329
              ServiceName: com.amazonaws.us-east-1.s3
          Oai:
            Type: AWS::CloudFront::CloudFrontOriginAccessIdentity
            Properties:
              CloudFrontOriginAccessIdentityConfig:
                Comment: site
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-created-endpoint-and-oai
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:GetObject
                    Resource: !Sub "${Bucket.Arn}/*"
                    Condition:
                      StringEquals:
                        aws:SourceVpce: !Ref Endpoint
                  - Effect: Allow
                    Principal: {CanonicalUser: !GetAtt Oai.S3CanonicalUserId}
                    Action: s3:GetObject
                    Resource: !Sub "${Bucket.Arn}/*"
                  - Effect: Allow
                    Principal: {AWS: !Sub "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ${Oai}"}
                    Action: s3:ListBucket
                    Resource: !GetAtt Bucket.Arn
        '''), {"IG-S3-002": PASS, "IG-S3-004": FAIL}, address="Bucket"),
    Case("cfn-created-endpoint-like-wildcard", "S-BPA: StringLike with a wildcard next to a created endpoint's id "
         "is not fixed", cfn('''
        Resources:
          Endpoint:
            Type: AWS::EC2::VPCEndpoint
            Properties:
              VpcId: vpc-91237329
              ServiceName: com.amazonaws.us-east-1.s3
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit-cfn-created-endpoint-like-wildcard
          BucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:GetObject
                    Resource: !Sub "${Bucket.Arn}/*"
                    Condition:
                      StringLike:
                        aws:SourceVpce: ["vpce-*", !Ref Endpoint]
        '''), {"IG-S3-002": FAIL}, address="Bucket"),
]


# ----------------------------------------------------------------------------------- harness


def _run_group(root: Path, cases: list[Case]) -> dict:
    dirs = []
    for case in cases:
        folder = root / case.id
        folder.mkdir(parents=True)
        for name, text in case.files.items():
            (folder / name).write_text(text, encoding="utf-8")
        dirs.append(str(folder))
    out = root / "report.json"
    proc = subprocess.run([sys.executable, "-m", "iacgate", "check", *dirs, "--format", "json", "--output", str(out),
                           "--no-cache"], check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[dict], list[dict]]]:
    """Findings and input errors per case id, from one run per group."""
    groups: dict[str, list[Case]] = {}
    for case in CASES:
        groups.setdefault(case.group, []).append(case)
    out: dict[str, tuple[list[dict], list[dict]]] = {}
    for group, cases in groups.items():
        root = tmp_path_factory.mktemp(f"audit-{group}")
        data = _run_group(root, cases)
        for case in cases:
            prefix = str(root / case.id) + "/"
            findings = [f for f in data["findings"] if f["location"]["file"].startswith(prefix)]
            errors = [e for e in data.get("errors", []) if str(e.get("file", "")).startswith(prefix)]
            out[case.id] = (findings, errors)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gate_agrees_with_aws(case: Case, reports: dict[str, tuple[list[dict], list[dict]]]) -> None:
    findings, errors = reports[case.id]
    assert not [e for e in errors if e.get("kind", "error") == "error"], f"{case.id}: input errors {errors}"
    mine = {}
    for finding in findings:
        if finding["resource"]["address"] == case.address_for(finding["rule_id"]):
            mine.setdefault(finding["rule_id"], finding)
    for rule_id, want in case.expect.items():
        got = mine.get(rule_id)
        status = got["status"] if got else None
        detail = got["message"] if got else "no finding"
        assert status == want, f"{case.id} [{case.rule}]: {rule_id} is {status!r}, expected {want!r}: {detail}"
    for rule_id, fragments in case.message_has.items():
        message = mine[rule_id]["message"]
        for fragment in fragments:
            assert fragment in message, f"{case.id}: {rule_id} message lacks {fragment!r}: {message}"


def test_every_case_names_its_rule_and_is_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.rule.strip() and c.expect for c in CASES)
