"""The provider-neutral model: what the gate reasons about, the same for every input format.

Model builders (one per input format, in ``adapters/``) fill it; analysers and rules read it and
never learn which format a resource came from. Every attribute is a :class:`~iacgate.values.Value`
carrying its state (known / unknown / unresolved / absent) and the spans that produced it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .raw import InputError, RawResource
from .values import Source, Value, absent


def _absent() -> Value:
    return absent()


@dataclass(eq=False)
class Entity:
    """A resource in the model. ``address`` is the Terraform address, CFN logical id or plan address."""

    KIND: ClassVar[str] = "resource"

    address: str
    resource_type: str
    source_kind: str
    source: Source
    actions: tuple[str, ...] = ()
    raw: RawResource | None = field(default=None, repr=False)

    @property
    def deleted(self) -> bool:
        return "delete" in self.actions and "create" not in self.actions


# --------------------------------------------------------------------------------------------- S3


@dataclass(frozen=True, slots=True)
class AclGrant:
    """One ACL grant. ``grantee_type``: Group, CanonicalUser, AmazonCustomerByEmail."""

    grantee_type: str
    grantee: str  # group URI, canonical id or e-mail
    permission: str  # READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL


@dataclass(eq=False)
class BucketAcl(Entity):
    """A bucket ACL: inline on the bucket (TF v3 ``acl``/``grant``, CFN ``AccessControl``) or an
    ``aws_s3_bucket_acl`` resource. ``canned`` uses S3's spelling (``public-read``)."""

    KIND: ClassVar[str] = "s3_bucket_acl"
    canned: Value = field(default_factory=_absent)
    grants: Value = field(default_factory=_absent)  # known: list[AclGrant]


@dataclass(eq=False)
class PublicAccessBlock(Entity):
    """The four Block Public Access settings of a bucket, an account or an access point.

    An omitted setting is recorded as the value AWS applies for that resource kind (``False`` for
    Terraform's resources and CloudFormation's property, ``True`` for access points), with the
    resource's span as source, so consumers never have to know the per-kind default."""

    KIND: ClassVar[str] = "s3_public_access_block"
    block_public_acls: Value = field(default_factory=_absent)
    block_public_policy: Value = field(default_factory=_absent)
    ignore_public_acls: Value = field(default_factory=_absent)
    restrict_public_buckets: Value = field(default_factory=_absent)

    SETTINGS: ClassVar[tuple[str, ...]] = (
        "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")

    def setting(self, name: str) -> Value:
        return getattr(self, name)


@dataclass(eq=False)
class AccountPublicAccessBlock(PublicAccessBlock):
    KIND: ClassVar[str] = "s3_account_public_access_block"
    account_id: Value = field(default_factory=_absent)


@dataclass(eq=False)
class PolicyAttachment(Entity):
    """A policy document attached somewhere: a bucket policy resource, a bucket's inline policy, an
    IAM role's inline policy, an access point policy. ``document`` is the parsed JSON object (a
    dict, possibly with opaque leaves), or opaque when the gate cannot see it."""

    KIND: ClassVar[str] = "policy_document"
    document: Value = field(default_factory=_absent)


@dataclass(eq=False)
class OwnershipControls(Entity):
    KIND: ClassVar[str] = "s3_ownership_controls"
    object_ownership: Value = field(default_factory=_absent)  # BucketOwnerEnforced / ...Preferred / ObjectWriter


@dataclass(eq=False)
class AccessPoint(Entity):
    KIND: ClassVar[str] = "s3_access_point"
    name: Value = field(default_factory=_absent)
    bucket_ref: Value = field(default_factory=_absent)  # the bucket name (or opaque)
    network_origin: Value = field(default_factory=_absent)  # "VPC" or "Internet"
    policy: PolicyAttachment | None = None
    public_access_block: PublicAccessBlock | None = None


