"""Output for an Atlantis ``custom_policy_check`` step.

Atlantis marks a policy check failed when the output is empty, matches
``([1-9][0-9]* failure|failures": \\[)`` or starts with ``FAIL``. A failing run prints one line per
blocking finding (one item each for ``policy_item_regex``) and then ``N failures``; a passing run
prints one line built from counts alone, so nothing the input controls can make it look failed."""
from __future__ import annotations

from typing import Any

from ..findings import ScanReport
from .common import escape_control, one_line, plural, span
from .json_report import report_data


def _safe(text: Any) -> str:
    return escape_control(one_line("" if text is None else str(text)))


def _item(finding: dict[str, Any]) -> str:
    loc = finding["location"]
    where = span(loc["file"], loc["line"], loc["end_line"])
    status = " unknown" if finding["status"] == "unknown" else ""
    return _safe(f"iacgate {finding['rule_id']} [{finding['severity']}{status}] "
                 f"{finding['resource']['address']}: {finding['title']}"
                 + (f" ({where})" if where else ""))


def render(report: ScanReport) -> str:
    data = report_data(report)
    findings = data["findings"]
    blocking = [f for f in findings if f["blocking"]]
    hard_errors = [e for e in data["errors"] if e.get("kind", "error") == "error"]
    if hard_errors:
        lines = ["FAIL: iacgate could not read every input"]
        lines += [_safe(f"iacgate input error {span(e['file'], e['line'], None) or '<input>'}: "
                        f"{e['message']}") for e in hard_errors]
        lines += [_item(f) for f in blocking]
        lines.append(f"{len(hard_errors) + len(blocking)} failure"
                     + ("" if len(hard_errors) + len(blocking) == 1 else "s"))
        return "\n".join(lines) + "\n"
    if blocking:
        lines = [_item(f) for f in blocking]
        lines.append(f"{len(blocking)} failure" + ("" if len(blocking) == 1 else "s"))
        return "\n".join(lines) + "\n"
    others = [f for f in findings if not f["blocking"]]
    suppressed = sum(1 for f in others if f.get("suppressed"))
    below = len(others) - suppressed
    notes = [f"{below} below threshold"] + ([f"{suppressed} suppressed"] if suppressed else [])
    warnings = len(data["errors"])
    if warnings:
        notes.append(plural(warnings, "input warning"))
    return f"iacgate: PASS, 0 blocking findings ({', '.join(notes)})\n"
