"""Effective IMDS posture: each precedence step, in Terraform, plan and CloudFormation form, built
from raw resources as the loaders hand them over."""
from __future__ import annotations

from typing import Any

import pytest

from iacgate.adapters.cloudformation.aws_ec2 import build_ec2 as build_cfn
from iacgate.adapters.terraform.aws_ec2 import build_ec2 as build_tf
from iacgate.adapters.terraform.aws_ec2 import module_metadata_defaults, only_older_than
from iacgate.analysis.imds import launch_site_subjects
from iacgate.raw import RawResource
from iacgate.values import Unknown, Unresolved


def tf(type_: str, name: str, attrs: dict[str, Any], refs: dict[str, list[str]] | None = None,
       mode: str = "managed", kind: str = "terraform", meta: dict[str, Any] | None = None) -> RawResource:
    prefix = "data." if mode == "data" else ("" if mode != "module" else "module.")
    address = f"{prefix}{type_}.{name}" if mode != "module" else f"module.{name}"
    return RawResource(address, type_, name, kind, "main.tf", 1, 9, attrs=attrs, refs=refs or {}, mode=mode,
                       meta=meta or {}, stack="stack")


def cfn(logical_id: str, type_: str, props: dict[str, Any], refs: dict[str, list[str]] | None = None) -> RawResource:
    return RawResource(logical_id, type_, logical_id, "cloudformation", "template.yaml", 1, 9, attrs=props,
                       refs=refs or {}, stack="template.yaml")


def facts(resources: list[RawResource], address: str, builder=build_tf) -> dict[str, Any]:
    for subject in launch_site_subjects(builder(resources)):
        if subject.address == address:
            return subject.facts
    raise AssertionError(f"no subject {address}")


def shown(value: Any) -> Any:
    return value.value if value.known else "unknown"


LT_REF = {"launch_template.id": ["aws_launch_template.web"]}


def lt_id() -> Unknown:
    return Unknown("aws_launch_template.web.id is known only after apply")


# ------------------------------------------------------------------------------ step 1: resource


def test_resource_options_decide_over_template_and_defaults() -> None:
    resources = [
        tf("aws_ec2_instance_metadata_defaults", "acct", {"http_tokens": "required"}),
        tf("aws_launch_template", "web", {"name": "web", "metadata_options": [{"http_tokens": "required"}]}),
        tf("aws_instance", "web", {"ami": "ami-1", "launch_template": [{"id": lt_id(), "version": "$Latest"}],
                                   "metadata_options": [{"http_tokens": "optional"}]}, LT_REF),
    ]
    f = facts(resources, "aws_instance.web")
    assert shown(f["imds.tokens_required"]) is False
    assert f["imds.decided_by"].value == "resource"


def test_endpoint_disabled_is_safe_whatever_the_tokens() -> None:
    f = facts([tf("aws_instance", "x", {"metadata_options": [{"http_endpoint": "disabled"}]})], "aws_instance.x")
    assert shown(f["imds.endpoint_enabled"]) is False
    assert shown(f["path.ssrf_to_s3"]) is False
    assert "disabled" in f["imds.summary"].value


def test_unresolved_option_stays_unknown_with_its_expression() -> None:
    leaf = Unresolved('var.secure ? "required" : "optional"', "the condition is not known")
    f = facts([tf("aws_instance", "x", {"metadata_options": [{"http_tokens": leaf}]})], "aws_instance.x")
    assert f["imds.tokens_required"].opaque
    assert "var.secure" in f["imds.tokens_required"].reason


def test_invalid_hop_limit_is_unresolved_not_safe() -> None:
    f = facts([tf("aws_instance", "x", {"metadata_options": [{"http_put_response_hop_limit": "lots"}]})],
              "aws_instance.x")
    assert f["imds.hop_limit"].opaque


# ----------------------------------------------------------------------- step 2: launch template


@pytest.mark.parametrize("version", ["$Latest", "$Default", "3"])
def test_launch_template_options_reach_the_instance(version: str) -> None:
    resources = [
        tf("aws_launch_template", "web", {"name": "web", "metadata_options": [{"http_tokens": "required"}]}),
        tf("aws_instance", "web", {"launch_template": [{"id": lt_id(), "version": version}]}, LT_REF),
    ]
    f = facts(resources, "aws_instance.web")
    assert shown(f["imds.tokens_required"]) is True
    assert f["imds.decided_by"].value.startswith("launch template aws_launch_template.web")
    assert any(s.address == "aws_launch_template.web" for s in f["imds.tokens_required"].sources)


