"""Static resolution of CloudFormation intrinsics and conditions."""
from __future__ import annotations

import base64
import textwrap

import pytest

from iacgate.adapters.cloudformation.intrinsics import NO_VALUE_ALTERNATIVE, Resolver
from iacgate.adapters.cloudformation.loader import load_cloudformation
from iacgate.values import Unknown, Unresolved

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Owner: {Type: String}
  Subnets: {Type: CommaDelimitedList, Default: "subnet-a,subnet-b,subnet-c"}
  AmiId: {Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", Default: /aws/service/ami}
  Secret: {Type: String, NoEcho: true, Default: s3cr3t-value}
Mappings:
  RegionMap:
    us-east-1: {Ami: ami-1111, Cidr: 0.0.0.0/0}
    eu-west-1: {Ami: ami-2222, Cidr: 10.0.0.0/8}
  Accounts:
    123456789012: {Name: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  HasOwner: !Not [!Equals [!Ref Owner, ""]]
  InUsEast: !Equals [!Ref "AWS::Region", us-east-1]
  ProdAndOwner: !And [!Condition IsProd, !Condition HasOwner]
  DevOrOwner: !Or [!Condition IsDev, !Condition HasOwner]
Resources:
  Named:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Sub "logs-${Env}"}
  Anonymous:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
"""


def resolve_props(props_yaml: str, params: dict[str, str] | None = None):
    """Load HEADER plus one resource ``Subject`` with the given Properties; its (attrs, refs, result)."""
    text = HEADER + "  Subject:\n    Type: AWS::SNS::Topic\n    Properties:\n" + \
        textwrap.indent(textwrap.dedent(props_yaml), "      ")
    result = load_cloudformation("t.yaml", text, params)
    subject = next(r for r in result.resources if r.address == "Subject")
    return subject.attrs, subject.refs, result


def value(expr: str, params: dict[str, str] | None = None):
    attrs, _, _ = resolve_props(f"V: {expr}\n", params)
    return attrs.get("V", "<removed>")


# ------------------------------------------------------------------------------------------- Ref


def test_ref_parameter_default_override_and_missing():
    assert value("!Ref Env") == "dev"
    assert value("!Ref Env", {"Env": "prod"}) == "prod"
    assert value("!Ref Owner") == Unresolved("Ref Owner", "parameter Owner has no default")
    assert value("!Ref Owner", {"Owner": "team-a"}) == "team-a"
    assert value("!Ref Secret") == "s3cr3t-value"  # NoEcho resolves the same


def test_ref_list_and_ssm_parameters():
    assert value("!Ref Subnets") == ["subnet-a", "subnet-b", "subnet-c"]
    assert value("!Ref Subnets", {"Subnets": "s-1,s-2"}) == ["s-1", "s-2"]
    ami = value("!Ref AmiId")
    assert isinstance(ami, Unknown) and "/aws/service/ami" in ami.reason
    assert value("!Ref AmiId", {"AmiId": "ami-0123"}) == "ami-0123"


def test_ref_pseudo_parameters():
    assert value("!Ref AWS::AccountId") == Unknown("AWS::AccountId")
    assert value("!Ref AWS::Region") == Unknown("AWS::Region")
    assert value("!Ref AWS::Partition") == "aws"
    assert value("!Ref AWS::URLSuffix") == "amazonaws.com"


def test_ref_no_value_removes_property_and_list_items():
    attrs, _, _ = resolve_props("""\
        Gone: !Ref AWS::NoValue
        Kept: [a, !Ref AWS::NoValue, b]
        Nested: {Inner: !If [IsProd, x, !Ref AWS::NoValue]}
        """)
    assert attrs == {"Kept": ["a", "b"], "Nested": {}}


def test_ref_resources():
    attrs, refs, _ = resolve_props("""\
        A: !Ref Named
        B: !Ref Anonymous
        C: !Ref Queue
        """)
    assert attrs["A"] == "logs-dev"
    assert attrs["B"] == Unknown("name of Anonymous is known only after deploy")
    assert attrs["C"] == Unknown("name of Queue is known only after deploy")
    assert refs == {"A": ["Named"], "B": ["Anonymous"], "C": ["Queue"]}


def test_ref_to_undeclared_name_is_unresolved_with_a_warning():
    attrs, _, result = resolve_props("A: !Ref Nowhere\n")
    assert attrs["A"] == Unresolved("Ref Nowhere", "")
    [warning] = [e for e in result.errors if "Nowhere" in e.message]
    assert warning.kind == "warning" and warning.line is not None


# ---------------------------------------------------------------------------------------- GetAtt


def test_get_att():
    attrs, refs, _ = resolve_props("""\
        NamedArn: !GetAtt Named.Arn
        AnonArn: !GetAtt Anonymous.Arn
        Domain: !GetAtt Named.DomainName
        LongForm: {"Fn::GetAtt": [Queue, Arn]}
        """)
    assert attrs["NamedArn"] == "arn:aws:s3:::logs-dev"
    assert attrs["AnonArn"] == Unknown("ARN of bucket Anonymous is known only after deploy")
    assert attrs["Domain"] == Unknown("Named.DomainName is known only after deploy")
    assert attrs["LongForm"] == Unknown("Queue.Arn is known only after deploy")
    assert refs == {"NamedArn": ["Named"], "AnonArn": ["Anonymous"], "Domain": ["Named"], "LongForm": ["Queue"]}


# ------------------------------------------------------------------------------------------- Sub


def test_sub_with_parameters_resources_and_pseudo_placeholders():
    assert value('!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"') == \
        "arn:aws:iam::${AWS::AccountId}:root"
    assert value('!Sub "${AWS::StackName}-${AWS::Region}.${AWS::URLSuffix}"') == \
        "${AWS::StackName}-${AWS::Region}.amazonaws.com"
    assert value('!Sub "arn:aws:s3:::${Named}/*"') == "arn:aws:s3:::logs-dev/*"
    assert value('!Sub "${Named.Arn}/logs/*"') == "arn:aws:s3:::logs-dev/logs/*"
    assert value('!Sub "${Env}-app"', {"Env": "prod"}) == "prod-app"


def test_sub_literal_escape_and_variable_map():
    assert value('!Sub "arn:aws:s3:::bucket/${!aws:username}/*"') == "arn:aws:s3:::bucket/${aws:username}/*"
    assert value('!Sub ["${Prefix}-${AWS::Region}", {Prefix: !Ref Env}]') == "dev-${AWS::Region}"
    assert value('!Sub ["${Count}", {Count: 3}]') == "3"


def test_sub_with_unknown_piece_is_unresolved():
    v = value('!Sub "${Queue.Arn}-dlq"')
    assert isinstance(v, Unresolved) and v.expr == "Fn::Sub ${Queue.Arn}-dlq"
    assert "Queue.Arn" in v.reason
    v = value('!Sub "team-${Owner}"')
    assert isinstance(v, Unresolved) and v.reason == "depends on parameter Owner"


def test_sub_and_join_s3_arn_of_unnamed_bucket_is_unknown_with_refs():
    attrs, refs, _ = resolve_props("""\
        Objects: !Sub "arn:${AWS::Partition}:s3:::${Anonymous}/*"
        Bucket: !GetAtt Anonymous.Arn
        Joined: !Join ["", [!GetAtt Anonymous.Arn, "/*"]]
        JoinedName: !Join ["", ["arn:aws:s3:::", !Ref Anonymous, "/uploads/*"]]
        """)
    assert attrs["Objects"] == Unknown(
        "ARN of bucket Anonymous (name known only after deploy): arn:aws:s3:::${Anonymous}/*")
    assert attrs["Joined"] == Unknown(
        "ARN of bucket Anonymous (name known only after deploy): arn:aws:s3:::${Anonymous}/*")
    assert attrs["JoinedName"] == Unknown(
        "ARN of bucket Anonymous (name known only after deploy): arn:aws:s3:::${Anonymous}/uploads/*")
    assert attrs["Joined"].shape == "arn:aws:s3:::${Anonymous}/*"
    assert refs["Objects"] == refs["Joined"] == refs["JoinedName"] == ["Anonymous"]


def test_sub_undeclared_variable_warns():
    v = value('!Sub "${Missing}-x"')
    assert isinstance(v, Unresolved) and "Missing" in v.reason


# ------------------------------------------------------------------------------- list functions


def test_join_select_split():
    assert value('!Join [",", [a, b, !Ref Env]]') == "a,b,dev"
    assert value('!Join [":", [arn, !Ref AWS::Partition, s3, "", "", bucket]]') == "arn:aws:s3:::bucket"
    assert value('!Join ["-", !Ref Subnets]') == "subnet-a-subnet-b-subnet-c"
    assert value('!Join ["", ["x", !Ref AWS::AccountId]]') == "x${AWS::AccountId}"
    assert value("!Select [1, !Ref Subnets]") == "subnet-b"
    assert value('!Select ["0", [first, second]]') == "first"
    assert value('!Split [",", "a,b,c"]') == ["a", "b", "c"]
    assert value('!Select [2, !Split ["/", "x/y/z"]]') == "z"
    assert isinstance(value("!Select [9, !Ref Subnets]"), Unresolved)
    v = value('!Join ["", [!GetAtt Queue.Arn, "/x"]]')
    assert isinstance(v, Unresolved) and v.expr.startswith("Fn::Join")


def test_select_from_get_azs_is_unknown():
    assert isinstance(value('!GetAZs ""'), Unknown)
    assert isinstance(value('!Select [0, !GetAZs ""]'), Unknown)


def test_base64():
    assert base64.b64decode(value("!Base64 hello")).decode() == "hello"
    assert base64.b64decode(value('!Base64 {"Fn::Sub": "echo ${Env}"}')).decode() == "echo dev"
    v = value('!Base64 {"Fn::Sub": "echo ${Queue.Arn} AKIAEXAMPLE"}')
    assert isinstance(v, Unresolved) and "AKIAEXAMPLE" in v.expr  # literal text stays scannable


def test_find_in_map():
    assert value("!FindInMap [RegionMap, us-east-1, Ami]") == "ami-1111"
    assert value('!FindInMap [Accounts, "123456789012", Name]') == "prod"  # int key in YAML
    assert value("!FindInMap [RegionMap, nowhere, Ami, {DefaultValue: ami-0000}]") == "ami-0000"
    missing = value("!FindInMap [RegionMap, nowhere, Ami]")
    assert isinstance(missing, Unresolved)
    by_region = value("!FindInMap [RegionMap, !Ref AWS::Region, Cidr]")
    assert isinstance(by_region, Unresolved)
    assert by_region.alternatives == ("0.0.0.0/0", "10.0.0.0/8")  # every value it may take


def test_import_value_cidr_length_to_json_string():
    imported = value("!ImportValue shared-vpc-id")
    assert isinstance(imported, Unknown) and "shared-vpc-id" in imported.reason
    assert value('!Cidr ["10.0.0.0/16", 3, 8]') == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert value('!Cidr ["2600:1f14::/56", 2, 64]') == ["2600:1f14::/64", "2600:1f14:0:1::/64"]
    assert isinstance(value('!Cidr ["10.0.0.0/30", 3, 8]'), Unresolved)
    assert value("{'Fn::Length': [a, b, c]}") == 3
    assert value("{'Fn::ToJsonString': {Key: !Ref Env, N: [1, true]}}") == '{"Key":"dev","N":[1,true]}'
    assert isinstance(value("{'Fn::ToJsonString': {Key: !Ref Owner}}"), Unresolved)


def test_unsupported_function_is_unresolved():
    v = value("{'Fn::Transform': {Name: AWS::Include, Parameters: {Location: s3://b/k}}}")
    assert isinstance(v, Unresolved)


# ------------------------------------------------------------------------------------- conditions


def test_if_decided_by_default_and_override():
    assert value("!If [IsProd, required, optional]") == "optional"
    assert value("!If [IsProd, required, optional]", {"Env": "prod"}) == "required"
    assert value("!If [IsDev, dev-only, !Ref AWS::NoValue]", {"Env": "prod"}) == "<removed>"
    assert value("!If [DevOrOwner, yes-branch, no-branch]") == "yes-branch"
    assert value("!If [ProdAndOwner, a, b]") == "b"  # IsProd false decides the And


def test_if_undecidable_keeps_both_branches():
    v = value("!If [HasOwner, !Sub 'owner-${Owner}', public-read]")
    assert isinstance(v, Unresolved)
    assert v.expr == "Fn::If HasOwner"
    assert v.reason == "condition HasOwner depends on parameter Owner"
    assert v.alternatives[1] == "public-read"
    assert isinstance(v.alternatives[0], Unresolved)
    v = value("!If [InUsEast, '*', !Ref AWS::NoValue]")
    assert v.alternatives == ("*", NO_VALUE_ALTERNATIVE)
    assert "AWS::Region" in v.reason
    # decided once the parameter is given
    assert value("!If [HasOwner, owned, unowned]", {"Owner": "ops"}) == "owned"
    assert value("!If [ProdAndOwner, a, b]", {"Env": "prod"}).reason == \
        "condition ProdAndOwner depends on condition HasOwner depends on parameter Owner"


def test_if_records_refs_of_both_undecided_branches_only_taken_when_decided():
    _, refs, _ = resolve_props("""\
        Undecided: !If [HasOwner, !Ref Named, !Ref Anonymous]
        Decided: !If [IsProd, !Ref Named, !Ref Anonymous]
        """)
    assert refs == {"Undecided": ["Named", "Anonymous"], "Decided": ["Anonymous"]}


def test_resource_conditions():
    text = HEADER + "".join("  " + line + "\n" for line in textwrap.dedent("""\
        ProdOnly:
          Type: AWS::SNS::Topic
          Condition: IsProd
        MaybeOwned:
          Type: AWS::SNS::Topic
          Condition: HasOwner""").splitlines())
    result = load_cloudformation("t.yaml", text)
    addresses = {r.address: r for r in result.resources}
    assert "ProdOnly" not in addresses
    assert addresses["MaybeOwned"].meta["condition_unknown"] is True
    assert addresses["MaybeOwned"].meta["condition"] == "HasOwner"
    result = load_cloudformation("t.yaml", text, {"Env": "prod", "Owner": "ops"})
    addresses = {r.address: r for r in result.resources}
    assert "ProdOnly" in addresses and "condition_unknown" not in addresses["MaybeOwned"].meta


def test_cyclic_conditions_are_an_input_error_not_a_hang():
    text = textwrap.dedent("""\
        Conditions:
          A: !Condition B
          B: !Not [!Condition A]
        Resources:
          T:
            Type: AWS::SNS::Topic
            Condition: A
            Properties: {TopicName: !If [B, x, y]}
        """)
    result = load_cloudformation("t.yaml", text)
    errors = [e for e in result.errors if e.kind == "error"]
    assert len(errors) == 1 and "cycle" in errors[0].message
    [topic] = result.resources
    assert topic.meta["condition_unknown"] is True
    assert isinstance(topic.attrs["TopicName"], Unresolved)


def test_condition_functions_with_numbers_and_booleans():
    resolver = Resolver({"Parameters": {"Size": {"Type": "Number", "Default": 3}},
                         "Conditions": {"Three": {"Fn::Equals": [{"Ref": "Size"}, "3"]},
                                        "Flag": {"Fn::Equals": [True, "true"]}}})
    assert resolver.condition("Three").value is True
    assert resolver.condition("Flag").value is True
    assert resolver.condition("Undeclared").value is None


@pytest.mark.parametrize("expr", [
    "!Join [',']", "!Select [a, b, c]", "!Split [',']", "!FindInMap [OnlyOne]", "!Cidr [x]",
    "!If [IsProd]", "!GetAtt [a, b, c]", "!Sub [1, 2, 3]", "{'Fn::Equals': [a]}", "!Join [!Ref Owner, [a]]",
])
def test_malformed_intrinsics_are_unresolved_never_raise(expr):
    v = value(expr)
    assert isinstance(v, (Unresolved, Unknown, str))
