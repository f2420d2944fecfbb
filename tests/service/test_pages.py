"""The web app through Flask's test client: accounts, sessions, CSRF, roles, headers, forms.

The pages in a real browser (with axe-core) are in ``tests/browser``."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from service import accounts
from service.accounts import users
from service.cli.commands import cli
from service.ledger import audit
from service.ledger.tables import SignInSession, User
from service.pages.formats import MINUS, long_date, money
from tests.service.conftest import PASSWORD, Ledger, csrf_token


def _form(client: FlaskClient, path: str, data: dict[str, str], page: str | None = None
          ) -> tuple[int, str, str]:
    response = client.post(path, data={"csrf_token": csrf_token(client, page or path), **data})
    return response.status_code, response.headers.get("Location", ""), response.get_data(
        as_text=True)


def _summary(html: str) -> list[tuple[str, str]]:
    """The error summary's (link, message) pairs."""
    summary = html.split('class="govuk-error-summary', 1)
    assert len(summary) == 2, "no error summary"
    return [(href, re.sub(r"\s+", " ", text).strip()) for href, text in re.findall(
        r'<a href="(#[^"]+)">(.*?)</a>', summary[1].split("</ul>", 1)[0], re.S)]


def test_signing_in_starts_a_server_side_session_and_signing_out_ends_it(ledger: Ledger
                                                                         ) -> None:
    client = ledger.client()
    assert client.get("/cases").headers["Location"] == "/sign-in?next=/cases"
    ledger.sign_in("finance", client)
    cookie = client.get_cookie("apportion_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # plain HTTP here; Secure behind HTTPS (next test)
    with ledger.app.extensions["apportion.db"].session() as session:
        stored = session.scalars(select(SignInSession.digest)).all()
    assert len(stored) == 1 and cookie.value not in stored[0]  # only a digest is stored
    assert client.get("/cases").status_code == 200
    status, location, _ = _form(client, "/sign-out", {}, "/cases")
    assert (status, location) == (303, "/signed-out")
    with ledger.app.extensions["apportion.db"].session() as session:
        assert session.scalars(select(SignInSession)).all() == []
    # the old id is useless even if a copy of the cookie was kept
    client.set_cookie("apportion_session", cookie.value)
    assert client.get("/cases").status_code == 303


def test_the_session_cookie_is_secure_behind_https(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.sign_in("viewer")  # makes the account
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(
        "/sign-in", base_url="https://localhost").get_data(as_text=True))
    assert token
    data = {"email": "viewer@example.org", "password": PASSWORD, "csrf_token": token.group(1)}
    # over HTTPS the form must also come from this site (Referer checked)
    assert client.post("/sign-in", base_url="https://localhost", data=data).status_code == 400
    response = client.post("/sign-in", base_url="https://localhost", data=data,
                           headers={"Referer": "https://localhost/sign-in"})
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]


def test_an_idle_session_expires_and_sign_in_returns_to_the_page_asked_for(ledger: Ledger
                                                                           ) -> None:
    client = ledger.sign_in("finance")
    with ledger.app.extensions["apportion.db"].session() as session:
        session.execute(update(SignInSession).values(
            last_seen=audit.now() - timedelta(minutes=31)))
        session.commit()
    response = client.get("/partners?from=2013-04-01")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=/partners?from%3D2013-04-01"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/partners?from=2013-04-01"' in page
    status, location, _ = _form(client, "/sign-in", {
        "email": "finance@example.org", "password": PASSWORD,
        "next": "/partners?from=2013-04-01"})
    assert (status, location) == (303, "/partners?from=2013-04-01")
    # never a redirect to another site
    ledger.client()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        other = ledger.client()
        status, location, _ = _form(other, "/sign-in", {
            "email": "finance@example.org", "password": PASSWORD, "next": target})
        assert (status, location) == (303, "/")