def test_template_linked_by_literal_name() -> None:
    resources = [
        tf("aws_launch_template", "web", {"name": "web-lt", "metadata_options": [{"http_tokens": "optional"}]}),
        tf("aws_autoscaling_group", "web", {"launch_template": [{"name": "web-lt", "version": "$Default"}]}),
    ]
    f = facts(resources, "aws_autoscaling_group.web")
    assert shown(f["imds.tokens_required"]) is False


def test_template_outside_the_configuration_is_unknown() -> None:
    f = facts([tf("aws_autoscaling_group", "web", {"launch_template": [{"id": "lt-0abc", "version": "1"}]})],
              "aws_autoscaling_group.web")
    assert f["imds.tokens_required"].opaque
    assert "lt-0abc is not in the configuration" in f["imds.tokens_required"].reason


def test_mixed_instances_policy_takes_the_weakest_template() -> None:
    spec = {"launch_template_id": Unknown("aws_launch_template.strict.id is known only after apply")}
    override = {"launch_template_specification": [{"launch_template_id": Unknown(
        "aws_launch_template.loose.id is known only after apply")}], "instance_type": "c5.large"}
    resources = [
        tf("aws_launch_template", "strict", {"name": "strict", "metadata_options": [{"http_tokens": "required"}]}),
        tf("aws_launch_template", "loose", {"name": "loose"}),
        tf("aws_autoscaling_group", "web", {"mixed_instances_policy": [{"launch_template": [
            {"launch_template_specification": [spec], "override": [override]}]}]},
           {"mixed_instances_policy.launch_template.launch_template_specification.launch_template_id":
                ["aws_launch_template.strict"],
            "mixed_instances_policy.launch_template.override.launch_template_specification.launch_template_id":
                ["aws_launch_template.loose"]}),
    ]
    f = facts(resources, "aws_autoscaling_group.web")
    assert shown(f["imds.tokens_required"]) is False
    assert "aws_launch_template.loose" in f["imds.decided_by"].value or f["imds.decided_by"].value == "EC2 default"


def test_autoscaling_group_follows_its_launch_configuration() -> None:
    resources = [
        tf("aws_launch_configuration", "old", {"name": "old-lc", "image_id": "ami-1", "metadata_options": [
            {"http_endpoint": "enabled", "http_tokens": "optional"}]}),
        tf("aws_autoscaling_group", "web", {"launch_configuration": "old-lc"}),
    ]
    f = facts(resources, "aws_autoscaling_group.web")
    assert shown(f["imds.tokens_required"]) is False
    assert f["imds.decided_by"].value == "launch configuration aws_launch_configuration.old"


def test_launch_configuration_tokens_need_the_endpoint_written() -> None:
    # The provider sends http_tokens and the hop limit to Auto Scaling only with
    # http_endpoint = "enabled"; without it the launch configuration is created with neither.
    written_alone = tf("aws_launch_configuration", "lc", {"name": "lc", "image_id": "ami-1",
                                                          "metadata_options": [{"http_tokens": "required"}]})
    f = facts([written_alone], "aws_launch_configuration.lc")
    assert shown(f["imds.tokens_required"]) is False
    assert f["imds.decided_by"].value == "EC2 default"
    assert "http_tokens = 'required' is not applied" in f["imds.summary"].value
    with_endpoint = tf("aws_launch_configuration", "lc", {"name": "lc", "image_id": "ami-1", "metadata_options": [
        {"http_endpoint": "enabled", "http_tokens": "required"}]})
    assert shown(facts([with_endpoint], "aws_launch_configuration.lc")["imds.tokens_required"]) is True


def test_spot_instance_request_is_a_launch_site() -> None:
    f = facts([tf("aws_spot_instance_request", "cheap", {"ami": "ami-1"})], "aws_spot_instance_request.cheap")
    assert f["site_kind"].value == "spot_instance_request"
    assert shown(f["imds.tokens_required"]) is False


# ---------------------------------------------------------------------- step 3: account defaults


def test_account_defaults_decide_when_nothing_closer_does() -> None:
    resources = [tf("aws_ec2_instance_metadata_defaults", "acct", {"http_tokens": "required",
                                                                   "http_put_response_hop_limit": 1}),
                 tf("aws_instance", "x", {"ami": "ami-1"})]
    f = facts(resources, "aws_instance.x")
    assert shown(f["imds.tokens_required"]) is True
    assert f["imds.decided_by"].value == "account defaults"


