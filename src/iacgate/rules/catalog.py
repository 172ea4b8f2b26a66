"""The facts each subject kind carries: the contract between the analysers and the rules.

Analysers compute these facts; rules may only cite the ones listed for their kind (the loader
rejects an unknown path). A kind that is not listed here is open: its rules are not checked.

``python -m iacgate.rules.catalog --markdown`` prints the facts section of ``docs/rules.md``.
"""
from __future__ import annotations

import sys

FACT_CATALOG: dict[str, dict[str, str]] = {
    "s3_bucket": {
        "name": "str: the bucket name (literal, or the resource name when the name is computed)",
        "declared": "bool: the bucket resource is in the configuration, not only named by a policy "
                    "or an ACL",
        "versioning.enabled": "bool: versioning is Enabled",
        "versioning.mfa_delete": "bool: MFA delete is enabled",
        "encryption.enabled": "bool: a default server-side encryption configuration is declared",
        "encryption.algorithm": "str: the default SSE algorithm (AES256, aws:kms, aws:kms:dsse)",
        "logging.enabled": "bool: server access logging is configured",
        "website.enabled": "bool: static website hosting is configured",
        "public_access_block.present": "bool: a bucket-level public access block is declared",
        "public_access_block.block_public_acls": "bool: bucket-level BlockPublicAcls, as declared",
        "public_access_block.block_public_policy": "bool: bucket-level BlockPublicPolicy, as "
                                                   "declared",
        "public_access_block.ignore_public_acls": "bool: bucket-level IgnorePublicAcls, as declared",
        "public_access_block.restrict_public_buckets": "bool: bucket-level RestrictPublicBuckets, "
                                                       "as declared",
        "effective_block.block_public_acls": "bool: BlockPublicAcls in effect (bucket or account)",
        "effective_block.block_public_policy": "bool: BlockPublicPolicy in effect (bucket or "
                                               "account)",
        "effective_block.ignore_public_acls": "bool: IgnorePublicAcls in effect (bucket or account)",
        "effective_block.restrict_public_buckets": "bool: RestrictPublicBuckets in effect (bucket "
                                                   "or account)",
        "effective_block.all": "bool: all four settings are in effect",
        "effective_block.declared": "bool: a bucket or account public access block covering this "
                                    "bucket is in the configuration",
        "ownership.acls_disabled": "bool: object ownership is BucketOwnerEnforced (ACLs disabled)",
        "acl.public": "bool: the ACL (canned or grants) gives AllUsers or AuthenticatedUsers "
                      "access",
        "acl.canned": "str: the canned ACL (private, public-read, ...)",
        "policy.present": "bool: a bucket policy is attached",
        "policy.aws_public": "bool: the policy is public by AWS's definition (Allow statements "
                             "only)",
        "policy.effective_public": "bool: the policy grants public access after Deny statements "
                                   "that cover it",
        "policy.any_principal": "bool: an Allow statement has Principal \"*\" or an equivalent",
        "policy.all_actions": "bool: an Allow statement allows s3:* or *",
        "policy.all_actions_public": "bool: an Allow statement allows s3:* or * to anyone",
        "policy.allow_not_principal": "bool: an Allow statement uses NotPrincipal",
        "policy.allow_not_action": "bool: an Allow statement uses NotAction",
        "policy.broad_source_ip": "bool: access is confined only by a very broad public source "
                                  "address range",
        "policy.denies_insecure_transport": "bool: a Deny statement covers requests with "
                                            "aws:SecureTransport false",
        "exposure.public": "bool: anyone can reach the bucket after apply",
        "exposure.public_read": "bool: anyone can read objects or the bucket",
        "exposure.public_write": "bool: anyone can write or delete objects",
        "exposure.public_list": "bool: anyone can list the bucket",
        "exposure.public_acl_change": "bool: anyone can change the bucket's or objects' ACLs",
        "exposure.via_acl": "bool: the exposure comes from an ACL that nothing neutralises",
        "exposure.via_policy": "bool: the exposure comes from the bucket policy",
        "exposure.via_access_point": "bool: the exposure comes from an Internet access point",
        "exposure.blocked_at_apply": "bool: a public access block makes the public ACL or policy "
                                     "fail at apply",
        "exposure.summary": "str: one sentence on who can do what, and through which resource",
    },
    "s3_account_public_access_block": {
        "block_public_acls": "bool: account-level BlockPublicAcls",
        "block_public_policy": "bool: account-level BlockPublicPolicy",
        "ignore_public_acls": "bool: account-level IgnorePublicAcls",
        "restrict_public_buckets": "bool: account-level RestrictPublicBuckets",
        "all": "bool: all four settings are on",
    },
    "ec2_launch_site": {
        "site_kind": "str: instance, launch_template, launch_configuration, autoscaling_group, "
                     "node_group, ...",
        "imds.endpoint_enabled": "bool: the instance metadata endpoint is enabled",
        "imds.tokens_required": "bool: IMDSv2 session tokens are required (IMDSv1 off)",
        "imds.hop_limit": "int: the PUT response hop limit",
        "imds.hosts_containers": "bool: the site runs containers (EKS, ECS), so a hop limit above "
                                 "1 lets them reach IMDS",
        "imds.decided_by": "str: where the metadata options come from (\"resource\", \"launch "
                           "template X\", \"account defaults\", \"AMI\", \"EC2 default\")",
        "role.present": "bool: an instance profile role is attached",
        "role.can_read_s3": "bool: the role can read S3 objects",
        "role.readable_buckets": "list: the buckets the role can read (\"*\" for any)",
        "egress.unrestricted": "bool: outbound traffic to anywhere is allowed",
        "path.ssrf_to_s3": "bool: IMDSv1 reachable, and the role can read S3 data",
        "imds.summary": "str: the effective metadata options, where each comes from, and what the gate "
                        "could not see",
        "path.chain": "str: the SSRF path: site -> launch template -> instance profile -> role -> policy "
                      "statement -> bucket -> egress",
    },
    "ec2_security_group": {
        "egress.unrestricted": "bool: an egress rule allows traffic to 0.0.0.0/0 or ::/0",
        "egress.all_ports_to_world": "bool: an egress rule allows all protocols and ports to "
                                     "anywhere",
        "egress.summary": "str: the egress rules that reach anywhere, or why that cannot be decided",
    },
    "credential": {
        "credential.type": "str: access_key_id, secret_access_key or session_token",
        "credential.is_example": "bool: the value is AWS's documented example key",
        "credential.paired": "bool: a key id and a secret are found together",
        "credential.location": "str: the attribute path that holds the value",
        "credential.redacted": "str: the value, redacted (at most four characters each end)",
        "credential.encoding": "str: plain, base64, ...",
    },
    "iam_access_key": {
        "secret_in_plain_output": "bool: the secret is written to an output or state without "
                                  "encryption (no pgp_key)",
        "user_has_keys": "bool: the IAM user has static access keys",
    },
}

