"""One generic parser for the client's dataclasses, driven by how each field is declared.

A field declares how it is read, once, in the dataclass itself: by default its own
name (snake_case or camelCase, see :mod:`recur_django.client.casing`), coerced
according to its annotation — ``str`` as text, ``int`` as an integer, ``bool`` as a
boolean, ``datetime`` as an aware datetime, ``dict`` as an object, another Recur
object as that object (None unless the value is an object), ``list[...]`` of one as
its object items. A field whose JSON differs says so in its metadata with
:func:`source`: other names to try, a fallback inside a nested object, or a reading
rule of its own. :func:`parse` builds any of these classes from that declaration;
the untouched dict stays on ``.raw`` (so unknown fields are never lost) and a value
of the wrong type becomes None instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import Field, dataclass, fields
from operator import methodcaller
from typing import Any, TypeVar

from recur_django.client.casing import Reader
from recur_django.client.errors import APIError

__all__ = ["only_objects", "parse", "recur_object", "source"]

T = TypeVar("T")
Reading = Callable[[Reader], Any]

_SOURCE = "recur"
_KINDS = {
    "str": "text",
    "int": "integer",
    "bool": "boolean",
    "datetime": "dt",
    "dict[str, Any]": "obj",
}
_PLANS: dict[type, tuple[tuple[str, Reading], ...]] = {}
_OBJECTS: dict[str, type] = {}


@dataclass(frozen=True)
class _Source:
    names: tuple[str, ...]
    also_in: str | None
    read: Reading | None


def source(*names: str, also_in: str | None = None, read: Reading | None = None) -> dict[str, Any]:
    """Field metadata saying where a field is read when not simply under its own name.

    ``names``: the keys to try, in order (a dotted ``"customer.id"`` reads inside a
    nested object). ``also_in``: a dotted key tried when the first reading is empty
    (``None`` or ``""``). ``read``: a function of the object's :class:`Reader`.
    """
    return {_SOURCE: _Source(names, also_in, read)}


def _accessor(kind: str, names: tuple[str, ...]) -> Reading:
    if len(names) == 1 and "." in names[0]:
        outer, inner = names[0].split(".", 1)
        read_inner = _accessor(kind, (inner,))
        return lambda r: read_inner(r.nested(outer))
    return methodcaller(kind, *names)


def _nested(cls: type, names: tuple[str, ...], many: bool) -> Reading:
    if many:
        return lambda r: [parse(cls, item) for item in only_objects(r.array(*names))]
    return lambda r: parse(cls, value) if isinstance(value := r.get(*names), dict) else None


def _reading(f: Field[Any]) -> Reading:
    # Annotations are compared as written: declaring modules postpone annotations.
    spec = f.metadata.get(_SOURCE) or _Source((), None, None)
    if spec.read is not None:
        return spec.read
    names = spec.names or (f.name,)
    annotation = str(f.type).removesuffix(" | None")
    many = annotation.startswith("list[")
    if (name := annotation[5:-1] if many else annotation) in _OBJECTS:
        return _nested(_OBJECTS[name], names, many)
    kind = _KINDS.get(annotation)
    if kind is None:
        raise TypeError(f"{f.name}: {f.type} cannot be read from JSON; give source(read=...).")
    first = _accessor(kind, names)
    if spec.also_in is None:
        return first
    second = _accessor(kind, (spec.also_in,))
    return lambda r: first(r) or second(r)


def recur_object(cls: type[T]) -> type[T]:
    """Register a dataclass for :func:`parse`, planning how each field is read."""
    _PLANS[cls] = tuple((f.name, _reading(f)) for f in fields(cls) if f.name != "raw")  # type: ignore[arg-type]
    _OBJECTS[cls.__name__] = cls
    return cls


def parse(cls: type[T], data: Any, *, what: str | None = None) -> T:
    """An instance of a :func:`recur_object` class read from ``data``.

    With ``what`` (e.g. ``"checkout session"``), ``data`` must be an object with an
    id, else :class:`APIError`; without it, anything is read (a non-object as empty).
    """
    reader = _require_object(data, what) if what else Reader(data)
    build: Callable[..., T] = cls
    return build(**{name: read(reader) for name, read in _PLANS[cls]}, raw=reader.raw)


def _require_object(data: Any, what: str) -> Reader:
    """A Reader over ``data``; raises APIError when it is not an object with an id."""
    reader = Reader(data)
    if not isinstance(data, dict) or reader.text("id") is None:
        raise APIError(
            f"Recur returned a {what} without an id; the response could not be read.",
            code="invalid_response",
        )
    return reader


def only_objects(items: Iterable[Any] | None) -> Iterator[dict[str, Any]]:
    """The items of ``items`` that are JSON objects (anything else is skipped)."""
    for item in items or ():
        if isinstance(item, dict):
            yield item
