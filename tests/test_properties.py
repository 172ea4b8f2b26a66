"""Property-based tests: random split-resource S3 buckets, written several ways, judged the same.

Each example is a stack of buckets, each with an optional canned ACL, public access block, object
ownership setting and bucket policy (random principals, actions and conditions), plus an optional
account-level public access block. Invariants:

1. Terraform: the verdicts (rule, status, severity per resource) do not change when the blocks are
   reordered or spread over several files of the module.
2. The same stack as Terraform (split resources) and as a CloudFormation template (properties of
   ``AWS::S3::Bucket`` plus an ``AWS::S3::BucketPolicy``) gets the same verdicts per bucket.
   CloudFormation has no account-level public access block, so that part is Terraform-only.
"""
from __future__ import annotations

import contextlib
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.load import LoadOptions
from iacgate.scan import ScanOptions, scan

CANNED_ACLS = {"private": "Private", "public-read": "PublicRead", "public-read-write": "PublicReadWrite",
               "authenticated-read": "AuthenticatedRead"}
OWNERSHIP = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")
PAB_FIELDS = (("block_public_acls", "BlockPublicAcls"), ("block_public_policy", "BlockPublicPolicy"),
              ("ignore_public_acls", "IgnorePublicAcls"), ("restrict_public_buckets", "RestrictPublicBuckets"))
PRINCIPALS = ("*", {"AWS": "*"}, {"AWS": "arn:aws:iam::123456789012:root"}, {"Service": "logging.s3.amazonaws.com"},
              {"AWS": ["arn:aws:iam::123456789012:role/app", "*"]})
ACTIONS = ("s3:GetObject", "s3:*", "*", ["s3:PutObject", "s3:GetObject"], "s3:ListBucket")
CONDITIONS = (None, {"Bool": {"aws:SecureTransport": "false"}}, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
              {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
              {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}})


@dataclass(frozen=True)
class BucketSpec:
    acl: str | None
    public_access_block: tuple[bool, bool, bool, bool] | None
    ownership: str | None
    statements: tuple[dict, ...] | None


def bucket_name(index: int) -> str:
    return f"prop-bucket-{index}"


@st.composite
def statements(draw: st.DrawFn, index: int) -> dict:
    arn = f"arn:aws:s3:::{bucket_name(index)}"
    statement: dict = {"Effect": draw(st.sampled_from(("Allow", "Allow", "Deny"))),
                       "Principal": draw(st.sampled_from(PRINCIPALS)),
                       "Action": draw(st.sampled_from(ACTIONS)),
                       "Resource": draw(st.sampled_from((f"{arn}/*", arn, [arn, f"{arn}/*"])))}
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


@st.composite
def bucket_specs(draw: st.DrawFn, index: int) -> BucketSpec:
    pab = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())
    policy = st.lists(statements(index), min_size=1, max_size=3).map(tuple)
    return BucketSpec(acl=draw(st.none() | st.sampled_from(sorted(CANNED_ACLS))),
                      public_access_block=draw(st.none() | pab),
                      ownership=draw(st.none() | st.sampled_from(OWNERSHIP)),
                      statements=draw(st.none() | policy))


@st.composite
def stacks(draw: st.DrawFn) -> list[BucketSpec]:
    count = draw(st.integers(min_value=1, max_value=3))
    return [draw(bucket_specs(i)) for i in range(count)]


account_blocks = st.none() | st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())


# ------------------------------------------------------------------------------------ Terraform


def _hcl_bool(value: bool) -> str:
    return "true" if value else "false"


def terraform_blocks(stack: list[BucketSpec], account: tuple[bool, ...] | None) -> list[str]:
    blocks = []
    for i, spec in enumerate(stack):
        ref = f"aws_s3_bucket.b{i}.id"
        blocks.append(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "{bucket_name(i)}"\n}}\n')
        if spec.acl is not None:
            blocks.append(f'resource "aws_s3_bucket_acl" "b{i}" {{\n  bucket = {ref}\n  acl    = "{spec.acl}"\n}}\n')
        if spec.public_access_block is not None:
            settings_ = "".join(f"  {tf} = {_hcl_bool(v)}\n" for (tf, _), v in zip(PAB_FIELDS, spec.public_access_block))
            blocks.append(f'resource "aws_s3_bucket_public_access_block" "b{i}" {{\n  bucket = {ref}\n{settings_}}}\n')
        if spec.ownership is not None:
            blocks.append(f'resource "aws_s3_bucket_ownership_controls" "b{i}" {{\n  bucket = {ref}\n'
                          f'  rule {{\n    object_ownership = "{spec.ownership}"\n  }}\n}}\n')
        if spec.statements is not None:
            document = json.dumps({"Version": "2012-10-17", "Statement": list(spec.statements)}, indent=2)
            blocks.append(f'resource "aws_s3_bucket_policy" "b{i}" {{\n  bucket = {ref}\n'
                          f"  policy = <<-POLICY\n{document}\n  POLICY\n}}\n")
    if account is not None:
        settings_ = "".join(f"  {tf} = {_hcl_bool(v)}\n" for (tf, _), v in zip(PAB_FIELDS, account))
        blocks.append(f'resource "aws_s3_account_public_access_block" "this" {{\n{settings_}}}\n')
    return blocks


