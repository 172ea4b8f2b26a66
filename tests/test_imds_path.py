"""Instance role reach into S3 and the SSRF -> credentials -> S3 path, from real Terraform and
CloudFormation snippets through the loaders, the model, the analysis and the rules."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from iacgate.adapters.cloudformation.loader import load_cloudformation
from iacgate.adapters.terraform.loader import TerraformOptions, load_terraform
from iacgate.analysis.imds import launch_site_subjects
from iacgate.build import build_model
from iacgate.findings import Subject
from iacgate.rules.engine import evaluate
from iacgate.rules.loader import load_rules

REPO = Path(__file__).resolve().parents[1]

ROLE = '''
resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}
resource "aws_s3_bucket" "data" {
  bucket = "corp-data"
}
resource "aws_s3_bucket" "logs" {
  bucket = "corp-logs"
}
resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.app.name
}
'''


def subjects_tf(tmp_path: Path, text: str) -> list[Subject]:
    path = tmp_path / "main.tf"
    path.write_text(textwrap.dedent(text))
    loaded = load_terraform({str(tmp_path): [str(path)]}, TerraformOptions())
    return launch_site_subjects(build_model(loaded.resources))


def subjects_cfn(tmp_path: Path, text: str) -> list[Subject]:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    loaded = load_cloudformation(str(path), path.read_text())
    return launch_site_subjects(build_model(loaded.resources))


def of(subjects: list[Subject], address: str) -> dict[str, Any]:
    return next(s for s in subjects if s.address == address).facts


def findings(subjects: list[Subject]) -> list[Any]:
    rules, errors = load_rules([])
    assert not errors
    return evaluate([r for r in rules if r.id.startswith("IG-EC2")], subjects)


def test_inline_role_policy_from_a_policy_document_reaches_one_bucket(tmp_path: Path) -> None:
    facts = of(subjects_tf(tmp_path, ROLE + '''
        data "aws_iam_policy_document" "read" {
          statement {
            sid       = "ReadData"
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.data.arn}/*"]
          }
        }
        resource "aws_iam_role_policy" "read" {
          role   = aws_iam_role.app.id
          policy = data.aws_iam_policy_document.read.json
        }
    '''), "aws_instance.web")
    assert facts["role.present"].value is True
    assert facts["role.can_read_s3"].value is True
    assert facts["role.readable_buckets"].value == ["aws_s3_bucket.data"]
    assert facts["path.ssrf_to_s3"].value is True
    assert "statement 'ReadData'" in facts["path.chain"].value


def test_role_inline_policy_block_and_wildcard_bucket_pattern(tmp_path: Path) -> None:
    text = ROLE.replace('name = "app"\n  assume_role_policy', '''name = "app"
  inline_policy {
    name   = "read"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:Get*", Resource = "arn:aws:s3:::corp-*/*" }] })
  }
  assume_role_policy''', 1)
    facts = of(subjects_tf(tmp_path, text), "aws_instance.web")
    assert sorted(facts["role.readable_buckets"].value) == ["aws_s3_bucket.data", "aws_s3_bucket.logs"]


def test_customer_managed_policy_attached_by_reference(tmp_path: Path) -> None:
    facts = of(subjects_tf(tmp_path, ROLE + '''
        resource "aws_iam_policy" "reports" {
          name   = "reports"
          policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = ["arn:aws:s3:::corp-logs/reports/*"] }] })
        }
        resource "aws_iam_role_policy_attachment" "reports" {
          role       = aws_iam_role.app.name
          policy_arn = aws_iam_policy.reports.arn
        }
    '''), "aws_instance.web")
    assert facts["role.readable_buckets"].value == ["aws_s3_bucket.logs"]
    assert any(s.address == "aws_iam_policy.reports" for s in facts["role.can_read_s3"].sources)


@pytest.mark.parametrize("policy, can_read", [
    ("AmazonS3ReadOnlyAccess", True), ("AdministratorAccess", True),
    ("AmazonSSMManagedInstanceCore", False), ("AWSSomethingNew", None)])
def test_aws_managed_policies_by_name(tmp_path: Path, policy: str, can_read: bool | None) -> None:
    facts = of(subjects_tf(tmp_path, ROLE + f'''
        resource "aws_iam_policy_attachment" "managed" {{
          name       = "managed"
          roles      = [aws_iam_role.app.name]
          policy_arn = "arn:aws:iam::aws:policy/{policy}"
        }}
    '''), "aws_instance.web")
    value = facts["role.can_read_s3"]
    assert (value.value if value.known else None) is can_read
    if can_read:
        assert facts["role.readable_buckets"].value[0] == "*"
    if can_read is None:
        assert "not in the gate's table" in value.reason
        assert facts["path.ssrf_to_s3"].opaque


def test_managed_policy_arns_on_the_role(tmp_path: Path) -> None:
    text = ROLE.replace('name = "app"\n  assume_role_policy',
                        'name = "app"\n  managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]\n'
                        '  assume_role_policy', 1)
    assert of(subjects_tf(tmp_path, text), "aws_instance.web")["path.ssrf_to_s3"].value is True


def test_no_profile_means_no_path(tmp_path: Path) -> None:
    facts = of(subjects_tf(tmp_path, '''
        resource "aws_instance" "web" {
          ami           = "ami-0c55b159cbfafe1f0"
          instance_type = "t3.micro"
        }
    '''), "aws_instance.web")
    assert facts["role.present"].value is False
    assert facts["path.ssrf_to_s3"].value is False


def test_profile_outside_the_configuration_is_unknown(tmp_path: Path) -> None:
    facts = of(subjects_tf(tmp_path, '''
        resource "aws_instance" "web" {
          ami                  = "ami-0c55b159cbfafe1f0"
          instance_type        = "t3.micro"
          iam_instance_profile = "shared-web-profile"
        }
    '''), "aws_instance.web")
    assert facts["role.present"].value is True
    assert "shared-web-profile is not in the configuration" in facts["role.can_read_s3"].reason
    assert facts["path.ssrf_to_s3"].opaque


def test_imdsv2_breaks_the_path(tmp_path: Path) -> None:
    text = ROLE.replace('iam_instance_profile = aws_iam_instance_profile.app.name',
                        'iam_instance_profile = aws_iam_instance_profile.app.name\n'
                        '  metadata_options {\n    http_tokens = "required"\n  }')
    text += '''
        resource "aws_iam_role_policy_attachment" "ro" {
          role       = aws_iam_role.app.name
          policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        }
    '''
    facts = of(subjects_tf(tmp_path, text), "aws_instance.web")
    assert facts["role.can_read_s3"].value is True
    assert facts["path.ssrf_to_s3"].value is False


def test_cloudformation_chain(tmp_path: Path) -> None:
    subjects = subjects_cfn(tmp_path, '''
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          Data:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: corp-data
          Role:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {Service: ec2.amazonaws.com}
                    Action: sts:AssumeRole
              Policies:
                - PolicyName: read
                  PolicyDocument:
                    Version: "2012-10-17"
                    Statement:
                      - Effect: Allow
                        Action: s3:GetObject
                        Resource: !Sub "${Data.Arn}/*"
          Profile:
            Type: AWS::IAM::InstanceProfile
            Properties:
              Roles: [!Ref Role]
          Template:
            Type: AWS::EC2::LaunchTemplate
            Properties:
              LaunchTemplateData:
                ImageId: ami-0c55b159cbfafe1f0
                IamInstanceProfile:
                  Name: !Ref Profile
          Web:
            Type: AWS::EC2::Instance
            Properties:
              LaunchTemplate:
                LaunchTemplateId: !Ref Template
                Version: !GetAtt Template.LatestVersionNumber
    ''')
    facts = of(subjects, "Web")
    assert facts["role.readable_buckets"].value == ["Data"]
    assert facts["path.ssrf_to_s3"].value is True
    chain = facts["path.chain"].value
    for step in ("launch template Template", "instance profile Profile", "role Role", "bucket Data"):
        assert step in chain


def test_cloudformation_managed_policy_with_roles(tmp_path: Path) -> None:
    subjects = subjects_cfn(tmp_path, '''
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
          Read:
            Type: AWS::IAM::ManagedPolicy
            Properties:
              Roles: [!Ref Role]
              PolicyDocument:
                Version: "2012-10-17"
                Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]
          Profile:
            Type: AWS::IAM::InstanceProfile
            Properties:
              Roles: [!Ref Role]
          Lc:
            Type: AWS::AutoScaling::LaunchConfiguration
            Properties:
              ImageId: ami-1
              InstanceType: t3.micro
              IamInstanceProfile: !Ref Profile
    ''')
    facts = of(subjects, "Lc")
    assert facts["role.readable_buckets"].value == ["*"]
    assert facts["path.ssrf_to_s3"].value is True


def test_path_finding_lists_the_whole_chain_as_evidence() -> None:
    root = REPO / "examples" / "terraform" / "capital-one-path"
    loaded = load_terraform({str(root): [str(root / "main.tf")]}, TerraformOptions())
    result = findings(launch_site_subjects(build_model(loaded.resources)))
    path = next(f for f in result if f.rule_id == "IG-EC2-004" and f.address == "aws_instance.waf")
    assert path.severity == "critical" and path.status == "fail"
    cited = {e.address for e in path.evidence}
    assert {"aws_launch_template.waf", "aws_iam_instance_profile.waf", "aws_iam_role.waf",
            "aws_iam_role_policy.waf_s3", "aws_s3_bucket.customer_data", "aws_security_group.waf"} <= cited
    assert "statement 'ReadCustomerData'" in path.message
    assert "aws_security_group.waf" in path.message
    assert any(f.rule_id == "IG-EC2-001" and f.address == "aws_launch_template.waf" for f in result)


def test_fixed_example_passes_the_imds_and_path_rules() -> None:
    root = REPO / "examples" / "terraform" / "capital-one-fixed"
    loaded = load_terraform({str(root): [str(root / "main.tf")]}, TerraformOptions())
    subjects = launch_site_subjects(build_model(loaded.resources))
    assert [f.rule_id for f in findings(subjects)] == []
    assert of(subjects, "aws_instance.waf")["role.can_read_s3"].value is True  # the role still reads a prefix


def test_hop_limit_rule_uses_container_threshold(tmp_path: Path) -> None:
    subjects = subjects_tf(tmp_path, '''
        resource "aws_launch_template" "nodes" {
          name = "nodes"
          metadata_options {
            http_tokens                 = "required"
            http_put_response_hop_limit = 2
          }
        }
        resource "aws_eks_node_group" "nodes" {
          cluster_name  = "prod"
          node_role_arn = "arn:aws:iam::123456789012:role/nodes"
          subnet_ids    = ["subnet-1"]
          scaling_config {
            desired_size = 1
            max_size     = 1
            min_size     = 1
          }
          launch_template {
            id      = aws_launch_template.nodes.id
            version = aws_launch_template.nodes.latest_version
          }
        }
        resource "aws_instance" "web" {
          ami           = "ami-1"
          instance_type = "t3.micro"
          metadata_options {
            http_tokens                 = "required"
            http_put_response_hop_limit = 2
          }
        }
    ''')
    hop = {f.address for f in findings(subjects) if f.rule_id == "IG-EC2-002"}
    assert hop == {"aws_instance.web"}
    rules, _ = load_rules([])
    strict = evaluate([r for r in rules if r.id == "IG-EC2-002"], subjects,
                      {"IG-EC2-002": {"max_hop_limit_containers": 1}})
    assert {f.address for f in strict} == {"aws_instance.web", "aws_launch_template.nodes", "aws_eks_node_group.nodes"}
