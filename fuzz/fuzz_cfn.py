"""Fuzz the CloudFormation loader (YAML with short-form tags, and JSON), then the model and analysis.

    python fuzz/fuzz_cfn.py --iterations 5000      # seeded mutation loop
    python fuzz/fuzz_cfn.py -max_total_time=600     # with atheris installed
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import main, read_seeds  # noqa: E402
from _pipeline import model_and_analyse  # noqa: E402

from iacgate.adapters.cloudformation.loader import load_cloudformation_document, parse_document  # noqa: E402

TOKENS = [b"!Ref ", b"!GetAtt ", b"!Sub ", b"!If ", b"!Join ", b"!Select ", b"!Split ", b"!FindInMap ",
          b"!Condition ", b"!Equals ", b"!Not ", b"!Base64 ", b"!ImportValue ", b"&a ", b"*a", b"<<: ",
          b"---\n", b"...\n", b"? ", b": ", b"- ", b"[", b"]", b"{", b"}", b"\"", b"'", b"|\n", b">\n",
          b"!!binary ", b"!!python/object ", b"2012-10-17", b"AWS::S3::Bucket", b"Fn::Transform",
          b"AWS::Include", b"Type: ", b"Properties:\n", b"\t", b"\xef\xbb\xbf"]


def check(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False  # the load step reports it before the parser sees it
    path = "fuzz.json" if text.lstrip()[:1] == "{" else "fuzz.yaml"
    parsed, error = parse_document(path, text)
    if error is not None:
        assert error.message and error.file == path, error
        return False
    model_and_analyse(load_cloudformation_document(path, parsed, {}))
    return True


if __name__ == "__main__":
    main("cfn", check, read_seeds(["examples/cloudformation/*.yaml", "tests/fixtures/cloudformation/*",
                                   "tests/fixtures/imds/**/*.yaml"]), TOKENS, tree_mutations=True)
