"""Hostile text typed into the portal: dataset names that try to climb out of the partner's
folder, HTML and script in names and descriptions, and SQL in every field that takes text. None
of it escapes, runs, or changes anything but the partner's own dataset."""
import html
import re
import secrets
from urllib.parse import quote

import pytest

from support.fresh import new_partner
from support.front import front_clients, login_attempts
from support.markdown import text_problems
from support.logins import create_staff_user, login
from support.streamlit_session import StreamlitSession
from support.summary import count
from support.uploads import form_errors, get_from_back_network, internal_catalog, small_csv, stored_state, upload

BAD_INPUTS = "bad inputs tried"


@pytest.fixture(scope="module")
def climber(stack):
    partner = new_partner(stack, "climber")
    return partner.slug, partner.session


# (dataset name, uploaded file name); an empty name takes the file's.
CLIMBING_NAMES = [
    ("../../x", "data.csv"),
    ("../other-partner/x", "data.csv"),
    ("/etc/passwd", "data.csv"),
    ("..\\..\\windows\\x", "data.csv"),
    ("x/../../../y", "data.csv"),
    ("%2e%2e%2f%2e%2e%2fx", "data.csv"),
    ("....//....//x", "data.csv"),
    (".incoming-x.parquet", "data.csv"),
    ("nul\x00byte", "data.csv"),
    ("", "../../evil.csv"),
    ("", "..\\..\\evil.csv"),
    ("", "/etc/cron.d/evil.csv"),
]


@pytest.mark.parametrize("name, filename", CLIMBING_NAMES, ids=[repr(n or f) for n, f in CLIMBING_NAMES])
def test_a_dataset_name_never_leads_out_of_the_partners_folder(stack, request, climber, name, filename):
    count(request.config, BAD_INPUTS, "path traversal in dataset names", 1)
    slug, session = climber
    before = stored_state(stack)
    response = upload(session, stack.url, small_csv(tag=secrets.token_hex(2)), name=name, filename=filename)
    assert response.status_code in (200, 302), response.status_code
    after = stored_state(stack)
    added = set(after["files"]) - set(before["files"])
    changed = [path for path in before["files"] if after["files"].get(path) != before["files"][path]]
    assert not changed, f"files changed: {changed}"
    assert all(re.fullmatch(rf"{slug}/[0-9a-f]{{32}}\.parquet", path) for path in added), added
    if response.status_code == 200:
        assert form_errors(response.text) and not added, "a refused upload stored a file"
        return
    (stored,) = [d for d in internal_catalog(stack, slug)["datasets"] if d["path"] in added]
    if name:
        assert stored["name"] == name, "a dataset's name is plain text, kept as typed"
    else:
        assert not {"/", "\\"} & set(stored["name"]), f"the file's folders stayed in its name: {stored['name']!r}"
    for page in ("", "download/", "delete/"):
        assert session.get(f"{stack.url}/datasets/{stored['id']}/{page}").status_code == 200


HOSTILE = [
    ('<script>alert("{marker}")</script>', '<img src=x onerror=alert("{marker}")><b>bold</b>'),
    ("[Log in again {marker}](https://evil.example/login)",
     '![pixel](https://evil.example/{marker}.png) <a href="https://evil.example">{marker}</a>'),
    ('<iframe src="https://evil.example/{marker}"></iframe> www.evil.example',
     "# Heading {marker} <style>body{{display:none}}</style> [ref]: https://evil.example/"),
]


def markdown_bodies(elements):
    """The Markdown of every element Streamlit drew: titles, texts, captions, messages, metric labels."""
    bodies = []
    for element in elements:
        kind = element.WhichOneof("type")
        if kind in ("markdown", "heading", "alert"):
            bodies.append(getattr(element, kind).body)
        elif kind == "metric":
            bodies.append(element.metric.label)
    return bodies


@pytest.mark.parametrize("name, description", HOSTILE)
def test_html_and_script_in_names_and_descriptions_are_shown_as_text(stack, request, name, description):
    count(request.config, BAD_INPUTS, "HTML and script in names and descriptions", 2)
    marker = secrets.token_hex(4)
    name, description = name.format(marker=marker), description.format(marker=marker)
    partner = new_partner(stack, "markup")
    slug, session = partner.slug, partner.session
    stored = upload(session, stack.url, small_csv(), name=name, description=description)
    assert stored.status_code == 302, form_errors(stored.text)
    (dataset,) = internal_catalog(stack, slug)["datasets"]
    assert (dataset["name"], dataset["description"]) == (name, description)

    # The portal: Django's templates escape them on every page that shows them.
    pages = {"/": (name, description), f"/datasets/{dataset['id']}/": (name, description),
             f"/datasets/{dataset['id']}/delete/": (name,)}
    for path, texts in pages.items():
        page = session.get(f"{stack.url}{path}").text
        for text in texts:
            assert html.escape(text) in page, f"{path} does not show {text!r} escaped"
            assert "<" not in text or text not in page, f"{path} carries {text!r} as live HTML"
    if name.startswith("<script>"):
        assert "&lt;script&gt;" in session.get(f"{stack.url}/").text

    # Streamlit: what the overview draws for the partner's only dataset, read off the websocket.
    app = StreamlitSession(stack.url, cookies={"sessionid": session.cookies["sessionid"]})
    try:
        app.rerun()
        bodies = markdown_bodies(app.elements)
    finally:
        app.close()
    assert not text_problems(bodies, name), text_problems(bodies, name)
    assert not text_problems(bodies, description), text_problems(bodies, description)


