"""Focused tests of the bucket exposure verdict: evidence text, sources and fallbacks."""
from __future__ import annotations

from iacgate.analysis.iam_policy import PolicyOptions
from iacgate.analysis.s3_exposure import (FACT_PATHS, AccountContext, account_blocks_for, bucket_exposure,
                                          exposure_facts, normalise_canned)
from iacgate.model import (AccountPublicAccessBlock, AclGrant, Bucket, BucketAcl, OwnershipControls,
                           PolicyAttachment, PublicAccessBlock)
from iacgate.values import Source, State, Unknown, Value, known, unknown

OBJECTS = "arn:aws:s3:::site-assets/*"
PUBLIC_READ = {"Version": "2012-10-17", "Statement": [
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS}]}


def source(address: str, line: int) -> Source:
    return Source("site/main.tf", line, line + 5, address)


def bucket() -> Bucket:
    return Bucket("aws_s3_bucket.site", "aws_s3_bucket", "terraform", source("aws_s3_bucket.site", 1),
                  name=known("site-assets"))


def policy(document: object, address: str = "aws_s3_bucket_policy.site", actions: tuple = ()) -> PolicyAttachment:
    value = document if isinstance(document, Value) else known(document)
    return PolicyAttachment(address, "aws_s3_bucket_policy", "terraform", source(address, 12), actions=actions,
                            document=value)


def block(address: str = "aws_s3_bucket_public_access_block.site", actions: tuple = (), cls: type = PublicAccessBlock,
          **settings: object) -> PublicAccessBlock:
    values = {name: known(settings.get(name, False)) for name in PublicAccessBlock.SETTINGS}
    return cls(address, address.split(".")[0], "terraform", source(address, 20), actions=actions, **values)


def facts_for(b: Bucket, accounts: list | None = None) -> dict[str, Value]:
    return exposure_facts(bucket_exposure(b, accounts or [], PolicyOptions()))


def test_public_policy_evidence_names_statement_and_block() -> None:
    b = bucket()
    b.policies.append(policy(PUBLIC_READ))
    b.public_access_block = block(block_public_acls=True, ignore_public_acls=True)
    facts = facts_for(b)
    via = facts["exposure.via_policy"]
    assert via.value is True
    assert "statement 'PublicRead'" in via.reason and 'Principal "*"' in via.reason
    assert "s3:GetObject" in via.reason
    assert "aws_s3_bucket_public_access_block.site sets restrict_public_buckets = false" in via.reason
    assert {s.address for s in via.sources} == {"aws_s3_bucket_policy.site", "aws_s3_bucket_public_access_block.site"}
    assert facts["exposure.public_read"].value is True
    summary = facts["exposure.summary"]
    assert summary.value.startswith("aws_s3_bucket.site is public: anyone can read objects")


def test_fact_paths_are_exactly_the_contract() -> None:
    assert set(facts_for(bucket())) == set(FACT_PATHS)
    assert len(FACT_PATHS) == 29


def test_bare_bucket_is_private_and_says_no_block_was_declared() -> None:
    facts = facts_for(bucket())
    assert facts["exposure.public"].value is False
    assert facts["effective_block.declared"].value is False
    assert facts["effective_block.all"].value is False
    assert "AWS's defaults for new buckets are not counted" in facts["effective_block.block_public_acls"].reason
    assert "no public access block is declared" in facts["exposure.summary"].value
    assert facts["policy.present"].value is False
    assert facts["acl.canned"].absent


def test_acl_evidence_cites_acl_ownership_and_block_sources() -> None:
    b = bucket()
    b.acls.append(BucketAcl("aws_s3_bucket_acl.site", "aws_s3_bucket_acl", "terraform",
                            source("aws_s3_bucket_acl.site", 30), canned=known("public-read")))
    b.ownership = OwnershipControls("aws_s3_bucket_ownership_controls.site", "aws_s3_bucket_ownership_controls",
                                    "terraform", source("aws_s3_bucket_ownership_controls.site", 40),
                                    object_ownership=known("BucketOwnerPreferred"))
    b.public_access_block = block()
    facts = facts_for(b)
    via = facts["exposure.via_acl"]
    assert via.value is True
    assert {s.address for s in via.sources} == {"aws_s3_bucket_acl.site", "aws_s3_bucket_ownership_controls.site",
                                                "aws_s3_bucket_public_access_block.site"}
    assert "public-read" in via.reason and "BucketOwnerPreferred" in via.reason
    assert facts["acl.canned"].value == "public-read"
    assert facts["acl.canned"].sources[0].address == "aws_s3_bucket_acl.site"


def test_opaque_policy_reason_names_the_policy_resource() -> None:
    b = bucket()
    b.policies.append(policy(unknown("policy is known only after apply")))
    facts = facts_for(b)
    assert facts["exposure.via_policy"].state is State.UNKNOWN
    assert "policy of aws_s3_bucket_policy.site: policy is known only after apply" in facts["exposure.via_policy"].reason
    assert facts["exposure.public_read"].state is State.UNKNOWN
    assert facts["policy.denies_insecure_transport"].state is State.UNKNOWN


