#!/usr/bin/env python3
"""Whole-process benchmark of ``iacgate check`` on generated S / M / L / XL workloads.

    python bench/run.py [--generator gen_workload.py] [--work DIR] [--reps 3] [--sizes S,M,L]
                        [--cases tf,warm,cfn,plan,xl,floor,startup] [--checkov VENV] [--json FILE]

Every figure is the median of ``--reps`` runs of a fresh process (wall time, and peak RSS of the
process and the parse workers it waited for, from ``os.wait4``). When ``--checkov VENV`` names a
virtualenv with Checkov installed, Checkov runs on the same inputs, alternating with iacgate; without
it the ratio is taken against the Checkov figures quoted in the project's speed issue (labelled
"quoted"). Benchmarks are not tests: nothing here runs in CI.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

SIZES = {  # gen_workload.py arguments: tf files, CloudFormation templates, plan resource changes
    "S": (50, 20, 1000),
    "M": (500, 200, 3000),
    "L": (2000, 800, 10000),
    "XL": (0, 0, 50000),
}
# Checkov 3.3.30, 2 cores, whole process (seconds), as quoted in the speed issue.
QUOTED_CHECKOV_S = {
    ("tf", "S"): 10.3, ("tf", "M"): 76.6, ("tf", "L"): 540.0,
    ("cfn", "M"): 30.3, ("cfn", "L"): 120.0,
    ("plan", "S"): 15.0, ("plan", "M"): 50.0, ("plan", "L"): 169.0,
}
DEFAULT_GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_workload.py"
CASES = ("tf", "warm", "cfn", "plan", "xl", "floor", "startup")


@dataclass
class Sample:
    wall_s: float
    peak_rss_mb: float
    exit_code: int


@dataclass
class Row:
    name: str
    wall_s: float
    peak_rss_mb: float
    runs: int
    note: str = ""
    extra: dict[str, float | str] = field(default_factory=dict)


def run_once(argv: list[str], env: dict[str, str] | None = None) -> Sample:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(wall, usage.ru_maxrss / 1024, proc.returncode)


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc (Linux)."""
    out, pending = [], [pid]
    while pending:
        current = pending.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as f:
                    pending.extend(int(child) for child in f.read().split())
        except OSError:
            continue
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
    except (OSError, ValueError):
        return 0


def peak_total_pss_mb(argv: list[str], env: dict[str, str] | None = None) -> float | None:
    """The largest sum of the proportional set size (shared pages split between the processes that
    share them) of the gate and every process it started, sampled every 20 ms: what the run needs
    of the machine's memory, worker processes included (``ru_maxrss`` is one process's peak). None
    where /proc has no ``smaps_rollup``. A separate run: the sampling costs CPU."""
    if not os.path.exists(f"/proc/{os.getpid()}/smaps_rollup"):
        return None
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_pss_kib(pid) for pid in _process_tree(proc.pid)))
        time.sleep(0.02)
    return peak / 1024


def median_row(name: str, samples: list[Sample], note: str = "") -> Row:
    codes = sorted({s.exit_code for s in samples})
    if any(code not in (0, 1) for code in codes):
        note = (note + f" exit codes {codes}").strip()
    return Row(name, statistics.median(s.wall_s for s in samples),
               statistics.median(s.peak_rss_mb for s in samples), len(samples), note)


def alternate(commands: dict[str, list[str]], reps: int, env: dict[str, str]) -> dict[str, list[Sample]]:
    """One warm-up run each, then ``reps`` rounds running every command once per round."""
    for argv in commands.values():
        run_once(argv, env)
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for _ in range(reps):
        for name, argv in commands.items():
            samples[name].append(run_once(argv, env))
    return samples


def generate(generator: Path, work: Path, size: str) -> Path:
    out = work / size
    if not (out / "manifest.json").is_file():
        tf, cfn, plan = SIZES[size]
        subprocess.run([sys.executable, str(generator), str(out), "--tf-files", str(tf), "--cfn-templates",
                        str(cfn), "--plan-resources", str(plan), "--seed", "1"], check=True,
                       stdout=subprocess.DEVNULL)
    return out


