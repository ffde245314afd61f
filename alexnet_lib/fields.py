"""Typed config fields: values parsed strictly from the command line and checked.

A config field has a type (bool, int, float, str, or one of them or None) and often a
range or a set of choices. :func:`check_fields` refuses a value of another type (a bool is
not a number here) and :func:`check` a value out of range, each with one sentence naming
the field, the value and what is allowed; :func:`parse_value` reads ``--set key=text``
as the field's type. No torch here: ``config`` builds on it.
"""

from __future__ import annotations

import dataclasses
import typing

from .errors import ConfigError

CHOICES = {
    "arch": ("AlexNetCIFAR", "AlexNet"),
    "activation": ("relu", "tanh", "sigmoid"),
    "lrn": ("paper", "constant", "none"),
    "dropout_placement": ("paper", "torchvision"),
    "input_scale": ("standardized", "paper"),
    "init": ("kaiming", "paper"),
    "source": ("cifar10", "imagefolder", "imagenette"),
    "imagenette_size": ("full", "320px", "160px"),
    "schedule": ("warmup_linear", "plateau"),
    "precision": ("auto", "bf16", "fp16", "fp32"),
}


KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def check(part: str, name: str, ok: bool, value, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"{part}.{name}={value!r} is not allowed: {allowed}")


def check_fields(obj, part: str) -> None:
    """Types first (a bool is not a number here), then the choices."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value, kind = getattr(obj, f.name), hints[f.name]
        optional = type(None) in typing.get_args(kind)
        base = next((a for a in typing.get_args(kind) if a is not type(None)), kind)
        if value is None and optional:
            continue
        if base is float and isinstance(value, int) and not isinstance(value, bool):
            object.__setattr__(obj, f.name, float(value))
            value = float(value)
        if not isinstance(value, base) or (base is not bool and isinstance(value, bool)):
            what = KINDS.get(base, base.__name__) + (" or null" if optional else "")
            raise ConfigError(f"{part}.{f.name}={value!r} is not allowed: it takes {what}")
        if f.name in CHOICES:
            check(part, f.name, value in CHOICES[f.name], value,
                   f"one of {', '.join(CHOICES[f.name])}")


BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def parse_value(key: str, text: str, kind) -> object:
    """``text`` (from ``--set key=text``) as a value of the field's type, strictly:
    booleans are true/false/1/0/yes/no, integers refuse ``2.5``, ``null`` is None where
    the field allows it. A ConfigError names the field otherwise."""
    args = typing.get_args(kind)
    if text.strip().lower() in ("null", "none") and type(None) in args:
        return None
    base = next((a for a in args if a is not type(None)), kind)
    try:
        if base is bool:
            return BOOLEANS[text.strip().lower()]
        if base is int:
            return int(text.strip())
        if base is float:
            return float(text.strip())
    except (KeyError, ValueError):
        allowed = ("true or false (also 1/0, yes/no)" if base is bool
                   else f"a{'n integer' if base is int else ' number'}")
        raise ConfigError(f"{key}={text!r} is not allowed: it takes {allowed}") from None
    return text