def test_no_preference_passes_to_the_next_step() -> None:
    resources = [tf("aws_ec2_instance_metadata_defaults", "acct", {"http_tokens": "no-preference",
                                                                   "http_put_response_hop_limit": -1}),
                 tf("aws_instance", "x", {"ami": "ami-1"})]
    f = facts(resources, "aws_instance.x")
    assert shown(f["imds.tokens_required"]) is False
    assert f["imds.decided_by"].value == "EC2 default"


def test_account_defaults_of_another_stack_do_not_count() -> None:
    other = tf("aws_ec2_instance_metadata_defaults", "acct", {"http_tokens": "required"})
    other.stack = "elsewhere"
    from iacgate.build import build_model

    model = build_model([other, tf("aws_instance", "x", {"ami": "ami-1"})])
    subject = next(s for s in launch_site_subjects(model) if s.address == "aws_instance.x")
    assert shown(subject.facts["imds.tokens_required"]) is False


# ------------------------------------------------------------------------------------ step 4: AMI


def test_ami_with_imds_support_v2_requires_tokens_with_hop_two() -> None:
    resources = [tf("aws_ami", "golden", {"name": "golden", "imds_support": "v2.0"}),
                 tf("aws_instance", "x", {"ami": Unknown("aws_ami.golden.id is known only after apply")},
                    {"ami": ["aws_ami.golden"]})]
    f = facts(resources, "aws_instance.x")
    assert shown(f["imds.tokens_required"]) is True
    assert shown(f["imds.hop_limit"]) == 2
    assert f["imds.decided_by"].value == "AMI"


def test_account_defaults_win_over_the_ami() -> None:
    resources = [tf("aws_ec2_instance_metadata_defaults", "acct", {"http_tokens": "optional"}),
                 tf("aws_ami", "golden", {"imds_support": "v2.0"}),
                 tf("aws_instance", "x", {"ami": Unknown("known after apply")}, {"ami": ["aws_ami.golden"]})]
    f = facts(resources, "aws_instance.x")
    assert shown(f["imds.tokens_required"]) is False
    assert shown(f["imds.hop_limit"]) == 2  # each option resolves on its own


def test_data_ami_filtered_on_imds_support_counts() -> None:
    resources = [tf("aws_ami", "al2023", {"most_recent": True, "filter": [{"name": "imds-support", "values": ["v2.0"]}]},
                    mode="data"),
                 tf("aws_instance", "x", {"ami": Unknown("data.aws_ami.al2023.id is known only after apply")},
                    {"ami": ["data.aws_ami.al2023"]})]
    assert shown(facts(resources, "aws_instance.x")["imds.tokens_required"]) is True


def test_ami_outside_the_configuration_is_not_protection_and_says_so() -> None:
    f = facts([tf("aws_instance", "x", {"ami": "ami-0c55b159cbfafe1f0"})], "aws_instance.x")
    assert shown(f["imds.tokens_required"]) is False
    summary = f["imds.summary"].value
    assert "ami-0c55b159cbfafe1f0 is not in the configuration" in summary
    assert "aws_ec2_instance_metadata_defaults" in summary


def test_data_ami_without_filter_is_not_protection() -> None:
    resources = [tf("aws_ami", "any", {"most_recent": True}, mode="data"),
                 tf("aws_instance", "x", {"ami": Unknown("data.aws_ami.any.id is known only after apply")},
                    {"ami": ["data.aws_ami.any"]})]
    f = facts(resources, "aws_instance.x")
    assert shown(f["imds.tokens_required"]) is False
    assert "data.aws_ami.any" in f["imds.summary"].value


# ------------------------------------------------------------------------------ step 5: defaults


def test_ec2_defaults_apply_to_a_bare_launch_template() -> None:
    f = facts([tf("aws_launch_template", "bare", {"image_id": "ami-1"})], "aws_launch_template.bare")
    assert (shown(f["imds.endpoint_enabled"]), shown(f["imds.tokens_required"]), shown(f["imds.hop_limit"])) == \
        (True, False, 1)
    assert f["site_kind"].value == "launch_template"


# -------------------------------------------------------------------------- containers and EKS


def test_node_group_without_template_is_unknown() -> None:
    f = facts([tf("aws_eks_node_group", "ng", {"cluster_name": "c"})], "aws_eks_node_group.ng")
    assert f["imds.tokens_required"].opaque
    assert "EKS creates" in f["imds.tokens_required"].reason
    assert f["imds.hosts_containers"].value is True