def iacgate_command(explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    beside = Path(sys.executable).with_name("iacgate")
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-m", "iacgate"]


def checkov_command(venv: str | None) -> list[str] | None:
    if not venv:
        return None
    path = Path(venv) / "bin" / "checkov"
    if not path.exists():
        raise SystemExit(f"--checkov: {path} does not exist")
    return [str(path)]


CHECKOV_ARGS = {"tf": ("-d", "terraform"), "cfn": ("-d", "cloudformation"), "plan": ("-f", "terraform_plan")}


def workload_path(root: Path, kind: str) -> Path:
    return {"tf": root / "terraform", "cfn": root / "cloudformation", "plan": root / "plan" / "plan.json"}[kind]


def bench_scans(kind: str, sizes: list[str], roots: dict[str, Path], gate: list[str], checkov: list[str] | None,
                reps: int, env: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    for size in sizes:
        if kind in ("tf", "cfn") and SIZES[size][0 if kind == "tf" else 1] == 0:
            continue
        target = workload_path(roots[size], kind)
        commands = {"iacgate": gate + ["check", str(target), "--no-cache", "-f", "json"]}
        if checkov is not None:
            flag, framework = CHECKOV_ARGS[kind]
            commands["checkov"] = checkov + [flag, str(target), "--framework", framework, "--quiet", "--compact"]
        samples = alternate(commands, reps, {**env, "BC_SKIP_MAPPING": "TRUE"})
        row = median_row(f"{kind}_{size} cold", samples["iacgate"])
        if "checkov" in samples:
            ck = median_row(f"checkov {kind}_{size}", samples["checkov"])
            row.extra.update({"checkov_s": round(ck.wall_s, 2), "checkov_rss_mb": round(ck.peak_rss_mb),
                              "speedup": round(ck.wall_s / row.wall_s, 1)})
        elif (kind, size) in QUOTED_CHECKOV_S:
            quoted = QUOTED_CHECKOV_S[(kind, size)]
            row.extra.update({"checkov_quoted_s": quoted, "speedup_vs_quoted": round(quoted / row.wall_s, 1)})
        rows.append(row)
    return rows


def bench_warm(root: Path, gate: list[str], reps: int, env: dict[str, str], work: Path) -> list[Row]:
    """A PR re-scan: the cache holds every file, one file changed since (a new miss every run)."""
    tree = work / f"warm-{root.name}"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(root / "terraform", tree)
    cache = work / f"warm-cache-{root.name}"
    shutil.rmtree(cache, ignore_errors=True)
    changed = min(tree.rglob("s3_*.tf"))
    original = changed.read_text(encoding="utf-8")
    base = gate + ["check", str(tree), "-f", "json", "--cache-dir", str(cache)]
    cold = [run_once(gate + ["check", str(tree), "-f", "json", "--no-cache"], env) for _ in range(reps)]
    run_once(base, env)  # fills the cache
    warm: list[Sample] = []
    for rep in range(reps):
        changed.write_text(original + f"\n# edit {rep} {time.time_ns()}\n", encoding="utf-8")
        warm.append(run_once(base, env))
    unchanged = [run_once(base, env) for _ in range(reps)]
    cold_row = median_row(f"tf_{root.name} cold (no cache)", cold)
    warm_row = median_row(f"tf_{root.name} warm, 1 file changed", warm)
    warm_row.extra["of_cold"] = f"{warm_row.wall_s / cold_row.wall_s:.0%}"
    same_row = median_row(f"tf_{root.name} warm, nothing changed", unchanged)
    same_row.extra["of_cold"] = f"{same_row.wall_s / cold_row.wall_s:.0%}"
    return [cold_row, warm_row, same_row]


FLOOR_TF = """
import os, sys, time
import hcl2
files = sorted(os.path.join(r, n) for r, _, ns in os.walk(sys.argv[1]) for n in ns if n.endswith('.tf'))
texts = [open(f, encoding='utf-8').read() for f in files]
start = time.perf_counter()
for text in texts:
    hcl2.parses_to_tree(text)
print(time.perf_counter() - start)
"""
FLOOR_PLAN = """
import gc, json, sys, time
start = time.perf_counter()
gc.disable()
with open(sys.argv[1], 'rb') as fh:
    plan = json.loads(fh.read())
pending, visited = [plan], 0
while pending:  # the walk: every value of the decoded plan visited once
    value = pending.pop()
    visited += 1
    if isinstance(value, dict):
        pending.extend(value.values())
    elif isinstance(value, list):
        pending.extend(value)
print(time.perf_counter() - start)
"""


def bench_floor(sizes: list[str], roots: dict[str, Path], reps: int, env: dict[str, str]) -> list[Row]:
    """The mandated parsers alone: python-hcl2's lark parse on one core; the plan's json decode and a
    walk over every decoded value (the speed issue's plan floor)."""
    rows: list[Row] = []
    cores = os.cpu_count() or 1
    for size in sizes:
        if SIZES[size][0]:
            loops = [float(subprocess.run([sys.executable, "-c", FLOOR_TF, str(roots[size] / "terraform")],
                                          check=True, capture_output=True, text=True, env=env).stdout)
                     for _ in range(reps)]
            loop = statistics.median(loops)
            rows.append(Row(f"floor tf_{size} lark parse, 1 core", loop, 0.0, reps,
                            extra={"per_core_floor_s": round(loop / cores, 2), "cores": cores}))
        plan = workload_path(roots[size], "plan")
        samples = [run_once([sys.executable, "-c", FLOOR_PLAN, str(plan)], env) for _ in range(reps)]
        row = median_row(f"floor plan_{size} json decode + walk (process)", samples)
        row.extra["plan_mb"] = round(plan.stat().st_size / 1e6, 1)
        rows.append(row)
    return rows


def bench_xl(root: Path, gate: list[str], reps: int, env: dict[str, str]) -> list[Row]:
    plan = workload_path(root, "plan")
    size_mb = plan.stat().st_size / 1024 / 1024
    samples = [run_once(gate + ["check", str(plan), "--no-cache", "-f", "json"], env) for _ in range(reps)]
    row = median_row("plan_XL (50k changes)", samples)
    row.extra.update({"plan_mib": round(size_mb, 1), "rss_over_plan_size": round(row.peak_rss_mb / size_mb, 2)})
    total = peak_total_pss_mb(gate + ["check", str(plan), "--no-cache", "-f", "json"], env)
    if total is not None:
        row.extra.update({"all_processes_pss_mb": round(total), "pss_over_plan_size": round(total / size_mb, 2)})
    return [row]


def bench_startup(root: Path, gate: list[str], reps: int, env: dict[str, str], work: Path) -> list[Row]:
    one = work / "one-file"
    shutil.rmtree(one, ignore_errors=True)
    one.mkdir()
    shutil.copy(min((root / "terraform").rglob("s3_*.tf")), one / "s3.tf")
    rows = []
    for name, argv in (("--version", gate + ["--version"]),
                       ("one small .tf, no cache", gate + ["check", str(one), "--no-cache"]),
                       ("one small .tf, cache filled", gate + ["check", str(one), "--cache-dir",
                                                               str(work / "one-file-cache")]),
                       ("python -c pass", [sys.executable, "-c", "pass"])):
        run_once(argv, env)
        rows.append(median_row(name, [run_once(argv, env) for _ in range(max(reps, 5))]))
    return rows


def print_table(rows: list[Row]) -> None:
    print(f"{'case':44} {'median s':>9} {'peak MB':>8} {'runs':>5}  notes")
    for row in rows:
        extra = " ".join(f"{k}={v}" for k, v in row.extra.items())
        print(f"{row.name:44} {row.wall_s:9.3f} {row.peak_rss_mb:8.0f} {row.runs:5d}  {extra} {row.note}".rstrip())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--generator", default=str(DEFAULT_GENERATOR), help="gen_workload.py to use")
    ap.add_argument("--work", help="folder for workloads (kept, reused); default: a temporary folder")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", default="S,M,L")
    ap.add_argument("--cases", default=",".join(CASES), help=f"any of {', '.join(CASES)}")
    ap.add_argument("--iacgate", help="iacgate executable (default: the one beside this Python)")
    ap.add_argument("--checkov", metavar="VENV", help="virtualenv with Checkov installed")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = ap.parse_args()
    generator = Path(args.generator)
    if not generator.is_file():
        raise SystemExit(f"workload generator not found: {generator} (pass --generator)")
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    cases = {c.strip() for c in args.cases.split(",") if c.strip()}
    gate = iacgate_command(args.iacgate)
    checkov = checkov_command(args.checkov)
    work_holder = None if args.work else tempfile.TemporaryDirectory(prefix="iacgate-bench-")
    work = Path(args.work or work_holder.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "xdg-cache")}  # never the user's own cache
    # An installed package has its modules compiled; an edited checkout under PYTHONDONTWRITEBYTECODE
    # would compile them again on every run. The warm-up runs write the bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    need = set(sizes) | ({"XL"} if "xl" in cases else set()) | ({"S"} if "startup" in cases else set())
    roots = {size: generate(generator, work, size) for size in sorted(need)}
    sizes = [s for s in sizes if s != "XL"]
    print(f"iacgate: {' '.join(gate)}; cores: {os.cpu_count()}; reps: {args.reps}; "
          f"checkov: {'from ' + args.checkov if checkov else 'not installed, ratios against quoted figures'}")
    rows: list[Row] = []
    if "startup" in cases:
        rows += bench_startup(roots["S"], gate, args.reps, env, work)
    if "tf" in cases:
        rows += bench_scans("tf", sizes, roots, gate, checkov, args.reps, env)
    if "warm" in cases and "L" in roots:
        rows += bench_warm(roots["L"], gate, args.reps, env, work)
    if "cfn" in cases:
        rows += bench_scans("cfn", sizes, roots, gate, checkov, args.reps, env)
    if "plan" in cases:
        rows += bench_scans("plan", sizes, roots, gate, checkov, args.reps, env)
    if "floor" in cases:
        rows += bench_floor(sizes, roots, args.reps, env)
    if "xl" in cases:
        rows += bench_xl(roots["XL"], gate, args.reps, env)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8")
    if work_holder is not None:
        work_holder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
