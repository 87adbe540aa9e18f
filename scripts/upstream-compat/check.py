#!/usr/bin/env python3
"""Upstream side of thoth's wire-compatibility check.

Runs with the venv made by setup.sh (thoth-messaging 0.16.2, pydantic v1).
Models are looked up by base topic, so this file knows nothing of thoth's
catalogue. Commands (argument 1), JSON in on stdin, JSON out on stdout:

  describe   -> every model's fields as pydantic sees them (name, type,
                required, nullable, default), in field order.
  roundtrip  <- [{"topic", "body"}]  -> [{"ok", "json"} | {"ok": false, "errors"}]
                parses each body with the model (parse_raw) and re-serialises
                it with .json(), i.e. what upstream's producer would send.
  produce    -> [{"topic", "variant", "body"}] bodies built by the models
                themselves: "minimal" (required fields only) and "full" (every
                field set, none to its default).
  corpus     -> [{"topic", "variant", "body"}] bodies the models write from
                values that JavaScript's JSON.parse would change: escapes and
                emoji, ints beyond 2^53 (and of 10^16 and more), floats that
                are integral (1.0, 1e16), -0.0, tiny and huge floats, NaN and
                Infinity, integer-like and __proto__ keys, every optional field.

A body the model cannot even be called with (dict() of pairs whose keys are
not strings: `Model(**d)` raises TypeError, which parse_raw does not wrap) is
reported as an error of the whole body, as thoth reports it.
"""

import json
import sys
import typing
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, StrictBool, StrictInt, StrictStr, ValidationError

import thoth.messaging as upstream
from thoth.messaging import BaseMessageContents


class AdviserReRunContents(BaseMessageContents):
    """adviser-re-run v2 as SPEC §2.1 declares it (upstream removed this model in 2021)."""

    re_run_adviser_id: StrictStr
    recommendation_type: StrictStr
    origin: Optional[StrictStr]
    github_event_type: Optional[StrictStr]
    github_check_run_id: Optional[StrictInt]
    github_installation_id: Optional[StrictInt]
    github_base_repo_url: Optional[StrictStr]
    source_type: Optional[StrictStr]
    version: StrictStr = "v2"


MODELS = {message.base_name: message.model for message in upstream.ALL_MESSAGES}
MODELS["thoth.investigator.adviser-re-run"] = AdviserReRunContents

BASE_FIELDS = ("component_name", "service_version", "version")

# A string that exercises every escaping rule of json.dumps: quotes, backslash,
# control characters, DEL, non-ASCII, an astral character (surrogate pair).
TRICKY = 'é "q" \\ \n\t\x01\x7f ✓ 😀 </x>'


def type_name(field) -> Any:
    """The catalogue's type vocabulary for a pydantic ModelField."""
    outer = field.outer_type_
    origin = typing.get_origin(outer)
    if isinstance(outer, type) and issubclass(outer, BaseModel):
        return {"object": describe_fields(outer)}
    if outer is StrictStr:
        return "str"
    if outer is StrictInt:
        return "int"
    if outer is StrictBool:
        return "bool"
    if origin in (dict, Dict):
        return "object"
    if origin in (list, List):
        (item,) = typing.get_args(outer)
        return "str[]" if item is StrictStr else "object[]" if typing.get_origin(item) in (dict, Dict) else repr(item)
    return repr(outer)


def default_of(field) -> Any:
    if field.default_factory is not None:
        value = field.default_factory()
        return value.dict() if isinstance(value, BaseModel) else value
    return field.default


def describe_fields(model) -> list:
    return [
        {
            "name": name,
            "type": type_name(field),
            "required": bool(field.required),
            "nullable": bool(field.allow_none),
            "default": None if field.required else default_of(field),
        }
        for name, field in model.__fields__.items()
    ]