def test_failed_sign_ins_are_slowed_then_refused(ledger: Ledger) -> None:
    start = audit.now()
    with ledger.app.extensions["apportion.db"].session() as session:
        accounts.create_user(session, "jo@example.org", "Jo", "viewer", "test", PASSWORD)
        session.commit()
        for attempt in range(users.FREE_FAILURES):
            with pytest.raises(accounts.SignInRefused) as refused:
                accounts.authenticate(session, "jo@example.org", "wrong", start)
            assert refused.value.retry_after == 0, attempt
        # slowed: the next attempt must wait, even with the right password
        with pytest.raises(accounts.SignInRefused) as refused:
            accounts.authenticate(session, "jo@example.org", PASSWORD, start)
        assert refused.value.retry_after == 1
        when, waits, failures = start, [], users.FREE_FAILURES
        while failures < users.MAX_FAILURES:
            with pytest.raises(accounts.SignInRefused) as refused:
                accounts.authenticate(session, "JO@example.org", "wrong", when)
            if refused.value.retry_after:
                waits.append(refused.value.retry_after)
                when += timedelta(seconds=refused.value.retry_after)
            else:
                failures += 1
        assert waits == [2 ** n for n in range(users.MAX_FAILURES - users.FREE_FAILURES)]
        # limited: now even the right password is refused until the window moves on
        with pytest.raises(accounts.SignInRefused) as refused:
            accounts.authenticate(session, "jo@example.org", PASSWORD, when)
        assert refused.value.retry_after > 60
        later = start + timedelta(seconds=sum(waits))
        # the right password after the window: signed in, and the failures forgotten
        user = accounts.authenticate(session, "jo@example.org", PASSWORD,
                                     later + users.WINDOW + timedelta(seconds=1))
        assert user.email == "jo@example.org"
        assert users.failure_count(session, "jo@example.org") == 0


def test_sign_in_errors_use_the_error_summary_and_keep_the_email(ledger: Ledger) -> None:
    ledger.sign_in("viewer")
    client = ledger.client()
    status, _, html = _form(client, "/sign-in", {"email": "viewer@example.org",
                                                 "password": "not it"})
    assert status == 400
    assert _summary(html) == [("#email", "Enter a correct email address and password")]
    assert 'value="viewer@example.org"' in html and "not it" not in html
    assert "<title>Error: Sign in \u2013 apportion</title>" in html
    status, _, html = _form(client, "/sign-in", {"email": "", "password": ""})
    assert [href for href, _ in _summary(html)] == ["#email", "#password"]


def test_every_form_needs_its_csrf_token(ledger: Ledger) -> None:
    client = ledger.sign_in("finance")
    response = client.post("/cases/new", data={"reference": "DHR-1", "district": "erewash",
                                               "commissioned-day": "1",
                                               "commissioned-month": "6",
                                               "commissioned-year": "2013"})
    assert response.status_code == 400 and "Your form has expired" in response.get_data(
        as_text=True)
    wrong = client.post("/sign-out", data={"csrf_token": "forged"})
    assert wrong.status_code == 400
    assert client.get("/cases").status_code == 200  # still signed in
    assert client.get("/cases/DHR-1").status_code == 404


def test_a_viewer_sees_no_finance_buttons_and_is_refused_if_posting_anyway(ledger: Ledger
                                                                           ) -> None:
    finance = ledger.sign_in("finance")
    _form(finance, "/cases/new", {"reference": "DHR/2013/01", "district": "erewash",
                                  "commissioned-day": "1", "commissioned-month": "6",
                                  "commissioned-year": "2013"})
    viewer = ledger.sign_in("viewer")
    case = viewer.get("/cases/DHR/2013/01").get_data(as_text=True)
    assert "Case DHR/2013/01" in case
    for button in ("Add cost", "Preview billing", "Open a case"):
        assert button not in case
    assert "Open a case" not in viewer.get("/cases").get_data(as_text=True)
    assert viewer.get("/cases/new").status_code == 403
    token = csrf_token(viewer, "/cases")
    for path in ("/cases/new", "/cases/DHR/2013/01/costs", "/cases/DHR/2013/01/billing",
                 "/payments", "/admin/users", "/admin/tokens"):
        response = viewer.post(path, data={"csrf_token": token, "reference": "X"})
        assert response.status_code == 403, path
    assert viewer.get("/admin/audit").status_code == 403


