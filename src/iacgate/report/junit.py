"""JUnit XML: one test case per rule x resource, for CI test-report views."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..findings import ScanReport
from .common import span
from .json_report import report_data

# Characters XML 1.0 cannot carry even escaped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: Any) -> str:
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", "" if text is None else str(text))


def _describe(finding: dict[str, Any]) -> str:
    loc = finding["location"]
    lines = [f"[{finding['severity']}] {finding['rule_id']} {finding['title']}",
             finding["message"],
             f"at {span(loc['file'], loc['line'], loc['end_line']) or finding['resource']['address']}"]
    for ev in finding["evidence"]:
        where = span(ev["file"], ev["line"], ev["end_line"])
        lines.append("  <- " + " | ".join(p for p in (ev["address"] or "", where, ev["detail"]) if p))
    if finding.get("suppression"):
        s = finding["suppression"]
        lines.append(f"suppressed ({s['origin']}): {s['reason']}")
    return "\n".join(lines)


def _case(suite: ET.Element, rule_id: str, address: str, findings: list[dict[str, Any]]) -> str:
    """Add one test case; return its outcome: failure, skipped, unknown or passed."""
    case = ET.SubElement(suite, "testcase", classname=xml_text(rule_id), name=xml_text(address))
    loc = findings[0]["location"]
    if loc["file"]:
        case.set("file", xml_text(loc["file"]))
    if loc["line"] is not None:
        case.set("line", str(loc["line"]))
    props = ET.SubElement(case, "properties")
    for key in ("severity", "status", "concept"):
        ET.SubElement(props, "property", name=key, value=xml_text(findings[0][key]))
    ET.SubElement(props, "property", name="blocking",
                  value=str(any(f["blocking"] for f in findings)).lower())
    details = xml_text("\n\n".join(_describe(f) for f in findings))
    active = [f for f in findings if not f.get("suppressed")]
    violations = [f for f in active if f["status"] == "fail" or f["blocking"]]
    if violations:
        first = violations[0]
        failure = ET.SubElement(case, "failure", message=xml_text(first["title"]),
                                type=xml_text(first["severity"] if first["status"] == "fail" else "unknown"))
        failure.text = details
        return "failure"
    if not active:
        reason = findings[0]["suppression"]["reason"]
        ET.SubElement(case, "skipped", message=xml_text(f"suppressed: {reason}"))
        return "skipped"
    ET.SubElement(case, "system-out").text = details
    return "unknown"


def render(report: ScanReport) -> str:
    data = report_data(report)
    root = ET.Element("testsuites", name="iacgate")
    suite = ET.SubElement(root, "testsuite", name="iacgate")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in data["findings"]:
        groups.setdefault((finding["rule_id"], finding["resource"]["address"]), []).append(finding)
    outcomes = [_case(suite, rule_id, address, fs) for (rule_id, address), fs in groups.items()]
    for err in data["errors"]:
        case = ET.SubElement(suite, "testcase", classname="iacgate.input",
                             name=xml_text(span(err["file"], err["line"], None) or "<input>"))
        if err.get("kind", "error") == "error":
            ET.SubElement(case, "error", message=xml_text(err["message"]), type="input-error")
        else:
            ET.SubElement(case, "system-out").text = xml_text(f"warning: {err['message']}")
    errors = sum(e.get("kind", "error") == "error" for e in data["errors"])
    totals = {"tests": len(outcomes) + len(data["errors"]), "failures": outcomes.count("failure"),
              "skipped": outcomes.count("skipped"), "errors": errors}
    for element in (root, suite):
        for key, value in totals.items():
            element.set(key, str(value))
    ET.SubElement(suite, "system-out").text = xml_text(data["summary"]["text"])
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