def sample(name: str, field) -> Any:
    """A value for the field that differs from its default and exercises the encoder."""
    kind = type_name(field)
    if isinstance(kind, dict):
        return field.outer_type_(**{n: sample(n, f) for n, f in field.outer_type_.__fields__.items()})
    if kind == "str":
        return f"{name} {TRICKY}"
    if kind == "int":
        return 12345678901
    if kind == "bool":
        return not field.default if not field.required else True
    if kind == "object":
        return {"nested": {"list": [1, 2.5, None, "x", True], "empty": {}}, "small": 1e-07, "large": 1.5e300, "text": TRICKY}
    if kind == "str[]":
        return ["first", TRICKY, ""]
    if kind == "object[]":
        return [{"type": "INFO", "message": TRICKY, "link": None}, {}]
    raise ValueError(f"no sample for {name}: {kind}")


def produce() -> list:
    out = []
    for topic, model in MODELS.items():
        base = {"component_name": "upstream-check", "service_version": "0.16.2"}
        own = {n: f for n, f in model.__fields__.items() if n not in BASE_FIELDS}
        minimal = {n: sample(n, f) for n, f in own.items() if f.required}
        full = {n: sample(n, f) for n, f in own.items()}
        out.append({"topic": topic, "variant": "minimal", "body": model(**base, **minimal).json()})
        out.append({"topic": topic, "variant": "full", "body": model(**base, **full, version="v99").json()})
    return out


def roundtrip(cases: list) -> list:
    results = []
    for case in cases:
        try:
            parsed = MODELS[case["topic"]].parse_raw(case["body"])
        except ValidationError as error:
            results.append({"ok": False, "errors": json.loads(error.json())})
            continue
        except TypeError as error:
            results.append({"ok": False, "errors": [{"loc": ["__root__"], "msg": str(error), "type": "type_error"}]})
            continue
        results.append({"ok": True, "json": parsed.json()})
    return results


# Values whose JSON text JavaScript's JSON.parse would not give back: each appears in every free-form field.
FREE_FORM = {
    "10": "integer-like keys come first in a JavaScript object",
    "2": [1.0, -0.0, 0.0, 1e16, 1.5e300, 1e-07, 2.5, 0.1, float("inf"), float("-inf"), float("nan")],
    "big": [9007199254740993, -9007199254740993, 10**16, 10**30, -(10**20), 0],
    "__proto__": {"polluted": True},
    "text": TRICKY + " \u2028\u2029 \ud83d\ude00 é",
    "-1": None,
    "0": {"1": {"": [], "a b": {}}},
}


def tricky_sample(name: str, field) -> Any:
    kind = type_name(field)
    if isinstance(kind, dict):
        return field.outer_type_(**{n: tricky_sample(n, f) for n, f in field.outer_type_.__fields__.items()})
    if kind == "str":
        return f"{name} {TRICKY} 😀 \u0000 \\u0000 \U0001F600"
    if kind == "int":
        return 10**20 + 1
    if kind == "object":
        return dict(FREE_FORM)
    if kind == "object[]":
        return [dict(FREE_FORM), {}, {"9": 1, "8": 2.0}]
    return sample(name, field)


def corpus() -> list:
    out = []
    for topic, model in MODELS.items():
        base = {"component_name": "upstream 😀 \"check\"", "service_version": "0.16.2"}
        own = {n: f for n, f in model.__fields__.items() if n not in BASE_FIELDS}
        full = {n: tricky_sample(n, f) for n, f in own.items()}
        out.append({"topic": topic, "variant": "tricky", "body": model(**base, **full).json()})
        ints = {n: (-(10**16) if type_name(f) == "int" else v) for n, v in full.items() for f in [own[n]]}
        out.append({"topic": topic, "variant": "negative-ints", "body": model(**base, **ints).json()})
    return out


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "describe":
        result: Any = {topic: describe_fields(model) for topic, model in MODELS.items()}
    elif command == "roundtrip":
        result = roundtrip(json.load(sys.stdin))
    elif command == "produce":
        result = produce()
    elif command == "corpus":
        result = corpus()
    else:
        sys.exit("usage: check.py describe | roundtrip < cases.json | produce | corpus")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
