"""Policy / ACL / block / ownership combinations, each naming the AWS rule that decides it.

Rule tags: S-BPA (S3 Block Public Access), S-ACL (ACLs), S-OWN (object ownership), S-APP (access
point policies), I-OPS / I-MULTI / I-NPR (IAM condition operators, multi-value conditions,
NotPrincipal), GATE (iacgate's own policy beyond AWS's test)."""
from __future__ import annotations

from typing import Any

import pytest

from iacgate.analysis.iam_policy import PolicyOptions
from iacgate.analysis.s3_exposure import FACT_PATHS, bucket_exposure, exposure_facts
from iacgate.model import (AccessPoint, AccountPublicAccessBlock, AclGrant, Bucket, BucketAcl,
                           OwnershipControls, PolicyAttachment, PublicAccessBlock)
from iacgate.values import Source, State, Unknown, Value, known

BUCKET_ARN = "arn:aws:s3:::example-bucket"
OBJECTS = f"{BUCKET_ARN}/*"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


def src(address: str, line: int) -> Source:
    return Source("main.tf", line, line + 6, address)


def stmt(principal: Any = "*", action: Any = "s3:GetObject", condition: dict | None = None,
         effect: str = "Allow", sid: str | None = None, resource: Any = OBJECTS, **extra: Any) -> dict:
    out: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if principal is not None:
        out["Principal"] = principal
    if sid:
        out["Sid"] = sid
    if condition is not None:
        out["Condition"] = condition
    out.update(extra)
    if "NotAction" in extra:
        out.pop("Action")
    if "NotPrincipal" in extra:
        out.pop("Principal", None)
    return out


def doc(*statements: dict, version: str = "2012-10-17") -> dict:
    return {"Version": version, "Statement": list(statements)}


TLS_DENY = stmt(effect="Deny", action="s3:*", resource=[BUCKET_ARN, OBJECTS], sid="AllowSSLRequestsOnly",
                condition={"Bool": {"aws:SecureTransport": "false"}})


def _setting(value: Any) -> Value:
    return value if isinstance(value, Value) else known(value)


def _block(cls: type, address: str, line: int, settings: dict | str, **kw: Any) -> PublicAccessBlock:
    if settings == "all":
        settings = {"bpa": True, "bpp": True, "ipa": True, "rpb": True}
    names = {"bpa": "block_public_acls", "bpp": "block_public_policy", "ipa": "ignore_public_acls",
             "rpb": "restrict_public_buckets"}
    values = {names[k]: _setting(settings.get(k, False)) for k in names}
    return cls(address, address.split(".")[0], "terraform", src(address, line), **values, **kw)


def make(policy: Any = None, acl: Any = None, grants: list | None = None, block: dict | str | None = None,
         account: dict | str | None = None, ownership: Any = None, access_point: dict | None = None,
         block_actions: tuple = (), acl_actions: tuple = (), account_actions: tuple = ()
         ) -> tuple[Bucket, list[AccountPublicAccessBlock]]:
    bucket = Bucket("aws_s3_bucket.b", "aws_s3_bucket", "terraform", src("aws_s3_bucket.b", 1),
                    name=known("example-bucket"))
    if policy is not None:
        document = policy if isinstance(policy, Value) else known(policy)
        bucket.policies.append(PolicyAttachment("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", "terraform",
                                                src("aws_s3_bucket_policy.p", 10), document=document))
    if acl is not None or grants is not None:
        canned = acl if isinstance(acl, Value) else (known(acl) if acl is not None else Value(State.ABSENT))
        grant_value = Value(State.ABSENT) if grants is None else known(
            [AclGrant("Group" if g[0].startswith("http") else "CanonicalUser", g[0], g[1]) for g in grants])
        bucket.acls.append(BucketAcl("aws_s3_bucket_acl.a", "aws_s3_bucket_acl", "terraform",
                                     src("aws_s3_bucket_acl.a", 20), actions=acl_actions, canned=canned,
                                     grants=grant_value))
    if block is not None:
        bucket.public_access_block = _block(PublicAccessBlock, "aws_s3_bucket_public_access_block.b", 30, block,
                                            actions=block_actions)
    if ownership is not None:
        value = ownership if isinstance(ownership, Value) else known(ownership)
        bucket.ownership = OwnershipControls("aws_s3_bucket_ownership_controls.o", "aws_s3_bucket_ownership_controls",
                                             "terraform", src("aws_s3_bucket_ownership_controls.o", 40),
                                             object_ownership=value)
    if access_point is not None:
        ap_policy = access_point.get("policy")
        ap = AccessPoint("aws_s3_access_point.ap", "aws_s3_access_point", "terraform",
                         src("aws_s3_access_point.ap", 50), name=known("ap"),
                         network_origin=known(access_point.get("origin", "Internet")))
        if ap_policy is not None:
            ap.policy = PolicyAttachment("aws_s3control_access_point_policy.ap", "aws_s3control_access_point_policy",
                                         "terraform", src("aws_s3control_access_point_policy.ap", 60),
                                         document=known(ap_policy))
        if access_point.get("block") is not None:
            ap.public_access_block = _block(PublicAccessBlock, "aws_s3_access_point.ap", 50, access_point["block"])
        bucket.access_points.append(ap)
    accounts = []
    if account is not None:
        accounts.append(_block(AccountPublicAccessBlock, "aws_s3_account_public_access_block.acct", 70, account,
                               actions=account_actions))
    return bucket, accounts


