"""Report formats. ``render(report, fmt)`` returns the text of one format; ``write_outputs`` writes
several at once (``--format`` to stdout plus ``--output FORMAT=FILE``)."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Iterable, TextIO

from ..findings import ScanReport

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "junit", "markdown", "github", "atlantis")
_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "junit": "junit",
            "markdown": "markdown", "github": "github", "atlantis": "atlantis"}


class OutputSpecError(ValueError):
    """A ``--format`` or ``--output`` value the gate does not understand (a usage error)."""


def render(report: ScanReport, fmt: str, *, color: bool = False) -> str:
    """The report in one format. ``color`` applies to ``text`` only."""
    if fmt not in _MODULES:
        raise OutputSpecError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f".{_MODULES[fmt]}", __name__)
    if fmt == "text":
        return module.render(report, color=color)
    return module.render(report)


def write(report: ScanReport, fmt: str, stream: TextIO, *, color: bool = False,
          final_newline: bool = False) -> None:
    """The report in one format written to ``stream`` (with a final newline added when asked and
    missing). The JSON report is written as it is encoded, never held whole."""
    if fmt == "json":
        from .json_report import write as write_json

        write_json(report, stream)  # its text ends with a newline
        return
    text = render(report, fmt, color=color)
    stream.write(text + "\n" if final_newline and not text.endswith("\n") else text)


def parse_output_spec(spec: str) -> tuple[str, str]:
    """``"sarif=results.sarif"`` -> ``("sarif", "results.sarif")``."""
    fmt, sep, path = spec.partition("=")
    fmt = fmt.strip().lower()
    if not sep or not path.strip():
        raise OutputSpecError(f"--output {spec!r}: expected FORMAT=FILE, e.g. sarif=results.sarif")
    if fmt not in _MODULES:
        raise OutputSpecError(f"--output {spec!r}: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt, path.strip()


def wants_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set."""
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def write_outputs(report: ScanReport, stdout_format: str | None,
                  outputs: Iterable[tuple[str, str]] = (), stream: TextIO | None = None) -> None:
    """Write ``stdout_format`` to ``stream`` (default stdout) and each (format, file) to its file.
    Raises OSError when a file cannot be written."""
    for fmt, path in outputs:
        Path(path).write_text(render(report, fmt), encoding="utf-8")
    if stdout_format is not None:
        out = stream if stream is not None else sys.stdout
        out.write(render(report, stdout_format, color=wants_color(out)))
