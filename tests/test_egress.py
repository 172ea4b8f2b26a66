"""Security group egress: Terraform, CloudFormation and plan forms, and calibration on the labelled
corpus."""
from __future__ import annotations

import json
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

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"


def tf_subjects(tmp_path: Path, text: str) -> list[Subject]:
    path = tmp_path / "main.tf"
    path.write_text(textwrap.dedent(text))
    return launch_site_subjects(build_model(load_terraform({str(tmp_path): [str(path)]}, TerraformOptions()).resources))


def cfn_subjects(path: Path, text: str | None = None) -> list[Subject]:
    if text is not None:
        path.write_text(textwrap.dedent(text))
    return launch_site_subjects(build_model(load_cloudformation(str(path), path.read_text()).resources))


def group(subjects: list[Subject], address: str) -> dict[str, Any]:
    return next(s for s in subjects if s.address == address and s.kind == "ec2_security_group").facts


def test_terraform_inline_and_separate_rules(tmp_path: Path) -> None:
    subjects = tf_subjects(tmp_path, '''
        resource "aws_security_group" "closed" {
          name = "closed"
          egress {
            from_port   = 443
            to_port     = 443
            protocol    = "tcp"
            cidr_blocks = ["10.0.0.0/8"]
          }
        }
        resource "aws_security_group" "https_out" {
          name = "https-out"
          egress {
            from_port        = 443
            to_port          = 443
            protocol         = "tcp"
            ipv6_cidr_blocks = ["::/0"]
          }
        }
        resource "aws_security_group" "bare" {
          name = "bare"
        }
        resource "aws_security_group_rule" "all_out" {
          type              = "egress"
          security_group_id = aws_security_group.bare.id
          from_port         = 0
          to_port           = 65535
          protocol          = "tcp"
          cidr_blocks       = ["0.0.0.0/0"]
        }
        resource "aws_security_group_rule" "ingress" {
          type              = "ingress"
          security_group_id = aws_security_group.closed.id
          from_port         = 22
          to_port           = 22
          protocol          = "tcp"
          cidr_blocks       = ["0.0.0.0/0"]
        }
        resource "aws_vpc_security_group_egress_rule" "ext" {
          security_group_id = "sg-0123456789abcdef0"
          ip_protocol       = "-1"
          cidr_ipv4         = "0.0.0.0/0"
        }
    ''')
    assert group(subjects, "aws_security_group.closed")["egress.unrestricted"].value is False
    https = group(subjects, "aws_security_group.https_out")
    assert (https["egress.unrestricted"].value, https["egress.all_ports_to_world"].value) == (True, False)
    bare = group(subjects, "aws_security_group.bare")
    assert (bare["egress.unrestricted"].value, bare["egress.all_ports_to_world"].value) == (True, True)
    assert any(s.address == "aws_security_group_rule.all_out" for s in bare["egress.unrestricted"].sources)
    external = group(subjects, "aws_vpc_security_group_egress_rule.ext")
    assert external["egress.all_ports_to_world"].value is True


def test_terraform_unknown_destination_is_unknown(tmp_path: Path) -> None:
    subjects = tf_subjects(tmp_path, '''
        variable "egress_cidrs" { type = list(string) }
        resource "aws_security_group" "app" {
          name = "app"
          egress {
            from_port   = 0
            to_port     = 0
            protocol    = "-1"
            cidr_blocks = var.egress_cidrs
          }
        }
    ''')
    assert group(subjects, "aws_security_group.app")["egress.unrestricted"].opaque


def test_launch_site_egress_through_its_template(tmp_path: Path) -> None:
    subjects = tf_subjects(tmp_path, '''
        resource "aws_security_group" "app" {
          name = "app"
          egress {
            from_port   = 0
            to_port     = 0
            protocol    = "-1"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
        resource "aws_launch_template" "app" {
          name                   = "app"
          vpc_security_group_ids = [aws_security_group.app.id]
        }
        resource "aws_autoscaling_group" "app" {
          max_size = 1
          min_size = 1
          launch_template {
            id = aws_launch_template.app.id
          }
        }
        resource "aws_instance" "external_group" {
          ami                    = "ami-1"
          instance_type          = "t3.micro"
          vpc_security_group_ids = ["sg-0123456789abcdef0"]
        }
    ''')
    facts = {s.address: s.facts for s in subjects if s.kind == "ec2_launch_site"}
    assert facts["aws_autoscaling_group.app"]["egress.unrestricted"].value is True
    assert facts["aws_launch_template.app"]["egress.unrestricted"].value is True
    assert "sg-0123456789abcdef0 is not in the configuration" in facts["aws_instance.external_group"][
        "egress.unrestricted"].reason