SQL = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "admin'--",
    '"; DROP TABLE auth_user; --',
    "x' UNION SELECT username, password FROM auth_user --",
    "1; DELETE FROM datasets_dataset",
    "%' OR '%'='",
]


@pytest.fixture(scope="module")
def sql_partner(stack):
    return new_partner(stack, "sql")


def unchanged_people(before, after):
    return all(after[part] == before[part] for part in ("partners", "users", "memberships"))


def test_sql_in_the_login_form_logs_nobody_in_and_changes_nothing(stack, request, sql_partner):
    username = sql_partner.username
    attempts = [[value, value] for value in SQL] + [[f"{username}' --", "x"], [f"{username}' OR '1'='1", SQL[0]],
                                                    [username, SQL[0]], [username, SQL[1]]]
    count(request.config, BAD_INPUTS, "SQL-looking input", len(attempts))
    before = stored_state(stack)
    # From three client addresses: each address gets locked out after a few failures, and every
    # attempt should reach the form.
    front, addresses = front_clients(stack, 3)
    try:
        results = []
        for index, address in enumerate(addresses):
            results += login_attempts(front, address, attempts[index::3])
    finally:
        front.stop()
    assert all(r["status"] in (200, 429) for r in results), results
    assert not any(r["session"] or r["location"] for r in results), "an SQL-looking login logged someone in"
    assert any(r["wrong"] for r in results), "no attempt reached the login form"
    assert unchanged_people(before, stored_state(stack))


def test_sql_in_names_descriptions_and_queries_is_stored_as_text_and_breaks_nothing(stack, request, sql_partner):
    slug, session = sql_partner.slug, sql_partner.session
    before = stored_state(stack)
    tried = 0
    for value in SQL[:4]:
        response = upload(session, stack.url, small_csv(), name=value, description=value,
                          filename=f"{value}.csv".replace("/", "_"))
        assert response.status_code == 302, form_errors(response.text)
        tried += 2
    named = {d["name"]: d for d in internal_catalog(stack, slug)["datasets"]}
    assert set(SQL[:4]) <= set(named), named.keys()
    home = session.get(f"{stack.url}/").text
    assert all(html.escape(value) in home for value in SQL[:4])

    for value in SQL:
        for path in (f"/?q={value}", f"/datasets/{value}/", f"/datasets/1 {value}/download/",
                     f"/accounts/login/?next={value}", f"/datasets/upload/?name={value}", f"/app/?q={value}"):
            tried += 1
            assert session.get(f"{stack.url}{path}").status_code < 500, path
        tried += 1
        url = f"http://django:8000/internal/partners/{quote(value, safe='')}/datasets"
        token = stack.settings["INTERNAL_API_TOKEN"]
        status, _ = get_from_back_network(stack, url, {"Authorization": f"Bearer {token}", "Host": "localhost"})
        assert status == 404, (value, status)

    # The fields staff search in the admin, and the partner picker staff post.
    staff = login(stack.url, *create_staff_user(stack, f"ops-{secrets.token_hex(3)}"))
    for value in SQL:
        for changelist in ("auth/user", "partners/partner", "datasets/dataset"):
            tried += 1
            assert staff.get(f"{stack.url}/admin/{changelist}/", params={"q": value}).status_code == 200
        tried += 1
        picked = staff.post(f"{stack.url}/partners/act-as/", data={"partner": value,
                            "csrfmiddlewaretoken": staff.cookies["csrftoken"]},
                            headers={"Referer": f"{stack.url}/"}, allow_redirects=False)
        assert picked.status_code == 302
    count(request.config, BAD_INPUTS, "SQL-looking input", tried)

    after = stored_state(stack)
    assert after["partners"] == before["partners"] and after["memberships"] == before["memberships"]
    assert [u for u in after["users"] if not u[3]] == [u for u in before["users"] if not u[3]], "partner users changed"
    assert all(row in after["datasets"] for row in before["datasets"]), "a dataset went missing"
    assert login(stack.url, sql_partner.username, sql_partner.password)
