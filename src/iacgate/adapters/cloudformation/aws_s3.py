"""CloudFormation S3 resources -> the model's buckets, blocks, policies and access points.

CloudFormation has no account-level public access block resource: account settings reach the gate
only through ``--account-context``.
"""
from __future__ import annotations

import re
from typing import Any

from ...model import (AccessPoint, Bucket, BucketAcl, Model, OwnershipControls, PolicyAttachment,
                      PublicAccessBlock)
from ...raw import InputError, RawResource
from ...values import State, Unknown, Value, known, unknown
from ..common import _MISSING, Linker, UnidentifiedBuckets, attr_value, lookup, parse_document, present, source_of, to_bool

_SETTINGS = {"block_public_acls": "BlockPublicAcls", "block_public_policy": "BlockPublicPolicy",
             "ignore_public_acls": "IgnorePublicAcls", "restrict_public_buckets": "RestrictPublicBuckets"}


def canned_acl(name: str) -> str:
    """CloudFormation spells canned ACLs in PascalCase: ``PublicRead`` -> ``public-read``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _entity_args(raw: RawResource) -> dict[str, Any]:
    return {"address": raw.address, "resource_type": raw.type, "source_kind": raw.source_kind,
            "source": raw.source, "actions": raw.actions, "raw": raw}


def _block(raw: RawResource, prefix: str, default: bool) -> PublicAccessBlock:
    block = PublicAccessBlock(**_entity_args(raw))
    for name, prop in _SETTINGS.items():
        setattr(block, name, attr_value(raw, f"{prefix}.{prop}", default=default, convert=to_bool))
    return block


def _bucket(raw: RawResource) -> Bucket:
    name = attr_value(raw, "BucketName")
    if name.absent:
        name = unknown(f"name of {raw.address} is generated at deploy", source_of(raw, "BucketName"))
    bucket = Bucket(**_entity_args(raw), name=name)
    if present(raw, "AccessControl"):
        acl = attr_value(raw, "AccessControl")
        if acl.known and isinstance(acl.value, str):
            acl = known(canned_acl(acl.value), *acl.sources)
        bucket.acls.append(BucketAcl(**_entity_args(raw), canned=acl))
    if present(raw, "PublicAccessBlockConfiguration"):
        conf = lookup(raw.attrs, "PublicAccessBlockConfiguration")
        if isinstance(conf, dict):
            bucket.public_access_block = _block(raw, "PublicAccessBlockConfiguration", default=False)
        else:
            opaque = attr_value(raw, "PublicAccessBlockConfiguration")
            block = PublicAccessBlock(**_entity_args(raw))
            for name in _SETTINGS:
                setattr(block, name, opaque)
            bucket.public_access_block = block
    if present(raw, "OwnershipControls"):
        rules = lookup(raw.attrs, "OwnershipControls.Rules")
        ownership = attr_value(raw, "OwnershipControls.Rules")
        if isinstance(rules, list):
            values = [r.get("ObjectOwnership") for r in rules if isinstance(r, dict)]
            src = source_of(raw, "OwnershipControls")
            ownership = known(values[-1], src) if values and isinstance(values[-1], str) else ownership
        bucket.ownership = OwnershipControls(**_entity_args(raw), object_ownership=ownership)
    if present(raw, "WebsiteConfiguration"):
        bucket.website = known(True, source_of(raw, "WebsiteConfiguration"))
    if present(raw, "VersioningConfiguration"):
        bucket.versioning = attr_value(raw, "VersioningConfiguration.Status")
    if present(raw, "LoggingConfiguration"):
        bucket.logging = known(True, source_of(raw, "LoggingConfiguration"))
    if present(raw, "BucketEncryption"):
        bucket.encryption = _encryption(raw)
    return bucket


def _encryption(raw: RawResource) -> Value:
    rules = lookup(raw.attrs, "BucketEncryption.ServerSideEncryptionConfiguration")
    src = source_of(raw, "BucketEncryption")
    if isinstance(rules, list):
        for rule in rules:
            if isinstance(rule, dict):
                default = rule.get("ServerSideEncryptionByDefault")
                if isinstance(default, dict) and isinstance(default.get("SSEAlgorithm"), str):
                    return known(default["SSEAlgorithm"], src)
                if isinstance(default, Unknown):
                    return unknown(f"encryption of {raw.address} is {default.reason}", src)
        return Value(State.ABSENT, None, None, (src,))
    return attr_value(raw, "BucketEncryption.ServerSideEncryptionConfiguration")


def _name_from_arn(target: str) -> str:
    return target.split(":::", 1)[1].split("/", 1)[0] if target.startswith("arn:") and ":::" in target else target


VALID_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _logical_id_written_as_name(raw: RawResource, attribute: str, target: Value, buckets: list[Bucket],
                                model: Model) -> Bucket | None:
    """A satellite whose bucket is a literal that cannot be a bucket name but is the logical id of a
    bucket in the same template (``Bucket: MyBucket`` where ``!Ref MyBucket`` was meant).

    CloudFormation would send the literal as the name and the stack would fail on it, so the author's
    intent is the only reading that can deploy: it is analysed as the ``Ref``, with a warning."""
    if not (target.known and isinstance(target.value, str)) or VALID_BUCKET_NAME.fullmatch(target.value):
        return None
    for bucket in buckets:
        if bucket.address == target.value and bucket.source.file == raw.file:
            model.errors.append(InputError(
                raw.file, f"{raw.address}: {attribute} is the literal {target.value!r}, which is not a valid "
                          f"bucket name but is the logical id of a bucket in this template; analysed as "
                          f"{{\"Ref\": \"{target.value}\"}} (write the Ref so CloudFormation reads it the same way)",
                line=target.sources[0].line if target.sources else raw.line, kind="warning"))
            return bucket
    return None


def build_s3(resources: list[RawResource]) -> Model:
    model = Model()
    buckets = [_bucket(r) for r in resources if r.type == "AWS::S3::Bucket"]
    linker: Linker[Bucket] = Linker(buckets, lambda b: b.name)
    externals: dict[str, Bucket] = {}

    def owner(raw: RawResource, entity: Any, attribute: str) -> Bucket | None:
        target = attr_value(raw, attribute)
        bucket = linker.link(raw, attribute, target, _name_from_arn)
        if bucket is None:
            bucket = _logical_id_written_as_name(raw, attribute, target, buckets, model)
        if bucket is None and target.known and isinstance(target.value, str):
            name = _name_from_arn(target.value)
            if name not in externals:
                args = _entity_args(raw)
                args["resource_type"] = "AWS::S3::Bucket"
                externals[name] = Bucket(**args, name=known(name, *target.sources), declared=False)
            bucket = externals[name]
        if bucket is None:
            return unidentified(raw, entity, target)
        bucket.satellites.append(entity)
        return bucket

    unidentified = UnidentifiedBuckets(model, "AWS::S3::Bucket")
    points: list[AccessPoint] = []
    for raw in resources:
        if raw.type == "AWS::S3::BucketPolicy":
            policy = PolicyAttachment(**_entity_args(raw),
                                      document=parse_document(attr_value(raw, "PolicyDocument")))
            bucket = owner(raw, policy, "Bucket")
            if bucket is not None:
                bucket.policies.append(policy)
        elif raw.type == "AWS::S3::AccessPoint":
            point = AccessPoint(**_entity_args(raw), name=attr_value(raw, "Name"),
                                bucket_ref=attr_value(raw, "Bucket"))
            point.network_origin = known("VPC" if present(raw, "VpcConfiguration") else "Internet",
                                         source_of(raw, "VpcConfiguration"))
            if present(raw, "Policy"):
                point.policy = PolicyAttachment(**_entity_args(raw),
                                                document=parse_document(attr_value(raw, "Policy")))
            point.public_access_block = _block(raw, "PublicAccessBlockConfiguration", default=True)
            bucket = owner(raw, point, "Bucket")
            if bucket is not None:
                bucket.access_points.append(point)
            points.append(point)
    model.buckets = buckets + list(externals.values()) + unidentified.buckets
    model.access_points = points
    return model


__all__ = ["build_s3", "canned_acl", "_MISSING"]