def test_cloudformation_forms(tmp_path: Path) -> None:
    subjects = cfn_subjects(tmp_path / "t.yaml", '''
        Parameters:
          Open:
            Type: String
            AllowedValues: ["yes", "no"]
        Conditions:
          IsOpen: !Equals [!Ref Open, "yes"]
        Resources:
          NoEgress:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: keeps the default allow-all rule
              VpcId: vpc-1
          Single:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: a single rule written as a mapping
              SecurityGroupEgress: {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.1.0.0/16}
          Maybe:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: open only when the parameter says so
              SecurityGroupEgress:
                - !If [IsOpen, {IpProtocol: "-1", CidrIp: 0.0.0.0/0}, {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]
          Attached:
            Type: AWS::EC2::SecurityGroupEgress
            Properties:
              GroupId: !GetAtt Single.GroupId
              IpProtocol: udp
              FromPort: 0
              ToPort: 65535
              CidrIpv6: "0::0/0"
    ''')
    no_egress = group(subjects, "NoEgress")
    assert no_egress["egress.all_ports_to_world"].value is True
    assert "default rule" in no_egress["egress.summary"].value
    single = group(subjects, "Single")
    assert (single["egress.unrestricted"].value, single["egress.all_ports_to_world"].value) == (True, True)
    assert group(subjects, "Maybe")["egress.unrestricted"].opaque
    assert not any(s.address == "Attached" for s in subjects)  # reported through its group


def test_rule_finding_cites_the_separate_rule(tmp_path: Path) -> None:
    subjects = cfn_subjects(tmp_path / "t.json", json.dumps({"Resources": {
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "SecurityGroupEgress": [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}]}},
        "Out": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
            "GroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}}}}))
    rules, _ = load_rules([])
    found = evaluate([r for r in rules if r.id == "IG-EC2-003"], subjects)
    assert [f.address for f in found] == ["Sg"]
    assert [e.address for e in found[0].evidence] == ["Out"]


# ------------------------------------------------------------------------------ corpus calibration

# Labels that contradict AWS semantics: a CloudFormation security group that declares no
# SecurityGroupEgress keeps AWS's default rule allowing all outbound IPv4 traffic; an
# aws_launch_configuration whose metadata_options set http_tokens without http_endpoint = "enabled"
# is created without it (the provider sends tokens only with that endpoint setting).
DISAGREE = {("cfn_nag/ip6_security_group_egress_open_to_world", "InstanceSecurityGroup4"),
            ("trivy-checks/tf-AWS-0130-as_enforce_http_token_imds-good1", "aws_launch_configuration.good_example")}


def _corpus_cases(concepts: tuple[str, ...]) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.parent for p in CORPUS.glob("*/*/expected.json")
                  if json.loads(p.read_text())["concept"] in concepts)


def _findings_for(case: Path, kind: str) -> list[Any]:
    inputs = [p for p in case.iterdir() if p.name != "expected.json"]
    if kind == "terraform":
        loaded = load_terraform({str(case): [str(p) for p in inputs if p.suffix == ".tf"]}, TerraformOptions())
        resources = loaded.resources
    else:
        resources = []
        for p in inputs:
            resources += load_cloudformation(str(p), p.read_text()).resources
    rules, _ = load_rules([])
    return evaluate([r for r in rules if r.id.startswith("IG-EC2")], launch_site_subjects(build_model(resources)))


@pytest.mark.parametrize("case", _corpus_cases(("imds-v2", "unrestricted-egress")) or [None],
                         ids=lambda c: "/".join(c.parts[-2:]) if c else "corpus-absent")
def test_corpus_labels(case: Path | None) -> None:
    if case is None:
        pytest.skip(f"the labelled corpus is not available at {CORPUS}")
    expected = json.loads((case / "expected.json").read_text())
    concept = expected["concept"]
    found = [f for f in _findings_for(case, expected["kind"]) if f.concept == concept and f.status == "fail"]
    key = "/".join(case.parts[-2:])
    for entry in expected["expect"]:
        name = entry["resource"]
        hit = any(f.address == name or any(e.address == name for e in f.evidence) for f in found)
        own = any(f.address == name for f in found)
        if (key, name) in DISAGREE:
            assert own, f"{name}: expected the gate to flag it by AWS semantics"
        elif entry["verdict"] == "fail":
            assert hit, f"{name} should be flagged for {concept}"
        else:
            assert not own, f"{name} should pass {concept}"
