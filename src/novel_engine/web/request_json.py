"""The JSON clients send (HTTP bodies, GET `variables` and `extensions`, WebSocket
messages), decoded once and refused at the door when it would fail further in.

- Nesting is bounded (MAX_NESTING levels, the outermost value counting as one): values
  nested thousands deep exhaust the stack wherever they are later walked.
- A number literal is at most MAX_NUMBER_LENGTH characters and must fit a double when it
  has a fraction or exponent: Python refuses to convert integers of 4,300+ digits, and
  1e400 would become infinity, which JSON cannot carry back out. NaN and Infinity are
  not JSON.
- Text must be Unicode: a lone UTF-16 surrogate escape (`"\\ud800"`) decodes to a string
  that cannot be encoded again, so once stored it breaks every later read of it.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_NESTING = 64
MAX_NUMBER_LENGTH = 100


class RequestJsonError(ValueError):
    """Why a client's JSON is refused; reads after its subject ("The body ...")."""


def decode_request_json(text: str | bytes) -> Any:
    """The value of a client's JSON text (bytes must be UTF-8), or RequestJsonError."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestJsonError(f"is not valid UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(
            text, parse_int=_integer, parse_float=_fraction, parse_constant=_constant
        )
    except json.JSONDecodeError as exc:
        raise RequestJsonError(
            f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:  # the decoder's own stack guard, far past our bound
        raise RequestJsonError(_TOO_DEEP) from exc
    _check_structure(value)
    return value


_TOO_DEEP = f"is nested deeper than {MAX_NESTING} levels"
_NUL = "holds a NUL character (\\u0000), which cannot be stored"
_LONE_SURROGATE = "holds a lone UTF-16 surrogate (such as \\ud800), which is not text"


def _integer(literal: str) -> int:
    _check_length(literal)
    return int(literal)


def _fraction(literal: str) -> float:
    _check_length(literal)
    value = float(literal)
    if not math.isfinite(value):
        raise RequestJsonError(f"holds a number out of range ({literal[:20]})")
    return value


def _constant(literal: str) -> Any:
    raise RequestJsonError(f"holds {literal}, which is not a JSON number")


def _check_length(literal: str) -> None:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise RequestJsonError(f"holds a number longer than {MAX_NUMBER_LENGTH} characters")


def _check_structure(value: Any) -> None:
    """Bound the nesting and check every string and key, without recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if level > MAX_NESTING:
                raise RequestJsonError(_TOO_DEEP)
            if isinstance(item, dict):
                for key in item:
                    _check_text(key)
                pending.extend((inner, level + 1) for inner in item.values())
            else:
                pending.extend((inner, level + 1) for inner in item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise RequestJsonError(_NUL)
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RequestJsonError(_LONE_SURROGATE) from exc
