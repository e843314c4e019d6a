"""Decoding and validating Stripe's form-encoded parameters.

Stripe encodes nested values with brackets (`line_items[0][price_data][currency]`,
`expand[]`, `metadata[key]`). The names a request may use are read from the
installed SDK's own `*Params` TypedDicts so the emulator accepts exactly what the
SDK can send, and rejects the rest as Stripe does.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import stripe
from typing_extensions import is_typeddict

from stripe_emulator.errors import invalid_parameter, missing_parameter

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_INTEGER = re.compile(r"^-?\d+$")
_FREE_FORM_MAPS = frozenset({"metadata"})
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

REQUEST_OPTION_NAMES = frozenset(stripe.RequestOptions.__annotations__)

Params = dict[str, Any]


def decode_form(text: str) -> Params:
    """Turn `a[b][0][c]=1&expand[]=x` into nested dicts and lists."""
    root: Params = {}
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if match is None:
            raise invalid_parameter(f"Invalid parameter name: {raw_key}", param=raw_key)
        segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
        _insert(root, segments, value, raw_key)
    return _listify(root)


def _insert(root: Params, segments: list[str], value: str, raw_key: str) -> None:
    container = root
    for position, segment in enumerate(segments):
        # `[]` appends: give each value the next free index.
        key = str(len(container)) if segment == "" else segment
        if position == len(segments) - 1:
            if isinstance(container.get(key), dict):
                raise invalid_parameter(f"Invalid hash: {raw_key}", param=raw_key)
            container[key] = value
            return
        child = container.setdefault(key, {})
        if not isinstance(child, dict):
            raise invalid_parameter(f"Invalid hash: {raw_key}", param=raw_key)
        container = child


def _listify(node: Any, key: str | None = None) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {name: _listify(value, name) for name, value in node.items()}
    # Metadata keys are arbitrary strings, so `metadata[0]` must stay a key.
    if key in _FREE_FORM_MAPS or not converted:
        return converted
    if all(name.isdigit() for name in converted):
        return [converted[name] for name in sorted(converted, key=int)]
    return converted


class ParamSchema:
    """The parameter names one SDK TypedDict allows, with nested schemas."""

    def __init__(
        self, typed_dict: type, excluded: frozenset[str] = frozenset(), *, keyed: bool = False
    ) -> None:
        self.typed_dict = typed_dict
        self.names = frozenset(typed_dict.__annotations__) - excluded
        # A map of free keys (currencies, say) to hashes of this shape.
        self.keyed = keyed

    def child(self, name: str) -> ParamSchema | None:
        return _nested_schema(self.typed_dict, name)


def request_schema(typed_dict: type) -> ParamSchema:
    """Top-level schema of an SDK `*Params` class, without its request options."""
    return ParamSchema(typed_dict, excluded=REQUEST_OPTION_NAMES)


@functools.cache
def _nested_schema(typed_dict: type, name: str) -> ParamSchema | None:
    # Annotations are forward references such as
    # NotRequired[List['SessionCreateParamsLineItem']]; the TypedDict they name
    # lives in the same module, so look the identifiers up there.
    annotation = typed_dict.__annotations__[name]
    module = sys.modules[typed_dict.__module__]
    for identifier in _IDENTIFIER.findall(repr(annotation)):
        candidate = getattr(module, identifier, None)
        if isinstance(candidate, type) and is_typeddict(candidate):
            return ParamSchema(candidate, keyed="Dict[str, " in repr(annotation))
    return None


def reject_unknown(params: Mapping[str, Any], schema: ParamSchema, prefix: str = "") -> None:
    for name, value in params.items():
        path = join_path(prefix, name)
        if name not in schema.names:
            raise invalid_parameter(
                f"Received unknown parameter: {path}",
                param=path,
                code="parameter_unknown",
            )
        child = schema.child(name)
        if child is None:
            continue
        if isinstance(value, dict) and child.keyed:
            for key, item in value.items():
                if isinstance(item, dict):
                    reject_unknown(item, child, f"{path}[{key}]")
        elif isinstance(value, dict):
            reject_unknown(value, child, path)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    reject_unknown(item, child, f"{path}[{index}]")


# What the emulator implements of a request's parameters: a name maps to the names
# implemented under it, or to None when the whole value is (a leaf, a list of
# strings, a free-form map such as metadata).
Implemented = Mapping[str, "Implemented | None"]


def reject_unimplemented(
    params: Mapping[str, Any], implemented: Implemented, prefix: str = ""
) -> None:
    """Refuse a parameter Stripe knows but the emulator does not act on, rather than ignore it."""
    for name, value in params.items():
        path = join_path(prefix, name)
        if value == "":
            continue
        if name not in implemented:
            raise invalid_parameter(
                f"The Stripe emulator does not support `{path}`. Leave it out when "
                "testing against the emulator, or test this against Stripe's test mode.",
                param=path,
                code="parameter_unsupported",
            )
        children = implemented[name]
        if children is None:
            continue
        if isinstance(value, dict):
            reject_unimplemented(value, children, path)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    reject_unimplemented(item, children, f"{path}[{index}]")


def join_path(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name


def _given(params: Mapping[str, Any], name: str, prefix: str, required: bool) -> tuple[str, Any]:
    """The parameter's path for error messages, and its value or None when it is unset."""
    path = join_path(prefix, name)
    value = params.get(name)
    # An empty string is how Stripe's encoding says "unset".
    if value is None or value == "":
        if required:
            raise missing_parameter(path)
        return path, None
    return path, value


