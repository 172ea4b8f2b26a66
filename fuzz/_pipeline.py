"""The part of the gate after loading, run on whatever a loader produced: model, then analysis."""
from __future__ import annotations

from iacgate.build import build_model
from iacgate.raw import LoadResult
from iacgate.scan import analyse


def model_and_analyse(result: LoadResult) -> None:
    for error in result.errors:
        assert isinstance(error.message, str) and error.message, error
    analyse(build_model(result.resources), [])
