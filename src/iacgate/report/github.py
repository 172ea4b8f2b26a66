"""GitHub Actions workflow commands: one annotation per finding, then the summary line."""
from __future__ import annotations

from typing import Any

from ..findings import ScanReport
from .common import escape_control, is_local_path
from .json_report import report_data


def escape_data(text: Any) -> str:
    """GitHub's escaping of a workflow command's message (other control characters spelled out)."""
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return escape_control(text)


def escape_property(text: Any) -> str:
    """GitHub's escaping of a workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, **props: Any) -> str:
    parts = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v is not None)
    return f"::{level}{' ' + parts if parts else ''}::{escape_data(message)}"


def _level(finding: dict[str, Any]) -> str:
    if finding["blocking"]:
        return "error"
    if finding["status"] == "unknown" or finding["severity"] in ("critical", "high", "medium"):
        return "warning"
    return "notice"


def render(report: ScanReport) -> str:
    data = report_data(report)
    lines = []
    for finding in data["findings"]:
        if finding.get("suppressed"):
            continue
        loc = finding["location"]
        status = " (unknown)" if finding["status"] == "unknown" else ""
        title = f"{finding['rule_id']} [{finding['severity']}{status}] {finding['title']}"
        message = f"{finding['resource']['address']}: {finding['message']}"
        file = loc["file"] if is_local_path(loc["file"]) else None
        lines.append(_command(_level(finding), message, file=file, line=loc["line"] if file else None,
                              endLine=loc["end_line"] if file and loc["line"] is not None else None,
                              title=title))
    for err in data["errors"]:
        level = "error" if err.get("kind", "error") == "error" else "warning"
        lines.append(_command(level, err["message"], file=err["file"], line=err["line"],
                              title="iacgate input"))
    lines.append(escape_data(data["summary"]["text"]))
    return "\n".join(lines) + "\n"
