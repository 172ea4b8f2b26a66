"""The machine-readable report (``/CONTRACT.md``), and the scrubbed data every other format renders.

:func:`report_data` is the one place where findings become output: paths are made relative to the
current directory and every string passes through :func:`iacgate.redact.scrub`, so no format can
print what the JSON report would not."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from ..collector import collector_paused
from ..findings import SEVERITIES, Finding, ScanReport, severity_rank
from ..redact import SHORTEST_REDACTED, scrub
from .common import ReportPaths
from .common import display_path

SCHEMA_VERSION = "1"


_NO_TEXT = (int, float, bool, type(None))


def scrub_tree(tree: Any) -> Any:
    """Every string (keys included) of a JSON-like tree through :func:`scrub`. (Leaves are taken
    in place, without a call each, and strings too short to hold a secret as they are: a big
    report has hundreds of thousands.)"""
    if isinstance(tree, str):
        return scrub(tree)
    if isinstance(tree, dict):
        return {(k if type(k) is str and len(k) < SHORTEST_REDACTED else scrub(str(k))):
                (v if len(v) < SHORTEST_REDACTED else scrub(v)) if type(v) is str
                else v if type(v) in _NO_TEXT else scrub_tree(v)
                for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [(v if len(v) < SHORTEST_REDACTED else scrub(v)) if type(v) is str
                else v if type(v) in _NO_TEXT else scrub_tree(v) for v in tree]
    return tree


def _sort_key(finding: Finding) -> tuple[Any, ...]:
    loc = finding.location
    return (not finding.blocking, finding.suppression is not None, severity_rank(finding.severity),
            loc.file or "", loc.line or 0, finding.address, finding.rule_id)


PathDisplay = Callable[[Any], Any]


def _memoised(make: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``make`` remembered per value (a dict or a list) for one report: a rule's remediation and
    references are the same text on each of its findings (thousands, for a big tree)."""
    made: dict[Any, Any] = {}

    def once(value: Any) -> Any:
        key = tuple(value.items()) if isinstance(value, dict) else tuple(value)
        if key not in made:
            made[key] = make(value)
        return made[key]

    return once


def _memoised_rule_text() -> Callable[[Any], Any]:
    """:func:`scrub_tree` remembered per value for one report."""
    return _memoised(scrub_tree)


def _scrubbed(value: Any) -> Any:
    """:func:`scrub_tree` of one value."""
    if type(value) is str:
        return value if len(value) < SHORTEST_REDACTED else scrub(value)
    return value if type(value) in _NO_TEXT else scrub_tree(value)


def _scrubbed_finding(finding: Finding, display: PathDisplay,
                      rule_text: Callable[[Any], Any] | None) -> dict[str, Any]:
    """``scrub_tree(finding_data(finding, display))`` made in one pass (each value scrubbed as it is
    put in; a report of thousands of findings spent a third of its time copying them), with the
    rule's own text scrubbed once per report (``rule_text``; None: left out). A test holds the two
    equal."""
    return _finding_fields(finding, display, _scrubbed, rule_text)


def _finding_fields(finding: Finding, display: PathDisplay, text: Callable[[Any], Any],
                    rule_text: Callable[[Any], Any] | None) -> dict[str, Any]:
    """A finding as CONTRACT.md data: each text value through ``text``, the rule's remediation and
    references through ``rule_text`` (None: left out). Flags and line numbers hold no text."""
    t = text
    loc = finding.location
    out: dict[str, Any] = {
        "rule_id": t(finding.rule_id),
        "concept": t(finding.concept),
        "severity": t(finding.severity),
        "status": t(finding.status),
        "blocking": finding.blocking,
        "title": t(finding.title),
        "message": t(finding.message),
        "resource": {"address": t(finding.address), "type": t(finding.resource_type),
                     "source_kind": t(finding.source_kind)},
        "location": {"file": t(display(loc.file)), "line": loc.line, "end_line": loc.end_line},
        "evidence": [{key: t(display(value) if key == "file" else value) for key, value in e.to_json().items()}
                     for e in finding.evidence],
        # 32 lower-case hex digits of a SHA-256 digest: no shape scrub removes can occur in it (a key
        # id needs upper case, a secret mixed case, an assignment a name), so it is not scrubbed.
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
    }
    if finding.suppression is not None:
        s = finding.suppression
        out["suppression"] = {"reason": t(s.reason), "until": t(s.until), "origin": t(s.origin)}
    if finding.change is not None:
        out["change"] = t(finding.change)
    if rule_text is not None:
        if finding.remediation:
            out["remediation"] = rule_text(finding.remediation)
        if finding.references:
            out["references"] = rule_text(finding.references)
    return out


def _as_written(value: Any) -> Any:
    return value


def _rule_text_copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value)


class _Encoded(str):
    """An item of the report already encoded as JSON text."""


