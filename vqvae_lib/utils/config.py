"""Typed configuration from plain data: dataclasses validated from YAML mappings.

Each module of the kit owns the dataclass of its own settings (``FeatureConfig`` in
``features``, ``DatasetConfig`` in ``datasets`` ...); this module turns a mapping read
with ``yaml.safe_load`` into those dataclasses and names the file and the key when a
value is unknown, missing or of the wrong type.
"""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from .errors import KitError

T = TypeVar("T")


class ConfigError(KitError, ValueError):
    """A params value is unknown, missing or invalid; the message names file and key.

    ``key`` is the dotted path of an unknown key (``pretrain.epochz``), so the loader can
    name the file of an ``extends`` chain that holds it."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        found = _kinds(tp)
        if found:
            key, kinds = found
            return f"a mapping with '{key}' (one of " + ", ".join(repr(k) for k in kinds) + ")"
        return " or ".join(_describe(a) for a in get_args(tp))
    if origin in (list, tuple):
        (arg, *_) = get_args(tp) or (Any,)
        return f"a list of {_describe(arg)}"
    if origin is dict:
        return "a mapping"
    if tp is type(None):
        return "null"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


# The fields that say which member of a union of settings a mapping is: ``kind`` for
# datasets (``data.tag.kind``), ``classifier`` for taggers (``tag.tagger.classifier``).
DISCRIMINATORS = ("kind", "classifier")


def _kinds(tp: Any) -> tuple[str, dict[str, type]] | None:
    """``(key, {value: dataclass})`` when ``tp`` is a union of dataclasses (and maybe
    None) that each carry the same ``Literal`` field named in ``DISCRIMINATORS``; else None.

    Such a union is read by that key first, so that an error names the key of the
    chosen dataclass instead of listing why every member failed.
    """
    members = [a for a in get_args(tp) if a is not type(None)]
    if not members or not all(dataclasses.is_dataclass(a) for a in members):
        return None
    for key in DISCRIMINATORS:
        hints = [get_type_hints(cls).get(key) for cls in members]
        if all(get_origin(h) is Literal for h in hints):
            return key, {value: cls for cls, h in zip(members, hints) for value in get_args(h)}
    return None


def _coerce_kind(value: Any, tp: Any, key: str, kinds: dict[str, type], where: str) -> Any:
    expected = "one of " + ", ".join(repr(k) for k in kinds)
    if value is None and type(None) in get_args(tp):
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: got {value!r}, expected a mapping with '{key}' ({expected})")
    if key not in value:
        raise ConfigError(f"{where}.{key}: required value is missing (expected {expected})")
    kind = value[key]
    if not isinstance(kind, str) or kind not in kinds:
        raise ConfigError(f"{where}.{key}: got {kind!r}, expected {expected}")
    return from_dict(kinds[kind], value, where)


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; convert where lossless (int -> float)."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value in get_args(tp):
            return value
        raise ConfigError(f"{where}: got {value!r}, expected {_describe(tp)}")
    if origin in (Union, types.UnionType):
        found = _kinds(tp)
        if found:
            return _coerce_kind(value, tp, *found, where)
        for arg in get_args(tp):
            try:
                return _coerce(value, arg, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: got {value!r}, expected {_describe(tp)}")
    if tp is type(None):
        if value is None:
            return None
        raise ConfigError(f"{where}: got {value!r}, expected null")
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: got {value!r}, expected {_describe(tp)}")
        (arg, *_) = get_args(tp) or (Any,)
        items = [_coerce(v, arg, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: got {value!r}, expected a mapping")
        return dict(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is Path:
        if isinstance(value, (str, Path)):
            return Path(value)
    raise ConfigError(f"{where}: got {value!r} ({type(value).__name__}), expected {_describe(tp)}")


def from_dict(cls: type[T], data: Any, where: str) -> T:
    """Build dataclass ``cls`` from mapping ``data``.

    Args:
        cls: a dataclass whose fields carry type annotations (Literal for choices).
        data: the mapping read from YAML (``None`` counts as empty).
        where: prefix for error messages, e.g. ``"params/demo.yaml: features"``.

    A dataclass that renamed keys defines a classmethod ``upgrade_keys(data, where)``
    returning ``data`` in the current spelling; it is applied first.

    Raises:
        ConfigError: an unknown key, a missing required key, or a value of the wrong
            type; ``__post_init__`` checks of the dataclass are re-raised with ``where``.
    """
    if get_origin(cls) in (Union, types.UnionType):  # settings chosen by a key
        return _coerce(data, cls, where)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of keys, got {data!r}")
    upgrade = getattr(cls, "upgrade_keys", None)
    if upgrade is not None:
        data = upgrade(dict(data), where)
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(sorted(fields))})",
            key=f"{where}.{unknown[0]}" if where else unknown[0])
    kwargs = {}
    for name, field in fields.items():
        key_where = f"{where}.{name}" if where else name
        if name in data:
            kwargs[name] = _coerce(data[name], hints[name], key_where)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{key_where}: required value is missing")
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {exc}" if where else str(exc)) from exc


def to_dict(obj: Any) -> Any:
    """Plain-data view of a config dataclass (paths as strings), for JSON and checkpoints."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


__all__ = ["ConfigError", "from_dict", "to_dict"]
