"""What the input controls (resource names, file paths, messages built from them) cannot change
the structure of any report format: no terminal escapes, no extra Markdown cells or HTML, no extra
workflow commands, no broken XML or JSON. Checked for arbitrary text, not only known attacks."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from iacgate.findings import Evidence, Finding
from iacgate.gate import GateOptions, apply_gate
from iacgate.raw import InputError
from iacgate.report import render
from iacgate.report.common import escape_control, escape_name
from iacgate.report.github import escape_data, escape_property
from iacgate.report.markdown import html_text, md
from iacgate.report.sarif import plain_text
from iacgate.values import Source

# Text that tries every trick: terminal escapes, line breaks, bidi overrides, Markdown and HTML.
HOSTILE_PIECES = ["\x1b[2J", "\x1b]0;title\x07", "\r", "\n", "\r\n", "\t", "\x00", "\x7f", "\x85",
                  "\u2028", "\u202e", "\u2066", "|", "<", ">", "</details>", "<img src=x>", "`", "```",
                  "[", "]", "[a](https://evil.example)", "%", "%0A", "::error::", ":", ",", "&amp;",
                  "@here", "*", "_", "#", "\\", "\ufeff", "a", "Z", "9", ".", "/", " "]
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=3), min_size=1,
                        max_size=12).map("".join)
C0_C1_EXCEPT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def hostile_report(name: str, path: str, detail: str):  # type: ignore[no-untyped-def]
    finding = Finding(
        rule_id="IG-S3-001", concept="s3-public-acl", severity="high", status="fail",
        title="S3 bucket is public through its ACL", message=f"{name} sets canned ACL public-read",
        address=name, resource_type="aws_s3_bucket", source_kind="terraform",
        location=Source(path, 3, 9, name),
        evidence=[Evidence(f"{name}_acl", path, 11, 14, detail)], what=f"acl {name}")
    errors = [InputError(path, f"could not parse {name}", 2)]
    return apply_gate([finding], errors, GateOptions())


@settings(max_examples=60, deadline=None)
@given(name=hostile_text, path=hostile_text, detail=hostile_text)
def test_text_output_has_no_control_characters_and_one_line_per_item(name: str, path: str, detail: str) -> None:
    benign = render(hostile_report("aws_s3_bucket.b", "main.tf", "acl"), "text")
    out = render(hostile_report(name, path, detail), "text")
    assert not C0_C1_EXCEPT_NEWLINE.search(out)
    assert out.count("\n") == benign.count("\n")


@settings(max_examples=60, deadline=None)
@given(name=hostile_text, path=hostile_text, detail=hostile_text)
def test_markdown_structure_is_what_the_gate_wrote(name: str, path: str, detail: str) -> None:
    benign = render(hostile_report("aws_s3_bucket.b", "main.tf", "acl"), "markdown")
    out = render(hostile_report(name, path, detail), "markdown")
    for tag in ("<details>", "</details>", "<summary>", "</summary>", "<", ">", "```", "\n"):
        assert out.count(tag) == benign.count(tag), tag
    def unescaped_pipes(text: str) -> list[int]:
        return [len(re.findall(r"(?<!\\)\|", line)) for line in text.split("\n")]
    assert unescaped_pipes(out) == unescaped_pipes(benign)
    assert not re.search(r"(?<!\\)\]\(", out)  # no inline link the input wrote
    assert "\x1b" not in out and "\r" not in out


@settings(max_examples=60, deadline=None)
@given(name=hostile_text, path=hostile_text, detail=hostile_text)
def test_github_commands_cannot_be_added_or_split(name: str, path: str, detail: str) -> None:
    out = render(hostile_report(name, path, detail), "github")
    lines = out.rstrip("\n").split("\n")  # the runner reads lines split at \n (and \r\n)
    assert len(lines) == 3  # one annotation, one input error, the summary
    for line in lines[:2]:
        head, sep, message = line[2:].partition("::")
        assert line.startswith(("::error", "::warning", "::notice")) and sep
        properties = head.partition(" ")[2]
        for item in properties.split(","):
            assert re.fullmatch(r"[a-zA-Z]+=[^,:]*", item), item
        assert "\r" not in message and "\x1b" not in line


@settings(max_examples=60, deadline=None)
@given(name=hostile_text, path=hostile_text, detail=hostile_text)
def test_json_sarif_and_junit_parse_and_keep_the_names(name: str, path: str, detail: str) -> None:
    report = hostile_report(name, path, detail)
    data = json.loads(render(report, "json"))
    assert data["findings"][0]["resource"]["address"] == name
    sarif = json.loads(render(report, "sarif"))
    result = sarif["runs"][0]["results"][0]
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == name
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", result["message"]["text"])
    suite = ET.fromstring(render(report, "junit"))
    assert len(list(suite.iter("testcase"))) == 2


@settings(max_examples=60, deadline=None)
@given(name=hostile_text, path=hostile_text)
def test_atlantis_lines_are_one_per_item(name: str, path: str) -> None:
    out = render(hostile_report(name, path, "d"), "atlantis")
    lines = out.splitlines()
    assert lines[0].startswith("FAIL") and lines[-1] == "2 failures" and len(lines) == 4
    assert not C0_C1_EXCEPT_NEWLINE.search(out)


def test_escape_name_spells_out_line_breaks_that_escape_control_keeps() -> None:
    assert escape_control("a\nb\tc") == "a\nb\tc"
    assert escape_name("a\nb\tc\r\u2028\x1b") == "a\\x0ab\\x09c\\x0d\\u2028\\x1b"


def test_markdown_helpers_neutralise_html_links_and_mentions() -> None:
    assert md("x</details><b>|`[a](u)` @team") == (
        "x&lt;/details&gt;&lt;b&gt;\\|\\`\\[a\\]\\(u\\)\\` &#64;team")
    assert html_text('</summary>"[a](u)|`@x') == "&lt;/summary&gt;&quot;&#91;a&#93;(u)&#124;&#96;&#64;x"
    assert md("\x1b[31m") == "\\\\x1b\\[31m"


def test_github_escaping_follows_the_runner_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_sarif_plain_text_escapes_only_link_syntax() -> None:
    assert plain_text("see [docs](https://evil.example)") == "see \\[docs\\](https://evil.example)"
    assert plain_text("list [0] and a\\b") == "list [0] and a\\b"
    assert plain_text("x\\](y") == "x\\\\\\](y"