def test_account_context_block_protects() -> None:
    b = bucket()
    b.policies.append(policy(PUBLIC_READ))
    declared = block("account-context", cls=AccountPublicAccessBlock, **{n: True for n in PublicAccessBlock.SETTINGS})
    accounts = account_blocks_for([], AccountContext(declared))
    facts = facts_for(b, accounts)
    assert facts["exposure.public"].value is False
    assert facts["effective_block.all"].value is True
    assert facts["exposure.blocked_at_apply"].value is True


def test_weakest_account_block_applies_when_several_are_declared() -> None:
    b = bucket()
    b.policies.append(policy(PUBLIC_READ))
    strong = block("aws_s3_account_public_access_block.a", cls=AccountPublicAccessBlock,
                   **{n: True for n in PublicAccessBlock.SETTINGS})
    weak = block("aws_s3_account_public_access_block.b", cls=AccountPublicAccessBlock)
    assert facts_for(b, [strong, weak])["exposure.via_policy"].value is True
    assert facts_for(b, [strong])["exposure.via_policy"].value is False


def test_deleted_satellites_do_not_count() -> None:
    b = bucket()
    b.policies.append(policy(PUBLIC_READ, actions=("delete",)))
    b.public_access_block = block(actions=("delete",), **{n: True for n in PublicAccessBlock.SETTINGS})
    facts = facts_for(b)
    assert facts["policy.present"].value is False
    assert facts["effective_block.declared"].value is False
    assert "is destroyed" in facts["effective_block.restrict_public_buckets"].reason


def test_unchanged_policy_is_not_rejected_by_block_public_policy() -> None:
    b = bucket()
    b.policies.append(policy(PUBLIC_READ, actions=("no-op",)))
    b.public_access_block = block(block_public_policy=True)
    facts = facts_for(b)
    assert facts["exposure.via_policy"].value is True
    assert facts["exposure.blocked_at_apply"].value is False


def test_broad_source_ip_is_reported_separately_in_summary() -> None:
    b = bucket()
    b.policies.append(policy({"Version": "2012-10-17", "Statement": [
        {"Sid": "Office", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS,
         "Condition": {"IpAddress": {"aws:SourceIp": "201.0.0.0/8"}}}]}))
    facts = facts_for(b)
    assert facts["exposure.public"].value is False
    broad = facts["policy.broad_source_ip"]
    assert broad.value is True and "201.0.0.0/8 pins 16,777,216 public addresses" in broad.reason
    assert broad.sources[0].address == "aws_s3_bucket_policy.site"
    assert "broad public address range" in facts["exposure.summary"].value


def test_deny_narrowing_shows_both_views() -> None:
    b = bucket()
    b.policies.append(policy({"Version": "2012-10-17", "Statement": [
        PUBLIC_READ["Statement"][0],
        {"Sid": "OnlyFromEndpoint", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}}]}))
    facts = facts_for(b)
    assert facts["policy.aws_public"].value is True
    assert facts["policy.effective_public"].value is False
    assert facts["exposure.via_policy"].value is False
    assert "narrowed by Deny" in facts["exposure.summary"].value


def test_acl_grants_with_unseen_grantee_are_unknown() -> None:
    b = bucket()
    b.acls.append(BucketAcl("aws_s3_bucket_acl.site", "aws_s3_bucket_acl", "terraform",
                            source("aws_s3_bucket_acl.site", 30),
                            grants=known([AclGrant("Group", Unknown(), "READ")])))  # type: ignore[arg-type]
    facts = facts_for(b)
    assert facts["acl.public"].state is State.UNKNOWN
    assert facts["exposure.public_list"].state is State.UNKNOWN


def test_ownership_unknown_keeps_acl_verdict_unknown() -> None:
    b = bucket()
    b.acls.append(BucketAcl("aws_s3_bucket_acl.site", "aws_s3_bucket_acl", "terraform",
                            source("aws_s3_bucket_acl.site", 30), canned=known("public-read")))
    b.ownership = OwnershipControls("aws_s3_bucket_ownership_controls.site", "aws_s3_bucket_ownership_controls",
                                    "terraform", source("aws_s3_bucket_ownership_controls.site", 40),
                                    object_ownership=unknown("object_ownership is known only after apply"))
    facts = facts_for(b)
    assert facts["ownership.acls_disabled"].state is State.UNKNOWN
    assert facts["exposure.via_acl"].state is State.UNKNOWN


def test_canned_acl_spellings() -> None:
    assert normalise_canned("PublicReadWrite") == "public-read-write"
    assert normalise_canned("LogDeliveryWrite") == "log-delivery-write"
    assert normalise_canned("public-read") == "public-read"
