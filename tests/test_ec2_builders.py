"""Model builders for EC2 and IAM: linking by reference and by literal name, and no traceback on
malformed input."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.adapters.cloudformation.aws_ec2 import build_ec2 as build_cfn
from iacgate.adapters.cloudformation.loader import load_cloudformation
from iacgate.adapters.terraform.aws_ec2 import build_ec2 as build_tf
from iacgate.adapters.terraform.loader import TerraformOptions, load_terraform
from iacgate.analysis.imds import launch_site_subjects
from iacgate.model import Model
from iacgate.raw import RawResource
from iacgate.values import Unknown, Unresolved


def tf_model(tmp_path: Path, text: str) -> Model:
    path = tmp_path / "main.tf"
    path.write_text(textwrap.dedent(text))
    return build_tf(load_terraform({str(tmp_path): [str(path)]}, TerraformOptions()).resources)


def test_terraform_links(tmp_path: Path) -> None:
    model = tf_model(tmp_path, '''
        resource "aws_iam_role" "nodes" {
          name               = "nodes"
          assume_role_policy = "{}"
        }
        resource "aws_iam_role" "app" {
          name               = "app"
          assume_role_policy = "{}"
        }
        resource "aws_iam_instance_profile" "app" {
          name = "app-profile"
          role = "app"
        }
        resource "aws_security_group" "app" {
          name = "app-sg"
        }
        resource "aws_launch_configuration" "app" {
          name                 = "app-lc"
          image_id             = "ami-1"
          instance_type        = "t3.micro"
          iam_instance_profile = "app-profile"
          security_groups      = [aws_security_group.app.id]
        }
        resource "aws_autoscaling_group" "app" {
          max_size             = 1
          min_size             = 1
          launch_configuration = aws_launch_configuration.app.name
        }
        resource "aws_eks_node_group" "nodes" {
          cluster_name  = "prod"
          node_role_arn = aws_iam_role.nodes.arn
          subnet_ids    = ["subnet-1"]
          scaling_config {
            desired_size = 1
            max_size     = 1
            min_size     = 1
          }
        }
        module "web" {
          source                      = "terraform-aws-modules/ec2-instance/aws"
          version                     = "6.1.0"
          create_iam_instance_profile = true
          iam_role_policies           = { s3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }
        }
    ''')
    sites = {s.address: s for s in model.launch_sites}
    lc = sites["aws_launch_configuration.app"]
    assert lc.instance_profile is not None and lc.instance_profile.role is not None
    assert lc.instance_profile.role.address == "aws_iam_role.app"
    assert [g.address for g in lc.security_groups] == ["aws_security_group.app"]
    assert sites["aws_autoscaling_group.app"].launch_configuration is lc
    assert sites["aws_eks_node_group.nodes"].role is not None
    assert sites["aws_eks_node_group.nodes"].role.address == "aws_iam_role.nodes"
    web = sites["module.web"]
    assert web.role is not None and web.role.managed_policy_arns[0].value.endswith("AmazonS3ReadOnlyAccess")
    subjects = {s.address: s.facts for s in launch_site_subjects(model)}
    assert subjects["module.web"]["role.can_read_s3"].value is True
    assert subjects["aws_autoscaling_group.app"]["role.present"].value is True


def test_cloudformation_links(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent('''
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              RoleName: app
              AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
          Inline:
            Type: AWS::IAM::RolePolicy
            Properties:
              RoleName: !Ref Role
              PolicyName: read
              PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::x/*"}]}
          Legacy:
            Type: AWS::IAM::Policy
            Properties:
              PolicyName: legacy
              Roles: [app]
              PolicyDocument: {Version: "2012-10-17", Statement: []}
          Profile:
            Type: AWS::IAM::InstanceProfile
            Properties:
              InstanceProfileName: app
              Roles: [!Ref Role]
          Sg:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: app
          Web:
            Type: AWS::EC2::Instance
            Properties:
              ImageId: ami-1
              IamInstanceProfile: app
              SecurityGroupIds: [!GetAtt Sg.GroupId]
          Capacity:
            Type: AWS::ECS::CapacityProvider
            Properties:
              AutoScalingGroupProvider:
                AutoScalingGroupArn: !Ref Group
          Group:
            Type: AWS::AutoScaling::AutoScalingGroup
            Properties:
              MinSize: "1"
              MaxSize: "1"
              LaunchConfigurationName: external-lc
    '''))
    model = build_cfn(load_cloudformation(str(path), path.read_text()).resources)
    role = model.roles[0]
    assert [p.address for p in role.inline_policies] == ["Inline"]
    assert [p.address for p in role.attached_policies] == ["Legacy"]
    web = next(s for s in model.launch_sites if s.address == "Web")
    assert web.instance_profile is not None and web.instance_profile.role is role
    assert [g.address for g in web.security_groups] == ["Sg"]
    group = next(s for s in model.launch_sites if s.address == "Group")
    assert group.hosts_containers is True
    facts = {s.address: s.facts for s in launch_site_subjects(model)}
    assert "external-lc is not in the configuration" in facts["Group"]["imds.tokens_required"].reason


LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 70), st.text(max_size=12),
                   st.sampled_from([Unknown("later"), Unresolved("var.x", "not known"),
                                    "0.0.0.0/0", "::/0", "-1", "required", "optional"]))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.sampled_from(
                                                          ["metadata_options", "http_tokens", "egress",
                                                           "cidr_blocks", "launch_template", "id", "role",
                                                           "MetadataOptions", "HttpTokens", "SecurityGroupEgress",
                                                           "CidrIp", "Policies", "PolicyDocument"]), inner,
                                                          max_size=4)), max_leaves=12)
TYPES = ["aws_instance", "aws_launch_template", "aws_autoscaling_group", "aws_security_group",
         "aws_iam_role", "aws_iam_role_policy", "aws_eks_node_group", "aws_ec2_instance_metadata_defaults",
         "AWS::EC2::Instance", "AWS::EC2::LaunchTemplate", "AWS::EC2::SecurityGroup", "AWS::IAM::Role",
         "AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::SecurityGroupEgress"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TYPES), st.dictionaries(st.sampled_from(
    ["metadata_options", "egress", "launch_template", "role", "inline_policy", "MetadataOptions",
     "SecurityGroupEgress", "LaunchTemplate", "Policies", "LaunchTemplateData", "GroupId"]), TREES, max_size=4)),
    max_size=4))
def test_malformed_input_never_raises(items: list[tuple[str, dict[str, Any]]]) -> None:
    resources = [RawResource(f"r{i}", type_, f"r{i}", "cloudformation" if type_.startswith("AWS::") else "terraform",
                             "f", attrs=attrs) for i, (type_, attrs) in enumerate(items)]
    model = Model()
    model.merge(build_tf([r for r in resources if r.source_kind == "terraform"]))
    model.merge(build_cfn([r for r in resources if r.source_kind == "cloudformation"]))
    for subject in launch_site_subjects(model):
        key = "site_kind" if subject.kind == "ec2_launch_site" else "egress.unrestricted"
        assert key in subject.facts
