"""CloudFormation EC2 and IAM resources -> launch sites, launch templates, security groups and
instance roles.

CloudFormation has no resource for the account's instance metadata defaults and no AMI resource, so
neither reaches the gate from a template. A security group that declares no ``SecurityGroupEgress``
keeps AWS's default rule allowing all outbound IPv4 traffic; it is modelled as an implicit rule.
"""
from __future__ import annotations

from typing import Any

from ...model import (EgressRule, IamPolicy, IamRole, InstanceProfile, LaunchSite, LaunchTemplate,
                      MetadataOptions, Model, PolicyAttachment, SecurityGroup)
from ...raw import RawResource
from ...values import Unresolved, Value, absent, is_opaque, known, unknown
from ..common import _MISSING, Linker, attr_value, lookup, parse_document, source_of, to_int
from ..ec2_links import container_markers_in, link_entity, link_security_groups, refs_under, template_ref

SITE_KINDS = {
    "AWS::EC2::Instance": "instance",
    "AWS::AutoScaling::LaunchConfiguration": "launch_configuration",
    "AWS::AutoScaling::AutoScalingGroup": "autoscaling_group",
    "AWS::EKS::Nodegroup": "node_group",
}
OPTIONS = {"http_endpoint": "HttpEndpoint", "http_tokens": "HttpTokens",
           "http_put_response_hop_limit": "HttpPutResponseHopLimit",
           "http_protocol_ipv6": "HttpProtocolIpv6", "instance_metadata_tags": "InstanceMetadataTags"}
GROUP_ATTRIBUTES = ("SecurityGroupIds", "SecurityGroups", "NetworkInterfaces",
                    "LaunchTemplateData.SecurityGroupIds", "LaunchTemplateData.SecurityGroups",
                    "LaunchTemplateData.NetworkInterfaces")


def _entity_args(raw: RawResource) -> dict[str, Any]:
    return {"address": raw.address, "resource_type": raw.type, "source_kind": raw.source_kind,
            "source": raw.source, "actions": raw.actions, "raw": raw}


def _sub(raw: RawResource, attrs: Any) -> RawResource:
    return RawResource(raw.address, raw.type, raw.name, raw.source_kind, raw.file, raw.line, raw.end_line,
                       attrs=attrs if isinstance(attrs, dict) else {}, refs=raw.refs)


def _items(leaf: Any) -> list[Any]:
    if leaf is _MISSING or leaf is None:
        return []
    return list(leaf) if isinstance(leaf, (list, tuple)) else [leaf]


def _values(raw: RawResource, path: str) -> list[Value]:
    leaf = lookup(raw.attrs, path)
    if is_opaque(leaf):
        return [attr_value(raw, path)]
    out = []
    for index, item in enumerate(_items(leaf)):
        holder = _sub(raw, {"item": item})
        value = attr_value(holder, "item")
        out.append(Value(value.state, value.value, value.reason, (source_of(raw, f"{path}[{index}]"),)))
    return out


def metadata_options(raw: RawResource, prefix: str) -> MetadataOptions | None:
    block = lookup(raw.attrs, prefix)
    if block is _MISSING or block is None or block == {}:
        return None
    options = MetadataOptions(source_of(raw, prefix))
    for name, prop in OPTIONS.items():
        convert = to_int if name == "http_put_response_hop_limit" else None
        setattr(options, name, attr_value(raw, f"{prefix}.{prop}", convert=convert))
    return options


def _launch_template(raw: RawResource) -> LaunchTemplate:
    data = "LaunchTemplateData"
    template = LaunchTemplate(**_entity_args(raw), name=attr_value(raw, "LaunchTemplateName"),
                              metadata_options=metadata_options(raw, f"{data}.MetadataOptions"),
                              image_id=attr_value(raw, f"{data}.ImageId"),
                              user_data=attr_value(raw, f"{data}.UserData"))
    profile = attr_value(raw, f"{data}.IamInstanceProfile.Name")
    template.iam_instance_profile = attr_value(raw, f"{data}.IamInstanceProfile.Arn") if profile.absent else profile
    template.security_group_refs = (_values(raw, f"{data}.SecurityGroupIds")
                                    + _values(raw, f"{data}.SecurityGroups"))
    for interface in _items(lookup(raw.attrs, f"{data}.NetworkInterfaces")):
        template.security_group_refs += _values(_sub(raw, interface), "Groups")
    template.hosts_containers = container_markers_in(lookup(raw.attrs, f"{data}.UserData"))
    return template


