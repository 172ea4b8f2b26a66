"""Reading a plan's JSON text a piece at a time, so a big plan never exists as one decoded tree.

Decoded whole, a plan takes about four times its size in objects, and most of them are parts loading
never reads (``prior_state``, the resources of ``planned_values``) or reads once (each
``resource_changes`` entry becomes a resource and its masks are not needed after). :func:`read_plan`
walks the top-level object itself and decodes each member with the standard library's scanner (the
one ``json.loads`` uses), so every value is what ``json.loads`` would make of it:

- ``resource_changes`` is handed over as an iterator of its elements, decoded a run of elements at a
  time as the iterator reaches them;
- ``prior_state`` and the ``root_module`` of ``planned_values`` are decoded a run of elements at a time
  and dropped (they are still checked to be JSON);
- every other member is decoded whole.

Anything this reader does not take apart the way ``json.loads`` would (malformed JSON, a repeated
top-level key, a top-level value that is not an object, no ``resource_changes`` list, values nested
too deeply) raises :class:`NotStreamable`, and the caller decodes the text whole as before, which gives
the same result or the same error as it always did.
"""
from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Generator, Iterator
from json.decoder import scanstring
from typing import Any

_WHITESPACE = re.compile(r"[ \t\n\r]*")  # json.decoder.WHITESPACE
# Terraform writes each resource object compactly with ``address`` first. A `"` right after `{` cannot
# be inside a JSON string (it would be escaped), so `},{"address":` always separates two objects of one
# array; whether it is the array being read is checked by decoding the run of elements up to it.
_BOUNDARY = '},{"address":'
_FIRST_ELEMENT = '{"address":'
_RUN_CHARS = 1 << 20  # text decoded in one run of elements: at least this much,
_RUN_LIMIT = 4 << 20  # and at most this much


class NotStreamable(Exception):
    """The text has to be decoded whole (it may be malformed, or shaped in a way this reader leaves
    to ``json.loads``)."""


ChangesConsumer = Callable[[Iterator[Any]], None]


def read_plan(text: str, take_changes: ChangesConsumer) -> dict[str, Any]:
    """The top-level members of the plan object in ``text``, decoded, without ``prior_state`` and
    without the ``root_module`` of ``planned_values``. ``resource_changes`` is passed to
    ``take_changes`` as an iterator of its elements, which must be read to its end; the member is
    kept as an empty list. Raises :class:`NotStreamable`."""
    reader = _Reader(text)
    try:
        return reader.plan(take_changes)
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
        raise NotStreamable(type(exc).__name__) from None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.scan_once = json.JSONDecoder().scan_once

    # ------------------------------------------------------------------------------ the top level

    def plan(self, take_changes: ChangesConsumer) -> dict[str, Any]:
        members: dict[str, Any] = {}
        changes_read = False

        def member(key: str, start: int) -> int:
            nonlocal changes_read
            if key in members:
                raise NotStreamable("a repeated top-level key")
            if key == "resource_changes":
                members[key] = []
                end = self.consume_array(start, take_changes)
                changes_read = True
                return end
            if key == "prior_state":
                members[key] = None
                return self.skip(start)
            if key == "planned_values" and self.text.startswith("{", start):
                planned: dict[str, Any] = {}
                members[key] = planned
                return self.object(start, lambda name, at: self.planned_member(planned, name, at))
            members[key], end = self.value(start)
            return end

        start = self.whitespace(0)
        if not self.text.startswith("{", start):
            raise NotStreamable("not an object")
        end = self.whitespace(self.object(start, member))
        if end != len(self.text):
            raise NotStreamable("extra data")
        if not changes_read:
            raise NotStreamable("no resource_changes list")
        members.pop("prior_state", None)
        return members

    def planned_member(self, planned: dict[str, Any], key: str, start: int) -> int:
        if key == "root_module":  # repeated keys inside are fine: the member is dropped either way
            planned.pop(key, None)
            return self.skip(start)
        planned[key], end = self.value(start)
        return end

    # --------------------------------------------------------------------------- JSON structure

    def whitespace(self, at: int) -> int:
        match = _WHITESPACE.match(self.text, at)
        assert match is not None
        return match.end()

    def value(self, at: int) -> tuple[Any, int]:
        try:
            return self.scan_once(self.text, at)
        except StopIteration:  # no value starts there (raised in a generator, it would turn into a RuntimeError)
            raise NotStreamable("expecting a value") from None

    def object(self, at: int, member: Callable[[str, int], int]) -> int:
        """Reads the object at ``at`` (a ``{``), calling ``member(key, value_start)`` for each member,
        which returns where its value ends; returns the index after the ``}``."""
        text = self.text
        at = self.whitespace(at + 1)
        if text.startswith("}", at):
            return at + 1
        while True:
            if not text.startswith('"', at):
                raise NotStreamable("expecting a property name")
            key, at = scanstring(text, at + 1, True)
            at = self.whitespace(at)
            if not text.startswith(":", at):
                raise NotStreamable("expecting ':'")
            at = self.whitespace(member(key, self.whitespace(at + 1)))
            if text.startswith("}", at):
                return at + 1
            if not text.startswith(",", at):
                raise NotStreamable("expecting ','")
            at = self.whitespace(at + 1)

    def skip(self, at: int) -> int:
        """Reads the value at ``at`` and lets it go; returns where it ends."""
        if self.text.startswith("{", at):
            return self.object(at, lambda key, start: self.skip(start))
        if self.text.startswith("[", at):
            return self.consume_array(at, lambda items: deque(items, maxlen=0))
        return self.value(at)[1]

    def consume_array(self, at: int, consume: ChangesConsumer) -> int:
        """Passes the elements of the array at ``at`` to ``consume``; returns where the array ends."""
        if not self.text.startswith("[", at):
            raise NotStreamable("not an array")
        ends: list[int] = []

        def elements() -> Iterator[Any]:
            ends.append((yield from self.array_elements(at)))

        consume(elements())
        if not ends:
            raise NotStreamable("the elements were not all read")
        return ends[0]

    def array_elements(self, at: int) -> Generator[Any, None, int]:
        """The elements of the array at ``at`` (a ``[``), each decoded by the standard scanner: a run
        of elements at a time where Terraform's compact layout shows where one ends (the elements of
        a run share their key strings, as in a whole decode), else one by one. Returns the index
        after the ``]``."""
        text = self.text
        at = self.whitespace(at + 1)
        if text.startswith("]", at):
            return at + 1
        one_by_one_until = -1
        while True:
            boundary = -1
            if at > one_by_one_until and text.startswith(_FIRST_ELEMENT, at):
                boundary = text.find(_BOUNDARY, at + _RUN_CHARS, at + _RUN_LIMIT)
                if boundary == -1:  # near the end of the array, or not laid out that way
                    one_by_one_until = at + _RUN_LIMIT
            if boundary != -1:
                run = "[" + text[at:boundary + 1] + "]"
                try:
                    elements, end = self.scan_once(run, 0)
                except (ValueError, StopIteration):  # the boundary is inside an element
                    one_by_one_until = boundary
                else:
                    del run
                    yield from elements
                    del elements
                    if end < boundary + 3 - at:  # the array closed before the boundary
                        return at - 1 + end
                    at = boundary + 2
                    continue
            element, end = self.value(at)
            yield element
            del element
            at = self.whitespace(end)
            if text.startswith("]", at):
                return at + 1
            if not text.startswith(",", at):
                raise NotStreamable("expecting ','")
            at = self.whitespace(at + 1)


__all__ = ["NotStreamable", "read_plan"]
