"""Terraform (HCL and plan) S3 resources -> the model's buckets, blocks, policies and access points.

Covers the provider v4+ split resources (``aws_s3_bucket_acl``, ``_policy``,
``_public_access_block``, ``_ownership_controls``, ``_versioning``,
``_server_side_encryption_configuration``, ``_logging``, ``_website_configuration``), the v3 inline
arguments of ``aws_s3_bucket``, the account block, and access points.
"""
from __future__ import annotations

from typing import Any

from ...model import (AccessPoint, AccountPublicAccessBlock, AclGrant, Bucket, BucketAcl, Entity,
                      Model, OwnershipControls, PolicyAttachment, PublicAccessBlock)
from ...raw import RawResource
from ...values import State, Unknown, Unresolved, Value, absent, contains_opaque, known, unknown
from .policy_documents import policy_data_sources, policy_value
from ..common import (_MISSING, Linker, UnidentifiedBuckets as _unidentified_buckets, attr_value, lookup,
                      parse_document, present, source_of, strip_index, to_bool)

BUCKET = "aws_s3_bucket"
# Inline arguments of aws_s3_bucket that are Optional+Computed: a plan shows them unknown when the
# configuration does not set them, which means "not configured here", not "could be public".
_COMPUTED_INLINE = ("acl", "grant", "policy", "website", "versioning", "logging",
                    "server_side_encryption_configuration")


def _entity_args(raw: RawResource) -> dict[str, Any]:
    return {"address": raw.address, "resource_type": raw.type, "source_kind": raw.source_kind,
            "source": raw.source, "actions": raw.actions, "raw": raw}


def _inline(raw: RawResource, name: str) -> Any:
    """An inline bucket argument, treating a plan's computed-unknown for an unconfigured argument as
    absent."""
    leaf = lookup(raw.attrs, name)
    configured = raw.meta.get("config_keys")
    if isinstance(leaf, Unknown) and configured is not None and name not in configured:
        return None
    return leaf


def _is_set(leaf: Any) -> bool:
    return leaf is not _MISSING and leaf is not None and leaf != [] and leaf != {} and leaf != ""


def _grants_from_v3(grants: Any) -> Value | list[AclGrant]:
    out: list[AclGrant] = []
    for grant in grants:
        if not isinstance(grant, dict):
            return grant
        grantee = grant.get("uri") or grant.get("id") or ""
        perms = grant.get("permissions") or []
        if isinstance(perms, str):
            perms = [perms]
        if contains_opaque(grant):
            return grant
        for perm in perms:
            out.append(AclGrant(str(grant.get("type", "")), str(grantee), str(perm)))
    return out


def _grants_from_policy(acp: Any) -> Any:
    out: list[AclGrant] = []
    if not isinstance(acp, dict):
        return acp
    for grant in acp.get("grant") or []:
        if not isinstance(grant, dict) or contains_opaque(grant):
            return grant
        grantee = grant.get("grantee") or [{}]
        grantee = grantee[0] if isinstance(grantee, list) and grantee else grantee
        if not isinstance(grantee, dict):
            return grantee
        who = grantee.get("uri") or grantee.get("id") or grantee.get("email_address") or ""
        out.append(AclGrant(str(grantee.get("type", "")), str(who), str(grant.get("permission", ""))))
    return out


def _grants_value(raw: RawResource, attribute: str, parsed: Any) -> Value:
    src = source_of(raw, attribute)
    if isinstance(parsed, list) and all(isinstance(g, AclGrant) for g in parsed):
        return known(parsed, src)
    if isinstance(parsed, Unknown):
        return unknown(f"{attribute} of {raw.address} is {parsed.reason}", src)
    return Value(State.UNRESOLVED, None, f"{attribute} of {raw.address} could not be evaluated", (src,))


def _bucket_name(raw: RawResource) -> Value:
    name = attr_value(raw, "bucket")
    if name.absent:
        reason = ("bucket name is generated from bucket_prefix at apply" if present(raw, "bucket_prefix")
                  else "bucket name is generated at apply")
        return unknown(reason, source_of(raw, "bucket"))
    return name


def _pab(raw: RawResource, cls: type[PublicAccessBlock], default: bool) -> PublicAccessBlock:
    settings = {name: attr_value(raw, name, default=default, convert=to_bool)
                for name in PublicAccessBlock.SETTINGS}
    return cls(**_entity_args(raw), **settings)