def _site(raw: RawResource) -> LaunchSite:
    kind = SITE_KINDS[raw.type]
    site = LaunchSite(**_entity_args(raw), site_kind=kind, user_data=attr_value(raw, "UserData"))
    if kind in ("instance", "launch_configuration"):
        site.metadata_options = metadata_options(raw, "MetadataOptions")
        site.image_id = attr_value(raw, "ImageId")
        site.iam_instance_profile = attr_value(raw, "IamInstanceProfile")
        site.security_group_refs = _values(raw, "SecurityGroupIds") + _values(raw, "SecurityGroups")
        for interface in _items(lookup(raw.attrs, "NetworkInterfaces")):
            site.security_group_refs += _values(_sub(raw, interface), "GroupSet")
    if kind == "instance":
        ref = template_ref(raw, "LaunchTemplate", "LaunchTemplateId", "LaunchTemplateName", version_key="Version")
        if ref is not None:
            site.launch_templates.append(ref)
    elif kind == "autoscaling_group":
        ref = template_ref(raw, "LaunchTemplate", "LaunchTemplateId", "LaunchTemplateName", version_key="Version")
        if ref is not None:
            site.launch_templates.append(ref)
        base = "MixedInstancesPolicy.LaunchTemplate"
        spec = template_ref(raw, f"{base}.LaunchTemplateSpecification", "LaunchTemplateId",
                            "LaunchTemplateName", version_key="Version")
        if spec is not None:
            site.launch_templates.append(spec)
        for index, override in enumerate(_items(lookup(raw.attrs, f"{base}.Overrides"))):
            ref = template_ref(_sub(raw, override), "LaunchTemplateSpecification", "LaunchTemplateId",
                               "LaunchTemplateName", version_key="Version")
            if ref is not None:
                ref.source = source_of(raw, f"{base}.Overrides[{index}].LaunchTemplateSpecification")
                site.launch_templates.append(ref)
        site.launch_configuration_ref = attr_value(raw, "LaunchConfigurationName")
    elif kind == "node_group":
        site.hosts_containers = True
        site.role_ref = attr_value(raw, "NodeRole")
        ref = template_ref(raw, "LaunchTemplate", "Id", "Name", version_key="Version")
        if ref is not None:
            site.launch_templates.append(ref)
    site.hosts_containers = site.hosts_containers or container_markers_in(lookup(raw.attrs, "UserData"))
    return site


# ---------------------------------------------------------------------------------------- IAM


def _arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _role(raw: RawResource) -> IamRole:
    role = IamRole(**_entity_args(raw), name=attr_value(raw, "RoleName"),
                   assume_role_policy=parse_document(attr_value(raw, "AssumeRolePolicyDocument")))
    if role.name.absent:
        role.name = unknown(f"the name of {raw.address} is generated at deploy", source_of(raw, "RoleName"))
    policies = lookup(raw.attrs, "Policies")
    if is_opaque(policies):
        role.inline_policies.append(PolicyAttachment(**_entity_args(raw), document=attr_value(raw, "Policies")))
    for index, policy in enumerate(_items(policies) if not is_opaque(policies) else []):
        holder = _sub(raw, policy if isinstance(policy, dict) else {"PolicyDocument": policy})
        document = parse_document(attr_value(holder, "PolicyDocument"))
        document = Value(document.state, document.value, document.reason,
                         (source_of(raw, f"Policies[{index}]"),))
        role.inline_policies.append(PolicyAttachment(**_entity_args(raw), document=document))
    role.managed_policy_arns = _values(raw, "ManagedPolicyArns")
    return role


def _policy(raw: RawResource) -> IamPolicy:
    name_key = "ManagedPolicyName" if raw.type == "AWS::IAM::ManagedPolicy" else "PolicyName"
    return IamPolicy(**_entity_args(raw), name=attr_value(raw, name_key),
                     document=parse_document(attr_value(raw, "PolicyDocument")))


def _profile(raw: RawResource, roles: list[IamRole], linker: Linker[IamRole]) -> InstanceProfile:
    named = _values(raw, "Roles")
    role_ref = named[0] if named else absent(source_of(raw, "Roles"))
    profile = InstanceProfile(**_entity_args(raw), name=attr_value(raw, "InstanceProfileName"),
                              role_ref=role_ref)
    profile.role = link_entity(raw, "Roles", role_ref, roles, linker, _arn_name)
    return profile


