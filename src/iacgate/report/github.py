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


def _annotated_place(finding: dict[str, Any]) -> tuple[str | None, int | None, int | None]:
    """The file and lines to annotate: the finding's own, or, when it has no line (a plan resource
    of a remote module), the first evidence that has one (the module call)."""
    loc = finding["location"]
    if is_local_path(loc["file"]) and loc["line"] is not None:
        return loc["file"], loc["line"], loc["end_line"]
    for ev in finding["evidence"]:
        if is_local_path(ev["file"]) and ev["line"] is not None:
            return ev["file"], ev["line"], ev["end_line"]
    return (loc["file"], None, None) if is_local_path(loc["file"]) else (None, None, None)


def render(report: ScanReport) -> str:
    data = report_data(report)
    lines = []
    for finding in data["findings"]:
        if finding.get("suppressed"):
            continue
        status = " (unknown)" if finding["status"] == "unknown" else ""
        title = f"{finding['rule_id']} [{finding['severity']}{status}] {finding['title']}"
        message = f"{finding['resource']['address']}: {finding['message']}"
        file, line, end_line = _annotated_place(finding)
        lines.append(_command(_level(finding), message, file=file, line=line,
                              endLine=end_line if line is not None else None, title=title))
    for err in data["errors"]:
        level = "error" if err.get("kind", "error") == "error" else "warning"
        lines.append(_command(level, err["message"], file=err["file"], line=err["line"],
                              title="iacgate input"))
    lines.append(escape_data(data["summary"]["text"]))
    return "\n".join(lines) + "\n"