def test_template_used_by_a_node_group_hosts_containers() -> None:
    resources = [tf("aws_launch_template", "web", {"name": "ng", "metadata_options": [
                    {"http_tokens": "required", "http_put_response_hop_limit": 2}]}),
                 tf("aws_eks_node_group", "ng", {"launch_template": [{"id": lt_id(), "version": "1"}]}, LT_REF)]
    assert facts(resources, "aws_launch_template.web")["imds.hosts_containers"].value is True
    assert facts(resources, "aws_eks_node_group.ng")["imds.hop_limit"].value == 2


def test_user_data_joining_ecs_marks_a_container_host() -> None:
    user_data = "#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\n"
    f = facts([tf("aws_launch_template", "ecs", {"user_data": user_data})], "aws_launch_template.ecs")
    assert f["imds.hosts_containers"].value is True


def test_ecs_capacity_provider_marks_its_group() -> None:
    resources = [tf("aws_autoscaling_group", "ecs", {"launch_configuration": "lc"}),
                 tf("aws_ecs_capacity_provider", "cp", {"auto_scaling_group_provider": [{
                     "auto_scaling_group_arn": Unknown("aws_autoscaling_group.ecs.arn is known only after apply")}]},
                    {"auto_scaling_group_provider.auto_scaling_group_arn": ["aws_autoscaling_group.ecs"]})]
    assert facts(resources, "aws_autoscaling_group.ecs")["imds.hosts_containers"].value is True


# --------------------------------------------------------------------------------- plan form


def test_plan_computed_options_not_configured_fall_back_to_precedence() -> None:
    resources = [tf("aws_instance", "plain", {"ami": "ami-1", "metadata_options": Unknown("known after apply")},
                    kind="plan", meta={"config_keys": ["ami", "instance_type"]})]
    f = facts(resources, "aws_instance.plain")
    assert shown(f["imds.tokens_required"]) is False
    assert f["imds.decided_by"].value == "EC2 default"


def test_plan_whole_unknown_block_is_not_configured() -> None:
    resources = [tf("aws_instance", "x", {"metadata_options": Unknown("known after apply")}, kind="plan")]
    assert shown(facts(resources, "aws_instance.x")["imds.tokens_required"]) is False


def test_plan_unknown_leaf_in_a_configured_block_stays_unknown() -> None:
    resources = [tf("aws_instance", "x", {"metadata_options": [{"http_tokens": Unknown("known after apply")}]},
                    kind="plan")]
    assert facts(resources, "aws_instance.x")["imds.tokens_required"].opaque


def test_plan_values_decide() -> None:
    resources = [tf("aws_instance", "hop3", {"metadata_options": [{
        "http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 3,
        "instance_metadata_tags": Unknown("known after apply")}]}, kind="plan")]
    f = facts(resources, "aws_instance.hop3")
    assert (shown(f["imds.tokens_required"]), shown(f["imds.hop_limit"])) == (True, 3)


# -------------------------------------------------------------------------- registry modules


def module(source: str, version: str | None, inputs: dict[str, Any]) -> RawResource:
    return tf("module", "app", inputs, mode="module", meta={"source": source, "version": version})


@pytest.mark.parametrize("version, tokens", [("5.7.1", False), ("~> 5.7.0", False), ("~> 5.0", True),
                                             ("5.8.0", True), (None, True), ("~> 4.0", False)])
def test_ec2_instance_module_defaults_by_version(version: str | None, tokens: bool) -> None:
    f = facts([module("terraform-aws-modules/ec2-instance/aws", version, {"name": "app"})], "module.app")
    assert shown(f["imds.tokens_required"]) is tokens


def test_module_inputs_override_module_defaults() -> None:
    f = facts([module("terraform-aws-modules/ec2-instance/aws", "6.0.0",
                      {"metadata_options": {"http_tokens": "optional"}})], "module.app")
    assert shown(f["imds.tokens_required"]) is False
    assert f["imds.hop_limit"].value == 1
    assert "module default" in f["imds.summary"].value


def test_autoscaling_module_before_v9_writes_no_options() -> None:
    f = facts([module("terraform-aws-modules/autoscaling/aws", "~> 8.0", {})], "module.app")
    assert f["imds.decided_by"].value == "EC2 default"
    f = facts([module("terraform-aws-modules/autoscaling/aws", "9.0.0", {})], "module.app")
    assert shown(f["imds.tokens_required"]) is True


