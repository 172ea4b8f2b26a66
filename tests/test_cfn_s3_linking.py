"""How CloudFormation bucket satellites find their bucket."""
from __future__ import annotations

from pathlib import Path

from iacgate.scan import ScanOptions, scan

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  AssetsBucket:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        IgnorePublicAcls: true
        BlockPublicPolicy: false
        RestrictPublicBuckets: false
  AssetsBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: {bucket}
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: arn:aws:s3:::assets-bucket/*
"""


def _scan(tmp_path: Path, bucket: str):
    path = tmp_path / "assets.yaml"
    path.write_text(TEMPLATE.format(bucket=bucket))
    report = scan([str(path)], ScanOptions())
    public = {f.address for f in report.findings if f.rule_id == "IG-S3-002"}
    warnings = [e.message for e in report.errors if e.kind == "warning"]
    return public, warnings


def test_a_logical_id_written_as_a_literal_links_to_that_bucket_with_a_warning(tmp_path: Path) -> None:
    # "AssetsBucket" cannot be a bucket name (upper case), but is the bucket's logical id.
    public, warnings = _scan(tmp_path, "AssetsBucket")
    assert public == {"AssetsBucket"}
    assert any("literal 'AssetsBucket'" in w and '{"Ref": "AssetsBucket"}' in w for w in warnings)


def test_a_ref_links_without_a_warning(tmp_path: Path) -> None:
    public, warnings = _scan(tmp_path, "!Ref AssetsBucket")
    assert public == {"AssetsBucket"}
    assert not any("literal" in w for w in warnings)


def test_a_valid_bucket_name_is_a_bucket_outside_the_template(tmp_path: Path) -> None:
    # A valid name is taken at its word: some other bucket, analysed on its own (no block known).
    public, warnings = _scan(tmp_path, "assets-bucket")
    assert "AssetsBucket" not in public and public == {"AssetsBucketPolicy"}
    assert not any("literal" in w for w in warnings)