def _bucket(raw: RawResource, documents: dict[str, RawResource]) -> Bucket:
    bucket = Bucket(**_entity_args(raw), name=_bucket_name(raw))
    if raw.before is not None and "create" not in raw.actions:
        bucket.existing = True
    acl = _inline(raw, "acl")
    grants = _inline(raw, "grant")
    if _is_set(acl) or _is_set(grants):
        bucket.acls.append(_inline_acl(raw, acl, grants))
    policy = _inline(raw, "policy")
    if _is_set(policy):
        bucket.policies.append(PolicyAttachment(**_entity_args(raw),
                                                document=policy_value(raw, "policy", documents)))
    website = _inline(raw, "website")
    if _is_set(website):
        bucket.website = _presence(raw, "website", website)
    versioning = _inline(raw, "versioning")
    if _is_set(versioning):
        enabled = attr_value(raw, "versioning.enabled", default=False, convert=to_bool)
        bucket.versioning = _map_known(enabled, lambda on: "Enabled" if on else "Disabled")
        bucket.mfa_delete = _map_known(attr_value(raw, "versioning.mfa_delete", default=False,
                                                  convert=to_bool),
                                       lambda on: "Enabled" if on else "Disabled")
    logging = _inline(raw, "logging")
    if _is_set(logging):
        bucket.logging = _presence(raw, "logging", logging)
    sse = _inline(raw, "server_side_encryption_configuration")
    if _is_set(sse):
        bucket.encryption = attr_value(
            raw, "server_side_encryption_configuration.rule.apply_server_side_encryption_by_default"
                 ".sse_algorithm")
    return bucket


def _presence(raw: RawResource, attribute: str, leaf: Any) -> Value:
    src = source_of(raw, attribute)
    if isinstance(leaf, Unknown):
        return unknown(f"{attribute} of {raw.address} is {leaf.reason}", src)
    if isinstance(leaf, Unresolved):
        return Value(State.UNRESOLVED, None, f"{attribute} of {raw.address}: {leaf.reason}", (src,))
    return known(True, src)


def _map_known(value: Value, fn: Any) -> Value:
    if value.known:
        return Value(State.KNOWN, fn(value.value), value.reason, value.sources)
    return value


def _satellite_target(raw: RawResource) -> Value:
    return attr_value(raw, "bucket")


def _name_from_arn(target: str) -> str:
    return target.split(":::", 1)[1].split("/", 1)[0] if target.startswith("arn:") and ":::" in target else target


def _external_bucket(raw: RawResource, target: Value) -> Bucket:
    """A bucket named by a satellite resource but not declared in the configuration."""
    args = _entity_args(raw)
    args["resource_type"] = BUCKET
    return Bucket(**args, name=target, declared=False)


DIRECTORY_BUCKET = "aws_s3_directory_bucket"
# Objects whose ACL the configuration sets; a public object ACL exposes that object the way a public
# bucket ACL exposes the bucket, and the same blocks and ownership settings neutralise it.
OBJECT_TYPES = ("aws_s3_object", "aws_s3_bucket_object", "aws_s3_object_copy")
# Canned ACLs that grant nothing to AllUsers or AuthenticatedUsers: such an object needs no link.
_OWNER_ONLY_CANNED = frozenset({"private", "bucket-owner-read", "bucket-owner-full-control", "aws-exec-read"})


def _object_acl(raw: RawResource) -> BucketAcl | None:
    """The ACL an object resource sets (canned ``acl``; ``grant`` blocks of aws_s3_object_copy), or
    None when it sets none or only an owner-only canned ACL."""
    acl, grants = _inline(raw, "acl"), _inline(raw, "grant")
    if not _is_set(grants) and (not _is_set(acl) or (isinstance(acl, str) and acl in _OWNER_ONLY_CANNED)):
        return None
    return _inline_acl(raw, acl, grants)


def _inline_acl(raw: RawResource, acl: Any, grants: Any) -> BucketAcl:
    """The ACL a bucket or object resource writes inline: its canned ``acl`` and/or ``grant`` blocks."""
    inline = BucketAcl(**_entity_args(raw))
    if _is_set(acl):
        inline.canned = attr_value(raw, "acl")
    if _is_set(grants):
        parsed = _grants_from_v3(grants) if isinstance(grants, list) else grants
        inline.grants = _grants_value(raw, "grant", parsed)
    return inline


