"""Terraform (HCL and plan) EC2 and IAM resources -> launch sites, launch templates, metadata
defaults, AMIs, security groups and instance roles.

Links go by the addresses an attribute refers to first, then by a literal id or name. Calls of the
``terraform-aws-modules`` registry modules that were not downloaded are modelled from their inputs
and the module's documented defaults (see :data:`MODULE_DEFAULTS`).
"""
from __future__ import annotations

import re
from typing import Any

from ...model import (Ami, EgressRule, Entity, IamPolicy, IamRole, InstanceMetadataDefaults,
                      InstanceProfile, LaunchSite, LaunchTemplate, LaunchTemplateRef, MetadataOptions,
                      Model, PolicyAttachment, SecurityGroup)
from ...raw import RawResource
from .policy_documents import policy_data_sources, policy_value
from ...values import State, Unknown, Unresolved, Value, absent, is_opaque, known, unknown, unresolved
from ..common import (_MISSING, Linker, attr_value, lookup, parse_document, source_of, strip_index,
                      to_int)
from ..ec2_links import (container_markers_in, link_entity, link_security_groups, opaque_mentions, refs_under,
                         template_ref)

SITE_KINDS = {
    "aws_instance": "instance",
    "aws_spot_instance_request": "spot_instance_request",
    "aws_launch_configuration": "launch_configuration",
    "aws_autoscaling_group": "autoscaling_group",
    "aws_eks_node_group": "node_group",
}
OPTION_NAMES = ("http_endpoint", "http_tokens", "http_put_response_hop_limit", "http_protocol_ipv6",
                "instance_metadata_tags")
EC2_INSTANCE_MODULE = "terraform-aws-modules/ec2-instance/aws"
AUTOSCALING_MODULE = "terraform-aws-modules/autoscaling/aws"
EKS_NODE_GROUP_MODULE = "terraform-aws-modules/eks/aws//modules/eks-managed-node-group"


# Metadata option defaults of the terraform-aws-modules registry modules, by version, read from
# their variables.tf and main.tf:
# - ec2-instance (terraform-aws-modules/terraform-aws-ec2-instance): v5.0.0-v5.7.1 default
#   {enabled, optional, hop 1}, a partial map falls back to tokens "optional"; v5.8.0 (2025-03-30,
#   commit 5b17f94) default {enabled, required, hop 1} and partial maps fall back to "required";
#   v6.x (object type with optional() defaults) the same; before v5 the default was {} (no block).
# - autoscaling (terraform-aws-modules/terraform-aws-autoscaling): v9.0.0 (2025-06-26, commit
#   21e3f37) default {enabled, required, hop 1}, partial maps fall back to the same; v6-v8 default
#   {} and unset keys null (no option written); v4-v5 default null.
# - eks-managed-node-group (terraform-aws-modules/terraform-aws-eks//modules/eks-managed-node-group):
#   v18-v20 default {enabled, required, hop 2}; v21.0.0 (2025-07-23, commit b7eabbd) default
#   {enabled, required, hop 1}, partial maps fall back to the same.
_REQUIRED_HOP1 = {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}
_OPTIONAL_HOP1 = {"http_endpoint": "enabled", "http_tokens": "optional", "http_put_response_hop_limit": 1}
_REQUIRED_HOP2 = {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 2}
MODULE_DEFAULTS: dict[str, list[tuple[tuple[int, ...], dict[str, Any]]]] = {
    # (first version, {"__default__": options when the input is omitted (None: no block),
    #                  "__partial__": options filled in for keys a given map leaves out})
    EC2_INSTANCE_MODULE: [((0,), {"__default__": None, "__partial__": {}}),
                          ((5, 0, 0), {"__default__": _OPTIONAL_HOP1, "__partial__": _OPTIONAL_HOP1}),
                          ((5, 8, 0), {"__default__": _REQUIRED_HOP1, "__partial__": _REQUIRED_HOP1})],
    AUTOSCALING_MODULE: [((0,), {"__default__": None, "__partial__": {}}),
                         ((9, 0, 0), {"__default__": _REQUIRED_HOP1, "__partial__": _REQUIRED_HOP1})],
    EKS_NODE_GROUP_MODULE: [((0,), {"__default__": _REQUIRED_HOP2, "__partial__": {}}),
                            ((21, 0, 0), {"__default__": _REQUIRED_HOP1, "__partial__": _REQUIRED_HOP1})],
}


