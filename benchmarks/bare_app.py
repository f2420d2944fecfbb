"""The baseline of benchmarks/service.py: a bare Flask endpoint that parses the same JSON and
returns an answer of the same shape and size as POST /api/v1/dhr/apportion (six shares with
names, reasons and the arrangement's source, and the same response headers: the security
headers and a request id every answer of the service carries), with no validation, rules,
money arithmetic, or header logic.

``python benchmarks/bare_app.py PORT WORKERS`` serves it under the gunicorn settings of
``apportion serve`` (:func:`service.cli.server.gunicorn_options`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flask import Flask, request

app = Flask(__name__)

# Texts as long as the real answer's for the benchmark's request (checked by the benchmark).
SOURCE = "s" * 411
NAMES = ["Derbyshire Constabulary", "Derbyshire County Council", "Derbyshire Probation Trust",
         "Derbyshire Fire & Rescue Service", "NHS Southern Derbyshire CCG",
         "Amber Valley Borough Council"]
ORGANISATIONS = [f"partner-{'x' * (len(name) - 8)}" for name in NAMES]
LUCKY = ("got one of the 2 leftover pennies: its remainder of 1/3 of a penny is among the 2 "
         "largest (ties go to the party listed first)")
UNLUCKY = ("no leftover penny: its remainder of 1/3 of a penny is not among the 2 largest "
           "(ties go to the party listed first)")


# The headers of the service's answer (service.http.hardening), as constant text.
HEADERS = [
    ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; "
     "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
     "frame-ancestors 'none'"),
    ("Cache-Control", "no-store"), ("X-Request-Id", "0" * 32)]


@app.post("/api/v1/dhr/apportion")
def apportion() -> tuple[dict[str, Any], int, list[tuple[str, str]]]:
    body = request.get_json()
    total = body["costs"][0]["amount"]
    return {
        "currency": "GBP", "total": total, "date": body["date"], "governing_date": body["date"],
        "district": body["district"], "health_body": "southern-derbyshire-ccg",
        "arrangement": {"id": "derbyshire-dhr", "name": "Derbyshire Domestic Homicide Review "
                        "cost sharing", "source": SOURCE},
        "shares": [{"organisation": ORGANISATIONS[i], "name": NAMES[i], "role": f"role-{i:010d}",
                    "amount": total[:-1] + "4", "fraction": "1/6", "remainder_penny": i < 2,
                    "reason": LUCKY if i < 2 else UNLUCKY} for i in range(6)],
    }, 200, HEADERS


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from service.cli.server import gunicorn_options, serve_app

    serve_app(app, gunicorn_options("127.0.0.1", int(sys.argv[1]), int(sys.argv[2])))
