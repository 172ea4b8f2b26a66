"""Static AWS credentials: where they are found, how they are encoded, and what is not one."""
from __future__ import annotations

import base64
import gzip
import json
import textwrap
from pathlib import Path

import pytest

from iacgate.analysis.credentials import (ACCESS_KEY_ID, SECRET_ACCESS_KEY, CredentialHit, access_key_subjects,
                                          credential_subjects, find_credentials)
from iacgate.raw import RawResource
from iacgate.redact import redact
from iacgate.values import Unknown, Unresolved

# Key-shaped values are assembled at run time so the repository holds no literal key.
KEY_ID = "AKIA" + "SXANV4XVIJ7YCIJ5"
SECRET = "ZH6HDV/EolIbS2UTxbLplG" + "pukOdaGmlq9MtAg1Xv"
TEMP_KEY_ID = "ASIA" + "Y34FZKBOKMUTVV7A"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEHgaCXVzLWVhc3QtMSJHMEUCIQDx" + "Zk9rT2pB" * 40
EXAMPLE_KEY_ID = "AKIAIOSFODNN7" + "EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"


def tf_resource(address: str, attrs: dict, *, file: str = "main.tf", line: int | None = 1,
                end_line: int | None = 20, mode: str = "managed", refs: dict | None = None,
                source_kind: str = "terraform", meta: dict | None = None) -> RawResource:
    parts = address.split(".")
    type_ = parts[-2] if mode == "managed" else parts[0]
    return RawResource(address=address, type=type_, name=parts[-1], source_kind=source_kind,
                       file=file, line=line, end_line=end_line, attrs=attrs, refs=refs or {},
                       mode=mode, meta=meta or {})


def by_type(hits: list[CredentialHit]) -> dict[str, CredentialHit]:
    return {hit.type: hit for hit in hits}


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return str(path)


# ------------------------------------------------------------------ places


def test_provider_block_keys_are_found_paired_with_their_lines(tmp_path: Path) -> None:
    file = write(tmp_path, "providers.tf", f'''
        provider "aws" {{
          region     = "eu-west-1"
          access_key = "{KEY_ID}"
          secret_key = "{SECRET}"
        }}
        ''')
    provider = tf_resource("provider.aws", {"region": "eu-west-1", "access_key": KEY_ID,
                                            "secret_key": SECRET},
                           file=file, line=1, end_line=5, mode="provider")
    hits = by_type(find_credentials([provider]))
    assert set(hits) == {"access_key_id", "secret_access_key"}
    key, secret = hits["access_key_id"], hits["secret_access_key"]
    assert (key.path, key.line, key.paired, key.encoding, key.is_example) == (
        "access_key", 3, True, "plain", False)
    assert (secret.path, secret.line, secret.paired) == ("secret_key", 4, True)
    assert key.redacted == redact(KEY_ID) and secret.redacted == redact(SECRET)


def test_variable_default_named_like_a_secret() -> None:
    var = tf_resource("var.aws_secret_key", {"type": "string", "default": SECRET}, mode="variable")
    hits = find_credentials([var])
    assert [(h.type, h.path, h.paired) for h in hits] == [("secret_access_key", "default", False)]


def test_tfvars_entry_and_the_resource_that_receives_it(tmp_path: Path) -> None:
    tf = write(tmp_path, "main.tf", '''
        resource "aws_lambda_function" "sync" {
          function_name = "sync"
          environment {
            variables = {
              UPSTREAM_KEY = var.upstream_key
            }
          }
        }
        ''')
    tfvars = tf_resource("var.upstream_key", {"value": KEY_ID}, file="terraform.tfvars",
                         line=1, end_line=1, mode="tfvars")
    fn = tf_resource("aws_lambda_function.sync",
                     {"function_name": "sync",
                      "environment": [{"variables": {"UPSTREAM_KEY": Unresolved("var.upstream_key")}}]},
                     file=tf, line=1, end_line=9, refs={"environment": ["var.upstream_key"]})
    hits = find_credentials([tfvars, fn])
    where = {(h.holder.address, h.path) for h in hits}
    assert where == {("var.upstream_key", "value"),
                     ("aws_lambda_function.sync", "environment (from var.upstream_key)")}
    received = next(h for h in hits if h.holder is fn)
    assert received.line == 5 and received.type == "access_key_id"


