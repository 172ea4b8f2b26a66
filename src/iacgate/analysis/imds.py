"""Effective IMDS posture of every launch site and launch template, the reach of its instance role
into S3, its egress, and the SSRF -> credentials -> S3 path.

Each metadata option is resolved on its own, by EC2's order of precedence: (1) the resource's own
options, (2) its launch template (or launch configuration), (3) the account's defaults for the
Region (``aws_ec2_instance_metadata_defaults``, unless ``no-preference``), (4) an AMI with
``ImdsSupport = v2.0`` (tokens required, hop limit 2), (5) EC2's defaults (endpoint enabled, tokens
optional, hop limit 1). Only what the configuration declares counts: an AMI or account default the
gate cannot see is not assumed to protect anything, and the finding says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..findings import Subject
from ..model import (Ami, Bucket, Entity, IamRole, InstanceMetadataDefaults, InstanceProfile, LaunchSite,
                     LaunchTemplate, MetadataOptions, Model, SecurityGroup)
from ..values import Source, State, Value, is_opaque, known, unknown, unresolved
from .egress import GroupEgress, group_egress

EC2_DEFAULTS: dict[str, Any] = {"http_endpoint": "enabled", "http_tokens": "optional",
                                "http_put_response_hop_limit": 1}
AMI_V2_DEFAULTS: dict[str, Any] = {"http_tokens": "required", "http_put_response_hop_limit": 2}
OPTIONS = ("http_endpoint", "http_tokens", "http_put_response_hop_limit")
NO_PREFERENCE = "no-preference"

# AWS managed policies an EC2 role commonly carries, and whether they allow s3:GetObject on every
# bucket ("*"). Policies not listed are unknown to the gate.
AWS_MANAGED_S3_READ: dict[str, bool] = {
    "AdministratorAccess": True,
    "PowerUserAccess": True,
    "ReadOnlyAccess": True,
    "AmazonS3FullAccess": True,
    "AmazonS3ReadOnlyAccess": True,
    "AmazonEC2RoleforSSM": True,
    "AmazonElasticMapReduceforEC2Role": True,
    "AmazonEC2RoleforDataPipelineRole": True,
    "DataScientist": True,
    "ViewOnlyAccess": False,
    "SecurityAudit": False,
    "AmazonSSMManagedInstanceCore": False,
    "CloudWatchAgentServerPolicy": False,
    "AmazonEKSWorkerNodePolicy": False,
    "AmazonEKS_CNI_Policy": False,
    "AmazonEC2ContainerRegistryReadOnly": False,
    "AmazonEC2ContainerServiceforEC2Role": False,
    "AmazonSSMPatchAssociation": False,
}


# ------------------------------------------------------------------------------ IMDS posture

EKS_TEMPLATE_NOTE = ("the node group has no launch template of its own, so EKS creates one with its own "
                     "metadata options, which the configuration does not show")


@dataclass(frozen=True, slots=True)
class Layer:
    """One place metadata options may come from, in precedence order."""

    label: str  # decided_by: "resource", "launch template X", "account defaults", "AMI", "EC2 default"
    values: dict[str, Value]
    note: str = ""  # what the gate could not see at this layer (says so in the summary)


@dataclass(frozen=True, slots=True)
class Resolved:
    value: Value  # the raw option value ("optional", 2, ...) or opaque
    decided_by: str


@dataclass(slots=True)
class Posture:
    endpoint_enabled: Value
    tokens_required: Value
    hop_limit: Value
    decided_by: str
    summary: str
    hosts_containers: bool = False


MODULE_DEFAULT_MARK = "(module default)"


def _options_layers(label: str, options: MetadataOptions | None) -> list[Layer]:
    """The options a resource writes; for a registry module call, the caller's inputs and then the
    module's own defaults (values whose source is marked as a module default)."""
    if options is None:
        return []
    given: dict[str, Value] = {}
    defaults: dict[str, Value] = {}
    for name in OPTIONS:
        value = getattr(options, name)
        marked = any((s.attribute or "").endswith(MODULE_DEFAULT_MARK) for s in value.sources)
        (defaults if marked else given)[name] = value
    # an option the resource writes that does not take effect says why (absent, with a reason)
    ignored = "; ".join(dict.fromkeys(v.reason for v in given.values() if v.absent and v.reason))
    layers = [Layer(label, given, ignored)]
    if defaults:
        why = next((v.reason for v in defaults.values() if v.reason), "")
        layers.append(Layer(f"module default ({why})" if why else "module default", defaults))
    return layers


