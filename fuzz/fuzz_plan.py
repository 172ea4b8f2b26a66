"""Fuzz the Terraform plan JSON loader, then the model and analysis.

    python fuzz/fuzz_plan.py --iterations 5000      # seeded mutation loop
    python fuzz/fuzz_plan.py -max_total_time=600     # with atheris installed
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import main, read_seeds  # noqa: E402
from _pipeline import model_and_analyse  # noqa: E402

from iacgate.adapters.plan.loader import decode_plan, load_plan, looks_like_plan  # noqa: E402

TOKENS = [b'"after_unknown": true', b'"sensitive_values": {}', b'"references": ["aws_s3_bucket.b"]',
          b'"constant_value": null', b'"format_version": "1.2"', b'"actions": ["delete", "create"]',
          b'"module_calls": {}', b'"index": 0', b'"mode": "data"', b'null', b'[]', b'{}', b'"', b',', b'\\u0000']


def check(data: bytes) -> bool:
    plan, error = decode_plan("fuzz.plan.json", data)
    if error is not None:
        assert error.message, error
        return False
    if not looks_like_plan(plan):
        return False
    model_and_analyse(load_plan("fuzz.plan.json", plan))
    return True


if __name__ == "__main__":
    main("plan", check, read_seeds(["examples/plan/*.json", "tests/fixtures/plan/**/*.json"]), TOKENS,
         tree_mutations=True)
