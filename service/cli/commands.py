"""The ``apportion`` command line.

Human output is an aligned table with £ amounts and totals; ``--json`` prints exactly the HTTP
response body. Errors go to stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click
import marshmallow as ma

import allocations
import rules
from rules import forecast as forecasting
from service.ledger.errors import LedgerError
from service.wire import answers, requests
from service.wire.fields import flatten

__all__ = ["main"]


class CliError(click.ClickException):
    """An error shown as ``apportion: error: ...`` with exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"apportion: error: {self.message}", err=True)


def _fail(message: str) -> NoReturn:
    raise CliError(message)


def _ruleset(path: str | None) -> rules.Ruleset:
    try:
        return rules.load(path) if path else rules.default_ruleset()
    except rules.RulesetInvalid as error:
        _fail(f"ruleset {path}: {error}")


def _load(schema: ma.Schema, data: object) -> Any:
    try:
        return schema.load(data)  # type: ignore[arg-type]
    except ma.ValidationError as error:
        problems = flatten(error.messages)
        _fail("; ".join(f"{path}: {' '.join(texts)}" for path, texts in problems.items()))


def _domain(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except rules.RulesetInvalid as error:
        _fail("; ".join(f"{path}: {message}" for path, message in error.problems))
    except rules.RulesError as error:
        _fail(f"{error.field}: {error.message}" if error.field else error.message)
    except allocations.AllocationError as error:
        _fail(str(error))
    except LedgerError as error:
        _fail(f"{error.field}: {error.message}" if error.field else error.message)


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {path}: {error}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        _fail(f"{path} is not valid JSON: {error}")


def _money(text: str) -> str:
    """``"1234.50"`` -> ``"£1,234.50"`` (negative as ``-£5.00``)."""
    sign = "-" if text.startswith("-") else ""
    whole, _, pence = text.lstrip("-").partition(".")
    return f"{sign}£{int(whole):,}.{pence or '00'}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int],
           footer: Sequence[str] | None = None) -> str:
    every = [list(headers), *map(list, rows)] + ([list(footer)] if footer else [])
    widths = [max(len(row[i]) for row in every) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(headers), rule, *(line(row) for row in rows)]
    if footer:
        out += [rule, line(footer)]
    return "\n".join(out)


def _emit(as_json: bool, body: dict[str, Any], human: Callable[[dict[str, Any]], str]) -> None:
    if as_json:
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(human(body))