def _defaults_layer(defaults: list[InstanceMetadataDefaults]) -> Layer | None:
    live = [d for d in defaults if not d.deleted]
    if not live:
        return None
    chosen = live[-1]
    values: dict[str, Value] = {}
    for name in OPTIONS:
        value = getattr(chosen, name)
        if value.known and (value.value == NO_PREFERENCE or value.value == -1):
            continue  # no preference: the next layer decides
        values[name] = value
    return Layer("account defaults", values)


def _ami_layer(ami: Ami | None, image: Value, owner: Entity) -> Layer:
    if ami is not None:
        support = ami.imds_support
        if support.known and str(support.value).lower() == "v2.0":
            sources = (*support.sources, ami.source)
            return Layer("AMI", {name: Value(State.KNOWN, v, None, sources) for name, v in AMI_V2_DEFAULTS.items()})
        if support.opaque:
            return Layer("AMI", {}, f"the ImdsSupport of the AMI {ami.address} is not known ({support.reason}); "
                                   "it is not counted as protection")
        return Layer("AMI", {})
    shown = image.value if image.known else (image.reason or "")
    if image.absent:
        return Layer("AMI", {})
    what = f"the AMI {shown}" if image.known else "the AMI"
    return Layer("AMI", {}, f"{what} is not in the configuration; its ImdsSupport could require tokens, "
                            "but the gate cannot see it and does not count it as protection")


def _ec2_layer(owner: Entity) -> Layer:
    src = owner.source.at("metadata_options")
    return Layer("EC2 default", {name: known(value, src) for name, value in EC2_DEFAULTS.items()})


def _resolve(layers: list[Layer], name: str) -> Resolved:
    for layer in layers:
        value = layer.values.get(name)
        if value is None or value.absent:
            continue
        return Resolved(value, layer.label)
    raise AssertionError("the EC2 default layer decides every option")


def _as_bool(resolved: Resolved, truthy: str, falsy: str) -> Value:
    value = resolved.value
    if not value.known:
        return value
    text = str(value.value).strip().lower()
    if text in (truthy, falsy):
        return Value(State.KNOWN, text == truthy, value.reason, value.sources)
    return unresolved(f"{value.value!r} is not a valid value (expected {truthy} or {falsy})", *value.sources)


def _as_int(resolved: Resolved) -> Value:
    value = resolved.value
    if not value.known:
        return value
    try:
        return Value(State.KNOWN, int(value.value), value.reason, value.sources)
    except (TypeError, ValueError):
        return unresolved(f"hop limit {value.value!r} is not a number", *value.sources)


def _describe(label: str, resolved: Resolved, shown: str) -> str:
    return f"{label} {shown} ({resolved.decided_by})"


def posture_from_layers(layers: list[Layer], owner: Entity, hosts_containers: bool) -> Posture:
    layers = layers + [_ec2_layer(owner)]
    endpoint = _resolve(layers, "http_endpoint")
    tokens = _resolve(layers, "http_tokens")
    hop = _resolve(layers, "http_put_response_hop_limit")
    endpoint_enabled = _as_bool(endpoint, "enabled", "disabled")
    tokens_required = _as_bool(tokens, "required", "optional")
    hop_limit = _as_int(hop)
    parts = [
        _describe("tokens", tokens, _shown(tokens_required, "required", "optional")),
        _describe("hop limit", hop, _shown(hop_limit)),
        _describe("endpoint", endpoint, _shown(endpoint_enabled, "enabled", "disabled")),
    ]
    summary = ", ".join(parts)
    if endpoint_enabled.known and endpoint_enabled.value is False:
        summary = f"the metadata endpoint is disabled ({endpoint.decided_by})"
    notes = [layer.note for layer in layers if layer.note and _note_matters(layer, tokens, hop)]
    if notes:
        summary += "; " + "; ".join(dict.fromkeys(notes))
    return Posture(endpoint_enabled, tokens_required, hop_limit, tokens.decided_by, summary, hosts_containers)


_RANKS = ("resource", "module default", "launch", "account defaults", "AMI", "EC2 default")


def _rank(label: str) -> int:
    return next((i for i, key in enumerate(_RANKS) if label.startswith(key)), 0)


