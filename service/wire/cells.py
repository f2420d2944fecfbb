"""Cells of exported spreadsheets (CSV and XLSX), made safe whatever text they hold.

* Formula injection: a text starting with ``= + - @``, a tab or a carriage return gets a
  leading apostrophe (plain numbers, such as a negative amount, are left as they are).
* Control characters (other than tab, line feed and carriage return) cannot be stored in an
  XLSX cell and break some CSV readers: each becomes U+FFFD, so no name, reference or note
  can break an export.
"""

from __future__ import annotations

import re

__all__ = ["cell"]

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """``value`` as an export cell: text made safe (see the module), anything else as is."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("\ufffd", value)
    if text[:1] in _FORMULA_START and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