def write_terraform(folder: Path, blocks: list[str], files: int, rng: random.Random) -> None:
    folder.mkdir(parents=True)
    chunks: list[list[str]] = [[] for _ in range(files)]
    for block in blocks:
        chunks[rng.randrange(files)].append(block)
    for n, chunk in enumerate(chunks):
        (folder / f"part{n}.tf").write_text("\n".join(chunk))


# ------------------------------------------------------------------------------- CloudFormation


def cloudformation_template(stack: list[BucketSpec]) -> dict:
    resources: dict = {}
    for i, spec in enumerate(stack):
        props: dict = {"BucketName": bucket_name(i)}
        if spec.acl is not None:
            props["AccessControl"] = CANNED_ACLS[spec.acl]
        if spec.public_access_block is not None:
            props["PublicAccessBlockConfiguration"] = {cfn: v for (_, cfn), v in zip(PAB_FIELDS, spec.public_access_block)}
        if spec.ownership is not None:
            props["OwnershipControls"] = {"Rules": [{"ObjectOwnership": spec.ownership}]}
        resources[f"B{i}"] = {"Type": "AWS::S3::Bucket", "Properties": props}
        if spec.statements is not None:
            resources[f"B{i}Policy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": {"Ref": f"B{i}"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": list(spec.statements)}}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


# ------------------------------------------------------------------------------------- verdicts


def run_gate(root: Path, *paths: str) -> dict:
    options = ScanOptions(load=LoadOptions(parse_workers=1))
    with contextlib.chdir(root):
        report = scan(list(paths), options)
    errors = [e for e in report.errors if e.kind == "error"]
    assert not errors, [(e.file, e.line, e.message) for e in errors]
    return {"findings": report.findings}


def verdicts(report: dict) -> set[tuple[str, str, str, str]]:
    return {(f.address, f.rule_id, f.status, f.severity) for f in report["findings"]}


def bucket_index(address: str) -> int | None:
    """``aws_s3_bucket_policy.b1`` / ``B1Policy`` / ``B1`` -> 1; account-level resources -> None."""
    tail = address.rsplit(".", 1)[-1]
    digits = "".join(c for c in tail.removesuffix("Policy") if c.isdigit())
    return int(digits) if digits and tail.lstrip("bB").removesuffix("Policy").isdigit() else None


def per_bucket(report: dict) -> set[tuple[int | None, str, str]]:
    return {(bucket_index(f.address), f.rule_id, f.status) for f in report["findings"]
            if bucket_index(f.address) is not None}


@settings(max_examples=40, deadline=None)
@given(stack=stacks(), account=account_blocks, files=st.integers(min_value=2, max_value=5),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_terraform_verdicts_survive_reordering_and_splitting(stack: list[BucketSpec], account, files: int,
                                                             seed: int) -> None:
    rng = random.Random(seed)
    blocks = terraform_blocks(stack, account)
    shuffled = list(blocks)
    rng.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_terraform(root / "one", blocks, 1, rng)
        write_terraform(root / "split", shuffled, files, rng)
        baseline = run_gate(root, "one")
        split = run_gate(root, "split")
    assert baseline["findings"], "every stack has at least one bucket finding (hygiene rules)"
    assert verdicts(split) == verdicts(baseline)


@settings(max_examples=40, deadline=None)
@given(stack=stacks())
def test_terraform_and_cloudformation_agree_per_bucket(stack: list[BucketSpec]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_terraform(root / "tf", terraform_blocks(stack, None), 1, random.Random(0))
        (root / "template.json").write_text(json.dumps(cloudformation_template(stack), indent=1))
        terraform = per_bucket(run_gate(root, "tf"))
        cloudformation = per_bucket(run_gate(root, "template.json"))
    assert terraform == cloudformation, {"terraform only": terraform - cloudformation,
                                         "cloudformation only": cloudformation - terraform}


def test_bucket_index_reads_both_naming_schemes() -> None:
    assert bucket_index("aws_s3_bucket_policy.b12") == 12
    assert bucket_index("B3Policy") == 3 and bucket_index("B0") == 0
    assert bucket_index("aws_s3_account_public_access_block.this") is None
