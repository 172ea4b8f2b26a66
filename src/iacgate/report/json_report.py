"""The machine-readable report (``/CONTRACT.md``), and the scrubbed data every other format renders.

:func:`report_data` is the one place where findings become output: paths are made relative to the
current directory and every string passes through :func:`iacgate.redact.scrub`, so no format can
print what the JSON report would not."""
from __future__ import annotations

import json
from typing import Any

from ..findings import SEVERITIES, Finding, ScanReport, severity_rank
from ..redact import scrub
from .common import display_path

SCHEMA_VERSION = "1"


def scrub_tree(tree: Any) -> Any:
    """Every string (keys included) of a JSON-like tree through :func:`scrub`."""
    if isinstance(tree, str):
        return scrub(tree)
    if isinstance(tree, dict):
        return {scrub(str(k)): scrub_tree(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [scrub_tree(v) for v in tree]
    return tree


def _sort_key(finding: Finding) -> tuple[Any, ...]:
    loc = finding.location
    return (not finding.blocking, finding.suppression is not None, severity_rank(finding.severity),
            loc.file or "", loc.line or 0, finding.address, finding.rule_id)


def finding_data(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    out: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "concept": finding.concept,
        "severity": finding.severity,
        "status": finding.status,
        "blocking": finding.blocking,
        "title": finding.title,
        "message": finding.message,
        "resource": {"address": finding.address, "type": finding.resource_type,
                     "source_kind": finding.source_kind},
        "location": {"file": display_path(loc.file), "line": loc.line, "end_line": loc.end_line},
        "evidence": [{**e.to_json(), "file": display_path(e.file)} for e in finding.evidence],
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
    }
    if finding.suppression is not None:
        s = finding.suppression
        out["suppression"] = {"reason": s.reason, "until": s.until, "origin": s.origin}
    if finding.change is not None:
        out["change"] = finding.change
    if finding.remediation:
        out["remediation"] = dict(finding.remediation)
    if finding.references:
        out["references"] = list(finding.references)
    return out


def error_data(error: Any) -> dict[str, Any]:
    if hasattr(error, "to_json"):
        data = dict(error.to_json())
    elif isinstance(error, dict):
        data = dict(error)
    else:
        data = {"file": None, "line": None, "message": str(error)}
    data["file"] = display_path(data.get("file"))
    data.setdefault("line", None)
    data["message"] = str(data.get("message", ""))
    return data


def report_data(report: ScanReport) -> dict[str, Any]:
    """The whole report as CONTRACT.md JSON data, scrubbed."""
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
    return scrub_tree({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "iacgate", "version": report.tool_version},
        "summary": summary,
        "findings": [finding_data(f) for f in findings],
        "errors": [error_data(e) for e in report.errors],
    })


def render(report: ScanReport) -> str:
    return json.dumps(report_data(report), indent=2) + "\n"