def test_resource_with_the_evaluated_value_is_reported_once() -> None:
    local = tf_resource("local.deploy_key", {"value": KEY_ID}, mode="local")
    bucket_sync = tf_resource("aws_instance.sync", {"user_data": f"KEY={KEY_ID}"},
                              refs={"user_data": ["local.deploy_key"]})
    hits = [h for h in find_credentials([local, bucket_sync]) if h.holder is bucket_sync]
    assert [(h.type, h.path) for h in hits] == [("access_key_id", "user_data")]


def test_user_data_script_plain(tmp_path: Path) -> None:
    file = write(tmp_path, "instance.tf", f'''
        resource "aws_instance" "web" {{
          ami           = "ami-005e54dee72cc1d00"
          instance_type = "t3.micro"
          user_data     = <<EOF
        #!/bin/bash
        apt-get install -y awscli
        export AWS_ACCESS_KEY_ID={KEY_ID}
        export AWS_SECRET_ACCESS_KEY={SECRET}
        EOF
        }}
        ''')
    script = (f"#!/bin/bash\napt-get install -y awscli\nexport AWS_ACCESS_KEY_ID={KEY_ID}\n"
              f"export AWS_SECRET_ACCESS_KEY={SECRET}\n")
    web = tf_resource("aws_instance.web", {"ami": "ami-005e54dee72cc1d00", "user_data": script},
                      file=file, line=1, end_line=10)
    hits = by_type(find_credentials([web]))
    assert hits["access_key_id"].line == 7 and hits["secret_access_key"].line == 8
    assert hits["secret_access_key"].paired and hits["secret_access_key"].form == "key"


@pytest.mark.parametrize("encode, encoding", [
    (lambda text: base64.b64encode(text.encode()).decode(), "base64"),
    (lambda text: base64.b64encode(gzip.compress(text.encode())).decode(), "gzip+base64"),
])
def test_user_data_base64_and_gzip(encode, encoding) -> None:
    cloud_init = ("#cloud-config\nwrite_files:\n  - path: /root/.aws/credentials\n    content: |\n"
                  f"      [default]\n      aws_access_key_id = {KEY_ID}\n"
                  f"      aws_secret_access_key = {SECRET}\n")
    lt = tf_resource("aws_launch_template.app", {"user_data": encode(cloud_init)})
    hits = by_type(find_credentials([lt]))
    assert set(hits) == {"access_key_id", "secret_access_key"}
    assert all(h.encoding == encoding for h in hits.values())
    assert hits["secret_access_key"].path == f"user_data ({encoding})"


def test_literal_inside_an_unevaluated_expression() -> None:
    instance = tf_resource("aws_instance.boot", {
        "user_data_base64": Unresolved(f'base64encode("export AWS_ACCESS_KEY_ID={KEY_ID}")')})
    hit, = find_credentials([instance])
    assert (hit.type, hit.encoding) == ("access_key_id", "expression")


def test_lambda_environment_variables() -> None:
    fn = tf_resource("aws_lambda_function.export", {
        "environment": [{"variables": {"AWS_KEY": KEY_ID, "AWS_SECRET": SECRET, "STAGE": "prod"}}]})
    hits = by_type(find_credentials([fn]))
    assert hits["access_key_id"].path == "environment[0].variables.AWS_KEY"
    assert hits["secret_access_key"].path == "environment[0].variables.AWS_SECRET"


