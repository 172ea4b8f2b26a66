"""Baselines: accept the findings a project already has, block only new ones.

A baseline file lists fingerprints (rule, resource address, what is wrong; never line numbers), with
the rule id and address beside each for the reader."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List

import typer

from .findings import Finding, Suppression
from .redact import scrub

BASELINE_FILE_NAME = ".iacgate-baseline.json"
BASELINE_VERSION = "1"


class BaselineError(ValueError):
    """The baseline file cannot be read or is not a baseline (a usage error)."""


@dataclass(frozen=True, slots=True)
class Baseline:
    fingerprints: frozenset[str]
    path: str = ""


def baseline_data(findings: Iterable[Finding]) -> dict[str, object]:
    entries = {f.fingerprint: {"fingerprint": f.fingerprint, "rule_id": f.rule_id,
                               "address": scrub(f.address)} for f in findings}
    ordered = sorted(entries.values(), key=lambda e: (e["rule_id"], e["address"], e["fingerprint"]))
    return {"iacgate_baseline": BASELINE_VERSION, "findings": ordered}


def write_baseline(findings: Iterable[Finding], path: str | Path) -> int:
    """Write every finding's fingerprint to ``path``; returns how many were written."""
    data = baseline_data(findings)
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(data["findings"])  # type: ignore[arg-type]


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file. Raises :class:`BaselineError` naming what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not valid JSON: {exc}") from exc
    entries = data.get("findings") if isinstance(data, dict) and "iacgate_baseline" in data else None
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: not an iacgate baseline (create one with `iacgate baseline create`)")
    prints = {e.get("fingerprint") for e in entries if isinstance(e, dict)}
    if None in prints or not all(isinstance(p, str) for p in prints):
        raise BaselineError(f"{path}: every entry needs a string 'fingerprint'")
    return Baseline(frozenset(prints), str(path))  # type: ignore[arg-type]


def apply_baseline(findings: Iterable[Finding], baseline: Baseline) -> list[Finding]:
    """Copies of the findings; those in the baseline are marked ``change="existing"`` and suppressed
    with origin ``baseline`` (so they are reported but do not block). A finding already suppressed
    keeps its own suppression."""
    name = Path(baseline.path).name or "the baseline"
    out = []
    for finding in findings:
        if finding.fingerprint in baseline.fingerprints:
            suppression = finding.suppression or Suppression(
                finding.rule_id, f"accepted in {name}", None, "baseline")
            finding = dataclasses.replace(finding, change="existing", suppression=suppression)
        out.append(finding)
    return out


def _create(
    paths: List[str] = typer.Argument(..., help="Files or folders to scan, as for `iacgate check`."),
    output: str = typer.Option(BASELINE_FILE_NAME, "--output", "-o", help="Where to write the baseline."),
    policies: List[str] = typer.Option([], "--policies", help="Add a folder of YAML rules (repeatable)."),
    only: List[str] = typer.Option([], "--only", help="Only these rule ids (repeatable)."),
    skip: List[str] = typer.Option([], "--skip", help="Skip these rule ids (repeatable)."),
    var_file: List[str] = typer.Option([], "--var-file", help="Terraform variables file (repeatable)."),
) -> None:
    """Scan PATHS and record every finding, so that later runs with --baseline block only new ones.

    Nothing is written when an input cannot be read: a baseline of a partial scan would hide the
    findings of what was not read."""
    from .load import LoadOptions
    from .scan import ScanOptions, scan

    report = scan(list(paths), ScanOptions(load=LoadOptions(var_files=list(var_file)),
                                           policies=list(policies), only=list(only), skip=list(skip)))
    if report.decision == "error":
        for error in report.errors:
            if getattr(error, "kind", "error") == "error":
                line = f":{error.line}" if error.line is not None else ""
                typer.echo(scrub(f"iacgate: {error.file}{line}: {error.message}"), err=True)
        typer.echo("iacgate: no baseline written: not every input could be read", err=True)
        raise typer.Exit(2)
    try:
        count = write_baseline(report.findings, output)
    except OSError as exc:
        typer.echo(f"iacgate: cannot write {output}: {exc.strerror}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"iacgate: wrote {count} finding{'' if count == 1 else 's'} to {output}")


baseline_app = typer.Typer(help="Record today's findings so only new ones block.", no_args_is_help=True)
baseline_app.command("create")(_create)


@baseline_app.callback()
def _baseline_group() -> None:
    """Baselines: `iacgate baseline create PATH -o .iacgate-baseline.json`, then
    `iacgate check PATH --baseline .iacgate-baseline.json` blocks only findings not in it."""