@dataclass(eq=False)
class Bucket(Entity):
    """An S3 bucket with everything that configures it, from the bucket resource itself or from
    satellite resources linked to it (ACL, policy, public access block, ownership, versioning,
    encryption, logging, website). Hygiene values carry the satellite's span as their source."""

    KIND: ClassVar[str] = "s3_bucket"
    name: Value = field(default_factory=_absent)
    acls: list[BucketAcl] = field(default_factory=list)
    policies: list[PolicyAttachment] = field(default_factory=list)
    public_access_block: PublicAccessBlock | None = None
    ownership: OwnershipControls | None = None
    access_points: list[AccessPoint] = field(default_factory=list)
    website: Value = field(default_factory=_absent)  # True when website hosting is configured
    versioning: Value = field(default_factory=_absent)  # "Enabled" / "Suspended" / "Disabled"
    mfa_delete: Value = field(default_factory=_absent)  # "Enabled" / "Disabled"
    encryption: Value = field(default_factory=_absent)  # "AES256" / "aws:kms" / "aws:kms:dsse"
    logging: Value = field(default_factory=_absent)  # True when access logging targets a bucket
    satellites: list[Entity] = field(default_factory=list)  # every linked resource, for evidence
    existing: bool = False  # the plan shows the bucket already exists (prior state)
    declared: bool = True  # False: only named by a satellite resource, not declared in the configuration


# -------------------------------------------------------------------------------------------- IAM


@dataclass(eq=False)
class IamPolicy(Entity):
    """A managed (customer) policy, or a reference to an AWS managed policy by ARN."""

    KIND: ClassVar[str] = "iam_policy"
    name: Value = field(default_factory=_absent)
    arn: Value = field(default_factory=_absent)
    document: Value = field(default_factory=_absent)


@dataclass(eq=False)
class IamRole(Entity):
    KIND: ClassVar[str] = "iam_role"
    name: Value = field(default_factory=_absent)
    assume_role_policy: Value = field(default_factory=_absent)
    inline_policies: list[PolicyAttachment] = field(default_factory=list)
    managed_policy_arns: list[Value] = field(default_factory=list)  # ARNs (AWS managed or resolved)
    attached_policies: list[IamPolicy] = field(default_factory=list)  # customer policies in config
    satellites: list[Entity] = field(default_factory=list)


@dataclass(eq=False)
class InstanceProfile(Entity):
    KIND: ClassVar[str] = "iam_instance_profile"
    name: Value = field(default_factory=_absent)
    role_ref: Value = field(default_factory=_absent)
    role: IamRole | None = None


@dataclass(eq=False)
class IamAccessKey(Entity):
    KIND: ClassVar[str] = "iam_access_key"
    user_ref: Value = field(default_factory=_absent)


# -------------------------------------------------------------------------------------------- EC2


@dataclass(eq=False)
class MetadataOptions:
    """IMDS options as written on one resource (absent values: that resource says nothing)."""

    source: Source
    http_endpoint: Value = field(default_factory=_absent)  # "enabled" / "disabled"
    http_tokens: Value = field(default_factory=_absent)  # "optional" / "required"
    http_put_response_hop_limit: Value = field(default_factory=_absent)  # int
    http_protocol_ipv6: Value = field(default_factory=_absent)
    instance_metadata_tags: Value = field(default_factory=_absent)


@dataclass(eq=False)
class LaunchTemplateRef:
    """A reference to a launch template by id or name, with a version, resolved when possible."""

    source: Source
    id_or_name: Value = field(default_factory=_absent)
    version: Value = field(default_factory=_absent)
    target: "LaunchTemplate | None" = None


@dataclass(eq=False)
class LaunchTemplate(Entity):
    KIND: ClassVar[str] = "ec2_launch_template"
    name: Value = field(default_factory=_absent)
    metadata_options: MetadataOptions | None = None
    image_id: Value = field(default_factory=_absent)
    iam_instance_profile: Value = field(default_factory=_absent)
    security_group_refs: list[Value] = field(default_factory=list)
    user_data: Value = field(default_factory=_absent)
    ami: "Ami | None" = None
    instance_profile: InstanceProfile | None = None
    security_groups: list["SecurityGroup"] = field(default_factory=list)
    hosts_containers: bool = False  # used by a container host (EKS node group, ECS) or user data joins one