def test_ecs_container_definitions_json_string() -> None:
    definitions = json.dumps([{"name": "app", "image": "nginx", "environment": [
        {"name": "AWS_ACCESS_KEY_ID", "value": KEY_ID},
        {"name": "AWS_SECRET_ACCESS_KEY", "value": SECRET},
        {"name": "RDS_HOST", "value": "db.internal"}]}], indent=2)
    task = tf_resource("aws_ecs_task_definition.app", {"family": "app",
                                                       "container_definitions": definitions})
    hits = by_type(find_credentials([task]))
    secret = hits["secret_access_key"]
    assert secret.encoding == "json"
    assert secret.path == "container_definitions (json).[0].environment[1].value"


def test_codebuild_environment_terraform_and_cloudformation() -> None:
    tf = tf_resource("aws_codebuild_project.build", {"environment": [{"environment_variable": [
        {"name": "AWS_SECRET_ACCESS_KEY", "value": SECRET, "type": "PLAINTEXT"}]}]})
    cfn = RawResource("BuildProject", "AWS::CodeBuild::Project", "BuildProject", "cloudformation",
                      "template.yaml", 10, 30, {"Environment": {"EnvironmentVariables": [
                          {"Name": "DEPLOY_SECRET_KEY", "Value": SECRET, "Type": "PLAINTEXT"}]}})
    hits = find_credentials([tf, cfn])
    assert {(h.holder.address, h.type) for h in hits} == {
        ("aws_codebuild_project.build", "secret_access_key"), ("BuildProject", "secret_access_key")}


def test_cloudformation_parameter_default() -> None:
    param = RawResource("DeployerSecretAccessKey", "parameter", "DeployerSecretAccessKey",
                        "cloudformation", "template.yaml", 4, 7,
                        {"Type": "String", "NoEcho": True, "Default": SECRET}, mode="parameter")
    hit, = find_credentials([param])
    assert (hit.type, hit.path, hit.form) == ("secret_access_key", "Default", "key")


def test_cloudformation_authentication_metadata(tmp_path: Path) -> None:
    file = write(tmp_path, "template.yaml", f'''
        Resources:
          WebServer:
            Type: AWS::EC2::Instance
            Metadata:
              AWS::CloudFormation::Authentication:
                S3AccessCreds:
                  type: S3
                  accessKeyId: {KEY_ID}
                  secretKey: {SECRET}
          RefServer:
            Type: AWS::EC2::Instance
            Metadata:
              AWS::CloudFormation::Authentication:
                S3AccessCreds:
                  type: S3
                  accessKeyId:
                    Ref: CfnKeys
                  secretKey:
                    Fn::GetAtt: [CfnKeys, SecretAccessKey]
                Basic:
                  type: basic
                  username: deploy
                  password: badpassword
          RoleServer:
            Type: AWS::EC2::Instance
            Metadata:
              AWS::CloudFormation::Authentication:
                S3AccessCreds:
                  type: S3
                  roleName: {{Ref: InstanceRole}}
        ''')
    def instance(logical_id: str, line: int, end: int, auth: dict) -> RawResource:
        return RawResource(logical_id, "AWS::EC2::Instance", logical_id, "cloudformation", file,
                           line, end, {}, meta={"metadata": {"AWS::CloudFormation::Authentication": auth}})
    literal = instance("WebServer", 2, 9, {"S3AccessCreds": {"type": "S3", "accessKeyId": KEY_ID,
                                                             "secretKey": SECRET}})
    by_ref = instance("RefServer", 10, 23, {
        "S3AccessCreds": {"type": "S3", "accessKeyId": {"Ref": "CfnKeys"},
                          "secretKey": {"Fn::GetAtt": ["CfnKeys", "SecretAccessKey"]}},
        "Basic": {"type": "basic", "username": "deploy", "password": "badpassword"}})
    role = instance("RoleServer", 24, 30, {"S3AccessCreds": {"type": "S3",
                                                             "roleName": {"Ref": "InstanceRole"}}})
    hits = find_credentials([literal, by_ref, role])
    got = {(h.holder.address, h.type, h.form, h.line) for h in hits}
    assert got == {
        ("WebServer", "access_key_id", "key", 8), ("WebServer", "secret_access_key", "key", 9),
        ("RefServer", "access_key_id", "setup", 16), ("RefServer", "secret_access_key", "setup", 18),
        ("RefServer", "password", "password", 23)}
    password = next(h for h in hits if h.type == "password")
    assert "badpassword" not in password.redacted