def _note_matters(layer: Layer, tokens: Resolved, hop: Resolved) -> bool:
    """A note about an input the gate cannot see (account defaults, the AMI) matters when a later
    layer decided whether tokens are required."""
    return _rank(layer.label) < _rank(tokens.decided_by)


def _shown(value: Value, true_text: str = "", false_text: str = "") -> str:
    if value.known:
        if isinstance(value.value, bool):
            return true_text if value.value else false_text
        return str(value.value)
    return f"unknown: {value.reason}" if value.reason else "unknown"


def _opaque_layer(label: str, reason: str, source: Source) -> Layer:
    opaque = unknown(reason, source)
    return Layer(label, {name: opaque for name in OPTIONS})


def _account_layers(defaults: list[InstanceMetadataDefaults], source_kind: str) -> list[Layer]:
    layer = _defaults_layer(defaults)
    if layer is not None:
        return [layer]
    where = ("CloudFormation cannot declare them" if source_kind == "cloudformation"
             else "no aws_ec2_instance_metadata_defaults is in the configuration")
    return [Layer("account defaults", {}, f"the account's metadata defaults are not visible ({where}); "
                                          "they are not counted as protection")]


def template_layers(template: LaunchTemplate, label: str) -> list[Layer]:
    return _options_layers(label, template.metadata_options)


def template_posture(template: LaunchTemplate, defaults: list[InstanceMetadataDefaults]) -> Posture:
    layers = template_layers(template, "resource")
    layers += _account_layers(defaults, template.source_kind)
    layers.append(_ami_layer(template.ami, template.image_id, template))
    return posture_from_layers(layers, template, template.hosts_containers or _ami_hosts_containers(template.ami))


def _ami_hosts_containers(ami: Ami | None) -> bool:
    return ami is not None and ami.hosts_containers


def _version_note(ref: Any) -> str:
    version = ref.version
    if version.known and str(version.value) not in ("$Latest", "$Default"):
        return f" version {version.value}"
    return ""


def site_posture(site: LaunchSite, defaults: list[InstanceMetadataDefaults]) -> Posture:
    """The effective posture of a launch site; with several launch templates (mixed instances
    policy overrides), the weakest of them."""
    if site.launch_configuration is not None and site.metadata_options is None and not site.launch_templates:
        inner = site_posture(site.launch_configuration, defaults)
        decided = inner.decided_by
        if decided == "resource":
            decided = f"launch configuration {site.launch_configuration.address}"
        return Posture(inner.endpoint_enabled, inner.tokens_required, inner.hop_limit, decided,
                       inner.summary.replace("(resource)", f"({decided})"),
                       inner.hosts_containers or site.hosts_containers)
    head = _options_layers("resource", site.metadata_options)
    if site.site_kind == "node_group" and not head and not site.launch_templates:
        head = [_opaque_layer("EKS", EKS_TEMPLATE_NOTE, site.source.at("launch_template"))]
    hosts = site.hosts_containers or _ami_hosts_containers(site.ami)
    chains: list[list[Layer]] = []
    vias: list[Entity | None] = []
    if site.launch_templates:
        for ref in site.launch_templates:
            template = ref.target
            vias.append(template)
            if template is None:
                shown = ref.id_or_name.value if ref.id_or_name.known else (ref.id_or_name.reason or "unknown")
                chains.append(head + [_opaque_layer(
                    "launch template", f"launch template {shown} is not in the configuration", ref.source)])
                continue
            label = f"launch template {template.address}{_version_note(ref)}"
            ami = site.ami if not site.image_id.absent else template.ami
            image = site.image_id if not site.image_id.absent else template.image_id
            chains.append(head + template_layers(template, label)
                          + _account_layers(defaults, site.source_kind) + [_ami_layer(ami, image, site)])
            hosts = hosts or template.hosts_containers or _ami_hosts_containers(template.ami)
    elif site.launch_configuration_ref.opaque or (not site.launch_configuration_ref.absent
                                                  and site.launch_configuration is None):
        ref = site.launch_configuration_ref
        vias.append(None)
        shown = ref.value if ref.known else (ref.reason or "unknown")
        chains.append(head + [_opaque_layer("launch configuration",
                                            f"launch configuration {shown} is not in the configuration",
                                            ref.sources[0] if ref.sources else site.source)])
    else:
        vias.append(None)
        chains.append(head + _account_layers(defaults, site.source_kind) + [_ami_layer(site.ami, site.image_id, site)])
    postures = [_through(posture_from_layers(chain, site, hosts), via)
                for chain, via in zip(chains, vias)]
    return _weakest(postures) if len(postures) > 1 else postures[0]