# Placeholders a message template may use besides facts and parameters.
SUBJECT_PLACEHOLDERS: dict[str, str] = {
    "address": "the resource address",
    "name": "the resource's name (the `name` fact when there is one)",
    "resource_type": "the resource type (aws_s3_bucket, AWS::S3::Bucket, ...)",
    "kind": "the subject kind",
    "unknown": "(unknown findings) the facts the gate could not see, and why",
}


def known_facts(kind: str) -> dict[str, str] | None:
    """The catalogued facts of a kind, or None when the kind is not catalogued."""
    return FACT_CATALOG.get(kind)


def _split_type(description: str) -> tuple[str, str]:
    head, sep, tail = description.partition(": ")
    if sep and head in ("bool", "str", "int", "list"):
        return head, tail
    return "", description


def markdown() -> str:
    """The facts section of docs/rules.md."""
    lines = ["## Facts by subject kind", "",
             "<!-- generated by `python -m iacgate.rules.catalog --markdown`; do not edit -->", ""]
    for kind, facts in FACT_CATALOG.items():
        lines += [f"### `{kind}`", "", "| fact | type | meaning |", "|---|---|---|"]
        for path, description in facts.items():
            type_name, meaning = _split_type(description)
            escaped = meaning.replace("|", r"\|")
            lines.append(f"| `{path}` | {type_name} | {escaped} |")
        lines.append("")
    lines += ["### Placeholders in messages", "", "| placeholder | meaning |", "|---|---|"]
    for name, meaning in SUBJECT_PLACEHOLDERS.items():
        lines.append(f"| `{{{name}}}` | {meaning} |")
    lines += ["| `{fact.PATH}` | the value of fact PATH |",
              "| `{fact.PATH.reason}` | why fact PATH is unknown or absent |",
              "| `{param.NAME}` | the value of parameter NAME |", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["--markdown"]:
        print("usage: python -m iacgate.rules.catalog --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