ruleset_option = click.option(
    "--ruleset", "ruleset_path", envvar="APPORTION_RULESET", default=None,
    type=click.Path(dir_okay=False), help="Ruleset file (default: the embedded default rules).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the HTTP JSON body.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """apportion: split CSP costs to the penny and allocate grant money."""


def _cost(text: str) -> dict[str, str]:
    item, sep, amount = text.partition("=")
    if not sep or not item or not amount:
        _fail(f"--cost {text!r}: write ITEM=AMOUNT, e.g. overview-author=4250.00")
    return {"item": item, "amount": amount}


def _dhr_human(body: dict[str, Any]) -> str:
    rows = [[s["name"], s["role"], s["fraction"] or "", _money(s["amount"]),
             "*" if s["remainder_penny"] else ""] for s in body["shares"]]
    head = (f"DHR costs for {body['district']} on {body['date']} under "
            f"{body['arrangement']['id']} (partners as of {body['governing_date']})")
    table = _table(["Organisation", "Role", "Share", "Amount", ""], rows, {2, 3},
                   ["Total", "", "", _money(body["total"]), ""])
    note = "* got a leftover penny (largest remainder; ties to the partner listed first)"
    return f"{head}\n\n{table}\n\n{note}" if any(s["remainder_penny"] for s in body["shares"]) \
        else f"{head}\n\n{table}"


@cli.command()
@click.option("--district", required=True, help="The victim's district, e.g. amber-valley.")
@click.option("--date", "on", required=True, help="Billing date, YYYY-MM-DD.")
@click.option("--cost", "costs", multiple=True, required=True, metavar="ITEM=AMOUNT",
              help="A cost item and amount, e.g. overview-author=4250.00 (repeatable).")
@click.option("--health-body", default=None, help="The relevant health commissioner's id.")
@click.option("--arrangement", default=None, help="Arrangement id (default: the one in force).")
@click.option("--commissioned", default=None, help="Commission date, if the arrangement uses it.")
@json_option
@ruleset_option
def dhr(district: str, on: str, costs: tuple[str, ...], health_body: str | None,
        arrangement: str | None, commissioned: str | None, as_json: bool,
        ruleset_path: str | None) -> None:
    """Split a Domestic Homicide Review's costs among the statutory partners."""
    data: dict[str, Any] = {"district": district, "date": on,
                            "costs": [_cost(text) for text in costs]}
    for key, value in (("health_body", health_body), ("arrangement", arrangement),
                       ("commissioned", commissioned)):
        if value is not None:
            data[key] = value
    loaded = _load(requests.DhrRequestSchema(), data)
    ruleset = _ruleset(ruleset_path)
    body = _domain(lambda: answers.apportionment_body(
        ruleset, rules.apportion(ruleset, answers.dhr_request(loaded))))
    _emit(as_json, body, _dhr_human)


def _fund_human(body: dict[str, Any]) -> str:
    line_ids = [line["line"] for line in body["lines"]]
    follows = body.get("follows") is not None
    rows = []
    for recipient in body["recipients"]:
        amounts = {entry["line"]: entry["amount"] for entry in recipient["lines"]}
        row = [recipient["name"], *(_money(amounts[i]) if i in amounts else ""
                                    for i in line_ids), _money(recipient["amount"])]
        if follows:
            previous = recipient.get("previous")
            row += [_money(previous) if previous else "-",
                    _money(_minus(recipient["amount"], previous or "0.00"))]
        rows.append(row)
    footer = ["Total", *(_money(line["amount"]) for line in body["lines"]),
              _money(body["allocated"])]
    headers = ["Recipient", *line_ids, "Total"]
    if follows:
        headers += [f"Previous ({body['follows']})", "Change"]
        footer += ["", ""]
    table = _table(headers, rows, set(range(1, len(headers))), footer)
    parts = [f"{body['name']} ({body['fund']}, {body['year']}): total {_money(body['total'])}, "
             f"allocated {_money(body['allocated'])}, unallocated "
             f"{_money(body['unallocated'])}", table, _explanations_human(body)]
    stages = _stages_human(body)
    if stages:
        parts.append(stages)
    for line in body["lines"]:
        if line.get("bids"):
            bid_rows = [[bid["bid"], bid["recipient"], _money(bid["requested"]),
                         "yes" if bid["approved"] else "no", _money(bid["awarded"])]
                        for bid in line["bids"]]
            parts.append(f"Bids on line {line['line']}:\n" + _table(
                ["Bid", "Recipient", "Requested", "Approved", "Awarded"], bid_rows, {2, 4}))
    for warning in body.get("warnings", []):
        parts.append(f"Warning ({warning['kind']}): {warning['recipient']}: {warning['detail']}")
    return "\n\n".join(parts)


def _minus(a: str, b: str) -> str:
    return allocations.format_money(allocations.parse_money(a, allow_negative=True)
                                    - allocations.parse_money(b, allow_negative=True))


def _explanations_human(body: dict[str, Any]) -> str:
    """Why each recipient got each line's amount: its fraction of the line and what held it."""
    rows = []
    for recipient in body["recipients"]:
        for entry in recipient["lines"]:
            notes = [{"floor": "held at the floor", "cap": "held at the cap",
                      "max-decrease": "damped: held at its largest allowed decrease",
                      "max-increase": "damped: held at its largest allowed increase"}[
                          entry["held"]]] if entry["held"] else []
            if entry["remainder_penny"]:
                notes.append("got a remainder penny")
            rows.append([recipient["name"], entry["line"], _money(entry["amount"]),
                         entry["fraction"] or "-", "; ".join(notes) or "exact share"])
    return "How each amount was reached:\n" + _table(
        ["Recipient", "Line", "Amount", "Fraction of line", "Explanation"], rows, {2})


def _stages_human(body: dict[str, Any]) -> str:
    rows = []
    conditions: dict[str, str] = {}
    for recipient in body["recipients"]:
        for stage in recipient.get("stages", []):
            rows.append([recipient["name"], stage["stage"], _money(stage["amount"]), stage["due"]])
            if stage["condition"]:
                conditions[stage["stage"]] = stage["condition"]
    if not rows:
        return ""
    notes = "".join(f"\nStage {stage} is paid once this condition is met: {condition}"
                    for stage, condition in conditions.items())
    return "Payment stages:\n" + _table(["Recipient", "Stage", "Amount", "Due"], rows, {2}) + notes


@cli.command()
@click.argument("fund_id", required=False)
@click.option("--file", "file", default=None, help="An inline fund definition (JSON; - = stdin).")
@json_option
@ruleset_option
def fund(fund_id: str | None, file: str | None, as_json: bool, ruleset_path: str | None) -> None:
    """Allocate a fund of the ruleset, or one defined in a JSON file."""
    if (fund_id is None) == (file is None):
        _fail("give a fund id or --file (one of them)")
    raw: Any = fund_id
    if file is not None:
        raw = _read_json(file)
        if isinstance(raw, dict) and set(raw) == {"fund"}:
            raw = raw["fund"]
    loaded = _load(requests.FundRequestSchema(), {"fund": raw})
    ruleset = _ruleset(ruleset_path)

    def run() -> dict[str, Any]:
        chosen = answers.fund_of(ruleset, answers.fund_reference(loaded["fund"]))
        return answers.fund_answer(ruleset, chosen)

    _emit(as_json, _domain(run), _fund_human)


def _whatif_human(body: dict[str, Any]) -> str:
    parts = []
    for key, title in (("organisations", "DHR costs by organisation"),
                       ("recipients", "Fund allocations by recipient")):
        if body[key]:
            rows = [[row["name"], _money(row["base"]), _money(row["scenario"]),
                     _money(row["delta"])] for row in body[key]]
            parts.append(f"{title}\n\n" + _table(["", "Base", "Scenario", "Delta"], rows,
                                                 {1, 2, 3}))
    totals = body["totals"]
    parts.append(_table(["", "Base", "Scenario", "Delta"], [[
        "Total", _money(totals["base"]), _money(totals["scenario"]), _money(totals["delta"])]],
        {1, 2, 3}))
    parts.append(_warnings_human(body["warnings"]))
    return "\n\n".join(parts)


_PARADOX_TITLES = {"alabama": "Alabama paradox", "population": "Population paradox",
                   "new-member": "New-member paradox"}


def _warnings_human(warnings: list[dict[str, Any]]) -> str:
    if not warnings:
        return "Warnings: none (no recipient moved against its exact share by rounding)"
    lines = [f"Warnings ({len(warnings)})"]
    for warning in warnings:
        lines.append(f"\n! {_PARADOX_TITLES.get(warning['kind'], warning['kind'])}: "
                     f"{warning['detail']}")
    return "\n".join(lines)


@cli.command()
@click.option("--file", "file", required=True,
              help="Scenario JSON: the body of POST /api/v1/scenarios/compare (- = stdin).")
@json_option
@ruleset_option
def whatif(file: str, as_json: bool, ruleset_path: str | None) -> None:
    """Compare DHR splits and fund allocations under a scenario's changes."""
    loaded = _load(requests.CompareRequestSchema(), _read_json(file))
    ruleset = _ruleset(ruleset_path)

    def run() -> dict[str, Any]:
        result = rules.compare(
            ruleset, answers.changes(loaded["changes"]),
            [answers.dhr_request(r) for r in loaded["dhr"]],
            [answers.fund_reference(f["fund"], f"funds.{i}.fund")
             for i, f in enumerate(loaded["funds"])])
        return answers.comparison_body(ruleset, result)

    _emit(as_json, _domain(run), _whatif_human)


def _organisations_human(body: dict[str, Any]) -> str:
    rows = [[o["id"], o["name"], o["kind"], "yes" if o["statutory"] else "no"]
            for o in body["organisations"]]
    return f"Organisations active on {body['date']}\n\n" + _table(
        ["Id", "Name", "Kind", "Statutory"], rows, set())


@cli.command()
@click.option("--date", "on", default=None, help="YYYY-MM-DD (default: today).")
@json_option
@ruleset_option
def organisations(on: str | None, as_json: bool, ruleset_path: str | None) -> None:
    """List the organisations active on a date and whether each is statutory."""
    query = _load(requests.OrganisationsQuerySchema(), {"date": on} if on else {})
    ruleset = _ruleset(ruleset_path)
    _emit(as_json, answers.organisations_body(ruleset, query.get("date") or date.today()),
          _organisations_human)


@cli.command()
@click.option("--host", default=lambda: os.environ.get("APPORTION_HOST", "127.0.0.1"),
              show_default="127.0.0.1 (APPORTION_HOST)")
@click.option("--port", default=lambda: int(os.environ.get("APPORTION_PORT", "8000")), type=int,
              show_default="8000 (APPORTION_PORT)")
@click.option("--workers", default=lambda: int(os.environ.get("APPORTION_WORKERS", "2")),
              type=click.IntRange(1, 64), show_default="2 (APPORTION_WORKERS)")
@click.option("--threads", default=lambda: int(os.environ.get("APPORTION_THREADS", "4")),
              type=click.IntRange(1, 64), show_default="4 (APPORTION_THREADS)",
              help="Threads per worker: requests one worker answers at once.")
@click.option("--timeout", default=lambda: int(os.environ.get("APPORTION_TIMEOUT", "30")),
              type=click.IntRange(5, 3600), show_default="30 (APPORTION_TIMEOUT)",
              help="Seconds before a stuck worker is restarted.")
@click.option("--access-log/--no-access-log",
              default=lambda: os.environ.get("APPORTION_ACCESS_LOG", "") in ("1", "true", "on"),
              show_default="off (APPORTION_ACCESS_LOG=1 turns it on)",
              help="Log every request (a JSON line with its request id) on standard error.")
@ruleset_option
def serve(host: str, port: int, workers: int, threads: int, timeout: int, access_log: bool,
          ruleset_path: str | None) -> None:
    """Run the service under gunicorn (a production WSGI server; see the README for the
    reverse proxy to put in front of it)."""
    from service.cli.server import run

    _domain(lambda: run(host, port, workers, ruleset_path, access_log, threads=threads,
                        timeout=timeout))


@cli.command()
@click.option("--year", required=True, help="Financial year, e.g. 2013-14.")
@click.option("--format", "fmt", type=click.Choice(["html", "csv", "xlsx", "json"]),
              default="html", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (- for standard output, text formats only).")
@ruleset_option
def report(year: str, fmt: str, output: str, ruleset_path: str | None) -> None:
    """Write the board report of a financial year (ledger: DATABASE_URL or the instance)."""
    from service.app import create_app
    from service.reports import board
    from service.reports.html import render_html

    def run() -> bytes:
        app = create_app(ruleset=ruleset_path)
        with app.app_context(), app.extensions["apportion.db"].session() as session:
            figures = board.board_report(session, app.extensions["apportion.ruleset"], year)
            if fmt == "csv":
                return board.report_csv(figures).encode()
            if fmt == "xlsx":
                return board.report_xlsx(figures)
            if fmt == "json":
                return json.dumps(board.report_json(figures), indent=2).encode()
            return render_html(figures).encode()

    try:
        board.year_bounds(year)
    except ValueError as error:
        _fail(f"--year: {error}")
    if output == "-" and fmt == "xlsx":
        _fail("an XLSX workbook needs a file: give -o FILE")
    data: bytes = _domain(run)
    if output == "-":
        click.echo(data.decode(), nl=False)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as error:
        _fail(f"cannot write {output}: {error}")
    click.echo(f"wrote {output} ({len(data):,} bytes)", err=True)


def _pairs(option: str, values: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for value in values:
        key, sep, given = value.partition("=")
        if not sep or not key or not given:
            _fail(f"{option} takes DISTRICT=VALUE, not {value!r}")
        found[key] = given
    return found


def _forecast_human(body: dict[str, Any]) -> str:
    ranged = any(row["low"] != row["high"] for row in body["organisations"])
    heads = ["Partner", "Low", "Expected", "High"] if ranged else ["Partner", "Expected"]

    def cells(row: dict[str, str]) -> list[str]:
        keys = ("low", "expected", "high") if ranged else ("expected",)
        return [_money(row[key]) for key in keys]

    totals = body["totals"]
    parts = [f"DHR forecast for {body['year']} ({body['from']} to {body['to']})", _table(
        heads, [[row["name"], *cells(row)] for row in body["organisations"]],
        set(range(1, len(heads))), ["Total", *cells(totals)])]
    cost = body["cost_per_review"]
    basis = (f"from the ledger's years {', '.join(body['history_years'])}"
             if body["history_years"] else "as given")
    review_rows = [[row["name"], row["low"], row["expected"], row["high"]]
                   for row in body["reviews"]]
    parts.append(f"Expected reviews per district ({basis})\n\n" + _table(
        ["District", "Low", "Expected", "High"], review_rows, {1, 2, 3}))
    parts.append("Cost per review: " + (
        f"{_money(cost['low'])} to {_money(cost['high'])}, expected {_money(cost['expected'])}"
        if cost["low"] != cost["high"] else _money(cost["expected"])))
    changes = [p for p in body["periods"] if p["from"] != body["from"] or p["to"] != body["to"]]
    if changes:
        parts.append("Membership changes within the year (each district's cost is shared by "
                     "days):\n" + "\n".join(
                         f"  {p['district']}: {p['from']} to {p['to']}: {', '.join(p['partners'])}"
                         for p in changes))
    return "\n\n".join(parts)


@cli.command()
@click.option("--year", required=True, help="Financial year, e.g. 2026-27.")
@click.option("--reviews", "reviews", multiple=True, metavar="DISTRICT=N",
              help="Expected reviews in a district (repeat; default: the ledger's history).")
@click.option("--cost-per-review", default=None,
              help="Cost of one review, e.g. 6000.00 (default: the ledger's average).")
@click.option("--health-body", "health_bodies", multiple=True, metavar="DISTRICT=ID",
              help="The health commissioner of a district several cover (repeat).")
@json_option
@ruleset_option
def forecast(year: str, reviews: tuple[str, ...], cost_per_review: str | None,
             health_bodies: tuple[str, ...], as_json: bool, ruleset_path: str | None) -> None:
    """Forecast each partner's DHR cost for a financial year (ledger: DATABASE_URL or the
    instance, for what is not given)."""
    from service.app import create_app
    from service.ledger.history import review_history

    data: dict[str, Any] = {"year": year}
    counts = _pairs("--reviews", reviews)
    if counts:
        data["reviews"] = {d: int(n) if n.isdigit() else n for d, n in counts.items()}
    if cost_per_review is not None:
        data["cost_per_review"] = cost_per_review
    if health_bodies:
        data["health_bodies"] = _pairs("--health-body", health_bodies)
    loaded = _load(requests.ForecastRequestSchema(), data)
    given = loaded.get("cost_per_review")
    pence = None if given is None else allocations.to_minor(given)

    def run() -> dict[str, Any]:
        ruleset = _ruleset(ruleset_path)
        history = None
        if forecasting.needs_history(loaded.get("reviews"), pence):
            app = create_app(ruleset=ruleset_path)
            with app.app_context(), app.extensions["apportion.db"].session() as session:
                history = review_history(session)
        result = forecasting.forecast_year(ruleset, year, loaded.get("reviews"), pence,
                                              history, date.today(),
                                              loaded.get("health_bodies"))
        return answers.forecast_body(ruleset, result)

    _emit(as_json, _domain(run), _forecast_human)


@cli.group()
def token() -> None:
    """Manage the bearer tokens of the ledger (DATABASE_URL, or the instance's SQLite file)."""


def _ledger_session() -> Any:
    """A session on the ledger (DATABASE_URL, or the instance's SQLite file), migrated,
    acting as the command line."""
    from service.app import create_app
    from service.ledger import audit

    app = create_app()
    session = app.extensions["apportion.db"].session()
    audit.act_as(session, "cli", "apportion (command line)")
    return session


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["viewer", "finance", "admin"]))
@click.option("--name", required=True, help="What the token is for, e.g. \"Jo Bloggs\".")
@click.option("--owner", default=None, help="Whose token it is (default: the name).")
@click.option("--days", default=90, show_default=True, type=int,
              help="Days until it expires (1 to 3660).")
def token_create(role: str, name: str, owner: str | None, days: int) -> None:
    """Create a token and print it once (only its digest is stored)."""
    from service.ledger.tokens import create_token, find_token

    def run() -> tuple[str, int]:
        with _ledger_session() as session:
            created = create_token(session, name, role, actor="apportion token create",
                                   owner=owner, days=days)
            row = find_token(session, created)
            session.commit()
        return created, row.id if row is not None else 0

    created, token_id = _domain(run)
    click.echo(created)
    click.echo(f"(token {token_id}: shown only now, keep it safe)", err=True)


def _tokens_human(body: dict[str, Any]) -> str:
    rows = [[str(t["id"]), t["name"], t["owner"], t["role"], t["created"] or "",
             t["expires"] or "never",
             "active" if t["active"] else ("revoked" if t["revoked"] else "expired")]
            for t in body["tokens"]]
    return _table(["Id", "Name", "Owner", "Role", "Created", "Expires", "State"], rows, {0})


@token.command("list")
@json_option
def token_list(as_json: bool) -> None:
    """List every token: id, name, owner, role, expiry and whether it is active."""
    from service.ledger.tokens import list_tokens

    def run() -> dict[str, Any]:
        with _ledger_session() as session:
            return {"tokens": list_tokens(session)}

    _emit(as_json, _domain(run), _tokens_human)


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def token_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID: it is refused from now on."""
    from service.ledger.tokens import revoke_token

    def run() -> dict[str, Any]:
        with _ledger_session() as session:
            revoked = revoke_token(session, token_id, actor="apportion token revoke")
            session.commit()
            return revoked

    revoked = _domain(run)
    click.echo(f"revoked token {revoked['id']} ({revoked['name']}, {revoked['role']})")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
def backup(file: str) -> None:
    """Write a consistent copy of the SQLite ledger to FILE, while the service runs
    (PostgreSQL: use pg_dump, see the README)."""
    from service.cli import backups

    _domain(lambda: backups.backup(_database_url(), Path(file)))
    click.echo(f"wrote {file}", err=True)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace a ledger that already holds data.")
def restore(file: str, force: bool) -> None:
    """Replace the SQLite ledger with the backup FILE (refused if the ledger holds data,
    unless --force). Stop the service first."""
    from service.cli import backups

    _domain(lambda: backups.restore(_database_url(), Path(file), force))
    click.echo(f"restored {file}", err=True)


def _database_url() -> str:
    from service.app import instance_path
    from service.ledger.database import default_url

    return os.environ.get("DATABASE_URL") or default_url(instance_path())


@cli.group()
def user() -> None:
    """Manage the accounts people sign in to the web app with."""


@user.command("create")
@click.option("--email", required=True, help="The person's email address (they sign in with it).")
@click.option("--name", required=True, help="Their name, e.g. \"Jo Bloggs\".")
@click.option("--role", required=True, type=click.Choice(["viewer", "finance", "admin"]))
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of making a one-time one.")
def user_create(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create an account and print its one-time password (only an Argon2 hash is stored)."""
    from service import accounts
    from service.app import create_app

    password = None
    if password_stdin:
        password = sys.stdin.read().rstrip("\r\n")

    def run() -> str:
        app = create_app()
        with app.extensions["apportion.db"].session() as session:
            try:
                created, given = accounts.create_user(session, email, name, role,
                                                      "apportion user create", password)
            except accounts.AccountInvalid as error:
                _fail(f"--{error.field.replace('_', '-')}: {error.message}")
            session.commit()
        return f"{created.email} ({created.role}) created" if password_stdin else given

    click.echo(_domain(run))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``apportion`` script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="apportion")
