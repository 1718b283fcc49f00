"""Strict request parsing: shape only (types, lengths, required, unknown fields).

Each field type parses a JSON value (or a query-string text) and describes itself as the JSON
Schema the OpenAPI document publishes, so the document and the parser cannot drift apart.
Rules (is this venue open, may this user book) are the services' business, never checked here.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import request
from flask_babel import lazy_gettext

from ..errors import DomainError, InvalidInput
from ..venues.intervals import parse_hhmm

# Ids are 32-bit on every database; larger numbers can only be mistakes.
MAX_ID = 2**31 - 1
# Instants and dates outside these years are refused before they reach date arithmetic.
FIRST_YEAR, LAST_YEAR = 1900, 2999
MISSING = object()

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})$"
)
_SPACED_OFFSET = re.compile(r" (\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,12}$")
_NUMBER_TEXT = re.compile(r"^[+-]?\d{1,12}(\.\d{1,12})?$")


class Invalid(Exception):
    """One field's problem, as a short code (`not_a_string`, `too_long`, …)."""

    def __init__(self, code: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors or {}


def _clean_text(value: str) -> str:
    # PostgreSQL refuses NUL and lone surrogates cannot be stored as UTF-8: both are shape errors.
    if "\x00" in value:
        raise Invalid("invalid_character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("invalid_character") from None
    return value


class Field(ABC):
    """A JSON value of one shape. `from_text` reads the same shape from a query string."""

    description = ""

    def __init__(self, *, description: str = "", example: Any = MISSING) -> None:
        self.description = description
        self.example = example

    @abstractmethod
    def parse(self, value: Any) -> Any:
        """The value, checked and converted; raises Invalid."""

    def from_text(self, text: str) -> Any:
        return self.parse(text)

    @abstractmethod
    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the values this field accepts."""

    def schema(self) -> dict[str, Any]:
        schema = self.json_schema()
        if self.description:
            schema["description"] = self.description
        if self.example is not MISSING:
            schema["examples"] = [self.example]
        return schema


class String(Field):
    def __init__(self, max_length: int, *, min_length: int = 0, pattern: str | None = None,
                 format: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_length = max_length
        self.min_length = min_length
        self.pattern = re.compile(pattern) if pattern else None
        self.format = format

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("not_a_string")
        value = _clean_text(value)
        if len(value) > self.max_length:
            raise Invalid("too_long")
        if len(value) < self.min_length:
            raise Invalid("required" if not value else "too_short")
        if self.pattern is not None and not self.pattern.search(value):
            raise Invalid("invalid")
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.pattern is not None:
            schema["pattern"] = self.pattern.pattern
        if self.format:
            schema["format"] = self.format
        return schema


class Enum(Field):
    def __init__(self, values: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.values = [getattr(v, "value", v) for v in values]

    def parse(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise Invalid("invalid_choice")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


class Integer(Field):
    def __init__(self, minimum: int = -MAX_ID, maximum: int = MAX_ID, **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid("not_an_integer")
        if not self.minimum <= value <= self.maximum:
            raise Invalid("out_of_range")
        return value

    def from_text(self, text: str) -> int:
        if not _INTEGER_TEXT.match(text):
            raise Invalid("not_an_integer")
        return self.parse(int(text))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


def Id(**kw: Any) -> Integer:  # noqa: N802 - reads like the other field types
    return Integer(1, MAX_ID, **kw)


class Number(Field):
    def __init__(self, minimum: float, maximum: float, **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("not_a_number")
        if value != value or not self.minimum <= value <= self.maximum:
            raise Invalid("out_of_range")
        return value

    def from_text(self, text: str) -> float | int:
        if not _NUMBER_TEXT.match(text):
            raise Invalid("not_a_number")
        return self.parse(float(text))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "number", "minimum": self.minimum, "maximum": self.maximum}


class Boolean(Field):
    def parse(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid("not_a_boolean")
        return value

    def from_text(self, text: str) -> bool:
        if text not in ("true", "false"):
            raise Invalid("not_a_boolean")
        return text == "true"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


class Date(Field):
    """A calendar date `YYYY-MM-DD`."""

    def parse(self, value: Any) -> date:
        if not isinstance(value, str) or not _DATE.match(value):
            raise Invalid("not_a_date")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise Invalid("not_a_date") from None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise Invalid("out_of_range")
        return day

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


class Instant(Field):
    """An RFC 3339 date-time with an offset (seconds optional)."""

    def parse(self, value: Any) -> datetime:
        if not isinstance(value, str) or not _RFC3339.match(value):
            raise Invalid("not_an_instant")
        try:
            instant = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("not_an_instant") from None
        if not FIRST_YEAR <= instant.year <= LAST_YEAR:
            raise Invalid("out_of_range")
        return instant

    def from_text(self, text: str) -> datetime:
        # An unencoded "+" in a query string arrives as a space: take it back.
        return self.parse(_SPACED_OFFSET.sub(r"+\1", text))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


class ClockTime(Field):
    """A local time of day `HH:MM`; `24:00` only where an end is meant."""

    def __init__(self, *, allow_24: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.allow_24 = allow_24

    def parse(self, value: Any) -> int:
        if not isinstance(value, str):
            raise Invalid("not_a_time")
        try:
            return parse_hhmm(value, allow_24=self.allow_24)
        except ValueError:
            raise Invalid("not_a_time") from None

    def json_schema(self) -> dict[str, Any]:
        hours = r"([01]\d|2[0-3]):[0-5]\d"
        pattern = f"^({hours}|24:00)$" if self.allow_24 else f"^{hours}$"
        return {"type": "string", "pattern": pattern}


class Anything(Field):
    """Passed through untouched; the service reads it (e.g. booking times → `invalid_time`)."""

    def __init__(self, schema: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self._schema = schema

    def parse(self, value: Any) -> Any:
        if isinstance(value, str):
            _clean_text(value)
        return value

    def json_schema(self) -> dict[str, Any]:
        return dict(self._schema)


class Nullable(Field):
    def __init__(self, inner: Field, **kw: Any) -> None:
        super().__init__(**kw)
        self.inner = inner

    def parse(self, value: Any) -> Any:
        return None if value is None else self.inner.parse(value)

    def from_text(self, text: str) -> Any:
        return self.inner.from_text(text)

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [self.inner.schema(), {"type": "null"}]}


class ListOf(Field):
    def __init__(self, item: Field, *, max_items: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.item = item
        self.max_items = max_items

    def parse(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid("not_a_list")
        if len(value) > self.max_items:
            raise Invalid("too_many")
        items, errors = [], {}
        for i, element in enumerate(value):
            try:
                items.append(self.item.parse(element))
            except Invalid as problem:
                _collect(errors, str(i), problem)
        if errors:
            raise Invalid("invalid", errors)
        return items

    def from_text(self, text: str) -> list[Any]:
        # Query-string lists are comma-separated (OpenAPI style form, explode false).
        parts = text.split(",") if text else []
        if len(parts) > self.max_items:
            raise Invalid("too_many")
        return [self.item.from_text(part) for part in parts]

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema(), "maxItems": self.max_items}


class Object(Field):
    """A JSON object with known fields; unknown fields are refused by name."""

    def __init__(self, fields: Mapping[str, Field], *, required: tuple[str, ...] = (),
                 name: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.fields = dict(fields)
        self.required = tuple(required)
        self.name = name

    def parse(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid("not_an_object")
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for key in value:
            if key not in self.fields:
                errors[str(key)] = "unknown"
        for key, field in self.fields.items():
            if key not in value:
                if key in self.required:
                    errors[key] = "required"
                continue
            try:
                clean[key] = field.parse(value[key])
            except Invalid as problem:
                _collect(errors, key, problem)
        if errors:
            raise Invalid("invalid", errors)
        return clean

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {key: field.schema() for key, field in self.fields.items()},
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        return schema


def _collect(errors: dict[str, str], key: str, problem: Invalid) -> None:
    if problem.errors:
        for inner, code in problem.errors.items():
            errors[f"{key}.{inner}"] = code
    else:
        errors[key] = problem.code


# Reading a request ------------------------------------------------------------------------

MALFORMED_JSON = lazy_gettext("the body is not valid JSON")
NOT_JSON = lazy_gettext("the body must be JSON (Content-Type: application/json)")


def read_json(*, optional: bool) -> Any:
    """The request's JSON body; an empty body is MISSING when the body is optional."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return MISSING if optional else None
    mimetype = request.mimetype or ""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise DomainError("malformed", {"problem": NOT_JSON})
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise DomainError("malformed", {"problem": MALFORMED_JSON}) from None


def parse_body(spec: Field, *, optional: bool = False) -> Any:
    value = read_json(optional=optional)
    if value is MISSING:
        value = {}
    try:
        return spec.parse(value)
    except Invalid as problem:
        raise InvalidInput(problem.errors or {"body": problem.code}) from None


class Query:
    """Query-string parameters; unknown ones are ignored (caches and trackers add them)."""

    def __init__(self, params: Mapping[str, Field], *, required: tuple[str, ...] = ()) -> None:
        self.params = dict(params)
        self.required = tuple(required)

    def parse(self, args: Mapping[str, str]) -> dict[str, Any]:
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for name, field in self.params.items():
            text = args.get(name)
            if text is None:
                if name in self.required:
                    errors[name] = "required"
                continue
            try:
                clean[name] = field.from_text(_clean_text(text))
            except Invalid as problem:
                _collect(errors, name, problem)
        if errors:
            raise InvalidInput(errors)
        return clean

    def __add__(self, other: Query) -> Query:
        return Query({**self.params, **other.params}, required=self.required + other.required)
