"""The baseline of benchmarks/service.py: a bare Flask endpoint that parses the same JSON and
returns a body of the same shape as POST /api/v1/dhr/apportion, with no validation or rules."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

app = Flask(__name__)


@app.post("/api/v1/dhr/apportion")
def apportion() -> dict[str, Any]:
    body = request.get_json()
    total = body["costs"][0]["amount"]
    return {
        "currency": "GBP", "total": total, "date": body["date"], "governing_date": body["date"],
        "district": body["district"], "health_body": None,
        "arrangement": {"id": "arrangement", "name": "Arrangement", "source": "source"},
        "shares": [{"organisation": f"partner-{i}", "name": f"Partner {i}", "role": f"role-{i}",
                    "amount": total, "fraction": "1/6", "remainder_penny": i < 2,
                    "reason": "got one of the 2 leftover pennies"} for i in range(6)],
    }