def _through(posture: Posture, via: Entity | None) -> Posture:
    """Options that reach a site through a launch template name the template as evidence too."""
    if via is None:
        return posture
    own = [s for v in (posture.tokens_required, posture.endpoint_enabled) for s in v.sources]
    extra = [] if any(s.address == via.address for s in own) else [via.source]
    return Posture(posture.endpoint_enabled.with_sources(extra), posture.tokens_required.with_sources(extra),
                   posture.hop_limit.with_sources(extra), posture.decided_by, posture.summary,
                   posture.hosts_containers)


def _any3(values: list[Value], want: bool) -> Value:
    """Kleene OR (want=True) / AND (want=False) over boolean values, keeping the deciding sources."""
    hits = [v for v in values if v.known and v.value is want]
    if hits:
        return Value(State.KNOWN, want, None, tuple(s for v in hits for s in v.sources))
    opaque = [v for v in values if not v.known]
    if opaque:
        return opaque[0]
    return Value(State.KNOWN, not want, None, tuple(s for v in values for s in v.sources))


def _weakest(postures: list[Posture]) -> Posture:
    endpoint = _any3([p.endpoint_enabled for p in postures], True)
    tokens = _any3([p.tokens_required for p in postures], False)
    hops = [p.hop_limit for p in postures]
    opaque = [h for h in hops if not h.known]
    hop = opaque[0] if opaque else max(hops, key=lambda h: h.value)
    decided = next((p.decided_by for p in postures if p.tokens_required.known and p.tokens_required.value is False),
                   postures[0].decided_by)
    summary = " | ".join(dict.fromkeys(p.summary for p in postures))
    return Posture(endpoint, tokens, hop, decided, summary, any(p.hosts_containers for p in postures))


# ------------------------------------------------------------------------------- role reach


@dataclass(slots=True)
class Reach:
    present: Value
    can_read_s3: Value
    readable_buckets: Value
    chain: list[str] = field(default_factory=list)  # profile -> role -> policy statement -> bucket
    sources: tuple[Source, ...] = ()


def _object_pattern(pattern: str) -> tuple[str, bool] | None:
    """(bucket glob, the glob may span into keys) for a Resource pattern that covers S3 objects;
    None when it covers none."""
    if pattern == "*":
        return "*", True
    match = re.fullmatch(r"arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)", pattern, re.DOTALL)
    if not match:
        return None
    from .iam_policy import glob_match

    if not glob_match(match.group(2), "s3"):
        return None
    bucket, sep, _key = match.group(5).partition("/")
    if sep:
        return bucket, False
    return (bucket, True) if "*" in bucket else None


def _bucket_read(pattern: tuple[str, bool], name: str) -> bool:
    from .iam_policy import glob_match

    bucket_glob, spans = pattern
    return glob_match(bucket_glob, name) or (spans and glob_match(bucket_glob, f"{name}/key"))


@dataclass(slots=True)
class _Grant:
    label: str  # "aws_iam_role_policy.read statement #1"
    patterns: list[str]
    bucket_addresses: list[str]  # buckets named through references the gate resolved by address
    sources: tuple[Source, ...]
    opaque: str = ""  # why the grant cannot be read


def _statement_grants(document: Value, label: str, buckets: list[Bucket]) -> list[_Grant]:
    from .iam_policy import PolicyDocument, granted_actions, parse_policy, s3_read_targets

    sources = document.sources
    parsed = parse_policy(document)
    if parsed.opaque_reason:
        return [_Grant(label, [], [], sources, parsed.opaque_reason)]
    if not parsed.readable:
        return [_Grant(label, [], [], sources, "; ".join(parsed.problems))]
    grants = []
    for statement in parsed.statements:
        if statement.effect == "Deny":
            continue
        where = f"{label} {statement.label}"
        if statement.opaque is not None:
            grants.append(_Grant(where, [], [], sources, f"{statement.label} cannot be read"))
            continue
        single = PolicyDocument(parsed.version, (statement,))
        targets = s3_read_targets(single)
        if targets is not None:
            if targets:
                grants.append(_Grant(where, targets, [], sources))
            continue
        actions, complete = granted_actions(statement)
        if "s3:GetObject" not in actions:
            grants.append(_Grant(where, [], [], sources, f"the actions of {statement.label} cannot be read"))
            continue
        patterns, named, unreadable = [], [], []
        for resource in statement.resources or ():
            if not is_opaque(resource):
                patterns.append(str(resource))
                continue
            derived = getattr(resource, "derived_from", ())
            text = " ".join(filter(None, (getattr(resource, "expr", ""), getattr(resource, "shape", None),
                                          getattr(resource, "reason", ""), *derived)))
            hits = [b.address for b in buckets if re.search(
                rf"(?<![\w.-]){re.escape(_strip(b.address))}(?![\w-])", text)]
            # An object ARN built from a bucket ("${aws_s3_bucket.x.arn}/*"), or a plan value computed
            # from the bucket in a statement that allows s3:GetObject: it names that bucket's objects.
            if hits and ("/" in text or derived):
                named.extend(h for h in hits if h not in named)
            else:
                unreadable.append(text.strip())
        grants.append(_Grant(where, patterns, named, sources,
                             f"a Resource of {statement.label} is not known ({unreadable[0]})" if unreadable else ""))
    return grants


