"""CloudFormation loader: decoding, line spans, typing, raw resources, hostile input."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.adapters.cloudformation import yaml_loader
from iacgate.adapters.cloudformation.loader import (
    PARAMETER_TYPE, CfnDocument, load_cloudformation, load_cloudformation_document,
    looks_like_cloudformation, parse_document)
from iacgate.values import Unknown, Unresolved

FIXTURES = Path(__file__).parent / "fixtures" / "cloudformation"


def load_fixture(name: str, **kwargs):
    path = FIXTURES / name
    return load_cloudformation(str(path), path.read_text(encoding="utf-8"), **kwargs)


def load_text(text: str, name: str = "template.yaml", **kwargs):
    return load_cloudformation(name, textwrap.dedent(text), **kwargs)


def by_address(result):
    return {r.address: r for r in result.resources}


def errors_of(result, kind: str = "error"):
    return [e for e in result.errors if e.kind == kind]


# ------------------------------------------------------------------------------------------ decoding


def test_short_tags_become_long_form_intrinsics():
    doc, error = parse_document("t.yaml", textwrap.dedent("""\
        Resources:
          Policy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              Arn: !GetAtt Bucket.Arn
              Nested: !GetAtt Stack.Outputs.Name
              Joined: !Join ["", [!GetAtt Bucket.Arn, "/*"]]
              Chosen: !If [IsProd, true, false]
              Subbed: !Sub ["${x}-${AWS::Region}", {x: !Ref P}]
              Zones: !GetAZs ""
              Imported: !ImportValue shared-vpc
        """))
    assert error is None
    props = doc.data["Resources"]["Policy"]["Properties"]
    assert props["Bucket"] == {"Ref": "Bucket"}
    assert props["Arn"] == {"Fn::GetAtt": ["Bucket", "Arn"]}
    assert props["Nested"] == {"Fn::GetAtt": ["Stack", "Outputs.Name"]}
    assert props["Joined"] == {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}
    assert props["Chosen"] == {"Fn::If": ["IsProd", True, False]}
    assert props["Subbed"] == {"Fn::Sub": ["${x}-${AWS::Region}", {"x": {"Ref": "P"}}]}
    assert props["Zones"] == {"Fn::GetAZs": ""}
    assert props["Imported"] == {"Fn::ImportValue": "shared-vpc"}
    assert type(props) is dict  # plain data, not cfn-flip's ODict


def test_json_and_yaml_give_the_same_data():
    yaml_doc, _ = parse_document("t.yaml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
                                 "    Properties: {BucketName: !Sub 'x-${AWS::Region}'}\n")
    json_doc, _ = parse_document("t.json", json.dumps({"Resources": {"B": {
        "Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "x-${AWS::Region}"}}}}}))
    assert yaml_doc.data == json_doc.data
    assert (yaml_doc.format, json_doc.format) == ("yaml", "json")


def test_yaml_typing_traps():
    doc, _ = parse_document("t.yaml", textwrap.dedent("""\
        Version: 2012-10-17
        Stamp: 2001-12-14t21:59:43.10-05:00
        Account: 123456789012
        PaddedAccount: 012345678912
        Flags: [yes, on, "true", no]
        """))
    assert doc.data["Version"] == "2012-10-17"
    assert doc.data["Stamp"] == "2001-12-14t21:59:43.10-05:00"
    assert doc.data["Account"] == 123456789012  # kept an int; the model builder stringifies
    assert doc.data["PaddedAccount"] == "012345678912"
    assert doc.data["Flags"] == [True, True, "true", False]


def test_looks_like_cloudformation():
    assert looks_like_cloudformation({"AWSTemplateFormatVersion": "2010-09-09"})
    assert looks_like_cloudformation({"Resources": {"F": {"Type": "AWS::Serverless::Function"}}})
    assert looks_like_cloudformation({"Resources": {"S": {"Type": "Alexa::ASK::Skill"}}})
    assert not looks_like_cloudformation({"Resources": {"X": {"Type": "Custom::Thing"}}})
    assert not looks_like_cloudformation({"resources": [], "apiVersion": "v1"})
    assert not looks_like_cloudformation([1, 2])
    assert not looks_like_cloudformation(None)
    doc, _ = parse_document("k8s.yaml", "apiVersion: v1\nkind: ConfigMap\n")
    assert not looks_like_cloudformation(doc)
    doc, _ = parse_document("t.yaml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n")
    assert looks_like_cloudformation(doc) and looks_like_cloudformation(doc.data)


def test_parse_once_then_load_the_parsed_document():
    path = FIXTURES / "web_stack.yaml"
    doc, error = parse_document(str(path), path.read_text())
    assert error is None and isinstance(doc, CfnDocument)
    assert looks_like_cloudformation(doc)
    result = load_cloudformation_document(str(path), doc, {"Environment": "prod"})
    assert by_address(result)["SiteBucket"].attrs["BucketName"] == "site-prod-${AWS::AccountId}"
    # plain data works too (no spans)
    plain = load_cloudformation_document("t.json", doc.data)
    assert by_address(plain)["SiteBucket"].line is None


# -------------------------------------------------------------------------------------------- spans


def test_yaml_spans_are_exact():
    result = load_fixture("web_stack.yaml")
    spans = {r.address: (r.line, r.end_line) for r in result.resources}
    assert spans["Environment"] == (5, 8)
    assert spans["TrustedAccount"] == (9, 11)
    assert spans["SiteBucket"] == (17, 23)  # the trailing comment and blank line are not content
    assert spans["SitePolicy"] == (26, 36)
    # WebServer is under IsProd, false with the default Environment=dev
    assert "WebServer" not in spans
    prod = by_address(load_fixture("web_stack.yaml", params={"Environment": "prod"}))
    assert (prod["WebServer"].line, prod["WebServer"].end_line) == (38, 54)  # block scalar's last line


def test_json_spans_are_exact():
    result = load_fixture("web_stack.json", params={"Environment": "prod"})
    spans = {r.address: (r.line, r.end_line) for r in result.resources}
    assert spans == {"Environment": (4, 7), "TrustedAccount": (8, 8), "SiteBucket": (14, 19),
                     "SitePolicy": (20, 36), "WebServer": (37, 38)}


def test_yaml_spans_flow_style_and_last_entry():
    result = load_text("""\
        Resources: {A: {Type: AWS::SNS::Topic}, B: {Type: AWS::SQS::Queue,
                     Properties: {DelaySeconds: 5}}}
        """)
    spans = {r.address: (r.line, r.end_line) for r in result.resources}
    assert spans == {"A": (1, 1), "B": (1, 2)}
    result = load_text("""\
        Resources:
          Last:
            Type: AWS::SNS::Topic
            Properties:
              TopicName: alerts
        # Outputs:
        #   Nothing: here

        """)
    assert [(r.line, r.end_line) for r in result.resources] == [(2, 5)]


def test_resource_fields_and_metadata_kept_raw():
    result = load_fixture("web_stack.yaml", params={"Environment": "prod"})
    web = by_address(result)["WebServer"]
    assert web.type == "AWS::EC2::Instance" and web.name == "WebServer"
    assert web.source_kind == "cloudformation" and web.mode == "managed"
    assert web.file.endswith("web_stack.yaml")
    assert web.meta["metadata"] == {"AWS::CloudFormation::Authentication": {
        "S3Access": {"type": "S3", "roleName": "web-role"}}}
    assert web.meta["condition"] == "IsProd"
    assert web.meta["depends_on"] == ["SitePolicy"]
    assert "condition_unknown" not in web.meta
    assert web.attrs["MetadataOptions"] == {"HttpTokens": "required"}
    # Fn::Base64 encodes the known script
    import base64
    assert base64.b64decode(web.attrs["UserData"]).decode() == "#!/bin/bash\nyum install -y httpd\n"


def test_metadata_is_not_resolved():
    result = load_text("""\
        Resources:
          Server:
            Type: AWS::EC2::Instance
            Metadata:
              AWS::CloudFormation::Authentication:
                Creds:
                  type: basic
                  accessKeyId: !Ref KeyParam
                  password: hunter2hunter2
            Properties: {ImageId: ami-12345678}
        """)
    auth = by_address(result)["Server"].meta["metadata"]["AWS::CloudFormation::Authentication"]
    assert auth["Creds"] == {"type": "basic", "accessKeyId": {"Ref": "KeyParam"}, "password": "hunter2hunter2"}


def test_parameters_are_emitted_with_their_definition():
    result = load_fixture("web_stack.yaml", params={"TrustedAccount": "111122223333"})
    params = {r.address: r for r in result.resources if r.mode == "parameter"}
    assert set(params) == {"Environment", "TrustedAccount"}
    env = params["Environment"]
    assert env.type == PARAMETER_TYPE and env.source_kind == "cloudformation"
    assert env.attrs == {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]}
    assert params["TrustedAccount"].attrs == {"Type": "String", "NoEcho": True}
    assert params["TrustedAccount"].meta == {"overridden": True}
    assert env.meta == {"overridden": False}


def test_refs_by_property_path():
    result = load_text("""\
        Resources:
          Template:
            Type: AWS::EC2::LaunchTemplate
            Properties:
              LaunchTemplateData: {ImageId: ami-12345678}
          Server:
            Type: AWS::EC2::Instance
            Properties:
              LaunchTemplate:
                LaunchTemplateId: !Ref Template
                Version: !GetAtt Template.LatestVersionNumber
              Tags:
                - Key: Name
                  Value: !Sub "${Template}-server"
        """)
    server = by_address(result)["Server"]
    assert server.refs == {
        "LaunchTemplate": ["Template"],
        "LaunchTemplate.LaunchTemplateId": ["Template"],
        "LaunchTemplate.Version": ["Template"],
        "Tags": ["Template"],
        "Tags.Value": ["Template"],
    }
    assert server.attrs["LaunchTemplate"]["LaunchTemplateId"] == Unknown(
        "name of Template is known only after deploy")


def test_sam_transform_is_a_warning_and_resources_stay_as_written():
    result = load_text("""\
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              Environment:
                Variables:
                  TABLE: orders
        """)
    assert errors_of(result) == []
    [warning] = errors_of(result, "warning")
    assert "AWS::Serverless-2016-10-31" in warning.message and "without expanding" in warning.message
    assert warning.line == 2
    fn = by_address(result)["Fn"]
    assert fn.type == "AWS::Serverless::Function"
    assert fn.attrs["Environment"] == {"Variables": {"TABLE": "orders"}}


def test_duplicate_keys_last_wins_with_a_warning():
    result = load_text("""\
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties: {AccessControl: Private}
          Bucket:
            Type: AWS::S3::Bucket
            Properties: {AccessControl: PublicRead}
        """)
    bucket = by_address(result)["Bucket"]
    assert bucket.attrs == {"AccessControl": "PublicRead"}
    assert (bucket.line, bucket.end_line) == (5, 7)
    [warning] = errors_of(result, "warning")
    assert "duplicate key 'Bucket'" in warning.message and warning.line == 5


def test_json_duplicate_resource_warning():
    text = ('{"Resources": {\n"B": {"Type": "AWS::S3::Bucket"},\n'
            '"B": {"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "PublicRead"}}\n}}')
    result = load_cloudformation("t.json", text)
    assert by_address(result)["B"].attrs == {"AccessControl": "PublicRead"}
    assert [(e.kind, e.line) for e in result.errors] == [("warning", 3)]


def test_multi_document_stream_is_analysed_per_document():
    result = load_text("""\
        Resources:
          Bucket11:
            Type: AWS::S3::Bucket
            Properties:
        ---
        Resources:
          Bucket12:
            Type: AWS::S3::Bucket
            Properties:
              AccessControl: PublicRead
        """)
    spans = {r.address: (r.line, r.end_line) for r in result.resources}
    assert spans == {"Bucket11": (2, 4), "Bucket12": (7, 10)}
    assert by_address(result)["Bucket11"].attrs == {}
    assert [e.kind for e in result.errors] == ["warning"]


def test_invalid_resources_are_reported():
    result = load_text("""\
        Resources:
          NoType:
            Properties: {}
          NotAMapping: just-a-string
          Good:
            Type: AWS::SNS::Topic
        """)
    assert [r.address for r in result.resources] == ["Good"]
    assert sorted((e.line, e.kind) for e in result.errors) == [(2, "error"), (4, "error")]


def test_rain_module_is_a_warning_and_other_odd_types_are_errors():
    result = load_text("""\
        Resources:
          LogBucketAccess:
            Type: !Rain::Module "bucket-policy.yaml"
            Properties: {PolicyBucketName: logs}
          Odd:
            Type: [AWS::SNS::Topic]
          Good:
            Type: AWS::SNS::Topic
        """)
    assert [r.address for r in result.resources] == ["Good"]
    (warning,) = errors_of(result, "warning")
    assert warning.line == 2 and "Rain module" in warning.message and "not analysed" in warning.message
    (error,) = errors_of(result)
    assert error.line == 5 and "Type that is not a string" in error.message
    as_json = load_text(json.dumps({"Resources": {"Network": {"Type": {"Rain::Module": "vpc.yml"}},
                                                  "Good": {"Type": "AWS::SNS::Topic"}}}, indent=1),
                        name="template.json")
    assert [r.address for r in as_json.resources] == ["Good"]
    assert not errors_of(as_json) and "Rain module" in errors_of(as_json, "warning")[0].message


# ------------------------------------------------------------------------------------ hostile input

BILLION_LAUGHS = textwrap.dedent("""\
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    Resources:
      Bomb:
        Type: AWS::SNS::Topic
        Properties: {Tags: *i}
    """)


def test_alias_bomb_is_refused():
    result = load_cloudformation("bomb.yaml", BILLION_LAUGHS)
    [error] = result.errors
    assert error.kind == "error" and "alias" in error.message
    assert error.line is not None
    assert result.resources == []


def test_small_aliases_are_fine():
    result = load_text("""\
        Resources:
          A:
            Type: AWS::S3::Bucket
            Properties: &props
              PublicAccessBlockConfiguration: {BlockPublicAcls: true}
          B:
            Type: AWS::S3::Bucket
            Properties: *props
        """)
    assert errors_of(result) == []
    assert by_address(result)["B"].attrs == {"PublicAccessBlockConfiguration": {"BlockPublicAcls": True}}


def test_recursive_alias_is_refused():
    doc, error = parse_document("t.yaml", "Resources: &r\n  Self: *r\n")
    assert doc is None and "recursive alias" in error.message


@pytest.mark.parametrize("text", [
    "Resources: " + "[" * 5000 + "]" * 5000,
    "Resources: " + "{a: " * 5000 + "1" + "}" * 5000,
    "".join(" " * i + "k:\n" for i in range(3000)),
])
def test_deep_nesting_is_an_input_error(text):
    doc, error = parse_document("deep.yaml", text)
    assert doc is None and error is not None and error.kind == "error"


def test_deep_nesting_below_the_parser_limit_still_loads_or_errors_cleanly():
    text = "Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      P: " + \
        "[" * 900 + "]" * 900 + "\n"
    result = load_cloudformation("deep.yaml", text)
    assert all(e.kind in ("error", "warning") for e in result.errors)


def test_deep_json_is_an_input_error():
    text = '{"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"P": ' + \
        "[" * 100000 + "]" * 100000 + "}}}}"
    doc, error = parse_document("deep.json", text)
    assert doc is None and "nest" in error.message


@pytest.mark.parametrize("text, line", [
    ("Resources:\n  B:\n    Type: AWS::S3::Bucket\n   Properties: {}\n", 4),
    ("Resources:\n  B: [unclosed\n", 3),
    ("Resources:\n  B:\n    Type: !GetAtt {a: 1}\n", None),
])
def test_malformed_yaml_reports_a_line(text, line):
    doc, error = parse_document("bad.yaml", text)
    assert doc is None
    assert error.kind == "error" and error.message.startswith("invalid YAML")
    if line is not None:
        assert error.line == line


def test_malformed_json_reports_a_line():
    doc, error = parse_document("bad.json", '{\n  "Resources": {\n    "B": {"Type": "AWS::S3::Bucket",}\n  }\n}\n')
    assert doc is None and error.message.startswith("invalid JSON") and error.line == 3
    doc, error = parse_document("bad.json", '{"Resources": {}}\n{"again": 1}\n')
    assert doc is None and error.line == 2


def test_binary_and_empty_inputs():
    doc, error = parse_document("x.yaml", "Resources:\x00\x01\x02")
    assert doc is None and "binary" in error.message
    result = load_cloudformation("empty.yaml", "")
    assert [e.kind for e in result.errors] == ["error"]
    result = load_cloudformation("list.yaml", "- a\n- b\n")
    assert [e.kind for e in result.errors] == ["error"]


def test_control_characters_are_an_input_error():
    doc, error = parse_document("x.yaml", "Resources:\n  B: \x07bell\n")
    assert doc is None and error.line == 2


def test_file_size_limit():
    result = load_cloudformation("big.yaml", "Resources: {}\n" + "#" * 2000, max_file_size=1000)
    assert "limit" in result.errors[0].message and result.resources == []


def test_yaml_flow_document_starting_with_brace_is_not_forced_to_json():
    result = load_cloudformation("t.template", "{Resources: {T: {Type: AWS::SNS::Topic}}}\n")
    assert [r.address for r in result.resources] == ["T"]


def test_unresolvable_properties_are_reported_not_dropped_silently():
    result = load_text("""\
        Parameters:
          Mode: {Type: String}
        Conditions:
          Custom: !Equals [!Ref Mode, custom]
        Resources:
          B:
            Type: AWS::S3::Bucket
            Properties: !If [Custom, {AccessControl: PublicRead}, {}]
        """)
    assert by_address(result)["B"].attrs == {}
    assert any("could not be resolved" in e.message for e in result.errors)


def test_alias_check_is_linear(monkeypatch):
    # The expansion count is memoised per node: a wide DAG is checked without expanding it.
    monkeypatch.setattr(yaml_loader, "MAX_ALIAS_EXPANSION", 10)
    root = yaml_loader.compose_all("a: &a [1, 2, 3]\nb: [*a, *a, *a, *a, *a]\n")[0]
    with pytest.raises(yaml_loader.YamlTemplateError):
        yaml_loader.check_aliases(root, max_extra_nodes=10)
    yaml_loader.check_aliases(root, max_extra_nodes=100)


def test_unresolved_leaf_types_survive_loading():
    result = load_text("""\
        Parameters:
          Name: {Type: String}
        Resources:
          T:
            Type: AWS::SNS::Topic
            Properties: {TopicName: !Ref Name}
        """)
    assert by_address(result)["T"].attrs["TopicName"] == Unresolved("Ref Name", "parameter Name has no default")


def test_pure_python_fallback_gives_the_same_data_and_marks():
    text = (FIXTURES / "web_stack.yaml").read_text()
    fast, _ = yaml_loader.load(text)
    pure, _ = yaml_loader.load(text, yaml_loader.PureCfnYamlLoader)
    assert fast[0][0] == pure[0][0]
    lines = text.splitlines()
    fast_resources = yaml_loader.section_node(fast[0][1], "Resources")
    pure_resources = yaml_loader.section_node(pure[0][1], "Resources")
    assert yaml_loader.entry_spans(fast_resources, lines) == yaml_loader.entry_spans(pure_resources, lines)


def test_pure_python_fallback_refuses_deep_nesting():
    with pytest.raises(yaml_loader.YamlTemplateError):
        yaml_loader.load("a: " + "[" * 20000 + "]" * 20000, yaml_loader.PureCfnYamlLoader)


def test_byte_order_mark_and_malformed_sections():
    result = load_cloudformation("t.json", '\ufeff{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    assert [r.address for r in result.resources] == ["T"] and result.errors == []
    result = load_text("""\
        Parameters: [not, a, mapping]
        Resources:
          T: {Type: AWS::SNS::Topic}
        """)
    assert [r.address for r in result.resources] == ["T"]
    assert [(e.kind, e.line) for e in result.errors] == [("error", 1)]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\n", "\r", "\x85", "\u2028", "\u2029", "\t", "&", "é"])))
def test_yaml_lines_are_the_lines_yaml_counts(text: str) -> None:
    """Spans are cut from the text's lines as YAML breaks them; the plain split taken when the text
    has only \\n breaks gives the same lines as the regular expression for every break YAML knows."""
    from iacgate.adapters.cloudformation.loader import _YAML_LINE_BREAK, _yaml_lines
    from iacgate.adapters.cloudformation.yaml_loader import _ANCHOR, has_anchors

    assert _yaml_lines(text) == _YAML_LINE_BREAK.split(text)
    assert has_anchors(text) == (_ANCHOR.search(text) is not None)
