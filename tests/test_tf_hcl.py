"""Parsing Terraform files: spans, expressions, heredocs, JSON syntax, suppressions, bad input."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from iacgate.adapters.terraform.hcl import (Call, Lit, ObjectExpr, Traversal, parse_file,
                                            parse_template_text)
from test_tf_support import by_address, load

BUCKETS = '''\
provider "aws" {
  region = "eu-west-1"
}

# The public website bucket.
resource "aws_s3_bucket" "site" {
  bucket = "acme-site"

  tags = {
    Name = "site"
  }
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = false
}
'''


def test_block_spans_are_one_based_and_inclusive(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": BUCKETS})
    resources = by_address(result)
    assert (resources["provider.aws"].line, resources["provider.aws"].end_line) == (1, 3)
    assert (resources["aws_s3_bucket.site"].line, resources["aws_s3_bucket.site"].end_line) == (6, 12)
    pab = resources["aws_s3_bucket_public_access_block.site"]
    assert (pab.line, pab.end_line) == (14, 18)
    assert pab.file == str(tmp_path / "main.tf")
    assert result.files == [str(tmp_path / "main.tf")]
    assert result.errors == []


def test_parse_result_is_plain_picklable_data() -> None:
    parsed = parse_file("main.tf", BUCKETS)
    again = pickle.loads(pickle.dumps(parsed))
    assert again == parsed
    assert [b.type for b in parsed.blocks] == ["provider", "resource", "resource"]
    assert parsed.blocks[1].labels == ("aws_s3_bucket", "site")


def test_jsonencode_keeps_the_expression_structure() -> None:
    parsed = parse_file("p.tf", '''resource "aws_s3_bucket_policy" "p" {
  policy = jsonencode({
    Statement = [{
      Principal = "*"
      Condition = { IpAddress = { "aws:SourceIp" = ["203.0.113.0/24"] } }
    }]
  })
}
''')
    policy = parsed.blocks[0].attribute("policy")
    assert isinstance(policy.expr, Call) and policy.expr.name == "jsonencode"
    assert isinstance(policy.expr.args[0], ObjectExpr)
    assert (policy.line, policy.end_line) == (2, 7)


def test_strings_templates_and_escapes() -> None:
    parsed = parse_file("t.tf", 'locals {\n  a = "plain"\n  b = "${var.x}"\n  c = "$${not_interpolated} %%{x}"\n'
                                '  d = "tab\\there \\u00e9"\n}\n')
    attrs = {a.name: a.expr for a in parsed.blocks[0].attributes}
    assert attrs["a"] == Lit("plain")
    assert isinstance(attrs["b"], Traversal)  # "${expr}" is the expression itself
    assert attrs["c"] == Lit("${not_interpolated} %{x}")
    assert attrs["d"] == Lit("tab\there \u00e9")


def test_heredocs_become_plain_strings_with_dedent(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        resource "aws_s3_bucket_policy" "p" {
          bucket = "acme-data"
          policy = <<-POLICY
            {
              "Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                             "Resource": "arn:aws:s3:::${var.name}/*"}]
            }
          POLICY
        }
        resource "aws_instance" "web" {
          ami       = "ami-0abcdef1234567890"
          user_data = <<EOF
        #!/bin/bash
        echo "hello" > /tmp/x
        EOF
        }
        variable "name" { default = "acme-data" }
        '''})
    resources = by_address(result)
    policy = json.loads(resources["aws_s3_bucket_policy.p"].attrs["policy"])
    assert policy["Statement"][0]["Resource"] == "arn:aws:s3:::acme-data/*"
    assert resources["aws_s3_bucket_policy.p"].attrs["policy"].startswith("{\n  \"Version\"")
    assert resources["aws_instance.web"].attrs["user_data"] == '#!/bin/bash\necho "hello" > /tmp/x\n'


def test_template_directives() -> None:
    expr = parse_template_text('%{ if true ~}\n  yes\n%{~ endif }')
    assert expr is not None


def test_tf_json_syntax(tmp_path: Path) -> None:
    config = {
        "variable": {"name": {"default": "acme-json"}},
        "resource": {
            "aws_s3_bucket": {"b": {"bucket": "${var.name}", "tags": {"Team": "data"}}},
            "aws_instance": {"i": {"ami": "ami-1", "metadata_options": {"http_tokens": "required"}}},
        },
    }
    result = load(tmp_path, {"main.tf.json": json.dumps(config, indent=2)})
    resources = by_address(result)
    assert resources["aws_s3_bucket.b"].attrs == {"bucket": "acme-json", "tags": {"Team": "data"}}
    assert resources["aws_instance.i"].attrs["metadata_options"] == [{"http_tokens": "required"}]
    assert resources["aws_s3_bucket.b"].line == 9


def test_parse_error_reports_file_and_line_and_other_files_still_load(tmp_path: Path) -> None:
    result = load(tmp_path, {
        "broken.tf": 'resource "aws_s3_bucket" "x" {\n  bucket = "a"\n  acl = \n}\n',
        "ok.tf": 'resource "aws_s3_bucket" "y" {\n  bucket = "b"\n}\n',
    })
    assert [e.file for e in result.errors] == [str(tmp_path / "broken.tf")]
    assert result.errors[0].line == 3 and result.errors[0].kind == "error"
    assert "syntax error" in result.errors[0].message
    assert "aws_s3_bucket.y" in by_address(result)


def test_binary_non_utf8_and_oversized_files_are_input_errors(tmp_path: Path) -> None:
    (tmp_path / "bin.tf").write_bytes(b"resource \x00\x01\x02")
    (tmp_path / "latin1.tf").write_bytes('locals { a = "caf\xe9" }\n'.encode("latin-1"))
    (tmp_path / "big.tf").write_text("locals {\n" + "  a = 1\n" * 200 + "}\n")
    (tmp_path / "bom.tf").write_bytes('\ufeffresource "aws_s3_bucket" "bom" { bucket = "x" }\n'.encode("utf-8"))
    result = load(tmp_path, max_file_size=1000)
    messages = {Path(e.file).name: e.message for e in result.errors}
    assert "binary" in messages["bin.tf"]
    assert "UTF-8" in messages["latin1.tf"]
    assert "larger than" in messages["big.tf"]
    assert "bom.tf" not in messages
    assert "aws_s3_bucket.bom" in by_address(result)


def test_deep_nesting_does_not_crash(tmp_path: Path) -> None:
    depth = 3000
    result = load(tmp_path, {"deep.tf": "locals {\n  a = " + "[" * depth + "1" + "]" * depth + "\n}\n"})
    assert result.errors, "a pathological file is reported"


def test_suppression_comments_above_and_on_the_block(tmp_path: Path) -> None:
    result = load(tmp_path, {"main.tf": '''\
        # Public by design: this is the marketing site.
        # iacgate:ignore IG-S3-001 reason="public website" until=2027-03-31
        // iacgate:ignore IG-S3-004
        resource "aws_s3_bucket" "site" {
          bucket = "acme-site"
        }

        resource "aws_instance" "web" { # iacgate:ignore IG-IMDS-001 reason="legacy AMI"
          ami = "ami-1"
        }

        # iacgate:ignore IG-S3-001 reason="not adjacent"

        resource "aws_s3_bucket" "other" {
          bucket = "acme-other"
        }
        '''})
    resources = by_address(result)
    assert resources["aws_s3_bucket.site"].meta["ignore"] == [
        {"rule": "IG-S3-001", "reason": "public website", "until": "2027-03-31", "line": 2},
        {"rule": "IG-S3-004", "reason": None, "until": None, "line": 3},
    ]
    assert resources["aws_instance.web"].meta["ignore"] == [
        {"rule": "IG-IMDS-001", "reason": "legacy AMI", "until": None, "line": 8}]
    assert "ignore" not in resources["aws_s3_bucket.other"].meta


def test_attribute_spans_exclude_trailing_newlines() -> None:
    parsed = parse_file("prod.tfvars", 'a = 1 + 2\nb = [\n  "x",\n]\ncert = <<EOF\nPEM\nEOF\nc = "s" # note\n')
    spans = {a.name: (a.line, a.end_line) for a in parsed.attributes}
    assert spans == {"a": (1, 1), "b": (2, 4), "cert": (5, 7), "c": (8, 8)}


def test_invalid_utf8_is_an_input_error_on_its_line(tmp_path) -> None:
    from iacgate.adapters.terraform.loader import parse_source

    path = str(tmp_path / "main.tf")
    error = parse_source(path, b'resource "aws_s3_bucket" "b" {\n  bucket = "ok"\n}\n# caf\xe9\n')
    assert (error.file, error.line) == (path, 4)
    assert "not valid UTF-8" in error.message


REPO = Path(__file__).resolve().parent.parent
REPO_TF_FILES = sorted(p for folder in ("examples", "tests/fixtures") for p in (REPO / folder).rglob("*.tf"))


def _parsed_with(parser, path: Path):  # type: ignore[no-untyped-def]
    from iacgate.adapters.terraform.hcl import _parse_hcl_file

    return _parse_hcl_file(str(path), path.read_text(encoding="utf-8"), parser)


def test_lean_parser_gives_the_same_syntax_trees_as_python_hcl2s_parser() -> None:
    """Both ways of making the batch parser (from python-hcl2's cached tables, from its loaded parser)
    read every Terraform file in the repository exactly as python-hcl2's own parser does."""
    import io

    from hcl2 import parser as hcl2_parser_module

    from iacgate.adapters.terraform import hcl

    buffer = io.BytesIO()
    hcl.hcl2_parser().save(buffer)  # python-hcl2 writes its tables on its parser's first use
    remade = hcl._lean(pickle.loads(buffer.getvalue()))
    if not Path(hcl2_parser_module.PARSER_FILE).is_file():
        pytest.skip("python-hcl2 could not write its parser tables into its package folder here")
    cached = hcl._lean_from_cached_tables()
    assert cached is not None  # python-hcl2's tables are read directly
    assert not cached.options.propagate_positions and not remade.options.propagate_positions
    assert len(REPO_TF_FILES) >= 20
    for path in REPO_TF_FILES:
        expected = _parsed_with(hcl.hcl2_parser(), path)
        assert _parsed_with(cached, path) == expected, path
        assert _parsed_with(remade, path) == expected, path
    assert any(_parsed_with(cached, path).blocks for path in REPO_TF_FILES)


def test_lean_parser_falls_back_when_the_cached_tables_are_not_python_hcl2s(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Tables under another key (another grammar, options or lark version), a changed imported grammar
    or a damaged file are not used; the batch parser is then made from python-hcl2's parser."""
    from hcl2 import parser as hcl2_parser_module

    from iacgate.adapters.terraform import hcl

    hcl.hcl2_parser()  # python-hcl2 writes its tables on its parser's first use
    real = Path(hcl2_parser_module.PARSER_FILE).read_bytes()
    header, _, rest = real.partition(b"\n")
    other_key = tmp_path / "other-key.bin"
    other_key.write_bytes(b"0" * len(header) + b"\n" + rest)
    damaged = tmp_path / "damaged.bin"
    damaged.write_bytes(header + b"\n" + rest[: len(rest) // 2])
    for tables in (other_key, damaged, tmp_path / "missing.bin"):
        monkeypatch.setattr(hcl2_parser_module, "PARSER_FILE", tables)
        assert hcl._lean_from_cached_tables() is None, tables
    hcl.lean_parser.cache_clear()
    hcl._cached_lean.cache_clear()
    try:
        parser = hcl.lean_parser()  # PARSER_FILE still points at a missing file
        assert hcl._cached_lean() is None  # so it was made from python-hcl2's loaded parser
        assert not parser.options.propagate_positions
        path = REPO / "examples" / "terraform"
        sample = next(p for p in REPO_TF_FILES if p.is_relative_to(path))
        assert _parsed_with(parser, sample) == _parsed_with(hcl.hcl2_parser(), sample)
    finally:
        hcl.lean_parser.cache_clear()
        hcl._cached_lean.cache_clear()


def test_the_lean_parser_finds_its_rules_by_identity_and_leaves_python_hcl2s_alone() -> None:
    from lark.grammar import Rule

    from iacgate.adapters.terraform import hcl

    def rule_types(parser) -> set[type]:  # type: ignore[no-untyped-def]
        return {type(key) for key in parser.parser.parser.parser.callbacks if isinstance(key, Rule)}

    assert rule_types(hcl.lean_parser()) == {hcl._IdentityRule}
    assert rule_types(hcl.hcl2_parser()) == {Rule}
    tree = hcl.lean_parser().parse('a = b.c[0]\n\n')
    assert tree == hcl.hcl2_parser().parse('a = b.c[0]\n\n')


def test_identity_rules_are_only_taken_where_the_table_and_the_builders_share_them() -> None:
    import io

    from iacgate.adapters.terraform import hcl

    buffer = io.BytesIO()
    hcl.hcl2_parser().save(buffer)
    saved = pickle.loads(buffer.getvalue())
    saved["data"]["options"]["propagate_positions"] = False
    from lark import Lark

    parser = Lark.load(saved)
    inner = parser.parser.parser.parser
    copied = {type(key)(key.origin, key.expansion, key.order, key.alias, key.options) if hasattr(key, "origin")
              else key: builder for key, builder in inner.callbacks.items()}
    inner.callbacks.clear()
    inner.callbacks.update(copied)  # equal rules, but not the table's objects
    assert hcl._with_identity_rules(parser) is parser
    assert all(type(key).__name__ == "Rule" for key in inner.callbacks if hasattr(key, "origin"))
    assert parser.parse('a = 1\n\n') == hcl.hcl2_parser().parse('a = 1\n\n')
