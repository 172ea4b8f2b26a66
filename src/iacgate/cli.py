"""The command line: ``iacgate check``, ``iacgate inventory``, ``iacgate rules ...``.

Heavy modules (parsers, jsonschema, rich) are imported inside the commands that use them, so
``iacgate --version`` and a one-file check start fast.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from . import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Pre-deployment security gate for Terraform, CloudFormation and plan JSON.",
                  context_settings={"help_option_names": ["-h", "--help"]})

EXIT_USAGE = 2


def _version(value: bool) -> None:
    if value:
        typer.echo(f"iacgate {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                              help="Print the version and exit.")) -> None:
    """iacgate stops public S3 buckets, hard-coded AWS keys and IMDSv1 before apply."""


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        if "=" not in item:
            raise typer.BadParameter(f"{flag} takes KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def _load_options(var_file: list[str], var: list[str], cfn_param: list[str], max_file_size: int):
    from .load import LoadOptions

    return LoadOptions(var_files=list(var_file), vars=_pairs(var, "--var"),
                       cfn_params=_pairs(cfn_param, "--cfn-param"), max_file_size=max_file_size)


FORMATS = ("text", "json", "sarif", "junit", "markdown", "github", "atlantis")
SEVERITY_CHOICES = ("critical", "high", "medium", "low", "info")


@app.command()
def check(
    paths: List[str] = typer.Argument(..., help="Files, folders (scanned recursively) or - for a plan "
                                      "JSON on standard input."),
    format: str = typer.Option("text", "--format", "-f", help=f"Report format: {', '.join(FORMATS)}."),
    output: List[str] = typer.Option([], "--output", "-o", help="Write the report to FILE, or FORMAT=FILE "
                                     "(repeatable, several formats in one run)."),
    fail_on: str = typer.Option("high", "--fail-on", help="Lowest severity that blocks."),
    unknown: str = typer.Option("auto", "--unknown", help="What an undecidable result does: fail, warn, "
                                "pass, or auto (blocks at severity high and above)."),
    severity: Optional[str] = typer.Option(None, "--severity", help="Only evaluate rules of this "
                                           "severity or higher."),
    only: List[str] = typer.Option([], "--only", help="Only these rule ids (repeatable)."),
    skip: List[str] = typer.Option([], "--skip", help="Skip these rule ids (repeatable)."),
    policies: List[str] = typer.Option([], "--policies", help="Add a folder of YAML rules (repeatable)."),
    var_file: List[str] = typer.Option([], "--var-file", help="Terraform variables file (repeatable)."),
    var: List[str] = typer.Option([], "--var", help="Terraform variable KEY=VALUE (repeatable)."),
    cfn_param: List[str] = typer.Option([], "--cfn-param", help="CloudFormation parameter KEY=VALUE "
                                        "(repeatable)."),
    account_context: Optional[str] = typer.Option(None, "--account-context", help="YAML/JSON file "
                                                  "declaring account-level settings the configuration "
                                                  "does not hold (S3 public access block)."),
    max_file_size: int = typer.Option(256 * 1024 * 1024, "--max-file-size", help="Refuse files larger "
                                      "than this many bytes."),
) -> None:
    """Scan PATHS and gate: exit 0 pass, 1 blocking findings, 2 usage or input error."""
    from .report import render
    from .scan import ScanOptions, scan

    if format not in FORMATS:
        _usage(f"--format must be one of {', '.join(FORMATS)}")
    for name, value in (("--fail-on", fail_on), ("--severity", severity)):
        if value is not None and value not in SEVERITY_CHOICES:
            _usage(f"{name} must be one of {', '.join(SEVERITY_CHOICES)}")
    if unknown not in ("auto", "fail", "warn", "pass"):
        _usage("--unknown must be one of auto, fail, warn, pass")
    targets = _outputs(output, format)
    options = ScanOptions(load=_load_options(var_file, var, cfn_param, max_file_size),
                          policies=list(policies), only=list(only), skip=list(skip), min_severity=severity,
                          fail_on=fail_on, unknown=unknown)
    if account_context:
        from .account import load_account_context

        blocks, error = load_account_context(account_context)
        if error:
            _usage(error)
        options.account_blocks = blocks
    report = scan(list(paths), options)
    wrote_stdout = False
    for fmt, target in targets:
        text = render(report, fmt, color=target is None and sys.stdout.isatty())
        if target is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            wrote_stdout = True
        else:
            try:
                with open(target, "w", encoding="utf-8") as fh:
                    fh.write(text)
            except OSError as exc:
                _usage(f"cannot write {target}: {exc.strerror}")
    if not wrote_stdout and format != "text" or (not wrote_stdout and targets):
        sys.stderr.write(report.summary_line + "\n")
    raise typer.Exit(report.exit_code)


def _outputs(output: list[str], default_format: str) -> list[tuple[str, str | None]]:
    """``-o FILE`` writes the main format to FILE; ``-o FORMAT=FILE`` adds a format. Without a plain
    FILE the main format goes to standard output."""
    targets: list[tuple[str, str | None]] = []
    main_target: str | None = None
    for item in output:
        fmt, sep, path = item.partition("=")
        if sep and fmt in FORMATS:
            targets.append((fmt, path))
        else:
            main_target = item
    return [(default_format, main_target)] + targets


def _usage(message: str) -> None:
    typer.echo(f"iacgate: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command()
def inventory(
    paths: List[str] = typer.Argument(..., help="Files or folders to load."),
    format: str = typer.Option("json", "--format", "-f", help="json (the model) or text (one line a "
                               "resource)."),
    var_file: List[str] = typer.Option([], "--var-file"),
    var: List[str] = typer.Option([], "--var"),
    cfn_param: List[str] = typer.Option([], "--cfn-param"),
    max_file_size: int = typer.Option(256 * 1024 * 1024, "--max-file-size"),
) -> None:
    """Print the model the gate builds from PATHS (for debugging and tests). Secrets are redacted."""
    from .build import build_model
    from .inventory import render_inventory
    from .scan import load, unlinked_errors

    loaded = load(list(paths), _load_options(var_file, var, cfn_param, max_file_size))
    model = build_model(loaded.resources)
    model.errors = loaded.errors + model.errors + unlinked_errors(model)
    sys.stdout.write(render_inventory(model, loaded.files, format))
    raise typer.Exit(EXIT_USAGE if any(e.kind == "error" for e in model.errors) else 0)


def _add_subcommands() -> None:
    from .rules.commands import rules_app

    app.add_typer(rules_app, name="rules", help="List, show and validate rules.")
    try:
        from .baseline import baseline_app
    except ImportError:
        return
    app.add_typer(baseline_app, name="baseline", help="Record today's findings so only new ones block.")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("rules", "baseline"):
        _add_subcommands()
    try:
        app(prog_name="iacgate")
    except KeyboardInterrupt:
        sys.stderr.write("iacgate: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
