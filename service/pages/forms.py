"""Forms on the pages: what the user typed, kept; errors per field for the error summary.

Validation is not repeated here: a form's values go through the same marshmallow request schema
as the JSON API (:func:`load`) and then the same domain function, and whatever either refuses
comes back as a message on the field it names (:meth:`Form.refuse`). The only parsing done here
is turning the GOV.UK date input's day, month and year into an ISO date, and tidying an amount
typed as ``£1,100`` into ``1100``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs
import marshmallow as ma
from werkzeug.datastructures import MultiDict

import allocations
import rules
from service.accounts import AccountInvalid
from service.http.problems import Rejected, flatten
from service.ledger.errors import LedgerError

__all__ = ["Form", "Invalid", "load", "load_query"]


class Invalid(Exception):
    """The form has errors (already recorded on it)."""


@attrs.define
class Form:
    """What the user typed (``values``), and an error message per field (``errors``, in the
    order found). ``anchors`` maps a field to the id of the input the summary links to (a date
    links to its day box)."""

    values: dict[str, str] = attrs.field(factory=dict)
    errors: dict[str, str] = attrs.field(factory=dict)
    anchors: dict[str, str] = attrs.field(factory=dict)
    labels: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def posted(cls, data: MultiDict[str, str], dates: tuple[str, ...] = (), **labels: str
               ) -> Form:
        """The posted form (without its CSRF token); ``dates`` are GOV.UK date inputs."""
        values = {k: v.strip() for k, v in data.items() if k != "csrf_token"}
        form = cls(values, labels=labels)
        for name in dates:
            form.anchors[name] = f"{name}-day"
        return form

    def require(self, **messages: str) -> None:
        """Record ``messages[field]`` for each field left empty (the Design System's "Enter
        ..." wording, before the schema's)."""
        for field, message in messages.items():
            if not self.get(field):
                self.error(field, message)

    def get(self, name: str, default: str = "") -> str:
        """The value typed for ``name``."""
        return self.values.get(name, default)

    def error(self, field: str, message: str) -> None:
        """Record ``message`` against ``field`` (the first message per field wins)."""
        self.errors.setdefault(field, message)

    def message(self, field: str) -> dict[str, str] | None:
        """The ``errorMessage`` option of a GOV.UK component, or None."""
        return {"text": self.errors[field]} if field in self.errors else None

    def summary(self) -> list[dict[str, str]]:
        """The error summary's list: each message linking to its field, in the order the
        fields come on the page (the order the browser posted them)."""
        order = {name: index for index, name in enumerate(self.values)}
        links = [(self.anchors.get(field, field), text) for field, text in self.errors.items()]
        links.sort(key=lambda link: order.get(link[0], len(order)))
        return [{"text": text, "href": "#" + anchor} for anchor, text in links]

    def check(self) -> None:
        """Raise :class:`Invalid` if any error was recorded."""
        if self.errors:
            raise Invalid()

    def date(self, name: str, label: str) -> str | None:
        """The ISO date typed in the GOV.UK date input ``name`` (its day, month and year
        boxes), or None after recording an error in the Design System's words."""
        parts = [self.get(f"{name}-{part}") for part in ("day", "month", "year")]
        if not any(parts):
            self.error(name, f"Enter {label}")
            return None
        missing = [part for part, value in zip(("day", "month", "year"), parts, strict=True)
                   if not value]
        if missing:
            self.error(name, f"{label.capitalize()} must include a {' and '.join(missing)}")
            return None
        try:
            day, month, year = (int(p) for p in parts)
            if year < 1000:
                raise ValueError
            return date(year, month, day).isoformat()
        except (ValueError, OverflowError):
            self.error(name, f"{label.capitalize()} must be a real date")
            return None

    def amount(self, name: str, label: str) -> str | None:
        """An amount of money as typed, tidied (``£1,100`` -> ``1100``), or None with an error
        if left empty. The schema decides whether it is valid."""
        text = self.get(name).replace(",", "").replace("£", "").replace(" ", "")
        if not text:
            self.error(name, f"Enter {label}")
            return None
        return text

    def refuse(self, error: Exception, fields: Mapping[str, str] | None = None,
               default: str = "") -> None:
        """Record a refusal from a schema or the domain against the fields it names.

        Args:
            error: a ledger, rules or allocations error, AccountInvalid, or :class:`Rejected`.
            fields: maps a field path from the schema or domain to this form's field.
            default: the field to blame when the error names none of the form's fields.
        """
        fields = fields or {}
        messages: dict[str, list[str]] = {}
        if isinstance(error, Rejected):
            messages = error.errors or {"body": [error.detail]}
            if error.status != 422:  # conflicts and unknown ids: the detail says more
                messages = {key: [error.detail] for key in messages}
        elif isinstance(error, (LedgerError, rules.RulesError)):
            messages = {error.field or "body": [error.message]}
        elif isinstance(error, AccountInvalid):
            messages = {error.field: [error.message]}
        elif isinstance(error, allocations.AllocationError):
            messages = {"body": [str(error)]}
        elif isinstance(error, ma.ValidationError):
            messages = flatten(error.messages)
        else:
            raise error
        for path, texts in messages.items():
            field = fields.get(path, path if path in self.values or path in self.anchors
                               else default or next(iter(self.values), "body"))
            label = self.labels.get(field)
            text = " ".join(texts)
            self.error(field, _sentence(f"{label}: {text}" if label and label.lower()
                                        not in text.lower() else text))


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:]


def load(schema: ma.Schema, data: Mapping[str, Any], form: Form,
         fields: Mapping[str, str] | None = None) -> Any:
    """``schema.load(data)``; record each message it refuses on ``form``, and raise
    :class:`Invalid` if the form has any error (found here or before)."""
    try:
        loaded = schema.load(dict(data))
    except ma.ValidationError as error:
        form.refuse(error, fields)  # a field's earlier, plainer message is kept
        raise Invalid() from None
    form.check()
    return loaded


def load_query(schema: ma.Schema, form: Form) -> Any:
    """Load a page's query string (the non-empty values of ``form``) with ``schema``;
    whatever it refuses is recorded on ``form`` and left out (the page shows the rest)."""
    try:
        return schema.load({k: v for k, v in form.values.items() if v})
    except ma.ValidationError as error:
        form.refuse(error, {"from_": "from"})
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
        return valid
