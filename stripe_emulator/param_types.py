"""Checking parameter values against the installed SDK's annotations, as Stripe would.

The SDK's `*Params` TypedDicts say what each value must be: an integer, a boolean,
one of an enum's values (`Literal[...]`), a list, a nested hash with required keys.
A value of the wrong kind is refused with Stripe's wording and the value's full
`param` path, before the emulator reads any parameter for its meaning.

Stripe's form encoding makes every leaf a string and an empty string means "unset",
so unset values pass here and the readers decide whether they may be missing. The
SDK widens enums with `|str` so old SDKs survive new values; Stripe itself refuses
a value outside the enum, and so does the emulator.
"""

from __future__ import annotations

import decimal
import functools
import re
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, ForwardRef, Literal, NotRequired, Required, Union

from typing_extensions import is_typeddict

from stripe_emulator.errors import invalid_parameter, missing_parameter
from stripe_emulator.params import join_path

_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_BOOLEANS = frozenset({"true", "false"})
_UNION_TYPES = (Union, types.UnionType)


def check_values(params: Mapping[str, Any], typed_dict: type, excluded: frozenset[str]) -> None:
    """Refuse the first value the SDK's type for it does not allow (names are already known)."""
    for name, value in params.items():
        if name in excluded or name not in typed_dict.__annotations__:
            continue
        _check(value, _annotation(typed_dict, name), name)


def _check(value: Any, annotation: Any, path: str) -> None:
    if value == "":
        return
    origin = typing.get_origin(annotation)
    if origin in _UNION_TYPES:
        _check_union(value, typing.get_args(annotation), path)
    elif origin is Literal:
        _check_enum(value, typing.get_args(annotation), path)
    elif origin is list:
        _check_list(value, typing.get_args(annotation)[0], path)
    elif origin is dict:
        _check_hash(value, typing.get_args(annotation)[1], path)
    elif is_typeddict(annotation):
        _check_typed_dict(value, annotation, path)
    elif annotation is bool:
        _check_scalar(value, path, "boolean", lambda text: text in _BOOLEANS)
    elif annotation is int:
        _check_scalar(value, path, "integer", _INTEGER.match, code="parameter_invalid_integer")
    elif annotation in (float, decimal.Decimal):
        _check_scalar(value, path, "decimal", _DECIMAL.match)
    elif annotation is str:
        _check_scalar(value, path, "string", lambda text: True)


def _check_union(value: Any, members: tuple[Any, ...], path: str) -> None:
    enum_values = [
        literal
        for member in members
        if typing.get_origin(member) is Literal
        for literal in typing.get_args(member)
        if literal != ""
    ]
    others = [
        member
        for member in members
        if typing.get_origin(member) is not Literal and member is not str
    ]
    if enum_values:
        _check_enum(value, tuple(enum_values), path)
    elif others:
        # `Dict[...]|UntypedStripeObject[...]`, `Literal['']|Hash`: the first real shape.
        _check(value, others[0], path)
    else:
        _check_scalar(value, path, "string", lambda text: True)


def _check_enum(value: Any, allowed: tuple[Any, ...], path: str) -> None:
    # Form encoding sends `Literal[True]` as the string "true".
    allowed = tuple(str(item).lower() if isinstance(item, bool) else item for item in allowed)
    if isinstance(value, str) and value in allowed:
        return
    if len(allowed) == 1:
        choices = str(allowed[0])
    else:
        choices = ", ".join(str(item) for item in allowed[:-1]) + f", or {allowed[-1]}"
    name = re.sub(r"\[\d+\]$", "", path).rsplit("[", 1)[-1].rstrip("]")
    raise invalid_parameter(f"Invalid {name}: must be one of {choices}", param=path)


def _check_list(value: Any, item_annotation: Any, path: str) -> None:
    if not isinstance(value, list):
        raise invalid_parameter(f"Invalid array: {_describe(value)}", param=path)
    for index, item in enumerate(value):
        _check(item, item_annotation, f"{path}[{index}]")


def _check_hash(value: Any, value_annotation: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise invalid_parameter(f"Invalid hash: {_describe(value)}", param=path)
    for key, item in value.items():
        _check(item, value_annotation, f"{path}[{key}]")


def _check_typed_dict(value: Any, typed_dict: type, path: str) -> None:
    if not isinstance(value, dict):
        raise invalid_parameter(f"Invalid object: {_describe(value)}", param=path)
    for name in sorted(typed_dict.__required_keys__):
        if value.get(name) in (None, ""):
            raise missing_parameter(join_path(path, name))
    for name, item in value.items():
        if name in typed_dict.__annotations__:
            _check(item, _annotation(typed_dict, name), join_path(path, name))


def _check_scalar(
    value: Any, path: str, kind: str, accepts: Any, *, code: str | None = None
) -> None:
    if isinstance(value, str) and accepts(value):
        return
    raise invalid_parameter(f"Invalid {kind}: {_describe(value)}", param=path, code=code)


@functools.cache
def _annotation(typed_dict: type, name: str) -> Any:
    """The annotation with forward references resolved and Required/NotRequired removed."""
    namespace = vars(sys.modules[typed_dict.__module__])
    return _resolve(typed_dict.__annotations__[name], namespace)


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        annotation = eval(annotation.__forward_arg__, namespace)  # noqa: S307 (SDK source)
        return _resolve(annotation, namespace)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (Required, NotRequired):
        return _resolve(args[0], namespace)
    if origin in _UNION_TYPES:
        return Union[tuple(_resolve(arg, namespace) for arg in args)]  # noqa: UP007
    if origin is list:
        return list[_resolve(args[0], namespace)]
    if origin is dict:
        return dict[str, _resolve(args[1], namespace)]
    return annotation


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a hash"
    if isinstance(value, list):
        return "an array"
    return str(value)


def enum_values(typed_dict: type, name: str) -> tuple[str, ...]:
    """The values the SDK's enum for `name` allows (of a list's items, for a list)."""
    annotation = _annotation(typed_dict, name)
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    members = typing.get_args(annotation) if typing.get_origin(annotation) in _UNION_TYPES else ()
    return tuple(
        value
        for member in (members or (annotation,))
        if typing.get_origin(member) is Literal
        for value in typing.get_args(member)
        if value != ""
    )