def test_ssm_parameter_value_and_plan_variable() -> None:
    ssm = tf_resource("aws_ssm_parameter.ci", {"name": "/ci/aws_secret_access_key",
                                               "type": "String", "value": SECRET})
    plan_var = RawResource("var.deploy_access_key", "variable", "deploy_access_key", "plan",
                           "plan.json", None, None, {"value": KEY_ID}, mode="variable")
    hits = find_credentials([ssm, plan_var])
    assert {(h.holder.address, h.type, h.line) for h in hits} == {
        ("aws_ssm_parameter.ci", "secret_access_key", None),
        ("var.deploy_access_key", "access_key_id", None)}


def test_session_token_next_to_temporary_key() -> None:
    provider = tf_resource("provider.aws.west", {"access_key": TEMP_KEY_ID, "secret_key": SECRET,
                                                 "token": SESSION_TOKEN}, mode="provider")
    hits = by_type(find_credentials([provider]))
    assert set(hits) == {"access_key_id", "secret_access_key", "session_token"}
    assert SESSION_TOKEN not in hits["session_token"].redacted


def test_documentation_example_keys_are_marked() -> None:
    provider = tf_resource("provider.aws", {"access_key": EXAMPLE_KEY_ID,
                                            "secret_key": EXAMPLE_SECRET}, mode="provider")
    hits = find_credentials([provider])
    assert len(hits) == 2 and all(h.is_example for h in hits)


def test_key_ids_outside_the_issued_alphabet_are_placeholders() -> None:
    # Issued key ids use base32 (A-Z, 2-7) after the prefix; a 0, 1, 8 or 9 cannot come from AWS.
    for key_id, example in (("AKIA" + "OFFLINEPLAN00000", True), ("AKIA" + "SXANV9XVIJ1YCIJ5", True),
                            (KEY_ID, False), (TEMP_KEY_ID, False)):
        provider = tf_resource("provider.aws", {"access_key": key_id}, mode="provider")
        (hit,) = find_credentials([provider])
        assert (hit.type, hit.is_example) == ("access_key_id", example), key_id


# ------------------------------------------------------------------ what is not a credential


