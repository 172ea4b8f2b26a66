"""Shared driver for the fuzz targets: atheris when it is installed, else a seeded mutation loop.

A target supplies ``check(data: bytes) -> bool`` (True when the input got past the parser;
raises only on a bug), seed inputs and a dictionary of
tokens. The fallback loop mutates seeds with byte-level and token-level edits (flip, insert, delete,
duplicate, splice, dictionary tokens) and, for JSON seeds, tree-level edits (a random node replaced
by a value of another type), then runs ``check``. A failure is saved under ``fuzz/crashes/`` with the
traceback and the run stops with exit 1.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

CRASH_DIR = Path(__file__).resolve().parent / "crashes"
REPO = Path(__file__).resolve().parents[1]

ODD_VALUES: tuple[object, ...] = (None, True, False, 0, -1, 2**70, 1.5e308, "", "*", "${", "${var.x}",
                                  "arn:aws:s3:::b/*", [], {}, [[[[]]]], {"Ref": "X"}, {"Fn::GetAtt": []},
                                  {"Fn::If": ["C", 1]}, {"after_unknown": True}, "\x00", "\u202e", "A" * 300)


def mutate_bytes(data: bytes, rng: random.Random, seeds: Sequence[bytes], tokens: Sequence[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(7)
        pos = rng.randint(0, len(out))
        if choice == 0 and out:
            out[min(pos, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 2 and out:
            del out[pos:pos + rng.randint(1, 64)]
        elif choice == 3 and out:
            start = rng.randrange(len(out))
            out[pos:pos] = out[start:start + rng.randint(1, 128)]
        elif choice == 4 and seeds:
            other = rng.choice(seeds)
            start = rng.randrange(len(other) or 1)
            out[pos:] = other[start:start + rng.randint(1, 512)] + out[pos:]
        elif choice == 5 and tokens:
            out[pos:pos] = rng.choice(tokens)
        elif choice == 6:
            out = out[:pos]  # truncate
    return bytes(out)


def mutate_tree(data: bytes, rng: random.Random) -> bytes | None:
    """Replace one random node of a JSON document by an odd value; None when ``data`` is not JSON."""
    try:
        tree = json.loads(data)
    except ValueError:
        return None
    nodes: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                nodes.append((node, key))
                walk(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                nodes.append((node, index))
                walk(value)

    walk(tree)
    if not nodes:
        return None
    for _ in range(rng.randint(1, 3)):
        parent, key = rng.choice(nodes)
        value = rng.choice(ODD_VALUES)
        if rng.random() < 0.2 and isinstance(parent, dict):
            parent.pop(key, None)  # type: ignore[call-overload]
        else:
            try:
                parent[key] = json.loads(json.dumps(value))  # type: ignore[index]
            except (IndexError, KeyError):
                pass
    return json.dumps(tree).encode()


def read_seeds(patterns: Sequence[str]) -> list[bytes]:
    seeds = []
    for pattern in patterns:
        seeds += [p.read_bytes() for p in sorted(REPO.glob(pattern)) if p.is_file()]
    return seeds


def _save_crash(name: str, data: bytes, error: BaseException) -> Path:
    CRASH_DIR.mkdir(exist_ok=True)
    stamp = f"{name}-{int(time.time() * 1000)}"
    (CRASH_DIR / f"{stamp}.input").write_bytes(data)
    (CRASH_DIR / f"{stamp}.txt").write_text("".join(traceback.format_exception(error)))
    return CRASH_DIR / f"{stamp}.input"


def main(name: str, check: Callable[[bytes], bool], seeds: list[bytes], tokens: Sequence[bytes],
         tree_mutations: bool = False) -> None:
    parser = argparse.ArgumentParser(description=f"Fuzz the {name} loader.")
    parser.add_argument("--iterations", type=int, default=10_000, help="inputs to try (fallback loop)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long instead")
    parser.add_argument("--seed", type=int, default=0, help="random seed (fallback loop)")
    parser.add_argument("--replay", type=Path, help="run one saved input and show its traceback")
    args, rest = parser.parse_known_args()
    if args.replay:
        check(args.replay.read_bytes())
        print("no failure")
        return
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        atheris = None
    if atheris is not None and not rest[:1] == ["--no-atheris"]:
        atheris.Setup([sys.argv[0], *rest], check)
        atheris.Fuzz()
        return
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds if args.seconds else None
    started = time.monotonic()
    done = parsed = 0
    loaded = sum(bool(check(seed)) for seed in seeds)  # the seeds themselves must not fail
    print(f"{name}: {len(seeds)} seed inputs, {loaded} load without errors")
    while (deadline is None and done < args.iterations) or (deadline is not None and time.monotonic() < deadline):
        base = rng.choice(seeds)
        data = (mutate_tree(base, rng) if tree_mutations and rng.random() < 0.5 else None) \
            or mutate_bytes(base, rng, seeds, tokens)
        try:
            parsed += bool(check(data))
        except Exception as error:  # a bug: keep the input
            path = _save_crash(name, data, error)
            print(f"{name}: failure after {done} inputs, saved to {path}:\n"
                  + "".join(traceback.format_exception_only(error)), file=sys.stderr)
            sys.exit(1)
        done += 1
    print(f"{name}: {done} inputs ({parsed} past the parser) in {time.monotonic() - started:.1f}s, no failure")