def test_bad_input_comes_back_with_the_error_summary_and_the_input_kept(ledger: Ledger
                                                                        ) -> None:
    client = ledger.sign_in("finance")
    status, _, html = _form(client, "/cases/new", {
        "reference": "DHR 2013 01", "district": "", "commissioned-day": "31",
        "commissioned-month": "2", "commissioned-year": "2013"})
    assert status == 400
    assert [href for href, _ in _summary(html)] == ["#reference", "#district",
                                                    "#commissioned-day"]
    assert 'value="DHR 2013 01"' in html and 'value="31"' in html
    status, location, _ = _form(client, "/cases/new", {
        "reference": "DHR-2013-02", "district": "amber-valley", "commissioned-day": "1",
        "commissioned-month": "11", "commissioned-year": "2012"}, "/cases/new")
    assert (status, location) == (303, "/cases/DHR-2013-02")
    # the ledger's refusals land on the field too
    status, _, html = _form(client, "/cases/new", {
        "reference": "DHR-2013-02", "district": "amber-valley", "commissioned-day": "1",
        "commissioned-month": "11", "commissioned-year": "2012"})
    assert status == 400 and _summary(html)[0][0] == "#reference"
    assert "already exists" in _summary(html)[0][1]
    status, _, html = _form(client, "/cases/DHR-2013-02/costs", {
        "item": "overview-author", "amount": "12.345", "incurred-day": "20",
        "incurred-month": "4", "incurred-year": "2013"}, "/cases/DHR-2013-02")
    assert status == 400 and _summary(html) == [("#amount",
                                                 "12.345 has more than 2 decimal places")]
    assert 'value="12.345"' in html


def test_billing_is_previewed_then_confirmed(ledger: Ledger) -> None:
    client = ledger.sign_in("finance")
    _form(client, "/cases/new", {"reference": "DHR-2013-02", "district": "amber-valley",
                                 "commissioned-day": "1", "commissioned-month": "11",
                                 "commissioned-year": "2012"})
    _form(client, "/cases/DHR-2013-02/costs", {
        "item": "overview-author", "amount": "£4,250.00", "incurred-day": "20",
        "incurred-month": "4", "incurred-year": "2013"}, "/cases/DHR-2013-02")
    status, _, html = _form(client, "/cases/DHR-2013-02/billing/preview", {
        "date-day": "1", "date-month": "5", "date-year": "2013"}, "/cases/DHR-2013-02")
    assert status == 200 and "Check the billing before it is issued" in html
    assert re.findall(r"£708\.3[34]", html) == ["£708.34"] * 2 + ["£708.33"] * 4
    assert "INV-" not in client.get("/cases/DHR-2013-02").get_data(as_text=True)
    status, location, _ = _form(client, "/cases/DHR-2013-02/billing", {"date": "2013-05-01"},
                                "/cases/DHR-2013-02")
    assert status == 303
    case = client.get(location).get_data(as_text=True)
    assert len(set(re.findall(r"INV-\d{6}", case))) == 6
    assert "1 May 2013" in case


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2))
def test_money_is_written_with_pound_sign_thousands_and_a_true_minus(amount: Decimal) -> None:
    text = money(amount)
    assert text.startswith(MINUS + "£" if amount < 0 else "£")
    assert Decimal(text.replace(MINUS, "-").replace("£", "").replace(",", "")) == amount
    assert money(str(amount)) == text


def test_dates_are_written_day_month_year() -> None:
    assert long_date("2013-04-01") == "1 April 2013"
    assert money("-12.34") == "\u2212£12.34" and money("1234.56") == "£1,234.56"