@dataclass(eq=False)
class LaunchSite(Entity):
    """Anything EC2 instances are launched from: an instance, a spot request, a launch
    configuration, an auto scaling group, an EKS node group (``site_kind``)."""

    KIND: ClassVar[str] = "ec2_launch_site"
    site_kind: str = "instance"
    metadata_options: MetadataOptions | None = None
    launch_templates: list[LaunchTemplateRef] = field(default_factory=list)
    launch_configuration_ref: Value = field(default_factory=_absent)
    launch_configuration: "LaunchSite | None" = None
    image_id: Value = field(default_factory=_absent)
    iam_instance_profile: Value = field(default_factory=_absent)
    instance_profile: InstanceProfile | None = None
    security_group_refs: list[Value] = field(default_factory=list)
    hosts_containers: bool = False
    user_data: Value = field(default_factory=_absent)
    ami: "Ami | None" = None
    security_groups: list["SecurityGroup"] = field(default_factory=list)
    role: IamRole | None = None  # a role given directly (EKS node groups), not through a profile
    role_ref: Value = field(default_factory=_absent)


@dataclass(eq=False)
class InstanceMetadataDefaults(Entity):
    KIND: ClassVar[str] = "ec2_instance_metadata_defaults"
    http_endpoint: Value = field(default_factory=_absent)
    http_tokens: Value = field(default_factory=_absent)
    http_put_response_hop_limit: Value = field(default_factory=_absent)


@dataclass(eq=False)
class Ami(Entity):
    KIND: ClassVar[str] = "ec2_ami"
    image_id: Value = field(default_factory=_absent)
    imds_support: Value = field(default_factory=_absent)
    hosts_containers: bool = False  # its name or filters show an ECS- or EKS-optimised image


@dataclass(eq=False)
class EgressRule(Entity):
    """One egress rule: inline on a security group or a separate rule resource."""

    KIND: ClassVar[str] = "ec2_egress_rule"
    group_ref: Value = field(default_factory=_absent)
    protocol: Value = field(default_factory=_absent)  # "-1" means all
    from_port: Value = field(default_factory=_absent)
    to_port: Value = field(default_factory=_absent)
    cidr_ipv4: Value = field(default_factory=_absent)  # list[str]
    cidr_ipv6: Value = field(default_factory=_absent)  # list[str]
    implicit: bool = False  # AWS's default allow-all rule, kept because the group declares no egress
    condition: Value = field(default_factory=_absent)  # opaque: applies only if an undecidable condition holds


@dataclass(eq=False)
class SecurityGroup(Entity):
    KIND: ClassVar[str] = "ec2_security_group"
    name: Value = field(default_factory=_absent)
    egress: list[EgressRule] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ model


@dataclass(eq=False)
class Unlinked:
    """A satellite resource (ACL, policy, block, ...) whose bucket the gate could not identify."""

    entity: Entity
    target: Value  # what it names as its bucket
    reason: str


@dataclass
class Model:
    raw: list[RawResource] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    account_public_access_blocks: list[AccountPublicAccessBlock] = field(default_factory=list)
    access_points: list[AccessPoint] = field(default_factory=list)
    iam_policies: list[IamPolicy] = field(default_factory=list)
    roles: list[IamRole] = field(default_factory=list)
    instance_profiles: list[InstanceProfile] = field(default_factory=list)
    access_keys: list[IamAccessKey] = field(default_factory=list)
    launch_templates: list[LaunchTemplate] = field(default_factory=list)
    launch_sites: list[LaunchSite] = field(default_factory=list)
    metadata_defaults: list[InstanceMetadataDefaults] = field(default_factory=list)
    amis: list[Ami] = field(default_factory=list)
    security_groups: list[SecurityGroup] = field(default_factory=list)
    egress_rules: list[EgressRule] = field(default_factory=list)  # standalone rule resources
    unlinked: list[Unlinked] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    def merge(self, other: "Model") -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))

    def entities(self) -> list[Any]:
        out: list[Any] = []
        for name in self.__dataclass_fields__:
            if name in ("raw", "errors", "unlinked"):
                continue
            out.extend(getattr(self, name))
        return out
