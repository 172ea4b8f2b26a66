"""Adversarial hard-coded credential cases run through the whole gate on realistic Terraform,
CloudFormation and plan inputs: what is a key, what is not, and that no report format or error
message prints one."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Key-shaped values are assembled at run time so the repository holds no literal key.
KEY_A = "AKIA" + "UJZDEGXDNCF32EPF"
KEY_B = "AKIA" + "3DHODZDOCIS2JHTL"
SECRET_A = "LhuVtcqcYezdZ+tDDj8h" + "Ys5suKcNd8Zra9A9sKPx"
SECRET_B = "oJe2JbmPTuSgR7cMy/Uc" + "U3zr1ZtoLuCr64CxqlIO"
RANDOM_ID = "Zq7RkX2mP9vLw4TnB8cY" + "h3JdF6sGaE1uQoVi5NxC"  # 40 mixed characters, not a key
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
FORMATS = ("text", "json", "sarif", "junit", "markdown", "github", "atlantis")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iacgate", "check", *args, "--no-cache"],
                          capture_output=True, text=True, check=False)


def found(tmp_path: Path, name: str, text: str) -> set[tuple[str, str, str]]:
    """{(rule id, resource address, credential type)} of the credential findings."""
    (tmp_path / name).write_text(textwrap.dedent(text))
    done = run(str(tmp_path), "--format", "json", "--only", "hardcoded-credentials")
    report = json.loads(done.stdout)
    assert report["errors"] == [], report["errors"]
    return {(f["rule_id"], f["resource"]["address"], f["message"].split()[0 if f["rule_id"] != "IG-CRED-002" else 3])
            for f in report["findings"]}


CASES = [
    pytest.param("main.tf", f'''
        resource "aws_instance" "tpl" {{
          ami       = "ami-0abcdef1234567890"
          user_data = templatefile("${{path.module}}/boot.sh.tpl", {{ key_id = "{KEY_A}", secret = "{SECRET_A}" }})
        }}''', {("IG-CRED-001", "aws_instance.tpl", "access_key_id"),
                ("IG-CRED-001", "aws_instance.tpl", "secret_access_key")},
        id="pair-in-templatefile-arguments"),
    pytest.param("main.tf", f'''
        resource "aws_ecs_task_definition" "app" {{
          family = "app"
          container_definitions = jsonencode([{{
            name  = "app"
            image = "nginx:1.25"
            environment = [
              {{ name = "AWS_ACCESS_KEY_ID", value = "{KEY_A}" }},
              {{ name = "AWS_SECRET_ACCESS_KEY", value = "{SECRET_A}" }},
              {{ name = "BUILD_ID", value = "{RANDOM_ID}" }},
              {{ name = "GIT_SHA", value = "{SHA1}" }}
            ]
          }}])
        }}''', {("IG-CRED-001", "aws_ecs_task_definition.app", "access_key_id"),
                ("IG-CRED-001", "aws_ecs_task_definition.app", "secret_access_key")},
        id="named-secret-found-so-other-40-character-ids-are-not-keys"),
    pytest.param("main.tf", f'''
        resource "aws_lambda_function" "fn" {{
          function_name = "fn"
          role          = "arn:aws:iam::123456789012:role/fn"
          environment {{
            variables = {{
              INSIDE = "X{KEY_A}Y"
              LONGER = "{KEY_A}QQ"
              SHA1   = "{SHA1}"
              BUILD  = "{RANDOM_ID}"
            }}
          }}
        }}''', set(), id="key-inside-a-longer-token-hash-and-random-id-are-not-keys"),
    pytest.param("main.tf", f'''
        locals {{
          key_head = "AKIA"
          key_tail = "{KEY_B[4:]}"
        }}
        provider "aws" {{
          region     = "eu-west-1"
          access_key = "${{local.key_head}}${{local.key_tail}}"
          secret_key = "{SECRET_B}"
        }}''', {("IG-CRED-001", "provider.aws", "access_key_id"),
                ("IG-CRED-001", "provider.aws", "secret_access_key")}, id="key-id-split-across-locals"),
    pytest.param("template.yaml", f'''
        Parameters:
          DeployKeyId:
            Type: String
            Default: {KEY_A}
          DeploySecret:
            Type: String
            NoEcho: true
            Default: {SECRET_A}
        Resources:
          Web:
            Type: AWS::EC2::Instance
            Properties:
              ImageId: ami-0abcdef1234567890
              UserData:
                Fn::Base64: !Sub |
                  #!/bin/bash
                  export AWS_ACCESS_KEY_ID={KEY_B}
                  export AWS_SECRET_ACCESS_KEY={SECRET_B}
                  echo ${{AWS::StackName}}
          Pair:
            Type: AWS::SSM::Parameter
            Properties:
              Type: String
              Value: {KEY_A}:{SECRET_A}
        Outputs:
          Digest:
            Value: {SHA1}
        ''', {("IG-CRED-001", "DeployKeyId", "access_key_id"), ("IG-CRED-001", "DeploySecret", "secret_access_key"),
              ("IG-CRED-001", "Web", "access_key_id"), ("IG-CRED-001", "Web", "secret_access_key"),
              ("IG-CRED-001", "Pair", "access_key_id"), ("IG-CRED-001", "Pair", "secret_access_key")},
        id="cloudformation-parameter-defaults-sub-user-data-and-unnamed-pair"),
    pytest.param("main.tf", f'''
        resource "aws_launch_template" "b64" {{
          name_prefix = "app-"
          user_data   = "{base64.b64encode(f"[default]{chr(10)}aws_access_key_id = {KEY_A}{chr(10)}aws_secret_access_key = {SECRET_A}{chr(10)}".encode()).decode()}"
        }}
        resource "aws_ssm_parameter" "doc" {{
          name  = "/doc"
          type  = "String"
          value = "{"AKIAIOSFODNN7" + "EXAMPLE"}"
        }}''', {("IG-CRED-001", "aws_launch_template.b64", "access_key_id"),
                ("IG-CRED-001", "aws_launch_template.b64", "secret_access_key"),
                ("IG-CRED-002", "aws_ssm_parameter.doc", "access_key_id")},
        id="base64-credentials-file-and-documentation-example"),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES)
def test_credentials(tmp_path: Path, name: str, text: str, expected: set[tuple[str, str, str]]) -> None:
    assert found(tmp_path, name, text) == expected


def test_no_format_and_no_error_message_prints_a_key(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "main.tf").write_text(textwrap.dedent(f'''
        resource "aws_instance" "web" {{
          ami       = "ami-0abcdef1234567890"
          user_data = <<-EOT
            #!/bin/bash
            export AWS_ACCESS_KEY_ID={KEY_A}
            export AWS_SECRET_ACCESS_KEY={SECRET_A}
          EOT
        }}'''))
    broken_tf = tmp_path / "broken_tf"
    broken_tf.mkdir()
    (broken_tf / "main.tf").write_text(f'provider "aws" {{\n  access_key = "{KEY_B}"\n  secret_key = "{SECRET_B}" "{KEY_A}"\n}}\n')
    broken_yaml = tmp_path / "broken.yaml"
    broken_yaml.write_text(f'Resources:\n  X:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: "{KEY_B}\n      Other: {SECRET_B}: [\n')
    broken_plan = tmp_path / "plan.json"
    broken_plan.write_text('{"format_version": "1.2", "resource_changes": [{"address": "aws_x.y", "change": '
                           f'{{"after": {{"k": "{KEY_B}", "s": "{SECRET_B}"}},}}}}]}}')
    paths = [str(good), str(broken_tf), str(broken_yaml), str(broken_plan)]
    for fmt in FORMATS:
        done = run(*paths, "--format", fmt)
        assert done.returncode == 2, (fmt, done.stderr)
        shown = done.stdout + done.stderr
        assert "AKIA" in shown or fmt == "atlantis" or "access_key_id" in shown, fmt  # the findings are there
        for raw in (KEY_A, KEY_B, SECRET_A, SECRET_B, KEY_A[4:], SECRET_A[8:32], SECRET_B[8:32]):
            assert raw not in shown, (fmt, raw[:4])