def _version_tuple(text: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?", text.strip())
    if not match:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


def only_older_than(constraint: str, threshold: tuple[int, ...]) -> bool | None:
    """True when every version the constraint allows is older than ``threshold`` (so
    ``terraform init`` cannot pick ``threshold`` or newer); None when the constraint is unreadable."""
    upper_ok = False
    for part in constraint.split(","):
        match = re.fullmatch(r"\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*", part)
        if not match:
            return None
        op, text = match.group(1) or "=", match.group(2)
        version = _version_tuple(text)
        if version is None:
            return None
        padded = version + (0,) * (3 - len(version))
        if op in ("=", "<=") and padded < threshold:
            upper_ok = True
        elif op == "<" and padded <= threshold:
            upper_ok = True
        elif op == "~>":
            bump = list(version[:-1]) if len(version) > 1 else [version[0]]
            bump[-1] += 1
            ceiling = tuple(bump) + (0,) * (3 - len(bump))
            if ceiling <= threshold:
                upper_ok = True
    return upper_ok


def module_metadata_defaults(source: str, version: Any) -> tuple[dict[str, Any], str]:
    """The metadata option defaults of a registry module call, and a note naming the version."""
    table = MODULE_DEFAULTS.get(source, [])
    if not table:
        return {}, ""
    chosen = table[-1]
    text = str(version) if isinstance(version, str) and version.strip() else ""
    if text:
        for first, entry in reversed(table):
            if only_older_than(text, first) is False or first == (0,):
                chosen = (first, entry)
                break
    shown = f"version {text}" if text else "the newest version (no version constraint)"
    first_text = ".".join(str(p) for p in chosen[0])
    note = f"module {source} {shown}: defaults of v{first_text} and later" if chosen[0] != (0,) \
        else f"module {source} {shown}"
    return chosen[1], note


def _entity_args(raw: RawResource, resource_type: str | None = None) -> dict[str, Any]:
    return {"address": raw.address, "resource_type": resource_type or raw.type,
            "source_kind": raw.source_kind, "source": raw.source, "actions": raw.actions, "raw": raw}


def _computed_unset(raw: RawResource, attribute: str) -> bool:
    """A plan shows an Optional+Computed attribute the configuration does not set as unknown;
    that means "not configured here", not "anything"."""
    configured = raw.meta.get("config_keys")
    return raw.source_kind == "plan" and configured is not None and attribute not in configured \
        and isinstance(lookup(raw.attrs, attribute), Unknown)


def _attr(raw: RawResource, path: str, **kwargs: Any) -> Value:
    if _computed_unset(raw, path.split(".", 1)[0]):
        return absent(source_of(raw, path))
    return attr_value(raw, path, **kwargs)


_AWS_MANAGED_SHAPE = re.compile(r'"?arn:\$\{[^}]*\}:iam::aws:policy/(?P<path>[\w+=,.@/-]+)"?')


def _aws_managed_arn(raw: RawResource, path: str) -> Value:
    """An AWS managed policy ARN whose partition is read at plan time
    (``arn:${data.aws_partition.current.partition}:iam::aws:policy/NAME``) is still that policy."""
    leaf = lookup(raw.attrs, path)
    if isinstance(leaf, Unknown) and leaf.shape is not None:
        match = _AWS_MANAGED_SHAPE.fullmatch(leaf.shape.strip())
        if match:
            return known(f"arn:aws:iam::aws:policy/{match.group('path')}", source_of(raw, path))
    return attr_value(raw, path)


def _hop(value: Any) -> int:
    return to_int(value)


def metadata_options(raw: RawResource, prefix: str = "metadata_options") -> MetadataOptions | None:
    """The IMDS options a resource writes, or None when it writes none.

    In a plan, a whole block that is unknown was not configured (a configured block shows as a
    list whose unset leaves are unknown); reading it as "not written" lets precedence decide, which
    is never more lenient than "unknown" here: EC2's own default allows IMDSv1."""
    if _computed_unset(raw, prefix.split(".", 1)[0]):
        return None
    block = lookup(raw.attrs, prefix)
    configured = raw.meta.get("config_keys")
    if raw.source_kind == "plan" and isinstance(block, Unknown) and (configured is None or prefix not in configured):
        return None
    if block is _MISSING or block is None or block == [] or block == {}:
        return None
    options = MetadataOptions(source_of(raw, prefix))
    for name in OPTION_NAMES:
        convert = _hop if name == "http_put_response_hop_limit" else None
        value = attr_value(raw, f"{prefix}.{name}", convert=convert)
        if raw.source_kind == "plan" and value.state.value == "unknown" and not is_opaque(block):
            # Optional+Computed inside a configured block: unset here, decided by precedence.
            configured = raw.meta.get("config_blocks", {}).get(prefix)
            if isinstance(configured, (list, tuple, set, frozenset)) and name not in configured:
                value = absent(source_of(raw, f"{prefix}.{name}"))
        setattr(options, name, value)
    return options


def _provider_endpoint_default(raw: RawResource, options: MetadataOptions | None) -> MetadataOptions | None:
    """``aws_instance`` / ``aws_spot_instance_request``: a written ``metadata_options`` block without
    ``http_endpoint`` launches with the provider's default ``enabled`` (a plan shows it), which
    overrides an account default that disables the endpoint."""
    if options is None or not options.http_endpoint.absent or raw.source_kind == "plan":
        return options
    options.http_endpoint = known("enabled", source_of(raw, "metadata_options.http_endpoint (provider default)"))
    return options


def _tokens_need_endpoint(raw: RawResource, options: MetadataOptions | None) -> MetadataOptions | None:
    """``aws_launch_configuration``: the provider sends ``http_tokens`` and the hop limit to Auto
    Scaling only when the block writes ``http_endpoint = "enabled"`` (its expandInstanceMetadataOptions);
    written without it, they are not applied and the launch configuration says nothing about them."""
    if options is None or options.http_endpoint.opaque:
        return options
    endpoint = options.http_endpoint
    if endpoint.known and str(endpoint.value).strip().lower() in ("enabled", "disabled"):
        return options
    for name in ("http_tokens", "http_put_response_hop_limit"):
        value = getattr(options, name)
        if value.known:
            reason = (f'{name} = {value.value!r} is not applied: for a launch configuration the provider sends it '
                      'only when http_endpoint = "enabled" is written')
            setattr(options, name, Value(State.ABSENT, None, reason, value.sources))
    return options


def _literal_strings(leaf: Any) -> list[Any]:
    if isinstance(leaf, (list, tuple)):
        return list(leaf)
    if leaf is _MISSING or leaf is None:
        return []
    return [leaf]


def _list_values(raw: RawResource, path: str) -> list[Value]:
    if _computed_unset(raw, path.split(".", 1)[0]):
        return []
    leaf = lookup(raw.attrs, path)
    src = source_of(raw, path)
    if leaf is _MISSING or leaf is None:
        return []
    if is_opaque(leaf):
        return [attr_value(raw, path)]
    out = []
    for item in _literal_strings(leaf):
        if isinstance(item, Unknown):
            out.append(unknown(f"{path} of {raw.address} is {item.reason}", src))
        elif isinstance(item, Unresolved):
            out.append(unresolved(f"{path} = {item.expr}: {item.reason}", src))
        else:
            out.append(known(item, src))
    return out


def _user_data(raw: RawResource) -> Value:
    value = attr_value(raw, "user_data")
    return attr_value(raw, "user_data_base64") if value.absent else value


def _launch_template(raw: RawResource) -> LaunchTemplate:
    name = attr_value(raw, "name")
    template = LaunchTemplate(**_entity_args(raw), name=name,
                              metadata_options=metadata_options(raw),
                              image_id=attr_value(raw, "image_id"),
                              user_data=_user_data(raw))
    profile = attr_value(raw, "iam_instance_profile.name")
    template.iam_instance_profile = attr_value(raw, "iam_instance_profile.arn") if profile.absent else profile
    if template.iam_instance_profile.absent and is_opaque(lookup(raw.attrs, "iam_instance_profile")):
        template.iam_instance_profile = attr_value(raw, "iam_instance_profile")
    template.security_group_refs = (_list_values(raw, "vpc_security_group_ids")
                                    + _list_values(raw, "security_group_names")
                                    + _list_values(raw, "network_interfaces.security_groups"))
    template.hosts_containers = container_markers_in(raw.attrs.get("user_data"))
    return template


def _site(raw: RawResource) -> LaunchSite:
    kind = SITE_KINDS[raw.type]
    site = LaunchSite(**_entity_args(raw), site_kind=kind, metadata_options=metadata_options(raw),
                      user_data=_user_data(raw))
    if kind in ("instance", "spot_instance_request"):
        site.metadata_options = _provider_endpoint_default(raw, site.metadata_options)
        site.image_id = attr_value(raw, "ami")
        site.iam_instance_profile = _attr(raw, "iam_instance_profile")
        site.security_group_refs = (_list_values(raw, "vpc_security_group_ids")
                                    + _list_values(raw, "security_groups"))
        ref = template_ref(raw, "launch_template", "id", "name")
        if ref is not None:
            site.launch_templates.append(ref)
    elif kind == "launch_configuration":
        site.metadata_options = _tokens_need_endpoint(raw, site.metadata_options)
        site.image_id = attr_value(raw, "image_id")
        site.iam_instance_profile = _attr(raw, "iam_instance_profile")
        site.security_group_refs = _list_values(raw, "security_groups")
    elif kind == "autoscaling_group":
        for ref in _asg_template_refs(raw):
            site.launch_templates.append(ref)
        site.launch_configuration_ref = attr_value(raw, "launch_configuration")
    elif kind == "node_group":
        site.hosts_containers = True
        site.role_ref = attr_value(raw, "node_role_arn")
        ref = template_ref(raw, "launch_template", "id", "name")
        if ref is not None:
            site.launch_templates.append(ref)
    site.hosts_containers = site.hosts_containers or container_markers_in(raw.attrs.get("user_data"))
    return site


def _asg_template_refs(raw: RawResource) -> list[LaunchTemplateRef]:
    refs = []
    direct = template_ref(raw, "launch_template", "id", "name")
    if direct is not None:
        refs.append(direct)
    base = "mixed_instances_policy.launch_template"
    spec = template_ref(raw, f"{base}.launch_template_specification", "launch_template_id",
                         "launch_template_name")
    if spec is not None:
        refs.append(spec)
    overrides = lookup(raw.attrs, f"{base}.override")
    if isinstance(overrides, list):
        for index, override in enumerate(overrides):
            if not isinstance(override, dict):
                continue
            sub = RawResource(raw.address, raw.type, raw.name, raw.source_kind, raw.file, raw.line,
                              raw.end_line, attrs=override)
            ref = template_ref(sub, "launch_template_specification", "launch_template_id",
                                "launch_template_name")
            if ref is not None:
                ref.source = source_of(raw, f"{base}.override[{index}].launch_template_specification")
                refs.append(ref)
    return refs


def _defaults(raw: RawResource) -> InstanceMetadataDefaults:
    return InstanceMetadataDefaults(
        **_entity_args(raw), http_endpoint=attr_value(raw, "http_endpoint"),
        http_tokens=attr_value(raw, "http_tokens"),
        http_put_response_hop_limit=attr_value(raw, "http_put_response_hop_limit", convert=_hop))


def _ami(raw: RawResource) -> Ami:
    support = attr_value(raw, "imds_support")
    if raw.mode == "data" and (support.absent or support.opaque):
        filtered = _ami_filter_value(raw, "imds-support")
        if filtered is not None:
            support = filtered
        elif raw.source_kind != "plan" or support.opaque:
            support = unknown("the data source is read at plan time and the configuration does not "
                              "filter on imds-support", source_of(raw, "imds_support"))
    return Ami(**_entity_args(raw), image_id=attr_value(raw, "id"), imds_support=support,
               hosts_containers=container_markers_in(raw.attrs.get("filter"))
               or container_markers_in(raw.attrs.get("name_regex")))


def _ami_filter_value(raw: RawResource, name: str) -> Value | None:
    filters = lookup(raw.attrs, "filter")
    if not isinstance(filters, list):
        return None
    for block in filters:
        if isinstance(block, dict) and block.get("name") == name:
            values = block.get("values")
            if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
                return known(values[0], source_of(raw, "filter"))
    return None


# ---------------------------------------------------------------------------------------- IAM


def _arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class _Iam:
    """Roles, customer policies and instance profiles of one stack, linked together."""

    def __init__(self, resources: list[RawResource]) -> None:
        managed = [r for r in resources if r.mode == "managed"]
        self.documents = policy_data_sources(resources)
        self.roles = [self._role(r) for r in managed if r.type == "aws_iam_role"]
        self.policies = [IamPolicy(**_entity_args(r), name=attr_value(r, "name"), arn=attr_value(r, "arn"),
                                   document=policy_value(r, "policy", self.documents))
                         for r in managed if r.type == "aws_iam_policy"]
        self.role_linker: Linker[IamRole] = Linker(self.roles, lambda x: x.name)
        self.policy_linker: Linker[IamPolicy] = Linker(self.policies, lambda x: x.name)
        for role in self.roles:
            assert role.raw is not None
            arns, role.managed_policy_arns = role.managed_policy_arns, []
            for arn in arns:
                self._attach(role, role.raw, "managed_policy_arns", arn)
        for raw in managed:
            self._satellite(raw)
        self.profiles = [self._profile(r) for r in managed if r.type == "aws_iam_instance_profile"]
        self.profile_linker: Linker[InstanceProfile] = Linker(self.profiles, lambda x: x.name)

    def _role(self, raw: RawResource) -> IamRole:
        role = IamRole(**_entity_args(raw), name=attr_value(raw, "name"),
                       assume_role_policy=parse_document(attr_value(raw, "assume_role_policy")))
        if role.name.absent:
            role.name = unknown(f"the name of {raw.address} is generated at apply", source_of(raw, "name"))
        blocks = lookup(raw.attrs, "inline_policy")
        if isinstance(blocks, list):
            for index, block in enumerate(blocks):
                if not isinstance(block, dict) or block.get("policy") is None:
                    continue
                sub = RawResource(raw.address, raw.type, raw.name, raw.source_kind, raw.file, raw.line,
                                  raw.end_line, attrs=block,
                                  refs={"policy": refs_under(raw, "inline_policy")})
                doc = policy_value(sub, "policy", self.documents)
                sources = tuple(src.at(f"inline_policy[{index}]") if src.address == raw.address else src
                                for src in doc.sources)
                role.inline_policies.append(PolicyAttachment(
                    **_entity_args(raw), document=Value(doc.state, doc.value, doc.reason, sources)))
        elif is_opaque(blocks):
            role.inline_policies.append(PolicyAttachment(**_entity_args(raw),
                                                         document=attr_value(raw, "inline_policy")))
        role.managed_policy_arns = _list_values(raw, "managed_policy_arns")
        return role

    def _attach(self, role: IamRole, raw: RawResource, attribute: str, arn: Value) -> None:
        policy = None
        if not (arn.known and isinstance(arn.value, str) and ":aws:policy/" in arn.value):
            policy = link_entity(raw, attribute, arn, self.policies, self.policy_linker, _arn_name)
        if policy is not None:
            if policy not in role.attached_policies:
                role.attached_policies.append(policy)
        else:
            role.managed_policy_arns.append(arn)

    def link_role(self, raw: RawResource, attribute: str, target: Value) -> IamRole | None:
        return link_entity(raw, attribute, target, self.roles, self.role_linker, _arn_name)

    def _satellite(self, raw: RawResource) -> None:
        if raw.type == "aws_iam_role_policy":
            role = self.link_role(raw, "role", attr_value(raw, "role"))
            if role is not None:
                attachment = PolicyAttachment(**_entity_args(raw),
                                              document=policy_value(raw, "policy", self.documents))
                role.inline_policies.append(attachment)
                role.satellites.append(attachment)
        elif raw.type in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
            targets: list[IamRole] = []
            if raw.type == "aws_iam_role_policy_attachment":
                role = self.link_role(raw, "role", attr_value(raw, "role"))
                targets = [role] if role is not None else []
            else:
                for ref in refs_under(raw, "roles"):
                    role = self.role_linker.by_address(ref)
                    if role is not None and role not in targets:
                        targets.append(role)
                for value in _list_values(raw, "roles"):
                    role = self.link_role(raw, "\x00", value)
                    if role is not None and role not in targets:
                        targets.append(role)
            arn = _aws_managed_arn(raw, "policy_arn")
            for role in targets:
                role.satellites.append(Entity(**_entity_args(raw)))
                self._attach(role, raw, "policy_arn", arn.with_sources([raw.source]))

    def _profile(self, raw: RawResource) -> InstanceProfile:
        profile = InstanceProfile(**_entity_args(raw), name=attr_value(raw, "name"),
                                  role_ref=attr_value(raw, "role"))
        profile.role = self.link_role(raw, "role", profile.role_ref)
        return profile

    def profile_for(self, raw: RawResource, attribute: str, target: Value) -> InstanceProfile | None:
        if target.absent:
            return None
        return link_entity(raw, attribute, target, self.profiles, self.profile_linker, _arn_name)


# --------------------------------------------------------------------------- security groups


def _egress_rule(raw: RawResource, attrs: dict[str, Any], group_ref: Value, source_attr: str | None,
                 *, protocol: str, cidr4: str, cidr6: str) -> EgressRule:
    sub = RawResource(raw.address, raw.type, raw.name, raw.source_kind, raw.file, raw.line, raw.end_line,
                      attrs=attrs)
    rule = EgressRule(**_entity_args(raw), group_ref=group_ref,
                      protocol=attr_value(sub, protocol), from_port=attr_value(sub, "from_port"),
                      to_port=attr_value(sub, "to_port"), cidr_ipv4=attr_value(sub, cidr4),
                      cidr_ipv6=attr_value(sub, cidr6))
    if source_attr:
        at = source_of(raw, source_attr)
        for name in ("protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6"):
            value = getattr(rule, name)
            setattr(rule, name, Value(value.state, value.value, value.reason, (at,)))
    return rule


def _security_group(raw: RawResource) -> SecurityGroup:
    group = SecurityGroup(**_entity_args(raw), name=attr_value(raw, "name"))
    if _computed_unset(raw, "egress"):
        return group  # the provider removes AWS's default egress rule; none is written here
    blocks = lookup(raw.attrs, "egress")
    own = known(raw.address, raw.source)
    if isinstance(blocks, list):
        for index, block in enumerate(blocks):
            attrs = block if isinstance(block, dict) else {"protocol": block, "cidr_blocks": block}
            group.egress.append(_egress_rule(raw, attrs, own, f"egress[{index}]", protocol="protocol",
                                             cidr4="cidr_blocks", cidr6="ipv6_cidr_blocks"))
    elif is_opaque(blocks):
        group.egress.append(_egress_rule(raw, {"protocol": blocks, "cidr_blocks": blocks,
                                               "ipv6_cidr_blocks": blocks}, own, "egress",
                                         protocol="protocol", cidr4="cidr_blocks", cidr6="ipv6_cidr_blocks"))
    return group


def _standalone_egress(raw: RawResource) -> EgressRule | None:
    if raw.type == "aws_security_group_rule":
        kind = attr_value(raw, "type")
        if kind.known and kind.value != "egress":
            return None
        return _egress_rule(raw, raw.attrs, attr_value(raw, "security_group_id"), None,
                            protocol="protocol", cidr4="cidr_blocks", cidr6="ipv6_cidr_blocks")
    if raw.type == "aws_vpc_security_group_egress_rule":
        return _egress_rule(raw, raw.attrs, attr_value(raw, "security_group_id"), None,
                            protocol="ip_protocol", cidr4="cidr_ipv4", cidr6="cidr_ipv6")
    return None


# ------------------------------------------------------------------------------------ modules


def _registry_source(source: str) -> str:
    text = re.sub(r"^registry\.terraform\.io/", "", source.strip())
    return re.sub(r"\?ref=.*$", "", text)


def _module_site(raw: RawResource) -> LaunchSite | None:
    source = _registry_source(str(raw.meta.get("source") or ""))
    kind = {EC2_INSTANCE_MODULE: "instance", AUTOSCALING_MODULE: "autoscaling_group",
            EKS_NODE_GROUP_MODULE: "node_group"}.get(source)
    if kind is None:
        return None
    create = attr_value(raw, "create")
    if create.known and create.value is False:
        return None
    site = LaunchSite(**_entity_args(raw, f"module {source}"), site_kind=kind)
    defaults, note = module_metadata_defaults(source, raw.meta.get("version"))
    custom_template = all(not (flag := attr_value(raw, name)).known or flag.value is not False
                          for name in ("create_launch_template", "use_custom_launch_template"))
    if kind != "node_group" or custom_template:  # else EKS's own launch template applies
        site.metadata_options = _module_options(raw, defaults, note)
    site.hosts_containers = kind == "node_group" or container_markers_in(raw.attrs.get("user_data"))
    site.image_id = attr_value(raw, "ami" if kind == "instance" else "image_id")
    site.user_data = attr_value(raw, "user_data")
    site.security_group_refs = (_list_values(raw, "vpc_security_group_ids")
                                + _list_values(raw, "security_groups"))
    site.iam_instance_profile = attr_value(raw, "iam_instance_profile")
    if kind == "node_group":
        site.role_ref = attr_value(raw, "iam_role_arn")
    return site


def _module_options(raw: RawResource, defaults: dict[str, Any], note: str) -> MetadataOptions | None:
    """The metadata options a module call produces: the caller's ``metadata_options`` keys over
    the module's defaults for its version. An explicit null means no block."""
    src = source_of(raw, "metadata_options")
    given = raw.attrs.get("metadata_options", _MISSING)
    if given is None:
        return None
    options = MetadataOptions(src)
    if is_opaque(given):
        opaque = attr_value(raw, "metadata_options")
        for name in OPTION_NAMES:
            setattr(options, name, opaque)
        return options
    written = given if isinstance(given, dict) else {}
    base = defaults.get("__partial__" if written else "__default__", {})
    if not written and base is None:
        return None
    for name in OPTION_NAMES:
        if name in written:
            convert = _hop if name == "http_put_response_hop_limit" else None
            setattr(options, name, attr_value(raw, f"metadata_options.{name}", convert=convert))
        elif base and name in base:
            default = known(base[name], src.at(f"metadata_options.{name} (module default)"))
            setattr(options, name, Value(default.state, default.value, note, default.sources))
    return options


def _module_role(raw: RawResource, kind: str) -> IamRole | None:
    """The role a module call creates (ec2-instance/autoscaling ``create_iam_instance_profile``,
    the node group's own role) with the policy ARNs the caller attaches."""
    flag = "create_iam_role" if kind == "node_group" else "create_iam_instance_profile"
    created = attr_value(raw, flag)
    if not ((created.known and created.value is True) or (created.absent and kind == "node_group")):
        return None
    role = IamRole(**_entity_args(raw, "module-created IAM role"),
                   name=unknown("created by the module", source_of(raw, flag)))
    policies = lookup(raw.attrs, "iam_role_policies")
    if isinstance(policies, dict):
        role.managed_policy_arns = [attr_value(raw, f"iam_role_policies.{key}") for key in policies]
    elif is_opaque(policies):
        role.managed_policy_arns = [attr_value(raw, "iam_role_policies")]
    return role


# -------------------------------------------------------------------------------------- build


def build_ec2(resources: list[RawResource]) -> Model:
    model = Model()
    iam = _Iam(resources)
    managed = [r for r in resources if r.mode == "managed"]
    templates = [_launch_template(r) for r in managed if r.type == "aws_launch_template"]
    sites = [_site(r) for r in managed if r.type in SITE_KINDS]
    sites += [site for r in resources if r.mode == "module" and (site := _module_site(r)) is not None]
    amis = [_ami(r) for r in resources if r.type == "aws_ami" and r.mode in ("managed", "data")]
    groups = [_security_group(r) for r in managed if r.type == "aws_security_group"]

    template_linker: Linker[LaunchTemplate] = Linker(templates, lambda t: t.name)
    configurations = [s for s in sites if s.site_kind == "launch_configuration"]
    config_linker: Linker[LaunchSite] = Linker(
        configurations, lambda s: attr_value(s.raw, "name") if s.raw is not None else absent())
    ami_linker: Linker[Ami] = Linker(amis, lambda a: a.image_id)
    group_linker: Linker[SecurityGroup] = Linker(groups, lambda g: g.name)

    for template in templates:
        raw = template.raw
        assert raw is not None
        template.ami = _link_ami(raw, "image_id", template.image_id, amis, ami_linker)
        template.instance_profile = iam.profile_for(raw, "iam_instance_profile", template.iam_instance_profile)
        template.security_groups = link_security_groups(raw, template.security_group_refs, groups, group_linker)
    _mark_ecs_hosts(managed, sites)
    for site in sites:
        raw = site.raw
        assert raw is not None
        for ref in site.launch_templates:
            path = ref.source.attribute or "launch_template"
            ref.target = link_entity(raw, re.sub(r"\[\d+\]", "", path), ref.id_or_name, templates,
                                     template_linker)
            if ref.target is not None and site.hosts_containers:
                ref.target.hosts_containers = True
        if not site.launch_configuration_ref.absent:
            site.launch_configuration = link_entity(raw, "launch_configuration", site.launch_configuration_ref,
                                                    configurations, config_linker)
        image_attr = "ami" if site.site_kind in ("instance", "spot_instance_request") else "image_id"
        site.ami = _link_ami(raw, image_attr, site.image_id, amis, ami_linker)
        site.instance_profile = iam.profile_for(raw, "iam_instance_profile", site.iam_instance_profile)
        if raw.mode == "module" and site.instance_profile is None:
            site.role = _module_role(raw, site.site_kind)
        if not site.role_ref.absent:
            attribute = "iam_role_arn" if raw.mode == "module" else "node_role_arn"
            site.role = iam.link_role(raw, attribute, site.role_ref) or site.role
        site.security_groups = link_security_groups(raw, site.security_group_refs, groups, group_linker)

    for raw in managed:
        rule = _standalone_egress(raw)
        if rule is None:
            continue
        group = link_entity(raw, "security_group_id", rule.group_ref, groups, group_linker)
        if group is not None:
            group.egress.append(rule)
        else:
            model.egress_rules.append(rule)

    model.launch_templates = templates
    model.launch_sites = sites
    model.metadata_defaults = [_defaults(r) for r in managed if r.type == "aws_ec2_instance_metadata_defaults"]
    model.amis = amis
    model.security_groups = groups
    model.roles = iam.roles
    model.iam_policies = iam.policies
    model.instance_profiles = iam.profiles
    return model


def _link_ami(raw: RawResource, attribute: str, image: Value, amis: list[Ami], linker: Linker[Ami]) -> Ami | None:
    if image.absent:
        return None
    for ref in refs_under(raw, attribute):
        hits = [a for a in amis if strip_index(a.address) == strip_index(ref) or a.address == ref]
        if hits:
            return hits[0]
    if image.opaque:
        mentioned = opaque_mentions(image, amis)
        return mentioned[0] if len(mentioned) == 1 else None
    return linker.link(raw, "\x00", image) if image.known and isinstance(image.value, str) else None


def _mark_ecs_hosts(resources: list[RawResource], sites: list[LaunchSite]) -> None:
    """Auto Scaling groups that an ECS capacity provider uses run containers."""
    groups = [s for s in sites if s.site_kind == "autoscaling_group"]
    for raw in resources:
        if raw.type != "aws_ecs_capacity_provider":
            continue
        named = set(strip_index(r) for r in refs_under(raw, "auto_scaling_group_provider"))
        target = attr_value(raw, "auto_scaling_group_provider.auto_scaling_group_arn")
        mentioned = opaque_mentions(target, groups) if target.opaque else []
        for group in groups:
            if strip_index(group.address) in named or group in mentioned:
                group.hosts_containers = True
