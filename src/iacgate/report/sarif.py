"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..findings import ScanReport
from .common import is_local_path, one_line
from .json_report import report_data

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
SRCROOT = "%SRCROOT%"
_LINK_SYNTAX = re.compile(r"[\\\[\]]")


def plain_text(text: str) -> str:
    """A SARIF plain-text message in which input cannot form an embedded link: SARIF viewers turn
    ``[text](target)`` into a link, so when the text holds ``](`` its brackets (and backslashes)
    are escaped with a backslash, as SARIF 2.1.0 (3.11.6) prescribes."""
    return _LINK_SYNTAX.sub(lambda m: "\\" + m.group(0), text) if "](" in text else text


def _level(finding: dict[str, Any]) -> str:
    if finding["status"] == "unknown":
        return "warning"
    if finding["blocking"] or finding["severity"] in ("critical", "high"):
        return "error"
    return "warning" if finding["severity"] == "medium" else "note"


def _remediation_markdown(remediation: dict[str, str]) -> str:
    parts = []
    if remediation.get("summary"):
        parts.append(remediation["summary"])
    for key, snippet in remediation.items():
        if key != "summary" and snippet:
            fence = "~~~~" if "```" in snippet else "```"
            lang = "hcl" if key == "terraform" else "yaml" if key == "cloudformation" else ""
            parts.append(f"**{key.capitalize()}**\n\n{fence}{lang}\n{snippet.rstrip()}\n{fence}")
    return "\n\n".join(parts)


def _remediation_text(remediation: dict[str, str]) -> str:
    parts = [remediation["summary"]] if remediation.get("summary") else []
    parts += [f"{key.capitalize()}:\n{snippet.rstrip()}" for key, snippet in remediation.items()
              if key != "summary" and snippet]
    return "\n\n".join(parts)


def _rule(finding: dict[str, Any]) -> dict[str, Any]:
    title = one_line(finding["title"]) or finding["rule_id"]
    remediation = finding.get("remediation") or {}
    full = f"{title}. Concept: {finding['concept']}."
    help_text = _remediation_text(remediation) or full
    rule: dict[str, Any] = {
        "id": finding["rule_id"],
        "name": finding["concept"],
        "shortDescription": {"text": title},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": _remediation_markdown(remediation) or full},
        "defaultConfiguration": {"level": "error" if finding["severity"] in ("critical", "high")
                                 else "warning" if finding["severity"] == "medium" else "note"},
        "properties": {"security-severity": SECURITY_SEVERITY.get(finding["severity"], "0.0"),
                       "tags": ["security", finding["concept"], f"severity:{finding['severity']}"],
                       "precision": "high"},
    }
    references = finding.get("references") or []
    web = [r for r in references if r.startswith(("https://", "http://"))]
    if web:
        rule["helpUri"] = web[0]
    return rule


def _uri(path: str) -> dict[str, str]:
    """A repo-relative URI against %SRCROOT%, or a file: URI for a path outside it."""
    posix = Path(path).as_posix()
    while "//" in posix:
        posix = posix.replace("//", "/")
    if posix.startswith("/"):
        return {"uri": "file://" + quote(posix)}
    return {"uri": quote(posix), "uriBaseId": SRCROOT}


def _physical(file: str | None, line: int | None, end_line: int | None) -> dict[str, Any] | None:
    if not is_local_path(file):
        return None
    physical: dict[str, Any] = {"artifactLocation": _uri(file or "")}
    if line is not None and line >= 1:
        region: dict[str, Any] = {"startLine": line}
        if end_line is not None and end_line >= line:
            region["endLine"] = end_line
        physical["region"] = region
    return physical


def _result(finding: dict[str, Any], rule_index: int) -> dict[str, Any]:
    loc = finding["location"]
    physical = _physical(loc["file"], loc["line"], loc["end_line"])
    if physical is None or "region" not in physical:
        # stdin, or a plan resource no .tf line declares (a remote module): point at the first
        # evidence with a line (the module call) so the result lands where a reviewer can act.
        located = [p for ev in finding["evidence"]
                   if (p := _physical(ev["file"], ev["line"], ev["end_line"])) is not None]
        physical = next((p for p in located if "region" in p), physical or next(iter(located), None))
    location: dict[str, Any] = {"logicalLocations": [
        {"fullyQualifiedName": finding["resource"]["address"], "kind": "resource"}]}
    if physical is not None:
        location["physicalLocation"] = physical
    related = []
    for i, ev in enumerate(finding["evidence"]):
        ev_physical = _physical(ev["file"], ev["line"], ev["end_line"])
        if ev_physical is None:
            continue
        text = " ".join(p for p in (ev["address"] or "", ev["detail"]) if p) or "evidence"
        related.append({"id": i, "physicalLocation": ev_physical, "message": {"text": plain_text(text)}})

    prefix = "[unknown] " if finding["status"] == "unknown" else ""
    result: dict[str, Any] = {
        "ruleId": finding["rule_id"],
        "ruleIndex": rule_index,
        "level": _level(finding),
        "kind": "review" if finding["status"] == "unknown" else "fail",
        "message": {"text": plain_text(f"{prefix}{finding['message'] or finding['title']}")},
        "locations": [location],
        "partialFingerprints": {"iacgateFingerprint/v1": finding["fingerprint"]},
        "properties": {"blocking": finding["blocking"], "status": finding["status"],
                       "severity": finding["severity"], "address": finding["resource"]["address"]},
    }
    if related:
        result["relatedLocations"] = related
    if finding.get("suppression"):
        s = finding["suppression"]
        kind = "inSource" if s["origin"] in ("inline", "cloudformation-metadata") else "external"
        result["suppressions"] = [{"kind": kind, "status": "accepted",
                                   "justification": s["reason"] or s["origin"]}]
    if finding.get("change"):
        result["baselineState"] = "new" if finding["change"] == "new" else "unchanged"
    return result


def sarif_data(report: ScanReport, cwd: str | None = None) -> dict[str, Any]:
    data = report_data(report)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in data["findings"]:
        if finding["rule_id"] not in index:
            index[finding["rule_id"]] = len(rules)
            rules.append(_rule(finding))
    results = [_result(f, index[f["rule_id"]]) for f in data["findings"]]
    notifications = [{"level": "error" if e.get("kind", "error") == "error" else "warning",
                      "message": {"text": plain_text(e["message"])},
                      **({"locations": [{"physicalLocation": p}]}
                         if (p := _physical(e["file"], e["line"], None)) else {})}
                     for e in data["errors"]]
    root = Path(cwd) if cwd is not None else Path.cwd()
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "iacgate", "version": data["tool"]["version"],
                            "semanticVersion": data["tool"]["version"],
                            "rules": rules}},
        "originalUriBaseIds": {SRCROOT: {"uri": root.resolve().as_uri().rstrip("/") + "/"}},
        "results": results,
        "invocations": [{"executionSuccessful": data["summary"]["decision"] != "error",
                         "toolExecutionNotifications": notifications}],
        "properties": {"summary": data["summary"]},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: ScanReport) -> str:
    return json.dumps(sarif_data(report), indent=2) + "\n"