def test_eks_node_group_module_hop_limit_by_version() -> None:
    source = "terraform-aws-modules/eks/aws//modules/eks-managed-node-group"
    assert facts([module(source, "20.37.0", {})], "module.app")["imds.hop_limit"].value == 2
    assert facts([module(source, "21.0.0", {})], "module.app")["imds.hop_limit"].value == 1
    custom_off = facts([module(source, "21.0.0", {"use_custom_launch_template": False})], "module.app")
    assert custom_off["imds.tokens_required"].opaque


def test_version_constraints() -> None:
    assert only_older_than("~> 5.7.0", (5, 8, 0)) is True
    assert only_older_than("~> 5.7", (5, 8, 0)) is False
    assert only_older_than(">= 5.0, < 5.8.0", (5, 8, 0)) is True
    assert only_older_than(">= 5.0", (5, 8, 0)) is False
    assert only_older_than("not a version", (5, 8, 0)) is None
    assert module_metadata_defaults("unknown/module/aws", "1.0") == ({}, "")


# ------------------------------------------------------------------------- CloudFormation form


def test_cfn_instance_options() -> None:
    resources = [cfn("Web", "AWS::EC2::Instance", {"ImageId": "ami-1", "MetadataOptions": {
        "HttpTokens": "required", "HttpPutResponseHopLimit": "1"}})]
    f = facts(resources, "Web", build_cfn)
    assert (shown(f["imds.tokens_required"]), shown(f["imds.hop_limit"])) == (True, 1)


def test_cfn_instance_through_launch_template_by_ref() -> None:
    resources = [
        cfn("Lt", "AWS::EC2::LaunchTemplate", {"LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "optional"}}}),
        cfn("Web", "AWS::EC2::Instance", {"LaunchTemplate": {
            "LaunchTemplateId": Unknown("name of Lt is known only after deploy"), "Version": "1"}},
            {"LaunchTemplate": ["Lt"], "LaunchTemplate.LaunchTemplateId": ["Lt"]}),
    ]
    f = facts(resources, "Web", build_cfn)
    assert shown(f["imds.tokens_required"]) is False
    assert f["imds.decided_by"].value == "launch template Lt version 1"
    assert "account" not in f["imds.summary"].value  # the template decided: no note on unseen defaults


def test_cfn_instance_without_options_notes_the_unseen_account_defaults() -> None:
    f = facts([cfn("Web", "AWS::EC2::Instance", {"ImageId": "ami-1"})], "Web", build_cfn)
    assert shown(f["imds.tokens_required"]) is False
    assert "CloudFormation cannot declare them" in f["imds.summary"].value


def test_cfn_launch_configuration_and_group() -> None:
    resources = [
        cfn("Lc", "AWS::AutoScaling::LaunchConfiguration", {"ImageId": "ami-1", "MetadataOptions": {
            "HttpEndpoint": "enabled", "HttpTokens": "required"}}),
        cfn("Asg", "AWS::AutoScaling::AutoScalingGroup", {"LaunchConfigurationName": Unknown("name of Lc")},
            {"LaunchConfigurationName": ["Lc"]}),
    ]
    assert shown(facts(resources, "Lc", build_cfn)["imds.tokens_required"]) is True
    assert shown(facts(resources, "Asg", build_cfn)["imds.tokens_required"]) is True


def test_cfn_mixed_instances_override_and_nodegroup() -> None:
    resources = [
        cfn("Strict", "AWS::EC2::LaunchTemplate", {"LaunchTemplateName": "strict", "LaunchTemplateData": {
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}}}),
        cfn("Loose", "AWS::EC2::LaunchTemplate", {"LaunchTemplateName": "loose", "LaunchTemplateData": {}}),
        cfn("Asg", "AWS::AutoScaling::AutoScalingGroup", {"MixedInstancesPolicy": {"LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "strict", "Version": "1"},
            "Overrides": [{"InstanceType": "c5.large",
                           "LaunchTemplateSpecification": {"LaunchTemplateName": "loose", "Version": "1"}}]}}}),
        cfn("Nodes", "AWS::EKS::Nodegroup", {"LaunchTemplate": {"Name": "strict"}}),
    ]
    assert shown(facts(resources, "Asg", build_cfn)["imds.tokens_required"]) is False
    nodes = facts(resources, "Nodes", build_cfn)
    assert (shown(nodes["imds.tokens_required"]), nodes["imds.hosts_containers"].value) == (True, True)
    assert facts(resources, "Strict", build_cfn)["imds.hosts_containers"].value is True