def _link_iam(resources: list[RawResource], model: Model) -> Linker[InstanceProfile]:
    roles = [_role(r) for r in resources if r.type == "AWS::IAM::Role"]
    policies = [_policy(r) for r in resources if r.type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")]
    role_linker: Linker[IamRole] = Linker(roles, lambda r: r.name)
    policy_linker: Linker[IamPolicy] = Linker(policies, lambda p: p.name)
    for role in roles:
        assert role.raw is not None
        arns, role.managed_policy_arns = role.managed_policy_arns, []
        for arn in arns:
            customer = None
            if not (arn.known and isinstance(arn.value, str) and ":aws:policy/" in arn.value):
                customer = link_entity(role.raw, "ManagedPolicyArns", arn,
                                       [p for p in policies if p.resource_type == "AWS::IAM::ManagedPolicy"],
                                       policy_linker, _arn_name)
            if customer is not None:
                role.attached_policies.append(customer)
            else:
                role.managed_policy_arns.append(arn)
    for policy in policies:
        raw = policy.raw
        assert raw is not None
        for value in _values(raw, "Roles"):
            role = link_entity(raw, "\x00", value, roles, role_linker, _arn_name)
            if role is not None and policy not in role.attached_policies:
                role.attached_policies.append(policy)
                role.satellites.append(policy)
        for ref in refs_under(raw, "Roles"):
            role = role_linker.by_address(ref)
            if role is not None and policy not in role.attached_policies:
                role.attached_policies.append(policy)
                role.satellites.append(policy)
    for raw in resources:
        if raw.type == "AWS::IAM::RolePolicy":
            role = link_entity(raw, "RoleName", attr_value(raw, "RoleName"), roles, role_linker, _arn_name)
            if role is not None:
                attachment = PolicyAttachment(**_entity_args(raw),
                                              document=parse_document(attr_value(raw, "PolicyDocument")))
                role.inline_policies.append(attachment)
                role.satellites.append(attachment)
    profiles = [_profile(r, roles, role_linker) for r in resources if r.type == "AWS::IAM::InstanceProfile"]
    model.roles = roles
    model.iam_policies = policies
    model.instance_profiles = profiles
    return Linker(profiles, lambda p: p.name)


# --------------------------------------------------------------------------- security groups


def _rule(raw: RawResource, attrs: Any, group_ref: Value, attribute: str | None) -> EgressRule:
    holder = _sub(raw, attrs)
    at = source_of(raw, attribute) if attribute else raw.source

    def value(prop: str, convert: Any = None) -> Value:
        found = attr_value(holder, prop, convert=convert)
        return Value(found.state, found.value, found.reason, (at,))

    cidr4, cidr6 = value("CidrIp"), value("CidrIpv6")
    return EgressRule(**_entity_args(raw), group_ref=group_ref, protocol=value("IpProtocol"),
                      from_port=value("FromPort"), to_port=value("ToPort"),
                      cidr_ipv4=Value(cidr4.state, [cidr4.value], cidr4.reason, cidr4.sources) if cidr4.known else cidr4,
                      cidr_ipv6=Value(cidr6.state, [cidr6.value], cidr6.reason, cidr6.sources) if cidr6.known else cidr6)


def _opaque_rule(raw: RawResource, leaf: Any, group_ref: Value, attribute: str) -> list[EgressRule]:
    """A rule the gate cannot see. Behind ``Fn::If`` on an undecidable condition, each branch
    becomes a rule that applies only if its branch is taken."""
    opaque = attr_value(_sub(raw, {attribute: leaf}), attribute)
    opaque = Value(opaque.state, None, opaque.reason, (source_of(raw, attribute),))
    if isinstance(leaf, Unresolved) and leaf.alternatives:
        rules = []
        for branch in leaf.alternatives:
            if isinstance(branch, dict) and branch:
                rule = _rule(raw, branch, group_ref, attribute)
                rule.condition = opaque
                rules.append(rule)
        return rules
    return [EgressRule(**_entity_args(raw), group_ref=group_ref, protocol=opaque, from_port=opaque,
                       to_port=opaque, cidr_ipv4=opaque, cidr_ipv6=opaque)]


def _security_group(raw: RawResource) -> SecurityGroup:
    group = SecurityGroup(**_entity_args(raw), name=attr_value(raw, "GroupName"))
    own = known(raw.address, raw.source)
    declared = lookup(raw.attrs, "SecurityGroupEgress")
    if declared is _MISSING or declared is None or declared == []:
        implicit = EgressRule(**_entity_args(raw), group_ref=own,
                              protocol=known("-1", source_of(raw, "SecurityGroupEgress")),
                              cidr_ipv4=known(["0.0.0.0/0"], source_of(raw, "SecurityGroupEgress")),
                              implicit=True)
        group.egress.append(implicit)
        return group
    if is_opaque(declared):
        group.egress.extend(_opaque_rule(raw, declared, own, "SecurityGroupEgress"))
        return group
    for index, entry in enumerate(_items(declared)):
        attribute = f"SecurityGroupEgress[{index}]"
        if is_opaque(entry):
            group.egress.extend(_opaque_rule(raw, entry, own, attribute))
        elif isinstance(entry, dict) and entry:
            group.egress.append(_rule(raw, entry, own, attribute))
    return group


# -------------------------------------------------------------------------------------- build


def build_ec2(resources: list[RawResource]) -> Model:
    model = Model()
    profile_linker = _link_iam(resources, model)
    templates = [_launch_template(r) for r in resources if r.type == "AWS::EC2::LaunchTemplate"]
    sites = [_site(r) for r in resources if r.type in SITE_KINDS]
    groups = [_security_group(r) for r in resources if r.type == "AWS::EC2::SecurityGroup"]
    template_linker: Linker[LaunchTemplate] = Linker(templates, lambda t: t.name)
    configurations = [s for s in sites if s.site_kind == "launch_configuration"]
    config_linker: Linker[LaunchSite] = Linker(
        configurations, lambda s: attr_value(s.raw, "LaunchConfigurationName") if s.raw else absent())
    group_linker: Linker[SecurityGroup] = Linker(groups, lambda g: g.name)
    role_linker: Linker[IamRole] = Linker(model.roles, lambda r: r.name)
    _mark_ecs_hosts(resources, sites)

    for template in templates:
        raw = template.raw
        assert raw is not None
        if not template.iam_instance_profile.absent:
            template.instance_profile = link_entity(raw, "LaunchTemplateData.IamInstanceProfile",
                                                    template.iam_instance_profile, model.instance_profiles,
                                                    profile_linker, _arn_name)
        template.security_groups = link_security_groups(raw, template.security_group_refs, groups,
                                                        group_linker, GROUP_ATTRIBUTES)
    for site in sites:
        raw = site.raw
        assert raw is not None
        for ref in site.launch_templates:
            path = (ref.source.attribute or "LaunchTemplate").replace("[", ".[").split(".[")[0]
            ref.target = link_entity(raw, path, ref.id_or_name, templates, template_linker)
            if ref.target is None and ref.source.attribute and "Overrides" in ref.source.attribute:
                ref.target = link_entity(raw, "\x00", ref.id_or_name, templates, template_linker)
            if ref.target is not None and site.hosts_containers:
                ref.target.hosts_containers = True
        if not site.launch_configuration_ref.absent:
            site.launch_configuration = link_entity(raw, "LaunchConfigurationName", site.launch_configuration_ref,
                                                    configurations, config_linker)
        if not site.iam_instance_profile.absent:
            site.instance_profile = link_entity(raw, "IamInstanceProfile", site.iam_instance_profile,
                                                model.instance_profiles, profile_linker, _arn_name)
        if not site.role_ref.absent:
            site.role = link_entity(raw, "NodeRole", site.role_ref, model.roles, role_linker, _arn_name)
        site.security_groups = link_security_groups(raw, site.security_group_refs, groups, group_linker,
                                                    GROUP_ATTRIBUTES)
    for raw in resources:
        if raw.type != "AWS::EC2::SecurityGroupEgress":
            continue
        group_ref = attr_value(raw, "GroupId")
        group = link_entity(raw, "GroupId", group_ref, groups, group_linker)
        rule = _rule(raw, raw.attrs, group_ref, None)
        if group is not None:
            group.egress.append(rule)
        else:
            model.egress_rules.append(rule)
    model.launch_templates = templates
    model.launch_sites = sites
    model.security_groups = groups
    return model


def _mark_ecs_hosts(resources: list[RawResource], sites: list[LaunchSite]) -> None:
    groups = {s.address: s for s in sites if s.site_kind == "autoscaling_group"}
    for raw in resources:
        if raw.type == "AWS::ECS::CapacityProvider":
            for ref in refs_under(raw, "AutoScalingGroupProvider"):
                if ref in groups:
                    groups[ref].hosts_containers = True


__all__ = ["build_ec2", "metadata_options"]
