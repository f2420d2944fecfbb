"""A faster way through the same validator: a request schema's load, compiled.

``schema.load`` spends most of its time in marshmallow's per-load machinery (error stores,
hooks, partial loading, one closure per field), not in the fields. :func:`loader` walks a
request schema once and returns a function that does what ``schema.load`` does for a valid
input — the same fields, with their own ``deserialize`` and validators, the same defaults and
the same refusal of unknown keys — without that machinery. On anything it does not accept
(a missing required field, a value a field refuses, an unknown key, a schema with hooks) it
hands the input to ``schema.load`` itself, so every refusal is marshmallow's, with its
messages. The schema stays the one validator of the input and the source of its OpenAPI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import fields, missing

__all__ = ["loader"]

Load = Callable[[Any], Any]
#: A field's step: (value, key, the object holding it) -> the loaded value.
Step = Callable[[Any, str, Any], Any]


class _Defer(Exception):
    """The input is not one the compiled path accepts: ``schema.load`` decides."""


#: The attribute of a schema object holding its compiled loader.
_LOADER = "_apportion_loader"


def loader(schema: ma.Schema) -> Load:
    """Return a function loading data exactly as ``schema.load`` does (compiled once per schema
    object, and kept on it).

    Raises (from the returned function):
        marshmallow.ValidationError: as ``schema.load`` raises it.
    """
    found: Load | None = getattr(schema, _LOADER, None)
    if found is None:
        compiled = _compile_schema(schema)

        def load(data: Any) -> Any:
            if compiled is not None:
                try:
                    return compiled(data)
                except _Defer:
                    pass
            return schema.load(data)

        found = load
        setattr(schema, _LOADER, load)
    return found


def _has_hooks(schema: ma.Schema) -> bool:
    return any(schema._hooks.values()) or bool(schema.partial)


def _compile_schema(schema: ma.Schema) -> Load | None:
    """A loader for a schema without hooks, loading one object; ``None`` if not compilable."""
    if _has_hooks(schema) or schema.many or schema.unknown != ma.RAISE:
        return None
    steps: list[tuple[str, str, Any, Step]] = []
    for name, field in schema.load_fields.items():
        step = _compile_field(field)
        if step is None:
            return None
        steps.append((field.data_key if field.data_key is not None else name,
                      field.attribute or name, field, step))
    if any("." in attribute for _, attribute, _, _ in steps):
        return None
    known = frozenset(key for key, _, _, _ in steps)
    dict_class = schema.dict_class

    def load(data: Any) -> Any:
        if type(data) is not dict or not known.issuperset(data):
            raise _Defer
        result = dict_class()
        for key, attribute, field, step in steps:
            value = data.get(key, missing)
            if value is missing:
                if field.required:
                    raise _Defer
                default = field.load_default
                if default is missing:
                    continue
                result[attribute] = default() if callable(default) else default
            elif value is None:
                if not field.allow_none:
                    raise _Defer
                result[attribute] = None
            else:
                result[attribute] = step(value, key, data)
        return result

    return load


def _compile_field(field: fields.Field[Any]) -> Step | None:
    """A loader for one field's (non-missing, non-None) value; ``None`` if not compilable."""
    if field.pre_load or field.post_load:
        return None
    if isinstance(field, fields.Nested):
        if (field.only or field.exclude or field.unknown or field.many
                or field.validators):
            return None
        nested = _compile_schema(field.schema)
        if nested is None:
            return None
        load_nested = nested

        def load_object(value: Any, key: str, data: Any) -> Any:
            return load_nested(value)

        return load_object
    if isinstance(field, fields.List):
        inner = _compile_field(field.inner)
        if inner is None:
            return None
        inner_field = field.inner
        validators = field.validators

        def load_list(value: Any, key: str, data: Any) -> Any:
            if type(value) is not list:
                raise _Defer
            loaded: list[Any] = []
            for item in value:
                if item is None:
                    if not inner_field.allow_none:
                        raise _Defer
                    loaded.append(None)
                else:
                    loaded.append(inner(item, key, data))
            try:
                for validator in validators:
                    if validator(loaded) is False:
                        raise _Defer
            except ma.ValidationError:
                raise _Defer from None
            return loaded

        return load_list
    if isinstance(field, (fields.Dict, fields.Tuple)):
        return None

    if (type(field).deserialize is not fields.Field.deserialize
            or type(field)._validate is not fields.Field._validate):
        def load_own(value: Any, key: str, data: Any) -> Any:
            try:
                return field.deserialize(value, key, data)
            except ma.ValidationError:
                raise _Defer from None

        return load_own
    # What Field.deserialize does with a value neither missing nor None (and no pre_load or
    # post_load functions): the field's own _deserialize, then each of its validators (which
    # Field._validate would wrap in a new validate.And on every call).
    deserialize = field._deserialize
    checks = tuple(field.validators)

    def load_value(value: Any, key: str, data: Any) -> Any:
        try:
            output = deserialize(value, key, data)
            for validator in checks:
                if validator(output) is False:
                    raise _Defer
        except ma.ValidationError:
            raise _Defer from None
        return output

    return load_value