def test_false_positive_traps_are_not_reported() -> None:
    sha1 = "3f786850e387550fdab836ed7e6dc881de23001b"
    resources = [
        # a plan shows user_data as the SHA1 of the script
        tf_resource("aws_instance.planned", {"user_data": sha1,
                                             "source_code_hash": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
                    source_kind="plan"),
        tf_resource("aws_iam_role.app", {"arn": "arn:aws:iam::123456789012:role/app",
                                         "unique_id": "AROA" + "JQABLZS4A3QDU576Q"[:16],
                                         "name": "app"}),
        tf_resource("aws_iam_user.ci", {"unique_id": "AIDA" + "JQABLZS4A3QDU576Q"[:16]}),
        tf_resource("aws_instance.uuid", {"tags": {"Run": "9b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d"}}),
        # a random 40-character id without a secret-ish name or key id next to it
        tf_resource("aws_lambda_function.ids", {"environment": [{"variables": {
            "CORRELATION_ID": "Xk9Lm2Pq7Rt4Vw1Yz8Ab3Cd6Ef0Gh5Ij2Kl9Mn4P"}}]}),
        # synthetic digits: no letters, not a secret key
        tf_resource("aws_instance.digits", {"user_data": "1234567890123456789012345678901234567890$"}),
        tf_resource("provider.aws", {"access_key": Unresolved("var.access_key"),
                                     "secret_key": Unresolved("var.secret_key"),
                                     "token": Unknown()}, mode="provider"),
        # local test stacks: literal non-keys in the provider are not reported
        tf_resource("provider.aws.localstack", {"access_key": "test", "secret_key": "test"},
                    mode="provider"),
        tf_resource("aws_ecs_task_definition.webapp", {"container_definitions": json.dumps([{
            "environment": [{"name": "SECRET_KEY", "value": "${var.secret_key}"},
                            {"name": "AWS_ACCESS_KEY_ID", "value": "${var.key}"}]}])}),
        tf_resource("aws_instance.role_creds", {"user_data": (
            "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=$(jq -r .AccessKeyId creds.json)\n"
            "echo $AWS_SECRET_ACCESS_KEY\nunset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY\n")}),
        tf_resource("aws_s3_object.blob", {"content_base64": base64.b64encode(bytes(range(30))).decode()}),
        tf_resource("aws_instance.desc", {"tags": {
            "Note": "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the CI settings"}}),
    ]
    assert find_credentials(resources) == []


def test_generated_access_key_attributes_are_not_hard_coded() -> None:
    key = tf_resource("aws_iam_access_key.ci", {"user": "ci", "id": KEY_ID, "secret": SECRET},
                      source_kind="plan")
    assert find_credentials([key]) == []


# ------------------------------------------------------------------ configured credentials


def test_placeholders_and_credential_files_in_user_data_and_provisioners() -> None:
    exported = tf_resource("aws_instance.exported", {"user_data": (
        "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=your_access_key_id_here\n"
        "export AWS_SECRET_ACCESS_KEY=your_secret_access_key_here\n")})
    config_file = tf_resource("aws_instance.config_file", {"user_data": (
        "cat << EOF > ~/.aws/credentials\n[default]\naws_access_key_id = somekey\n"
        "aws_secret_access_key = somesecret\nEOF\n")})
    fetched = tf_resource("aws_instance.fetched", {"provisioner": [{"remote-exec": {"inline": [
        "wget -O - http://config.example.com/aws-credentials > ~/.aws/credentials;"]}}]})
    copied = tf_resource("aws_instance.copied", {"provisioner": [{"file": {
        "source": "conf/aws-credentials", "destination": "~/.aws/credentials"}}]})
    hits = find_credentials([exported, config_file, fetched, copied])
    assert all(h.form == "setup" for h in hits)
    got = {(h.holder.address, h.type) for h in hits}
    assert got == {("aws_instance.exported", "access_key_id"),
                   ("aws_instance.exported", "secret_access_key"),
                   ("aws_instance.config_file", "access_key_id"),
                   ("aws_instance.config_file", "secret_access_key"),
                   ("aws_instance.fetched", "credentials_file"),
                   ("aws_instance.copied", "credentials_file")}
    assert next(h for h in hits if h.holder is exported).paired


# ------------------------------------------------------------------ subjects


def test_credential_subjects_facts_and_kinds(tmp_path: Path) -> None:
    file = write(tmp_path, "main.tf", f'''
        provider "aws" {{
          access_key = "{KEY_ID}"
          secret_key = "{SECRET}"
        }}
        resource "aws_instance" "boot" {{
          user_data = "export AWS_ACCESS_KEY_ID=changeme"
        }}
        ''')
    provider = tf_resource("provider.aws", {"access_key": KEY_ID, "secret_key": SECRET},
                           file=file, line=1, end_line=4, mode="provider")
    boot = tf_resource("aws_instance.boot", {"user_data": "export AWS_ACCESS_KEY_ID=changeme"},
                       file=file, line=5, end_line=7)
    subjects = credential_subjects(find_credentials([provider, boot]))
    assert [(s.kind, s.address) for s in subjects] == [
        ("credential", "provider.aws"), ("credential", "provider.aws"),
        ("credential_setup", "aws_instance.boot")]
    key = subjects[0]
    assert key.source.line == 1 and key.source.end_line == 4
    assert key.facts["credential.type"].value == "access_key_id"
    assert key.facts["credential.paired"].value is True
    assert key.facts["credential.is_example"].value is False
    assert key.facts["credential.encoding"].value == "plain"
    assert key.facts["credential.redacted"].value == redact(KEY_ID)
    assert key.facts["credential.location"].value == f"access_key of provider.aws ({file}:2)"
    assert key.facts["credential.type"].sources[0].line == 2
    assert key.facts["credential.type"].sources[0].attribute == "access_key"
    assert "credential.form" not in key.facts
    assert subjects[2].facts["credential.form"].value == "setup"
    for subject in subjects:
        for fact in subject.facts.values():
            assert KEY_ID not in str(fact.value) and SECRET not in str(fact.value)


def test_access_key_subjects_plain_and_sensitive_outputs() -> None:
    key = tf_resource("aws_iam_access_key.ci", {"user": Unresolved("aws_iam_user.ci.name")})
    encrypted = tf_resource("aws_iam_access_key.ops", {"user": "ops", "pgp_key": "keybase:ops"})
    plain = RawResource("output.ci_secret", "output", "ci_secret", "terraform", "outputs.tf", 1, 3,
                        {"value": Unresolved("aws_iam_access_key.ci.secret")}, mode="output")
    hidden = RawResource("output.ci_smtp", "output", "ci_smtp", "terraform", "outputs.tf", 5, 8,
                         {"value": Unresolved("aws_iam_access_key.ci.ses_smtp_password_v4"),
                          "sensitive": True}, mode="output")
    ops_out = RawResource("output.ops", "output", "ops", "terraform", "outputs.tf", 9, 11,
                          {"value": Unresolved("aws_iam_access_key.ops.secret")}, mode="output")
    subjects = {s.address: s for s in access_key_subjects([key, encrypted, plain, hidden, ops_out])}
    ci = subjects["aws_iam_access_key.ci"]
    assert ci.kind == "iam_access_key"
    assert ci.facts["secret_in_plain_output"].value is True
    assert ci.facts["secret_in_plain_output"].sources[0].address == "output.ci_secret"
    assert ci.facts["user_has_keys"].value is True
    assert subjects["aws_iam_access_key.ops"].facts["secret_in_plain_output"].value is False
    only_sensitive = access_key_subjects([key, hidden])
    assert only_sensitive[0].facts["secret_in_plain_output"].value is False


def test_cloudformation_access_key_in_outputs() -> None:
    key = RawResource("CiKey", "AWS::IAM::AccessKey", "CiKey", "cloudformation", "t.yaml", 3, 6,
                      {"UserName": {"Ref": "CiUser"}})
    out = RawResource("CiSecret", "output", "CiSecret", "cloudformation", "t.yaml", 8, 10,
                      {"Value": {"Fn::GetAtt": ["CiKey", "SecretAccessKey"]}}, mode="output")
    subject, = access_key_subjects([key, out])
    assert subject.facts["secret_in_plain_output"].value is True


# ------------------------------------------------------------------ robustness


def test_odd_inputs_never_raise() -> None:
    nested: list = []
    cursor = nested
    for _ in range(200):
        cursor.append([])
        cursor = cursor[0]
    bomb = base64.b64encode(gzip.compress(b"A" * (8 << 20))).decode()
    resources = [
        tf_resource("aws_instance.odd", {"count": 3, "enabled": True, "ratio": 0.5, "none": None,
                                         "nested": nested, "bad_b64": "SGVsbG8gd29ybGQ=!!!!",
                                         "bad_gzip": base64.b64encode(b"\x1f\x8b" + b"x" * 30).decode(),
                                         "bomb": bomb, "bad_json": "{\"a\": [1, 2", 7: "key"},
                    file="/nonexistent/main.tf"),
        tf_resource("aws_instance.unresolved", {"user_data": Unresolved(
            "templatefile(x)", alternatives=({"k": KEY_ID}, "plain"))}, file="/nonexistent/main.tf"),
    ]
    hits = find_credentials(resources)
    assert [(h.holder.address, h.type, h.line) for h in hits] == [
        ("aws_instance.unresolved", "access_key_id", None)]


def test_hits_never_show_the_raw_value_when_printed() -> None:
    provider = tf_resource("provider.aws", {"access_key": KEY_ID, "secret_key": SECRET},
                           mode="provider")
    text = repr(find_credentials([provider]))
    assert KEY_ID not in text and SECRET not in text


# ------------------------------------------------------------- scans of values already scanned

def counted_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses of the resources whose own values are scanned from here on."""
    from iacgate.analysis import credentials

    scanned: list[str] = []
    real = credentials._scan_resource

    def scan(resource: RawResource):  # type: ignore[no-untyped-def]
        scanned.append(resource.address)
        return real(resource)

    monkeypatch.setattr(credentials, "_scan_resource", scan)
    return scanned


def hit_fields(hits: list[CredentialHit]) -> list[tuple]:  # type: ignore[type-arg]
    return [(h.holder.address, h.path, h.type, h.redacted, h.paired, h.line, h.form) for h in hits]


def test_a_resource_holding_values_already_scanned_is_not_scanned_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from iacgate.analysis.credentials import ResourceScans

    user_data = f"export AWS_ACCESS_KEY_ID={KEY_ID}\nexport AWS_SECRET_ACCESS_KEY={SECRET}\n"
    kept, changed = (tf_resource("aws_instance.kept", {"user_data": user_data}, source_kind="plan"),
                     tf_resource("aws_instance.changed", {"user_data": user_data}, source_kind="plan"))
    kept.actions, kept.before = ("no-op",), kept.attrs  # left alone: its prior value is its planned tree
    changed.actions, changed.before = ("update",), {"user_data": f"export AWS_ACCESS_KEY_ID={KEY_ID}\n"}
    planned = [kept, changed]
    prior = [dataclasses.replace(r, attrs=r.before, actions=("no-op",), before=None) for r in planned]
    scanned = counted_scans(monkeypatch)
    scans = ResourceScans()
    assert hit_fields(find_credentials(planned, scans)) == hit_fields(find_credentials(planned))
    before = len(scanned)
    assert hit_fields(find_credentials(prior, scans)) == hit_fields(find_credentials(prior))
    assert scanned[before:before + 1] == ["aws_instance.changed"]  # with scans: the kept one is taken as found
    assert find_credentials(prior, scans) and len(scans._found) == 1  # only what the prior state shares is kept
    assert {h.holder.address for h in find_credentials(prior, scans) if h.type == SECRET_ACCESS_KEY} \
        == {"aws_instance.kept"}


def test_values_put_in_place_of_scanned_ones_are_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    from iacgate.analysis.credentials import ResourceScans

    resource = tf_resource("aws_instance.app", {"user_data": "echo hello"}, source_kind="plan")
    resource.before = resource.attrs  # left alone by the plan: its scan is remembered
    scans = ResourceScans()
    assert find_credentials([resource], scans) == [] and len(scans._found) == 1
    resource.attrs = {"user_data": f"export AWS_ACCESS_KEY_ID={KEY_ID}\n"}  # a tree the scans never saw
    assert [h.type for h in find_credentials([resource], scans)] == [ACCESS_KEY_ID]
    resource.meta = {"metadata": {"AWS::CloudFormation::Init": {"config": {"files": {"/etc/key": {
        "content": f"aws_secret_access_key = {SECRET}"}}}}}}
    assert SECRET_ACCESS_KEY in {h.type for h in find_credentials([resource], scans)}
