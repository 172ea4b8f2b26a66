"""Adversarial IMDS cases run through the whole gate (CLI, JSON report) on realistic Terraform,
CloudFormation and plans, each compared with what EC2 and the AWS provider do at launch."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "imds_audit"
AMI = "ami-0abcdef1234567890"


def gate(*paths: Path) -> dict[tuple[str, str], str]:
    """{(rule id, resource address): status} of the IMDS and SSRF findings of one run."""
    run = subprocess.run([sys.executable, "-m", "iacgate", "check", *map(str, paths), "--format", "json",
                          "--no-cache", "--only", "imds-v2", "--only", "ssrf-credential-path"],
                         capture_output=True, text=True, check=False)
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(run.stdout)
    assert report["errors"] == []
    return {(f["rule_id"], f["resource"]["address"]): f["status"] for f in report["findings"]}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return tmp_path


TERRAFORM_CASES = [
    pytest.param(f'''
        resource "aws_instance" "noimds" {{
          ami = "{AMI}"
          metadata_options {{
            http_endpoint = "disabled"
          }}
        }}''', {}, id="endpoint-disabled-tokens-unset-no-imds"),
    pytest.param(f'''
        resource "aws_instance" "tags" {{
          ami = "{AMI}"
          metadata_options {{
            http_tokens            = "required"
            instance_metadata_tags = "enabled"
          }}
        }}
        resource "aws_instance" "tags_v1" {{
          ami = "{AMI}"
          metadata_options {{
            instance_metadata_tags = "enabled"
          }}
        }}''', {("IG-EC2-001", "aws_instance.tags_v1"): "fail"}, id="metadata-tags-do-not-set-tokens"),
    pytest.param(f'''
        resource "aws_launch_template" "ecs" {{
          image_id  = "{AMI}"
          user_data = base64encode("#!/bin/bash\\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\\n")
          metadata_options {{
            http_tokens                 = "required"
            http_put_response_hop_limit = 2
          }}
        }}
        resource "aws_launch_template" "ecs3" {{
          image_id  = "{AMI}"
          user_data = base64encode("#!/bin/bash\\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\\n")
          metadata_options {{
            http_tokens                 = "required"
            http_put_response_hop_limit = 3
          }}
        }}
        resource "aws_instance" "plain2" {{
          ami = "{AMI}"
          metadata_options {{
            http_tokens                 = "required"
            http_put_response_hop_limit = 2
          }}
        }}''', {("IG-EC2-002", "aws_launch_template.ecs3"): "fail", ("IG-EC2-002", "aws_instance.plain2"): "fail"},
        id="hop-limit-two-only-on-container-hosts"),
    pytest.param((FIXTURES / "partial_blocks" / "config" / "main.tf").read_text(),
                 {("IG-EC2-001", "aws_launch_template.loose"): "fail",
                  ("IG-EC2-001", "aws_autoscaling_group.mixed"): "fail"},
                 id="mixed-instances-override-names-a-weaker-template"),
    pytest.param(f'''
        resource "aws_ec2_instance_metadata_defaults" "acct" {{
          http_tokens                 = "no-preference"
          http_put_response_hop_limit = -1
          http_endpoint               = "no-preference"
        }}
        data "aws_ami" "al2023" {{
          most_recent = true
          owners      = ["amazon"]
          filter {{
            name   = "imds-support"
            values = ["v2.0"]
          }}
        }}
        resource "aws_instance" "v2ami" {{
          ami = data.aws_ami.al2023.id
        }}
        resource "aws_instance" "otherami" {{
          ami = "{AMI}"
        }}''', {("IG-EC2-002", "aws_instance.v2ami"): "fail", ("IG-EC2-001", "aws_instance.otherami"): "fail"},
        id="no-preference-passes-to-an-ami-filtered-on-imds-support"),
    pytest.param('''
        resource "aws_ec2_instance_metadata_defaults" "acct" {
          http_tokens = "optional"
        }
        resource "aws_ami" "golden" {
          name                = "golden"
          imds_support        = "v2.0"
          root_device_name    = "/dev/xvda"
          virtualization_type = "hvm"
        }
        resource "aws_instance" "golden" {
          ami = aws_ami.golden.id
        }''', {("IG-EC2-001", "aws_instance.golden"): "fail", ("IG-EC2-002", "aws_instance.golden"): "fail"},
        id="account-defaults-come-before-the-ami"),
    pytest.param((FIXTURES / "endpoint_default" / "config" / "main.tf").read_text(),
                 {("IG-EC2-001", "aws_instance.a"): "fail"},
                 id="instance-block-without-endpoint-overrides-account-disable"),
    pytest.param(f'''
        resource "aws_launch_configuration" "lc_ok" {{
          image_id      = "{AMI}"
          instance_type = "t3.micro"
          metadata_options {{
            http_endpoint = "enabled"
            http_tokens   = "required"
          }}
        }}
        resource "aws_launch_configuration" "lc_v1" {{
          image_id      = "{AMI}"
          instance_type = "t3.micro"
          metadata_options {{
            http_put_response_hop_limit = 1
          }}
        }}
        resource "aws_autoscaling_group" "ok" {{
          launch_configuration = aws_launch_configuration.lc_ok.name
          min_size             = 1
          max_size             = 1
        }}
        resource "aws_autoscaling_group" "v1" {{
          launch_configuration = aws_launch_configuration.lc_v1.name
          min_size             = 1
          max_size             = 1
        }}''', {("IG-EC2-001", "aws_launch_configuration.lc_v1"): "fail",
                ("IG-EC2-001", "aws_autoscaling_group.v1"): "fail"}, id="launch-configuration-through-group"),
    pytest.param('''
        resource "aws_launch_template" "nodes" {
          metadata_options {
            http_endpoint               = "enabled"
            http_tokens                 = "required"
            http_put_response_hop_limit = 2
          }
        }
        resource "aws_eks_node_group" "ok" {
          cluster_name  = "prod"
          node_role_arn = "arn:aws:iam::123456789012:role/node"
          subnet_ids    = ["subnet-1"]
          launch_template {
            id      = aws_launch_template.nodes.id
            version = aws_launch_template.nodes.latest_version
          }
        }''', {}, id="eks-node-group-template-hop-two"),
    pytest.param('''
        resource "aws_launch_template" "strict" {
          metadata_options {
            http_tokens = "required"
          }
        }
        resource "aws_instance" "inherit" {
          launch_template {
            id = aws_launch_template.strict.id
          }
          metadata_options {
            http_put_response_hop_limit = 1
          }
        }
        resource "aws_instance" "override" {
          launch_template {
            id = aws_launch_template.strict.id
          }
          metadata_options {
            http_tokens = "optional"
          }
        }''', {("IG-EC2-001", "aws_instance.override"): "fail"}, id="instance-options-decide-option-by-option"),
    pytest.param(f'''
        variable "imds_tokens" {{
          default = "optional"
        }}
        variable "harden" {{
          default = true
        }}
        resource "aws_spot_instance_request" "spot" {{
          ami = "{AMI}"
          metadata_options {{
            http_tokens = var.imds_tokens
          }}
        }}
        resource "aws_instance" "cond" {{
          ami = "{AMI}"
          metadata_options {{
            http_tokens = var.harden ? "required" : "optional"
          }}
        }}''', {("IG-EC2-001", "aws_spot_instance_request.spot"): "fail"}, id="tokens-from-variables"),
]


@pytest.mark.parametrize(("text", "expected"), TERRAFORM_CASES)
def test_terraform(tmp_path: Path, text: str, expected: dict[tuple[str, str], str]) -> None:
    assert gate(write(tmp_path, "main.tf", text)) == expected


CFN_CASES = [
    pytest.param(f'''
        Resources:
          StrictTemplate:
            Type: AWS::EC2::LaunchTemplate
            Properties:
              LaunchTemplateData:
                ImageId: {AMI}
                MetadataOptions: {{HttpTokens: required, HttpPutResponseHopLimit: 1}}
          LooseOverride:
            Type: AWS::EC2::Instance
            Properties:
              LaunchTemplate:
                LaunchTemplateId: !Ref StrictTemplate
                Version: !GetAtt StrictTemplate.LatestVersionNumber
              MetadataOptions: {{HttpTokens: optional}}
          Inherits:
            Type: AWS::EC2::Instance
            Properties:
              LaunchTemplate:
                LaunchTemplateId: !Ref StrictTemplate
                Version: !GetAtt StrictTemplate.DefaultVersionNumber
              MetadataOptions: {{InstanceMetadataTags: enabled}}
          NoImds:
            Type: AWS::EC2::Instance
            Properties:
              ImageId: {AMI}
              MetadataOptions: {{HttpEndpoint: disabled}}
        ''', {("IG-EC2-001", "LooseOverride"): "fail"}, id="instance-and-template-both-with-options"),
    pytest.param(f'''
        Resources:
          StrictLC:
            Type: AWS::AutoScaling::LaunchConfiguration
            Properties:
              ImageId: {AMI}
              InstanceType: t3.micro
              MetadataOptions: {{HttpEndpoint: enabled, HttpTokens: required}}
          LooseLC:
            Type: AWS::AutoScaling::LaunchConfiguration
            Properties:
              ImageId: {AMI}
              InstanceType: t3.micro
              MetadataOptions: {{HttpTokens: optional}}
          StrictGroup:
            Type: AWS::AutoScaling::AutoScalingGroup
            Properties: {{LaunchConfigurationName: !Ref StrictLC, MinSize: "1", MaxSize: "2"}}
          LooseGroup:
            Type: AWS::AutoScaling::AutoScalingGroup
            Properties: {{LaunchConfigurationName: !Ref LooseLC, MinSize: "1", MaxSize: "2"}}
        ''', {("IG-EC2-001", "LooseLC"): "fail", ("IG-EC2-001", "LooseGroup"): "fail"},
        id="launch-configuration-metadata-options"),
    pytest.param('''
        Resources:
          Strict:
            Type: AWS::EC2::LaunchTemplate
            Properties:
              LaunchTemplateData:
                MetadataOptions: {HttpTokens: required}
          Loose:
            Type: AWS::EC2::LaunchTemplate
            Properties:
              LaunchTemplateData: {InstanceType: m6g.large}
          Mixed:
            Type: AWS::AutoScaling::AutoScalingGroup
            Properties:
              MinSize: "1"
              MaxSize: "2"
              MixedInstancesPolicy:
                LaunchTemplate:
                  LaunchTemplateSpecification:
                    LaunchTemplateId: !Ref Strict
                    Version: !GetAtt Strict.LatestVersionNumber
                  Overrides:
                    - InstanceType: m5.large
                    - InstanceType: m6g.large
                      LaunchTemplateSpecification: {LaunchTemplateId: !Ref Loose, Version: "1"}
          NodeTemplate:
            Type: AWS::EC2::LaunchTemplate
            Properties:
              LaunchTemplateData:
                MetadataOptions: {HttpTokens: required, HttpPutResponseHopLimit: 2}
          Nodes:
            Type: AWS::EKS::Nodegroup
            Properties:
              ClusterName: prod
              NodeRole: arn:aws:iam::123456789012:role/node
              Subnets: [subnet-1]
              LaunchTemplate: {Id: !Ref NodeTemplate, Version: !GetAtt NodeTemplate.LatestVersionNumber}
        ''', {("IG-EC2-001", "Loose"): "fail", ("IG-EC2-001", "Mixed"): "fail"},
        id="mixed-override-and-node-group-template"),
]


@pytest.mark.parametrize(("text", "expected"), CFN_CASES)
def test_cloudformation(tmp_path: Path, text: str, expected: dict[tuple[str, str], str]) -> None:
    assert gate(write(tmp_path, "template.yaml", text)) == expected


@pytest.mark.parametrize("case", ["partial_blocks", "endpoint_default"])
def test_plan_agrees_with_its_configuration(case: str) -> None:
    """Options a written block leaves out show as unknown in a plan; they are not configured there
    and precedence decides them, as in the configuration itself."""
    from_config = gate(FIXTURES / case / "config")
    from_plan = gate(FIXTURES / case / "plan.json")
    assert from_plan == from_config
    assert all(status == "fail" for status in from_plan.values())
