"""Stacks are analysed apart: what one root module declares never stands in for another's, whether
the stacks' findings come from the cache or not."""
from __future__ import annotations

from pathlib import Path

import pytest

from iacgate.load import LoadOptions
from iacgate.scan import ScanOptions, scan

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "terraform"


@pytest.mark.parametrize("cached", [False, True])
def test_an_instance_role_reaches_the_buckets_of_its_own_stack_only(tmp_path: Path, cached: bool) -> None:
    # Both examples declare aws_s3_bucket.customer_data; the SSRF path of capital-one-path must point
    # at its own bucket, never at the one in capital-one-fixed.
    path, fixed = EXAMPLES / "capital-one-path", EXAMPLES / "capital-one-fixed"
    options = ScanOptions(load=LoadOptions(cache_dir=str(tmp_path / "cache") if cached else None))
    for _ in range(2 if cached else 1):
        report = scan([str(path), str(fixed)], options)
        ssrf = [f for f in report.findings if f.concept == "ssrf-credential-path"]
        assert ssrf
        for finding in ssrf:
            assert Path(finding.location.file).resolve().parent == path
            bucket = [e for e in finding.evidence if e.address == "aws_s3_bucket.customer_data"]
            assert bucket and all(Path(e.file).resolve().parent == path for e in bucket)
