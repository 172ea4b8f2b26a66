"""Fuzz the Terraform loader (HCL and Terraform JSON syntax), then the model and analysis.

    python fuzz/fuzz_hcl.py --iterations 5000      # seeded mutation loop
    python fuzz/fuzz_hcl.py -max_total_time=600     # with atheris installed
"""
from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import main, read_seeds  # noqa: E402
from _pipeline import model_and_analyse  # noqa: E402

from iacgate.adapters.terraform.loader import TerraformOptions, load_terraform  # noqa: E402

TOKENS = [b"${", b"}", b"{", b"\"", b"<<EOT\n", b"\nEOT\n", b"%{ if true }", b"%{ endif }", b"[for x in y : x]",
          b"module \"m\" {\n source = \"./\"\n}\n", b"count = 3\n", b"for_each = toset([\"a\"])\n",
          b"local.", b"var.", b"each.key", b"count.index", b"dynamic \"x\" {\n", b"jsonencode({})",
          b"lookup(", b"...", b"?", b":", b"\\u0000", b"\xff", b"\n", b"#", b"/*"]
WORK = tempfile.mkdtemp(prefix="iacgate-fuzz-hcl-")


def check(data: bytes) -> bool:
    name = "main.tf.json" if data.lstrip()[:1] == b"{" else "main.tf"
    for stale in os.listdir(WORK):
        os.remove(os.path.join(WORK, stale))
    path = os.path.join(WORK, name)
    with open(path, "wb") as handle:
        handle.write(data)
    result = load_terraform({WORK: [path]}, TerraformOptions(scan_root=WORK, workers=1))
    model_and_analyse(result)
    return not any(e.kind == "error" for e in result.errors)


if __name__ == "__main__":
    main("hcl", check, read_seeds(["examples/terraform/**/*.tf", "tests/fixtures/**/*.tf"]), TOKENS)