def get_string(
    params: Mapping[str, Any],
    name: str,
    *,
    prefix: str = "",
    required: bool = False,
    max_length: int | None = None,
) -> str | None:
    path, value = _given(params, name, prefix, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_parameter(f"Invalid string: {_describe(value)}", param=path)
    if max_length is not None and len(value) > max_length:
        raise invalid_parameter(
            f"Invalid string: {value[:20]}...; must be at most {max_length} characters",
            param=path,
        )
    return value


def get_int(
    params: Mapping[str, Any],
    name: str,
    *,
    prefix: str = "",
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    path, value = _given(params, name, prefix, required)
    if value is None:
        return None
    if not isinstance(value, str) or not _INTEGER.match(value):
        raise invalid_parameter(
            f"Invalid integer: {_describe(value)}",
            param=path,
            code="parameter_invalid_integer",
        )
    number = int(value)
    if minimum is not None and number < minimum:
        raise invalid_parameter(
            f"This value must be greater than or equal to {minimum}.",
            param=path,
            code="parameter_invalid_integer",
        )
    if maximum is not None and number > maximum:
        raise invalid_parameter(
            f"This value must be less than or equal to {maximum}.",
            param=path,
            code="parameter_invalid_integer",
        )
    return number


def get_bool(params: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid_parameter(f"Invalid boolean: {value}", param=name)


def get_dict(
    params: Mapping[str, Any], name: str, *, prefix: str = "", required: bool = False
) -> dict[str, Any] | None:
    path, value = _given(params, name, prefix, required)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_parameter(f"Invalid object: {_describe(value)}", param=path)
    return value


def get_list(
    params: Mapping[str, Any], name: str, *, prefix: str = "", required: bool = False
) -> list[Any] | None:
    path, value = _given(params, name, prefix, required)
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_parameter(f"Invalid array: {_describe(value)}", param=path)
    return value


def get_string_list(params: Mapping[str, Any], name: str) -> list[str]:
    values = get_list(params, name) or []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise invalid_parameter(f"Invalid string: {_describe(value)}", param=f"{name}[{index}]")
    return values


def get_metadata(
    params: Mapping[str, Any], name: str = "metadata", *, prefix: str = ""
) -> dict[str, str]:
    path = join_path(prefix, name)
    metadata = get_dict(params, name, prefix=prefix) or {}
    if len(metadata) > 50:
        raise invalid_parameter("Invalid metadata: metadata can have at most 50 keys.", param=path)
    result: dict[str, str] = {}
    for key, value in metadata.items():
        if len(key) > 40:
            raise invalid_parameter(
                f"Invalid metadata: keys can be at most 40 characters ({key}).",
                param=f"{path}[{key}]",
            )
        if not isinstance(value, str):
            raise invalid_parameter(f"Invalid string: {_describe(value)}", param=f"{path}[{key}]")
        if len(value) > 500:
            raise invalid_parameter(
                "Invalid metadata: values can be at most 500 characters.",
                param=f"{path}[{key}]",
            )
        # Stripe drops keys posted with an empty value.
        if value != "":
            result[key] = value
    return result


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a hash"
    if isinstance(value, list):
        return "an array"
    return str(value)
