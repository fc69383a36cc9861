"""Reading query parameters and JSON bodies, with the 400, 415 and 422 problems they can cause."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from data.json_shape import MAX_DEPTH, ShapeProblem, shape_problems
from webapi.http.api.problems import ProblemError

TRUE = frozenset({"true", "1", "yes"})
FALSE = frozenset({"false", "0", "no"})


def int_param(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``; 400 naming the parameter otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise _bad(name, f"must be an integer from {low} to {high}, got {raw!r}")
    return value


def bool_param(name: str, default: bool = False) -> bool:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``); 400 for anything else."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise _bad(name, f"must be true or false, got {raw!r}")


def is_json_request() -> bool:
    mimetype = request.mimetype or ""
    return mimetype == "application/json" or mimetype.endswith("+json")


def json_body() -> Any:
    """The decoded JSON body: 415 unless sent as JSON, 400 when it does not parse or nests too
    deep, 422 naming every value that is not Unicode text (see :mod:`data.json_shape`).

    Every route reads its body here, so no route sees a body that would overflow the stack or
    that the store could not encode.
    """
    if not is_json_request():
        raise ProblemError(415, "send the body as JSON with Content-Type: application/json")
    text = request.get_data(cache=True, as_text=False)
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep(ShapeProblem((), "")) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ProblemError(400, f"the body is not valid JSON: {error}", "malformed-json") from None
    problems = shape_problems(body)
    deep = [problem for problem in problems if problem.too_deep]
    if deep:
        raise _too_deep(deep[0])
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise ProblemError(
            422,
            f"the request body was refused, {len(problems)} {noun}",
            errors=[_entry(problem) for problem in problems],
        )
    return body


def _too_deep(problem: ShapeProblem) -> ProblemError:
    message = f"nests deeper than {MAX_DEPTH} levels"
    return ProblemError(
        400,
        f"the body {message}",
        "malformed-json",
        errors=[{"path": problem.pointer, "message": message}],
    )


def _entry(problem: ShapeProblem) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": problem.pointer, "message": problem.message}
    if problem.field is not None:
        entry["field"] = problem.field
    return entry


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _bad(name: str, message: str) -> ProblemError:
    return ProblemError(
        400,
        f"query parameter {name} {message}",
        "invalid-parameter",
        errors=[{"field": name, "path": f"?{name}", "message": message}],
    )