def test_user_create_prints_a_one_time_password(ledger: Ledger) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": ledger.app.config["DATABASE_URL"]}
    result = runner.invoke(cli, ["user", "create", "--email", "Ann@Example.org", "--name",
                                 "Ann Admin", "--role", "admin"], env=env)
    assert result.exit_code == 0, result.output
    password = result.output.strip()
    assert len(password) >= 16
    with ledger.app.extensions["apportion.db"].session() as session:
        assert accounts.authenticate(session, "ann@example.org", password).role == "admin"
        assert session.scalar(select(User.password_hash)).startswith("$argon2id$")
    again = runner.invoke(cli, ["user", "create", "--email", "ann@example.org", "--name", "A",
                                "--role", "admin"], env=env)
    assert again.exit_code == 2 and "already has an account" in again.output
    given_password = runner.invoke(cli, ["user", "create", "--email", "b@example.org",
                                         "--name", "B", "--role", "viewer",
                                         "--password-stdin"], env=env,
                                   input="a long enough password\n")
    assert given_password.exit_code == 0 and "a long enough" not in given_password.output


def test_security_headers(ledger: Ledger) -> None:
    client = ledger.sign_in("viewer")
    for path in ("/", "/cases", "/calculator", "/sign-in"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "http" not in policy  # no other host
        assert response.headers["X-Frame-Options"] == "DENY"
        if response.status_code == 200:
            # The page's inline code carries the nonce its policy names (made for it).
            nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
            assert f'nonce="{nonce}"' in response.get_data(as_text=True)
            assert "sha256-" not in policy
    assert client.get("/cases").headers["Cache-Control"] == "no-store"
    assert client.get("/assets/govuk-frontend.min.css").status_code == 200
    assert client.get("/assets/fonts/bold-b542beb274-v2.woff2").status_code == 200


_FIELDS = {
    "/cases/new": ["reference", "district", "commissioned-day", "commissioned-month",
                   "commissioned-year", "health_body"],
    "/cases/DHR-FUZZ/costs": ["item", "amount", "incurred-day", "incurred-month",
                              "incurred-year"],
    "/cases/DHR-FUZZ/billing/preview": ["date-day", "date-month", "date-year"],
    "/cases/DHR-FUZZ/billing": ["date"],
    "/cases/DHR-FUZZ/rebill/preview": ["rebill-date-day", "rebill-date-month",
                                       "rebill-date-year"],
    "/cases/DHR-FUZZ/rebill": ["date"],
    "/cases/DHR-FUZZ/costs/1": ["amount"],
    "/payments": ["document", "date-day", "date-month", "date-year"],
    "/calculator": ["district", "date-day", "date-month", "date-year", "cost-overview-author",
                    "cost-panel-chair", "health_body"],
    "/what-if": ["change", "arrangement", "contributor", "contribution-item", "percent", "cap",
                 "ended", "end-day", "district", "date-day", "date-month", "date-year",
                 "cost-overview-author", "fund", "fund-total", "format"],
    "/admin/users": ["name", "email", "role"],
    "/admin/users/1": ["role", "active"],
    "/admin/tokens": ["name", "role"],
}
_VALUES = st.one_of(st.sampled_from(["", "0", "-1", "31", "2013", "1e9", "99999999999999",
                                     "amber-valley", "high-peak", "overview-author", "1.005",
                                     "£1,000", "INV-000001", "csv", "xlsx", "admin",
                                     "contribution", "end-organisation", "fund-total",
                                     "home-office-csf-2012-13", "2013-05-01", "../..", "\x00"]),
                    st.text(max_size=40))


def test_no_form_input_however_bad_gives_a_server_error(tmp_path_factory: pytest.TempPathFactory
                                                        ) -> None:
    from tests.service.conftest import make_ledger

    ledger = make_ledger("sqlite", tmp_path_factory.mktemp("fuzz"), None)
    client = ledger.sign_in("admin")
    _form(client, "/cases/new", {"reference": "DHR-FUZZ", "district": "amber-valley",
                                 "commissioned-day": "1", "commissioned-month": "11",
                                 "commissioned-year": "2012"})
    _form(client, "/cases/DHR-FUZZ/costs", {
        "item": "overview-author", "amount": "4250", "incurred-day": "20",
        "incurred-month": "4", "incurred-year": "2013"}, "/cases/DHR-FUZZ")
    token = csrf_token(client, "/cases")

    @settings(max_examples=300, deadline=None)  # each example is a full request
    @given(st.sampled_from(sorted(_FIELDS)), st.data())
    def post(path: str, data: st.DataObject) -> None:
        form = {name: data.draw(_VALUES, label=name) for name in _FIELDS[path]}
        response = client.post(path, data={"csrf_token": token, **form})
        assert response.status_code < 500, (path, form, response.get_data(as_text=True)[:500])

    try:
        post()
    finally:
        ledger.dispose()


def test_an_admin_manages_accounts_but_cannot_lock_themself_out(ledger: Ledger) -> None:
    client = ledger.sign_in("admin")
    status, _, html = _form(client, "/admin/users", {"name": "Pat", "email": "pat@example.org",
                                                     "role": "finance"})
    assert status == 201
    found = re.search(r'id="one-time-password">([^<]+)<', html)
    assert found
    with ledger.app.extensions["apportion.db"].session() as session:
        assert accounts.authenticate(session, "pat@example.org", found.group(1)).role == \
            "finance"
        session.commit()
        pat = session.scalar(select(User.id).where(User.email == "pat@example.org"))
        me = session.scalar(select(User.id).where(User.email == "admin@example.org"))
    status, _, html = _form(client, "/admin/users", {"name": "", "email": "nope",
                                                     "role": "finance"})
    assert status == 400 and [h for h, _ in _summary(html)] == ["#email"]
    status, _, html = _form(client, f"/admin/users/{me}", {"role": "viewer", "active": "yes"},
                            "/admin/users")
    assert status == 400 and _summary(html)[0][0] == f"#role-{me}"
    status, location, _ = _form(client, f"/admin/users/{pat}", {"role": "finance",
                                                                "active": "no"},
                                "/admin/users")
    assert (status, location) == (303, "/admin/users")
    with ledger.app.extensions["apportion.db"].session() as session, \
            pytest.raises(accounts.SignInRefused):
        accounts.authenticate(session, "pat@example.org", found.group(1))
    assert client.get("/admin/users").status_code == 200  # still an admin


def test_an_admin_creates_lists_and_revokes_tokens(ledger: Ledger) -> None:
    client = ledger.sign_in("admin")
    status, _, html = _form(client, "/admin/tokens", {"name": "", "role": "viewer",
                                                      "days": "0"})
    assert status == 400 and [h for h, _ in _summary(html)] == ["#name"]
    for days in ("0", "3661", "\u00b2", "ten"):  # the ledger's limit; a superscript 2 is no number
        status, _, html = _form(client, "/admin/tokens", {"name": "Import", "role": "viewer",
                                                          "days": days})
        assert status == 400 and _summary(html)[0][0] == "#days", days
    status, _, html = _form(client, "/admin/tokens", {"name": "Finance system import",
                                                      "owner": "Jo Bloggs", "role": "viewer",
                                                      "days": "30"})
    assert status == 201
    found = re.search(r'id="token">([^<]+)<', html)
    assert found
    token = found.group(1)
    assert client.get("/api/v1/cases", headers={
        "Authorization": f"Bearer {token}"}).status_code == 200
    listed = client.get("/admin/tokens").get_data(as_text=True)
    assert "Finance system import" in listed and "Jo Bloggs" in listed
    ids = re.findall(r"/admin/tokens/(\d+)/revoke", listed)
    assert len(ids) == 4  # the three test tokens and this one
    status, location, _ = _form(client, f"/admin/tokens/{ids[-1]}/revoke", {}, "/admin/tokens")
    assert (status, location) == (303, "/admin/tokens")
    assert "Revoked" in client.get("/admin/tokens").get_data(as_text=True)
    assert client.get("/api/v1/cases", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401
    status, _, html = _form(client, f"/admin/tokens/{ids[-1]}/revoke", {}, "/admin/tokens")
    assert status == 409 and "revoked already" in html
    status, _, _ = _form(client, "/admin/tokens/999999/revoke", {}, "/admin/tokens")
    assert status == 404
