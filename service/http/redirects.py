"""Where a sign-in may send the browser next: only a path of this app, and only characters a
``Location`` header can carry (a CR or LF, a backslash, a scheme or ``//host`` is refused and
the default used instead)."""

from __future__ import annotations

import re

__all__ = ["safe_next"]

_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]{0,500}")


def safe_next(target: str | None, default: str, prefix: str = "/") -> str:
    """``target`` if it is a local path under ``prefix`` that is safe in a header, else
    ``default``."""
    if (target and _LOCAL_PATH.fullmatch(target) and target.startswith(prefix)
            and "//" not in target):
        return target
    return default