def build_s3(resources: list[RawResource]) -> Model:
    model = Model()
    documents = policy_data_sources(resources)
    buckets = [_bucket(r, documents) for r in resources if r.type == BUCKET and r.mode == "managed"]
    linker: Linker[Bucket] = Linker(buckets, lambda b: b.name)
    externals: dict[str, Bucket] = {}

    directory_buckets = {strip_index(r.address) for r in resources if r.type == DIRECTORY_BUCKET}

    def owner(raw: RawResource, entity: Any) -> Bucket | None:
        target = _satellite_target(raw)
        bucket = linker.link(raw, "bucket", target, _name_from_arn)
        if bucket is not None:
            bucket.satellites.append(entity)
            return bucket
        if any(strip_index(ref) in directory_buckets for ref in raw.refs.get("bucket", ())):
            # An S3 Express directory bucket: AWS keeps Block Public Access on for every directory
            # bucket and it cannot be turned off, so nothing here can make it public.
            return None
        if target.known and isinstance(target.value, str):
            name = _name_from_arn(target.value)
            if name not in externals:
                externals[name] = _external_bucket(raw, known(name, *target.sources))
            externals[name].satellites.append(entity)
            return externals[name]
        return unidentified(raw, entity, target)

    unidentified = _unidentified_buckets(model, BUCKET)
    documents = policy_data_sources(resources)
    access_points: list[AccessPoint] = []
    for raw in resources:
        if raw.mode != "managed":
            continue
        kind = raw.type
        if kind == "aws_s3_bucket_acl":
            acl = BucketAcl(**_entity_args(raw), canned=attr_value(raw, "acl"))
            acp = lookup(raw.attrs, "access_control_policy")
            if _is_set(acp):
                first = acp[0] if isinstance(acp, list) else acp
                acl.grants = _grants_value(raw, "access_control_policy", _grants_from_policy(first))
            bucket = owner(raw, acl)
            if bucket is not None:
                bucket.acls.append(acl)
        elif kind in OBJECT_TYPES:
            acl = _object_acl(raw)
            bucket = owner(raw, acl) if acl is not None else None
            if bucket is not None:
                bucket.acls.append(acl)
        elif kind == "aws_s3_bucket_policy":
            pol = PolicyAttachment(**_entity_args(raw), document=policy_value(raw, "policy", documents))
            bucket = owner(raw, pol)
            if bucket is not None:
                bucket.policies.append(pol)
        elif kind == "aws_s3_bucket_public_access_block":
            pab = _pab(raw, PublicAccessBlock, default=False)
            bucket = owner(raw, pab)
            if bucket is not None and not pab.deleted:
                bucket.public_access_block = pab
        elif kind == "aws_s3_account_public_access_block":
            acct = _pab(raw, AccountPublicAccessBlock, default=False)
            acct.account_id = attr_value(raw, "account_id")
            model.account_public_access_blocks.append(acct)
        elif kind == "aws_s3_bucket_ownership_controls":
            own = OwnershipControls(**_entity_args(raw),
                                    object_ownership=attr_value(raw, "rule.object_ownership"))
            bucket = owner(raw, own)
            if bucket is not None and not own.deleted:
                bucket.ownership = own
        elif kind == "aws_s3_bucket_versioning":
            ent = Entity(**_entity_args(raw))
            bucket = owner(raw, ent)
            if bucket is not None and not ent.deleted:
                bucket.versioning = attr_value(raw, "versioning_configuration.status")
                bucket.mfa_delete = attr_value(raw, "versioning_configuration.mfa_delete")
        elif kind == "aws_s3_bucket_server_side_encryption_configuration":
            ent = Entity(**_entity_args(raw))
            bucket = owner(raw, ent)
            if bucket is not None and not ent.deleted:
                bucket.encryption = attr_value(raw, "rule.apply_server_side_encryption_by_default.sse_algorithm",
                                               default="AES256")
        elif kind == "aws_s3_bucket_logging":
            ent = Entity(**_entity_args(raw))
            bucket = owner(raw, ent)
            if bucket is not None and not ent.deleted:
                bucket.logging = known(True, source_of(raw, "target_bucket"))
        elif kind == "aws_s3_bucket_website_configuration":
            ent = Entity(**_entity_args(raw))
            bucket = owner(raw, ent)
            if bucket is not None and not ent.deleted:
                bucket.website = known(True, source_of(raw))
        elif kind == "aws_s3_access_point":
            access_points.append(_access_point(raw))
    for point in access_points:
        target = attr_value(point.raw, "bucket") if point.raw else absent()
        bucket = linker.link(point.raw, "bucket", target, _name_from_arn) if point.raw else None
        if bucket is not None:
            bucket.access_points.append(point)
            bucket.satellites.append(point)
        model.access_points.append(point)
    _attach_access_point_policies(resources, access_points)
    model.buckets = buckets + list(externals.values()) + unidentified.buckets
    return model


def _access_point(raw: RawResource) -> AccessPoint:
    point = AccessPoint(**_entity_args(raw), name=attr_value(raw, "name"),
                        bucket_ref=attr_value(raw, "bucket"))
    point.network_origin = known("VPC" if present(raw, "vpc_configuration") else "Internet",
                                 source_of(raw, "vpc_configuration"))
    policy = attr_value(raw, "policy")
    if not policy.absent:
        point.policy = PolicyAttachment(**_entity_args(raw), document=parse_document(policy))
    block = PublicAccessBlock(**_entity_args(raw))
    for name in PublicAccessBlock.SETTINGS:
        setattr(block, name, attr_value(raw, f"public_access_block_configuration.{name}", default=True,
                                        convert=to_bool))
    point.public_access_block = block
    return point


def _attach_access_point_policies(resources: list[RawResource], points: list[AccessPoint]) -> None:
    linker: Linker[AccessPoint] = Linker(points, lambda p: p.name)
    for raw in resources:
        if raw.type != "aws_s3control_access_point_policy" or raw.mode != "managed":
            continue
        target = attr_value(raw, "access_point_arn")
        point = linker.link(raw, "access_point_arn", target,
                            lambda arn: arn.rsplit("accesspoint/", 1)[-1])
        if point is not None:
            point.policy = PolicyAttachment(**_entity_args(raw), document=parse_document(attr_value(raw, "policy")))