def _encoded_finding(finding: Finding, display: PathDisplay, rule_json: Callable[[Any], str]) -> _Encoded:
    """``json.dumps`` of the scrubbed finding, with its rule's remediation and references encoded once
    per report (``rule_json``): they are last in the finding and over half the text of a big report."""
    text = json.dumps(_scrubbed_finding(finding, display, None))
    tail = "".join(f', "{key}": {rule_json(value)}' for key, value in
                   (("remediation", finding.remediation), ("references", finding.references)) if value)
    return _Encoded(f"{text[:-1]}{tail}}}" if tail else text)


def finding_data(finding: Finding, display: PathDisplay = display_path) -> dict[str, Any]:
    """A finding as CONTRACT.md data, not scrubbed."""
    return _finding_fields(finding, display, _as_written, _rule_text_copy)


def error_data(error: Any, display: PathDisplay = display_path) -> dict[str, Any]:
    if hasattr(error, "to_json"):
        data = dict(error.to_json())
    elif isinstance(error, dict):
        data = dict(error)
    else:
        data = {"file": None, "line": None, "message": str(error)}
    data["file"] = display(data.get("file"))
    data.setdefault("line", None)
    data["message"] = str(data.get("message", ""))
    return data


def report_data(report: ScanReport) -> dict[str, Any]:
    """The whole report as CONTRACT.md JSON data, scrubbed. Built with the cyclic garbage collector
    paused: the tree holds no cycles, and for thousands of findings the collector's passes over
    everything the scan still holds cost more than building the tree."""
    with collector_paused():
        data = _report_data(report)
        data["findings"] = list(data["findings"])
        data["errors"] = list(data["errors"])
        return data


def _report_data(report: ScanReport, encoded: bool = False) -> dict[str, Any]:
    """The report data with the findings and errors as iterators, each item built and scrubbed
    when it is taken: an unscrubbed copy of a report of tens of thousands of findings never exists
    whole beside the scrubbed one, and the JSON text can be encoded item by item (``encoded``: the
    findings come as their JSON text)."""
    findings = sorted(report.findings, key=_sort_key)
    by_severity = {s: 0 for s in SEVERITIES}
    for f in findings:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    summary: dict[str, Any] = {
        "files": len(report.files),
        "resources": report.resources,
        "findings": len(findings),
        "blocking": sum(f.blocking for f in findings),
        "by_severity": by_severity,
        "decision": report.decision,
        "suppressed": sum(f.suppressed for f in findings),
        "unknown": sum(f.status == "unknown" for f in findings),
        "text": report.summary_line,
    }
    if report.changes is not None:
        summary["changes"] = dict(report.changes)
    display = ReportPaths()
    rule_text = _memoised_rule_text()
    if encoded:
        rule_json = _memoised(lambda value: json.dumps(scrub_tree(value)))
        items: Iterator[Any] = (_encoded_finding(f, display, rule_json) for f in findings)
    else:
        items = (_scrubbed_finding(f, display, rule_text) for f in findings)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": scrub_tree({"name": "iacgate", "version": report.tool_version}),
        "summary": scrub_tree(summary),
        "findings": items,
        "errors": (scrub_tree(error_data(e, display)) for e in report.errors),
    }


_ITEM_LISTS = ("findings", "errors")


def dumps(data: dict[str, Any]) -> str:
    """The report indented, with each finding and error on one line of its own: as easy to read
    and to grep as full indentation, and encoded by the C encoder (``indent`` makes ``json`` fall
    back to pure Python, several times slower on reports of thousands of findings). The text is
    joined once from its pieces (for a big report, each extra copy of the text is tens of MB)."""
    return "".join(_pieces(data))


def _pieces(data: dict[str, Any]) -> Iterator[str]:
    """The text of :func:`dumps` in pieces; findings and errors given as iterators are encoded one
    at a time, so their data is never all alive at once."""
    yield "{\n"
    for position, (key, value) in enumerate(data.items()):
        yield ",\n  " if position else "  "
        yield json.dumps(key)
        yield ": "
        if key in _ITEM_LISTS and isinstance(value, (list, Iterator)):
            yield from _item_lines(value)
        else:
            yield json.dumps(value, indent=2).replace("\n", "\n  ")
    yield "\n}\n"


def _item_lines(items: Iterable[Any]) -> Iterator[str]:
    """``[\n    ITEM,\n    ITEM\n  ]`` (``[]`` when there are none) in pieces."""
    opened = False
    for item in items:
        yield ",\n    " if opened else "[\n    "
        yield item if type(item) is _Encoded else json.dumps(item)
        opened = True
    yield "\n  ]" if opened else "[]"


def render(report: ScanReport) -> str:
    with collector_paused():
        return dumps(_report_data(report, encoded=True))


_WRITE_CHARS = 1 << 20


def write(report: ScanReport, stream: TextIO) -> None:
    """The text of :func:`render` written to ``stream`` as it is encoded, about a megabyte at a
    time: the report of a big plan (tens of MB) never exists whole, nor encoded whole."""
    with collector_paused():
        pending: list[str] = []
        size = 0
        for piece in _pieces(_report_data(report, encoded=True)):
            pending.append(piece)
            size += len(piece)
            if size >= _WRITE_CHARS:
                stream.write("".join(pending))
                pending, size = [], 0
        stream.write("".join(pending))