AP_ARN_CONDITION = "arn:aws:s3:us-west-2:123456789012:accesspoint/*"
AP_POLICY_PUBLIC = doc(stmt(resource="arn:aws:s3:us-west-2:123456789012:accesspoint/ap/object/*"))
DELEGATE = doc(stmt(action="*", resource=[BUCKET_ARN, OBJECTS],
                    condition={"StringEquals": {"s3:DataAccessPointAccount": "123456789012"}}))
UNKNOWN = None  # expected: the fact is unknown

# (id, deciding rule, inputs, expected facts)
ROWS: list[tuple[str, str, dict, dict]] = [
    # --- principal forms
    ("star-no-condition", 'S-BPA: Principal "*" with no condition is public',
     {"policy": doc(stmt(sid="PublicRead"))},
     {"policy.aws_public": True, "exposure.via_policy": True, "exposure.public_read": True,
      "policy.any_principal": True, "exposure.public": True}),
    ("aws-star", 'S-BPA/F.1: {"AWS": "*"} equals "*"', {"policy": doc(stmt(principal={"AWS": "*"}))},
     {"policy.aws_public": True, "policy.any_principal": True}),
    ("aws-star-list", 'F.1: {"AWS": ["*"]} is the same principal', {"policy": doc(stmt(principal={"AWS": ["*"]}))},
     {"policy.aws_public": True, "policy.any_principal": True}),
    ("star-in-list-with-account", "S-BPA: one public principal in the list makes the statement public",
     {"policy": doc(stmt(principal={"AWS": ["111122223333", "*"]}))}, {"policy.aws_public": True}),
    ("federated-facebook", "S-BPA example: Federated graph.facebook.com is public",
     {"policy": doc(stmt(principal={"Federated": "graph.facebook.com"}))},
     {"policy.aws_public": True, "policy.any_principal": False, "exposure.via_policy": True}),
    ("federated-cognito", "S-BPA: Federated web identity is public",
     {"policy": doc(stmt(principal={"Federated": "cognito-identity.amazonaws.com"}))}, {"policy.aws_public": True}),
    ("account-id", "S-BPA/A.8: a fixed account is not public",
     {"policy": doc(stmt(principal={"AWS": "111122223333"}))},
     {"policy.aws_public": False, "exposure.public": False, "policy.any_principal": False}),
    ("account-id-int", "F.1: an account id written as a number is a fixed account",
     {"policy": doc(stmt(principal={"AWS": 111122223333}))}, {"policy.aws_public": False}),
    ("account-root-arn", "F.1: account root ARN is a fixed principal",
     {"policy": doc(stmt(principal={"AWS": "arn:aws:iam::111122223333:root"}))}, {"policy.aws_public": False}),
    ("role-arn", "S-BPA: a fixed role is not public",
     {"policy": doc(stmt(principal={"AWS": "arn:aws:iam::111122223333:role/reader"}))}, {"policy.aws_public": False}),
    ("wildcard-role-arn", "S-BPA: a principal with a wildcard is not a fixed value",
     {"policy": doc(stmt(principal={"AWS": "arn:aws:iam::111122223333:role/*"}))}, {"policy.aws_public": True}),
    ("canonical-user", "S-BPA: a canonical user is a fixed principal",
     {"policy": doc(stmt(principal={"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}))},
     {"policy.aws_public": False}),
    ("service-principal", "S-BPA: a service principal is fixed",
     {"policy": doc(stmt(principal={"Service": "cloudtrail.amazonaws.com"}, action="s3:PutObject"))},
     {"policy.aws_public": False, "exposure.public_write": False}),
    ("not-principal-allow", "I-NPR: Allow with NotPrincipal grants everyone else",
     {"policy": doc(stmt(principal=None, NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"}))},
     {"policy.aws_public": True, "policy.allow_not_principal": True, "policy.any_principal": True}),
    # --- condition keys and operators
    ("sourcevpc-like-wildcard", 'S-BPA example: StringLike aws:SourceVpc "vpc-*" is public',
     {"policy": doc(stmt(condition={"StringLike": {"aws:SourceVpc": "vpc-*"}}))},
     {"policy.aws_public": True, "exposure.via_policy": True}),
    ("sourcevpc-equals", 'S-BPA example: StringEquals aws:SourceVpc "vpc-91237329" is non-public',
     {"policy": doc(stmt(condition={"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}))},
     {"policy.aws_public": False, "policy.any_principal": True, "exposure.public": False}),
    ("sourcevpce-equals", "S-BPA: aws:SourceVpce fixed confines",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", "vpce-5e6f7a8b"]}}))},
     {"policy.aws_public": False}),
    ("sourcevpce-like-no-wildcard", "A.3: StringLike without wildcards acts as equals",
     {"policy": doc(stmt(condition={"StringLike": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))}, {"policy.aws_public": False}),
    ("sourcevpce-ifexists", "I-OPS: ...IfExists is true when the key is absent",
     {"policy": doc(stmt(condition={"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))},
     {"policy.aws_public": True}),
    ("sourcevpce-not-equals", "I-OPS: negated operators grant everyone except the values",
     {"policy": doc(stmt(condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))},
     {"policy.aws_public": True}),
    ("sourcevpce-null", "I-OPS: Null only tests presence",
     {"policy": doc(stmt(condition={"Null": {"aws:SourceVpce": "false"}}))}, {"policy.aws_public": True}),
    ("forallvalues", "I-MULTI: ForAllValues is true with no values in the request",
     {"policy": doc(stmt(condition={"ForAllValues:StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))},
     {"policy.aws_public": True}),
    ("foranyvalue", "I-MULTI: ForAnyValue is false with no values, so it confines",
     {"policy": doc(stmt(condition={"ForAnyValue:StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))},
     {"policy.aws_public": False}),
    ("operator-case", "I-COND: operator and key names are case-insensitive",
     {"policy": doc(stmt(condition={"stringequals": {"AWS:SOURCEVPCE": "vpce-1a2b3c4d"}}))},
     {"policy.aws_public": False}),
    ("principal-org-id", "S-BPA: aws:PrincipalOrgID fixed confines",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}))},
     {"policy.aws_public": False}),
    ("principal-org-id-wildcard", "S-BPA: wildcards are not fixed values",
     {"policy": doc(stmt(condition={"StringLike": {"aws:PrincipalOrgID": "o-*"}}))}, {"policy.aws_public": True}),
    ("source-account", "S-BPA: aws:SourceAccount fixed confines",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:SourceAccount": "111122223333"}}))},
     {"policy.aws_public": False}),
    ("source-arn-equals", "S-BPA: aws:SourceArn fixed confines",
     {"policy": doc(stmt(condition={"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}}))},
     {"policy.aws_public": False}),
    ("source-arn-like-wildcard", "S-BPA: ArnLike with a wildcard is not fixed",
     {"policy": doc(stmt(condition={"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}}))},
     {"policy.aws_public": True}),
    ("source-owner", "S-BPA: aws:SourceOwner fixed confines",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:SourceOwner": "111122223333"}}))},
     {"policy.aws_public": False}),
    ("kms-key-id", "S-BPA: s3:x-amz-server-side-encryption-aws-kms-key-id fixed confines",
     {"policy": doc(stmt(action="s3:PutObject", condition={"StringEquals": {
         "s3:x-amz-server-side-encryption-aws-kms-key-id":
             "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}))},
     {"policy.aws_public": False}),
    ("userid-role-session", "S-BPA: aws:userid AROLEID:* does not confine",
     {"policy": doc(stmt(condition={"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}))}, {"policy.aws_public": True}),
    ("userid-role-session-equals", "S-BPA: the AROLEID:* form does not confine even under StringEquals",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:userid": "AROAEXAMPLEID:*"}}))}, {"policy.aws_public": True}),
    ("userid-fixed", "S-BPA: aws:userid fixed confines",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:userid": "AIDAEXAMPLEUSERID"}}))},
     {"policy.aws_public": False}),
    ("access-point-arn-wildcard-bucket", "S-BPA: s3:DataAccessPointArn name wildcard with a fixed account confines",
     {"policy": doc(stmt(condition={"StringLike": {"s3:DataAccessPointArn": AP_ARN_CONDITION}}))},
     {"policy.aws_public": False}),
    ("access-point-arn-wildcard-account", "S-BPA: a wildcard account in s3:DataAccessPointArn is public",
     {"policy": doc(stmt(condition={"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*"}}))},
     {"policy.aws_public": True}),
    ("access-point-account", "S-APP: s3:DataAccessPointAccount fixed confines",
     {"policy": DELEGATE}, {"policy.aws_public": False, "policy.all_actions": True}),
    ("principal-account-inferred", "A.3 (inferred): aws:PrincipalAccount fixed confines",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:PrincipalAccount": "111122223333"}}))},
     {"policy.aws_public": False}),
    ("principal-arn-inferred", "A.3 (inferred): aws:PrincipalArn fixed confines",
     {"policy": doc(stmt(condition={"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app"}}))},
     {"policy.aws_public": False}),
    ("principal-org-paths-wildcard", "A.3: aws:PrincipalOrgPaths with a wildcard does not confine",
     {"policy": doc(stmt(condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3/r-ab12/*"}}))},
     {"policy.aws_public": True}),
    ("policy-variable", "S-BPA: a policy variable is not a fixed value",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}))},
     {"policy.aws_public": True}),
    ("policy-variable-2008", "F.2: under Version 2008-10-17 ${...} is a literal",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}),
                    version="2008-10-17")}, {"policy.aws_public": False}),
    ("secure-transport-allow", "S-BPA: aws:SecureTransport is not a restricting key",
     {"policy": doc(stmt(condition={"Bool": {"aws:SecureTransport": "true"}}))}, {"policy.aws_public": True}),
    ("referer", "S-BPA: aws:Referer is not a restricting key",
     {"policy": doc(stmt(condition={"StringLike": {"aws:Referer": "https://www.example.com/*"}}))},
     {"policy.aws_public": True, "exposure.public_read": True}),
    ("action-list-does-not-rescue", "S-BPA: action lists do not rescue a public principal",
     {"policy": doc(stmt(action="s3:GetObjectTagging"))}, {"policy.aws_public": True}),
    # --- aws:SourceIp widths
    ("ip-201-slash-8", "GATE: 201.0.0.0/8 passes AWS's /8 test but is a broad public range",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "201.0.0.0/8"}}))},
     {"policy.aws_public": False, "policy.broad_source_ip": True, "exposure.via_policy": False}),
    ("ip-10-slash-8", "GATE: 10.0.0.0/8 is private address space, not broad",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))},
     {"policy.aws_public": False, "policy.broad_source_ip": False}),
    ("not-ip-address", "S-BPA/I-OPS: NotIpAddress aws:SourceIp grants everyone else",
     {"policy": doc(stmt(condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))},
     {"policy.aws_public": True, "exposure.via_policy": True}),
    ("ip-any", "A.2: 0.0.0.0/0 is broader than /8", {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}))},
     {"policy.aws_public": True}),
    ("ip-slash-1", "A.2 example: 0.0.0.0/1 is public", {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}))},
     {"policy.aws_public": True}),
    ("ip-slash-7", "A.2: a /7 is broader than /8", {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "128.0.0.0/7"}}))},
     {"policy.aws_public": True}),
    ("ip-documentation-24", "A.2: a /24 confines", {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))},
     {"policy.aws_public": False, "policy.broad_source_ip": False}),
    ("ip-public-16", "GATE: a public /16 is at the limit, not broad",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "52.94.0.0/16"}}))},
     {"policy.aws_public": False, "policy.broad_source_ip": False}),
    ("ip-public-15", "GATE: a public /15 is broad",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "52.94.0.0/15"}}))},
     {"policy.broad_source_ip": True}),
    ("ip-union-too-large", "GATE: two public /16s exceed 65,536 addresses together",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": ["52.94.0.0/16", "54.239.0.0/16"]}}))},
     {"policy.broad_source_ip": True}),
    ("ip-172-slash-8", "GATE: 172.0.0.0/8 is mostly public address space",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "172.0.0.0/8"}}))},
     {"policy.aws_public": False, "policy.broad_source_ip": True}),
    ("ip-192-168", "GATE: RFC 1918 ranges do not count",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12"]}}))},
     {"policy.broad_source_ip": False}),
    ("ip-bare-address", "A.2: a bare address is a /32",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "198.51.100.7"}}))}, {"policy.aws_public": False}),
    ("ip-unparsable", "A.2: an unparsable range is public (fail closed)",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "office-network"}}))}, {"policy.aws_public": True}),
    ("ipv6-any", "A.2: ::/0 is broader than /32", {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "::/0"}}))},
     {"policy.aws_public": True}),
    ("ipv6-slash-32", "GATE: a public IPv6 /32 passes AWS but is broad",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "2600:1f00::/32"}}))},
     {"policy.aws_public": False, "policy.broad_source_ip": True}),
    ("ipv6-slash-48", "GATE: an IPv6 /48 is narrow enough",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "2600:1f18:1234::/48"}}))},
     {"policy.broad_source_ip": False}),
    ("ip-and-vpce", "S-BPA: a fixed VPC endpoint confines whatever the address range",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "201.0.0.0/8"},
                                    "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))},
     {"policy.aws_public": False, "policy.broad_source_ip": False}),
    # --- Deny statements (A.10 / A.11)
    ("tls-deny-alone", "A.10: the TLS-only Deny alone is not public",
     {"policy": doc(TLS_DENY)},
     {"policy.aws_public": False, "policy.denies_insecure_transport": True, "policy.any_principal": False,
      "exposure.public": False}),
    ("public-with-tls-deny", "A.10: the TLS Deny does not make a public Allow non-public",
     {"policy": doc(stmt(), TLS_DENY)},
     {"policy.aws_public": True, "policy.effective_public": True, "policy.denies_insecure_transport": True}),
    ("deny-not-vpce", "A.11: Deny unless aws:SourceVpce closes a public Allow (effective view)",
     {"policy": doc(stmt(sid="Public"), stmt(effect="Deny", action="s3:*", resource=[BUCKET_ARN, OBJECTS],
                                             condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))},
     {"policy.aws_public": True, "policy.effective_public": False, "exposure.via_policy": False}),
    ("deny-not-ip-narrow", "A.11: Deny NotIpAddress with a narrow range closes a public Allow",
     {"policy": doc(stmt(), stmt(effect="Deny", action="s3:*", resource="*",
                                 condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))},
     {"policy.aws_public": True, "policy.effective_public": False, "policy.broad_source_ip": False}),
    ("deny-not-ip-broad", "A.11 + GATE: Deny NotIpAddress 201.0.0.0/8 leaves a broad range",
     {"policy": doc(stmt(), stmt(effect="Deny", action="s3:*", resource="*",
                                 condition={"NotIpAddress": {"aws:SourceIp": "201.0.0.0/8"}}))},
     {"policy.effective_public": False, "policy.broad_source_ip": True}),
    ("deny-not-org", "A.11: Deny StringNotEquals aws:PrincipalOrgID closes a public Allow",
     {"policy": doc(stmt(action="s3:*", resource=[BUCKET_ARN, OBJECTS]),
                    stmt(effect="Deny", action="s3:*", resource=[BUCKET_ARN, OBJECTS],
                         condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}))},
     {"policy.aws_public": True, "policy.effective_public": False, "policy.all_actions_public": True}),
    ("deny-narrower-actions", "A.11: a Deny on fewer actions does not close the Allow",
     {"policy": doc(stmt(action="s3:*"), stmt(effect="Deny", action="s3:GetObject", resource="*",
                                               condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}))},
     {"policy.effective_public": True}),
    ("deny-fixed-principal", "A.11: a Deny for one account does not close a public Allow",
     {"policy": doc(stmt(), stmt(principal={"AWS": "111122223333"}, effect="Deny", action="s3:*", resource="*",
                                 condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}))},
     {"policy.effective_public": True}),
    ("account-2-example", "S-BPA: one public statement makes the whole policy public",
     {"policy": doc(stmt(sid="Public"), stmt(principal={"AWS": "arn:aws:iam::222222222222:root"}, sid="Account2"))},
     {"policy.aws_public": True, "exposure.via_policy": True}),
    ("account-2-restricted", "S-BPA: RestrictPublicBuckets blocks the public policy, account-2 grant included",
     {"policy": doc(stmt(sid="Public"), stmt(principal={"AWS": "arn:aws:iam::222222222222:root"})),
      "block": {"rpb": True}},
     {"policy.aws_public": True, "exposure.via_policy": False, "exposure.public": False}),
    # --- actions
    ("all-actions-public", 'A.1: Principal "*" with s3:* grants everything',
     {"policy": doc(stmt(action="s3:*", resource=[BUCKET_ARN, OBJECTS]))},
     {"policy.all_actions": True, "policy.all_actions_public": True, "exposure.public_write": True,
      "exposure.public_list": True, "exposure.public_acl_change": True}),
    ("star-action-case", "F.2: action names are case-insensitive",
     {"policy": doc(stmt(action=["S3:PutObject", "s3:getobject"]))},
     {"exposure.public_write": True, "exposure.public_read": True, "policy.all_actions": False}),
    ("not-action", "I-NACT: Allow with NotAction grants every other action",
     {"policy": doc(stmt(principal="*", NotAction="s3:DeleteBucket", resource=[BUCKET_ARN, OBJECTS]))},
     {"policy.allow_not_action": True, "exposure.public_write": True, "policy.aws_public": True}),
    ("account-all-actions", "A.8: all actions to a fixed account are not public",
     {"policy": doc(stmt(principal={"AWS": "111122223333"}, action="*"))},
     {"policy.all_actions": True, "policy.all_actions_public": False, "exposure.public": False}),
    ("list-only", "F.2: s3:ListBucket grants list", {"policy": doc(stmt(action="s3:ListBucket", resource=BUCKET_ARN))},
     {"exposure.public_list": True, "exposure.public_read": False}),
    # --- opaque inputs
    ("opaque-document", "fail closed: a policy known only after apply is unknown",
     {"policy": Value(State.UNKNOWN, None, "policy is known only after apply")},
     {"policy.aws_public": UNKNOWN, "exposure.via_policy": UNKNOWN, "exposure.public": UNKNOWN,
      "policy.present": True}),
    ("invalid-json", "fail closed: invalid JSON is unknown", {"policy": '{"Version": "2012-10-17", "Statement": ['},
     {"policy.aws_public": UNKNOWN, "exposure.public": UNKNOWN}),
    ("opaque-condition-value", "fail closed: an unseen aws:SourceVpce value could confine",
     {"policy": doc(stmt(condition={"StringEquals": {"aws:SourceVpce": Unknown()}}))}, {"policy.aws_public": UNKNOWN}),
    ("opaque-principal", "fail closed: an unseen principal could be public",
     {"policy": doc(stmt(principal={"AWS": Unknown()}))}, {"policy.aws_public": UNKNOWN}),
    ("opaque-principal-confined", "S-BPA: a fixed aws:SourceVpce confines whoever the principal is",
     {"policy": doc(stmt(principal={"AWS": Unknown()}, condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}))},
     {"policy.aws_public": False}),
    ("opaque-policy-bpp-on", "S-BPA: with BlockPublicPolicy a policy is rejected or non-public",
     {"policy": Value(State.UNKNOWN, None, "policy is known only after apply"), "block": {"bpp": True}},
     {"exposure.via_policy": False}),
    # --- ACLs
    ("acl-public-read", "S-ACL: public-read grants AllUsers READ", {"acl": "public-read"},
     {"acl.public": True, "exposure.via_acl": True, "exposure.public_list": True, "acl.canned": "public-read"}),
    ("acl-public-read-write", "S-ACL: public-read-write grants AllUsers WRITE", {"acl": "public-read-write"},
     {"exposure.public_write": True, "exposure.via_acl": True}),
    ("acl-authenticated-read", "S-BPA: AuthenticatedUsers is public", {"acl": "authenticated-read"},
     {"acl.public": True, "exposure.via_acl": True}),
    ("acl-cfn-spelling", "S-ACL: CloudFormation PublicRead is public-read", {"acl": "PublicRead"},
     {"acl.public": True, "exposure.via_acl": True}),
    ("acl-log-delivery-write", "S-BPA: LogDelivery is not public", {"acl": "log-delivery-write"},
     {"acl.public": False, "exposure.public": False}),
    ("acl-aws-exec-read", "S-ACL: aws-exec-read is not public", {"acl": "aws-exec-read"}, {"acl.public": False}),
    ("acl-private", "S-ACL: private is not public", {"acl": "private"}, {"acl.public": False, "acl.canned": "private"}),
    ("acl-bucket-owner-full-control", "S-ACL: bucket-owner-full-control is not public",
     {"acl": "bucket-owner-full-control"}, {"acl.public": False}),
    ("grant-allusers-read-acp", "S-BPA: any permission to AllUsers is public",
     {"grants": [(ALL_USERS, "READ_ACP")]}, {"acl.public": True, "exposure.via_acl": True}),
    ("grant-allusers-write-acp", "S-ACL: WRITE_ACP lets anyone change the ACL",
     {"grants": [(ALL_USERS, "WRITE_ACP")]}, {"exposure.public_acl_change": True}),
    ("grant-log-delivery", "S-BPA: LogDelivery grants are not public",
     {"grants": [(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")]}, {"acl.public": False}),
    ("grant-authenticated-full", "S-ACL: FULL_CONTROL is READ, WRITE, READ_ACP and WRITE_ACP",
     {"grants": [(AUTH_USERS, "FULL_CONTROL")]},
     {"exposure.public_write": True, "exposure.public_list": True, "exposure.public_acl_change": True}),
    ("grant-canonical-user", "S-ACL: a canonical user grant is not public",
     {"grants": [("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "FULL_CONTROL")]},
     {"acl.public": False}),
    ("acl-ignore-public", "S-BPA: IgnorePublicAcls ignores public ACLs", {"acl": "public-read", "block": {"ipa": True}},
     {"acl.public": True, "exposure.via_acl": False, "exposure.blocked_at_apply": False}),
    ("acl-block-public", "S-BPA: BlockPublicAcls rejects the public ACL at apply",
     {"acl": "public-read", "block": {"bpa": True}},
     {"exposure.via_acl": False, "exposure.blocked_at_apply": True}),
    ("acl-block-unchanged", "S-BPA: BlockPublicAcls leaves an existing ACL in place",
     {"acl": "public-read", "block": {"bpa": True}, "acl_actions": ("no-op",)},
     {"exposure.via_acl": True, "exposure.blocked_at_apply": False}),
    ("acl-owner-enforced", "S-OWN: BucketOwnerEnforced disables ACLs",
     {"acl": "public-read", "ownership": "BucketOwnerEnforced"},
     {"exposure.via_acl": False, "ownership.acls_disabled": True}),
    ("acl-owner-preferred", "S-OWN: BucketOwnerPreferred keeps ACLs enabled",
     {"acl": "public-read", "ownership": "BucketOwnerPreferred", "block": {}},
     {"exposure.via_acl": True, "ownership.acls_disabled": False}),
    ("acl-account-ignore", "S-BPA: account IgnorePublicAcls applies to every bucket",
     {"acl": "public-read", "account": {"ipa": True}}, {"exposure.via_acl": False, "effective_block.declared": True}),
    ("acl-bucket-block-deleted", "A.7: a destroyed block falls back to the account level",
     {"acl": "public-read", "block": "all", "block_actions": ("delete",)},
     {"exposure.via_acl": True, "effective_block.declared": False}),
    ("acl-opaque-ignore", "fail closed: an unseen IgnorePublicAcls could go either way",
     {"acl": "public-read", "block": {"ipa": Value(State.UNKNOWN, None, "known only after apply")}},
     {"exposure.via_acl": UNKNOWN}),
    ("acl-opaque-canned", "fail closed: an unseen canned ACL could be public",
     {"acl": Value(State.UNRESOLVED, None, "acl = var.acl: no value")}, {"acl.public": UNKNOWN}),
    ("acl-all-blocks", "S-BPA: all four settings stop ACL and policy",
     {"acl": "public-read-write", "policy": doc(stmt()), "block": "all"},
     {"exposure.public": False, "effective_block.all": True, "exposure.blocked_at_apply": True}),
    # --- public access block and policies
    ("no-block-declared", "A.7: AWS's defaults for new buckets do not count",
     {"policy": doc(stmt())},
     {"effective_block.declared": False, "effective_block.restrict_public_buckets": False,
      "exposure.via_policy": True}),
    ("policy-rpb", "S-BPA: RestrictPublicBuckets stops a public policy", {"policy": doc(stmt()), "block": {"rpb": True}},
     {"exposure.via_policy": False, "exposure.blocked_at_apply": False}),
    ("policy-bpp", "S-BPA: BlockPublicPolicy rejects a public policy at apply",
     {"policy": doc(stmt()), "block": {"bpp": True}}, {"exposure.via_policy": False, "exposure.blocked_at_apply": True}),
    ("policy-account-bpp", "S-BPA: account BlockPublicPolicy applies to the bucket",
     {"policy": doc(stmt()), "account": {"bpp": True}, "block": {}},
     {"exposure.via_policy": False, "effective_block.block_public_policy": True}),
    ("policy-account-rpb-or", "S-BPA: the most restrictive combination wins (account OR bucket)",
     {"policy": doc(stmt()), "account": {"rpb": True}, "block": {"rpb": False}},
     {"exposure.via_policy": False, "effective_block.restrict_public_buckets": True}),
    ("policy-ipa-only", "S-BPA: ACL settings do not stop a policy", {"policy": doc(stmt()), "block": {"bpa": True, "ipa": True}},
     {"exposure.via_policy": True}),
    ("broad-ip-rpb", "GATE: RestrictPublicBuckets does not stop a broad range AWS calls non-public",
     {"policy": doc(stmt(condition={"IpAddress": {"aws:SourceIp": "201.0.0.0/8"}})), "block": {"rpb": True}},
     {"policy.broad_source_ip": True, "exposure.via_policy": False}),
    # --- access points
    ("ap-internet-public", "S-APP: Internet access point, public AP policy, blocks off, bucket delegates",
     {"policy": DELEGATE, "access_point": {"policy": AP_POLICY_PUBLIC, "block": {}}},
     {"exposure.via_access_point": True, "exposure.public_read": True, "exposure.via_policy": False}),
    ("ap-vpc-origin", "S-BPA: a VPC access point is never public",
     {"policy": DELEGATE, "access_point": {"policy": AP_POLICY_PUBLIC, "block": {}, "origin": "VPC"}},
     {"exposure.via_access_point": False}),
    ("ap-default-block", "T-AP: an access point's block settings default to true",
     {"policy": DELEGATE, "access_point": {"policy": AP_POLICY_PUBLIC}}, {"exposure.via_access_point": False}),
    ("ap-no-delegation", "S-APP: the bucket policy must also allow",
     {"access_point": {"policy": AP_POLICY_PUBLIC, "block": {}}}, {"exposure.via_access_point": False}),
    ("ap-arn-wildcard-in-ap-policy", "S-BPA: s3:DataAccessPointArn wildcards make an access point policy public",
     {"policy": DELEGATE, "access_point": {"block": {}, "policy": doc(stmt(
         resource="arn:aws:s3:us-west-2:123456789012:accesspoint/ap/object/*",
         condition={"StringLike": {"s3:DataAccessPointArn": AP_ARN_CONDITION}}))}},
     {"exposure.via_access_point": True}),
]


@pytest.mark.parametrize("case_id, rule, inputs, expected", ROWS, ids=[r[0] for r in ROWS])
def test_exposure_table(case_id: str, rule: str, inputs: dict, expected: dict) -> None:
    bucket, accounts = make(**inputs)
    facts = exposure_facts(bucket_exposure(bucket, accounts, PolicyOptions()))
    for path, want in expected.items():
        got = facts[path]
        if want is UNKNOWN:
            assert got.opaque, f"{case_id} [{rule}]: {path} should be unknown, got {got}"
            assert got.reason, f"{case_id}: unknown {path} must say why"
        else:
            assert got.known and got.value == want, f"{case_id} [{rule}]: {path} = {got}, expected {want}"


def test_table_is_large_and_every_row_names_its_rule() -> None:
    assert len(ROWS) >= 80
    assert len({r[0] for r in ROWS}) == len(ROWS)
    assert all(r[1].strip() for r in ROWS)


def test_every_fact_path_is_present_for_every_row() -> None:
    for case_id, _, inputs, _ in ROWS:
        bucket, accounts = make(**inputs)
        facts = exposure_facts(bucket_exposure(bucket, accounts, PolicyOptions()))
        assert set(facts) == set(FACT_PATHS), case_id
        for path, value in facts.items():
            assert value.known or value.opaque or value.absent, (case_id, path)
            if value.known and path not in ("acl.canned", "exposure.summary"):
                assert isinstance(value.value, bool), (case_id, path, value)