def _strip(address: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", address)


def _managed_grant(arn: Value) -> _Grant:
    if not arn.known:
        return _Grant("a managed policy", [], [], arn.sources, arn.reason or "a policy ARN is not known")
    text = str(arn.value)
    name = text.rsplit("/", 1)[-1]
    if ":aws:policy/" in text:
        reads = AWS_MANAGED_S3_READ.get(name)
        if reads is None:
            return _Grant(f"AWS managed policy {name}", [], [], arn.sources,
                          f"the AWS managed policy {name} is not in the gate's table of S3 readers")
        return _Grant(f"AWS managed policy {name}", ["*"] if reads else [], [], arn.sources)
    return _Grant(f"policy {text}", [], [], arn.sources,
                  f"the customer managed policy {text} is not in the configuration")


def role_grants(role: IamRole, buckets: list[Bucket]) -> list[_Grant]:
    grants: list[_Grant] = []
    for attachment in role.inline_policies:
        if attachment.deleted:
            continue
        label = attachment.address if attachment.address != role.address else f"{role.address} inline policy"
        grants += _statement_grants(attachment.document, label, buckets)
    for policy in role.attached_policies:
        if policy.deleted:
            continue
        document = policy.document.with_sources([policy.source])
        grants += _statement_grants(document, policy.address, buckets)
    for arn in role.managed_policy_arns:
        grants.append(_managed_grant(arn))
    return grants


def _not_in_configuration(what: str, reference: Value) -> str:
    if reference.known:
        return f"the {what} {reference.value} is not in the configuration"
    return f"the {what} is not known ({reference.reason or 'unknown'})"


def _site_role(site: LaunchSite | LaunchTemplate) -> tuple[InstanceProfile | None, IamRole | None, Value, list[str]]:
    """The instance profile and role of a site, the profile reference as written, and what could
    not be linked."""
    profile = site.instance_profile
    reference = site.iam_instance_profile
    if isinstance(site, LaunchSite):
        if profile is None and site.role is not None:
            return None, site.role, site.role_ref, []
        if profile is None and reference.absent and not site.role_ref.absent:
            return None, None, site.role_ref, [_not_in_configuration("role", site.role_ref)]
        if profile is None and reference.absent:
            for ref in site.launch_templates:
                if ref.target is not None and not ref.target.iam_instance_profile.absent:
                    return _site_role(ref.target)
            if site.launch_configuration is not None:
                return _site_role(site.launch_configuration)
    if profile is None:
        if reference.absent:
            return None, None, reference, []
        return None, None, reference, [_not_in_configuration("instance profile", reference)]
    if profile.role is None:
        return profile, None, reference, [_not_in_configuration(f"role of {profile.address}", profile.role_ref)]
    return profile, profile.role, reference, []


def role_reach(site: LaunchSite | LaunchTemplate, buckets: list[Bucket]) -> Reach:
    profile, role, reference, missing = _site_role(site)
    own = site.source.at("iam_instance_profile")
    chain: list[str] = []
    sources: list[Source] = []
    if profile is not None:
        chain.append(f"instance profile {profile.address}")
        sources.append(profile.source)
    if role is None and not missing:
        return Reach(known(False, own), known(False, own), known([], own))
    present = known(True, *(reference.sources or (own,)))
    if role is None:
        reason = "; ".join(missing)
        return Reach(present, unknown(reason, *sources, *reference.sources),
                     unknown(reason, *sources, *reference.sources), chain, tuple(sources))
    chain.append(f"role {role.address}")
    sources.append(role.source)
    grants = role_grants(role, buckets)
    any_bucket = False
    readable: list[str] = []
    doubts: list[str] = []
    grant_sources: list[Source] = []
    reading: list[str] = []
    for grant in grants:
        if grant.opaque:
            doubts.append(grant.opaque)
            continue
        objects = [(p, o) for p in grant.patterns if (o := _object_pattern(p)) is not None]
        if not objects and not grant.bucket_addresses:
            continue
        grant_sources.extend(s for s in grant.sources if s not in grant_sources)
        shown = ", ".join(p for p, _ in objects) or ", ".join(grant.bucket_addresses)
        reading.append(f"{grant.label} (s3:GetObject on {shown})")
        for bucket in buckets:
            if bucket.address in readable:
                continue
            hit = bucket.address in grant.bucket_addresses
            if not hit and bucket.name.known and isinstance(bucket.name.value, str):
                hit = any(_bucket_read(o, bucket.name.value) for _, o in objects)
            if not hit and any(o[0].strip("*") == "" for _, o in objects):
                hit = True
            if hit:
                readable.append(bucket.address)
                grant_sources.append(bucket.source)
        if any(o[0].strip("*") == "" for _, o in objects):
            any_bucket = True
    chain.extend(reading)
    buckets_read = list(readable)
    if buckets_read:
        chain.append("bucket " + ", ".join(buckets_read))
    all_sources = tuple(dict.fromkeys([*sources, *grant_sources]))
    if reading:
        listed = (["*"] if any_bucket else []) + buckets_read
        return Reach(present, known(True, *all_sources), known(listed, *all_sources), chain, all_sources)
    if doubts:
        reason = "; ".join(dict.fromkeys(doubts))
        return Reach(present, unknown(reason, *all_sources), unknown(reason, *all_sources), chain, all_sources)
    return Reach(present, known(False, *all_sources), known([], *all_sources), chain, all_sources)


# ----------------------------------------------------------------------------------- egress


def _site_groups(site: LaunchSite | LaunchTemplate) -> tuple[list[SecurityGroup], list[Value]]:
    groups, refs = list(site.security_groups), list(site.security_group_refs)
    if isinstance(site, LaunchSite) and not refs:
        for ref in site.launch_templates:
            if ref.target is not None:
                groups += [g for g in ref.target.security_groups if g not in groups]
                refs += ref.target.security_group_refs
        if site.launch_configuration is not None:
            groups += site.launch_configuration.security_groups
            refs += site.launch_configuration.security_group_refs
    return groups, refs


def site_egress(site: LaunchSite | LaunchTemplate) -> GroupEgress:
    groups, refs = _site_groups(site)
    rules = [rule for group in groups if not group.deleted for rule in group.egress]
    result = group_egress(rules, site.source)
    unlinked = len(refs) > len(groups)
    if not refs and not groups:
        if isinstance(site, LaunchTemplate) or (isinstance(site, LaunchSite) and site.site_kind in (
                "autoscaling_group", "node_group") and not site.launch_templates and site.launch_configuration is None):
            return result
        src = site.source.at("vpc_security_group_ids")
        return GroupEgress(known(True, src), known(True, src), [],
                           "no security group is named, so the VPC's default group applies, which allows "
                           "all outbound traffic")
    if unlinked and not (result.unrestricted.known and result.unrestricted.value):
        missing = [r for r in refs if not r.known or not any(
            isinstance(r.value, str) and r.value in (g.address, g.name.value if g.name.known else None)
            for g in groups)]
        reason = "a security group of the site is not in the configuration"
        if missing and missing[0].known:
            reason = f"the security group {missing[0].value} is not in the configuration"
        src = tuple(s for r in refs for s in r.sources)
        return GroupEgress(unknown(reason, *src), unknown(reason, *src), [], reason)
    return result


# ------------------------------------------------------------------------------------ subjects


def _and3(values: list[Value]) -> Value:
    sources = tuple(dict.fromkeys(s for v in values for s in v.sources))
    if any(v.known and v.value is False for v in values):
        falsy = [v for v in values if v.known and v.value is False]
        return Value(State.KNOWN, False, None, tuple(s for v in falsy for s in v.sources))
    opaque = [v for v in values if not v.known]
    if opaque:
        return Value(opaque[0].state, None, "; ".join(dict.fromkeys(v.reason or "unknown" for v in opaque)), sources)
    return Value(State.KNOWN, True, None, sources)


def _negate(value: Value) -> Value:
    if value.known:
        return Value(State.KNOWN, not value.value, value.reason, value.sources)
    return value


def _stack(entity: Entity) -> str:
    raw = entity.raw
    return (raw.stack or raw.file) if raw is not None else ""


def subject_facts(site: LaunchSite | LaunchTemplate, posture: Posture, reach: Reach,
                  egress: GroupEgress, site_kind: str) -> dict[str, Value]:
    src = site.source
    facts: dict[str, Value] = {
        "site_kind": known(site_kind, src),
        "imds.endpoint_enabled": posture.endpoint_enabled,
        "imds.tokens_required": posture.tokens_required,
        "imds.hop_limit": posture.hop_limit,
        "imds.hosts_containers": known(posture.hosts_containers, src),
        "imds.decided_by": Value(State.KNOWN, posture.decided_by, None, posture.tokens_required.sources),
        "imds.summary": Value(State.KNOWN, posture.summary, None, posture.tokens_required.sources),
        "role.present": reach.present,
        "role.can_read_s3": reach.can_read_s3,
        "role.readable_buckets": reach.readable_buckets,
        "egress.unrestricted": egress.unrestricted,
    }
    imdsv1 = _and3([posture.endpoint_enabled, _negate(posture.tokens_required)])
    path = _and3([imdsv1, reach.can_read_s3])
    if path.known and path.value is True:
        path = path.with_sources(egress.unrestricted.sources if egress.unrestricted.known
                                 and egress.unrestricted.value else ())
    facts["path.ssrf_to_s3"] = path
    facts["path.chain"] = Value(State.KNOWN, _chain(site, posture, reach, egress), None, path.sources)
    return facts


def _chain(site: LaunchSite | LaunchTemplate, posture: Posture, reach: Reach, egress: GroupEgress) -> str:
    tokens = posture.tokens_required
    imds = ("IMDSv1 answers (tokens optional" if tokens.known and tokens.value is False
            else "IMDS tokens " + _shown(tokens, "required", "optional"))
    imds += f", {posture.decided_by})" if imds.startswith("IMDSv1") else f" ({posture.decided_by})"
    steps = [f"{site.address}: {imds}"]
    if isinstance(site, LaunchSite):
        steps += [f"launch template {ref.target.address}" for ref in site.launch_templates if ref.target is not None]
        if site.launch_configuration is not None:
            steps.append(f"launch configuration {site.launch_configuration.address}")
    steps += reach.chain or ["no instance role"]
    if egress.unrestricted.known and egress.unrestricted.value:
        steps.append(f"egress: {egress.summary}")
    elif egress.unrestricted.opaque:
        steps.append(f"egress unknown: {egress.unrestricted.reason}")
    else:
        steps.append("egress restricted")
    return " -> ".join(steps)


def launch_site_subjects(model: Model) -> list[Subject]:
    """One ``ec2_launch_site`` subject per launch site and per launch template, and one
    ``ec2_security_group`` subject per security group (or standalone egress rule of a group that is
    not in the configuration)."""
    from ..facts import subject_for
    from .egress import security_group_subjects

    defaults_by_stack: dict[str, list[InstanceMetadataDefaults]] = {}
    for item in model.metadata_defaults:
        defaults_by_stack.setdefault(_stack(item), []).append(item)
    buckets = [b for b in model.buckets if not b.deleted]
    subjects: list[Subject] = []
    for site in model.launch_sites:
        if site.deleted:
            continue
        posture = site_posture(site, defaults_by_stack.get(_stack(site), []))
        facts = subject_facts(site, posture, role_reach(site, buckets), site_egress(site), site.site_kind)
        subjects.append(subject_for(site, "ec2_launch_site", facts))
    for template in model.launch_templates:
        if template.deleted:
            continue
        posture = template_posture(template, defaults_by_stack.get(_stack(template), []))
        facts = subject_facts(template, posture, role_reach(template, buckets), site_egress(template),
                              "launch_template")
        subjects.append(subject_for(template, "ec2_launch_site", facts))
    subjects.extend(security_group_subjects(model))
    return subjects


__all__ = ["AWS_MANAGED_S3_READ", "Posture", "Reach", "launch_site_subjects", "role_reach", "site_egress",
           "site_posture", "template_posture"]
