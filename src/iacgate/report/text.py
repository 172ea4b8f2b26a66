"""Human-readable terminal output, grouped by resource, with the summary line last."""
from __future__ import annotations

from typing import Any

from ..findings import ScanReport
from .common import escape_control, escape_name, one_line, span
from .json_report import report_data

_COLORS = {"critical": "1;31", "high": "31", "medium": "33", "low": "36", "info": "2",
            "FAIL": "1;31", "PASS": "1;32", "ERROR": "1;35", "dim": "2", "bold": "1"}


def _safe(text: Any) -> str:
    return escape_control(one_line("" if text is None else str(text)))


def _name(text: Any) -> str:
    """A path or address: control characters and line breaks spelled out, not folded to spaces."""
    return escape_name("" if text is None else str(text))


def _paint(text: str, style: str, color: bool) -> str:
    code = _COLORS.get(style)
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def _status_label(finding: dict[str, Any]) -> str:
    if finding["blocking"]:
        return "BLOCKING"
    if finding.get("suppressed"):
        return "suppressed"
    if finding["status"] == "unknown":
        return "unknown"
    return "not blocking"


def _finding_lines(finding: dict[str, Any], color: bool) -> list[str]:
    severity = finding["severity"]
    head = (f"  {_paint(severity.upper(), severity, color)} {_safe(finding['rule_id'])} "
            f"[{_status_label(finding)}] {_safe(finding['title'])}")
    lines = [head, f"    {_safe(finding['message'])}"]
    if finding["status"] == "unknown":
        lines.append("    status: unknown (the gate could not decide)")
    if finding.get("suppression"):
        s = finding["suppression"]
        until = f" until {_safe(s['until'])}" if s.get("until") else ""
        lines.append(f"    suppressed ({_safe(s['origin'])}){until}: {_safe(s['reason'])}")
    if finding.get("change"):
        lines.append(f"    change: {_safe(finding['change'])}")
    for ev in finding["evidence"]:
        where = span(ev["file"], ev["line"], ev["end_line"])
        parts = [p for p in (_name(ev["address"] or ""), _name(where), _safe(ev["detail"])) if p]
        lines.append(_paint(f"      <- {' | '.join(parts)}", "dim", color))
    summary = (finding.get("remediation") or {}).get("summary")
    if summary:
        lines.append(f"    fix: {_safe(summary)}")
    return lines


def render(report: ScanReport, *, color: bool = False) -> str:
    data = report_data(report)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in data["findings"]:
        res = finding["resource"]
        groups.setdefault((res["address"], res["type"]), []).append(finding)

    def group_order(item: tuple[tuple[str, str], list[dict[str, Any]]]) -> tuple[Any, ...]:
        loc = item[1][0]["location"]
        return (loc["file"] or "", loc["line"] or 0, item[0][0])

    out: list[str] = []
    for (address, rtype), findings in sorted(groups.items(), key=group_order):
        loc = findings[0]["location"]
        where = span(loc["file"], loc["line"], loc["end_line"])
        out.append(_paint(f"{_name(address)} ({_name(rtype)})", "bold", color)
                   + (f"  {_name(where)}" if where else ""))
        for finding in findings:
            out.extend(_finding_lines(finding, color))
        out.append("")

    if data["errors"]:
        out.append(_paint("Input problems:", "bold", color))
        for err in data["errors"]:
            kind = err.get("kind", "error")
            where = span(err["file"], err["line"], None) or "<input>"
            out.append(f"  {kind}: {_name(where)}: {_safe(err['message'])}")
        out.append("")

    line = _safe(data["summary"]["text"])
    verdict = line.split(":", 1)[0]
    out.append(_paint(line, verdict, color))
    return "\n".join(out) + "\n"
