"""A pull-request comment: verdict, counts, blocking findings, then details per resource.

GitHub caps a comment at 65,536 characters; details are cut first, then table rows, and the comment
says what it left out."""
from __future__ import annotations

import html
import re
from typing import Any

from ..findings import SEVERITIES, ScanReport
from .common import escape_control, one_line, span
from .json_report import report_data

MAX_CHARS = 65_536
_RESERVE = 600  # room for the note saying what was cut
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_VERDICT = {"pass": "✅ iacgate: PASS", "fail": "❌ iacgate: FAIL", "error": "⚠️ iacgate: ERROR"}


def md(text: Any) -> str:
    """Inline Markdown text that renders literally: no links, code, tables, HTML or mentions."""
    escaped = html.escape(escape_control(one_line("" if text is None else str(text))), quote=False)
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    return escaped.replace("@", "&#64;")


def html_text(text: Any) -> str:
    """Text for inside an HTML element: entities for what HTML or Markdown would act on."""
    escaped = html.escape(escape_control(one_line("" if text is None else str(text))), quote=True)
    return escaped.translate({ord("`"): "&#96;", ord("["): "&#91;", ord("]"): "&#93;",
                              ord("|"): "&#124;", ord("@"): "&#64;"})


def _where(obj: dict[str, Any]) -> str:
    return span(obj.get("file"), obj.get("line"), obj.get("end_line"))


def _counts_table(data: dict[str, Any]) -> list[str]:
    rows = ["| Severity | Findings | Blocking | Unknown | Suppressed |", "|---|---:|---:|---:|---:|"]
    for severity in SEVERITIES:
        fs = [f for f in data["findings"] if f["severity"] == severity]
        if not fs:
            continue
        rows.append(f"| {severity} | {len(fs)} | {sum(f['blocking'] for f in fs)} | "
                    f"{sum(f['status'] == 'unknown' for f in fs)} | "
                    f"{sum(bool(f.get('suppressed')) for f in fs)} |")
    return rows if len(rows) > 2 else ["No findings."]


def _blocking_row(f: dict[str, Any]) -> str:
    status = " (unknown)" if f["status"] == "unknown" else ""
    return (f"| {f['severity']}{status} | {md(f['rule_id'])} | {md(f['resource']['address'])} | "
            f"{md(_where(f['location']))} | {md(f['title'])} |")


def _details(address: str, findings: list[dict[str, Any]]) -> str:
    label = html_text(address)
    lines = [f"<details><summary>{label} ({len(findings)})</summary>", ""]
    for f in findings:
        flags = [f["severity"], f["status"]] + (["blocking"] if f["blocking"] else []) \
            + (["suppressed"] if f.get("suppressed") else [])
        lines.append(f"- **{md(f['rule_id'])}** {md(f['title'])} ({', '.join(flags)})  ")
        lines.append(f"  {md(f['message'])}  ")
        lines.append(f"  at {md(_where(f['location']) or address)}")
        for ev in f["evidence"]:
            parts = [p for p in (ev["address"] or "", _where(ev), ev["detail"]) if p]
            lines.append(f"  - {md(' | '.join(parts))}")
        if f.get("suppression"):
            s = f["suppression"]
            lines.append(f"  - suppressed ({md(s['origin'])}): {md(s['reason'])}")
        fix = (f.get("remediation") or {}).get("summary")
        if fix:
            lines.append(f"  - fix: {md(fix)}")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def render(report: ScanReport, max_chars: int = MAX_CHARS) -> str:
    data = report_data(report)
    findings = data["findings"]
    head = [f"## {_VERDICT.get(data['summary']['decision'], 'iacgate')}", "",
            md(data["summary"]["text"]), "", *_counts_table(data), ""]
    if data["errors"]:
        head += ["### Input problems", ""]
        head += [f"- {e.get('kind', 'error')}: {md(_where(e) or '<input>')}: {md(e['message'])}"
                 for e in data["errors"]]
        head.append("")
    budget = max_chars - _RESERVE - sum(len(x) + 1 for x in head)

    blocking = [f for f in findings if f["blocking"]]
    table: list[str] = []
    rows_cut = 0
    if blocking:
        table = ["### Blocking findings", "", "| Severity | Rule | Resource | Location | Title |",
                 "|---|---|---|---|---|"]
        budget -= sum(len(x) + 1 for x in table)
        for i, f in enumerate(blocking):
            row = _blocking_row(f)
            if len(row) + 1 > budget:
                rows_cut = len(blocking) - i
                break
            table.append(row)
            budget -= len(row) + 1
        table.append("")

    groups: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        groups.setdefault(f["resource"]["address"], []).append(f)
    details: list[str] = []
    details_cut = 0
    for address, fs in groups.items():
        block = "" if details_cut else _details(address, fs)
        if details_cut or len(block) + 1 > budget:
            details_cut += 1
            continue
        details.append(block)
        budget -= len(block) + 1

    notes = []
    if rows_cut:
        notes.append(f"{rows_cut} more blocking findings are not listed in the table")
    if details_cut:
        notes.append(f"details of {details_cut} of {len(groups)} resources were left out")
    tail = ([f"> Comment shortened to stay within {max_chars:,} characters: "
             f"{'; '.join(notes)}. The JSON or SARIF report has everything.", ""] if notes else [])
    body = "\n".join(head + table + (["### Details", ""] + details if details else []) + tail)
    return body[:max_chars]
