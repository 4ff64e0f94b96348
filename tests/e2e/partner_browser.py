"""What a partner does in a real browser, in the portal and in the analytics, for the e2e tests;
and the datasets they bring, as Korean Excel saves them."""
import base64
import csv
import datetime as dt
import io
import secrets
from dataclasses import dataclass

from playwright.sync_api import expect

from support.logins import create_partner_user

REGIONS = ("서울", "부산", "대구", "인천", "광주")
COLUMNS = ("지역", "날짜", "매출")  # region, date, sales


@dataclass(frozen=True)
class Partner:
    slug: str
    name: str
    username: str
    password: str


def new_partner(stack, name):
    """A partner and its user, made on the command line as ops do. The slug is new on every run,
    so a rerun against the same stack never meets an account whose password it does not know."""
    slug = f"e2e-{secrets.token_hex(4)}"
    username, password = create_partner_user(stack, slug, name)
    return Partner(slug, name, username, password)


@dataclass(frozen=True)
class SalesFile:
    data: bytes  # CP949, CRLF line ends: what Korean Excel's "CSV" writes
    rows: int
    totals: dict  # region -> sum of 매출

    @property
    def total(self):
        return sum(self.totals.values())


def sales_csv(year, bases, days=60):
    """One row per region and day for `days` days of `year`; a region's sales are its base plus a
    weekly ripple."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    totals = dict.fromkeys(bases, 0)
    for day in range(days):
        date = dt.date(year, 1, 1) + dt.timedelta(days=day)
        for region, base in bases.items():
            sales = base + (day % 7) * 10
            totals[region] += sales
            writer.writerow([region, date.isoformat(), sales])
    data = out.getvalue().encode("cp949")
    assert not _is_utf8(data), "the CP949 file also reads as UTF-8: it would not test the CP949 path"
    return SalesFile(data, days * len(bases), totals)


def _is_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def import_dataset(stack, slug, file, name, *options):
    """importdataset in the django container, as an operator does, on a copy of the file made in
    the container (piped in: `compose cp` cannot write into a read-only container); `options`
    go to the command as they are (--replace)."""
    inside = stack.compose("exec", "-T", "django", "mktemp", "--suffix=.csv").stdout.strip()
    try:
        stack.compose("exec", "-T", "django", "python", "-c", _WRITE_STDIN, inside,
                      input=base64.b64encode(file.data).decode("ascii"))
        stack.manage("importdataset", slug, inside, "--name", name, *options)
    finally:
        stack.compose("exec", "-T", "django", "rm", "-f", inside)


# The file's bytes travel as base64: the compose helper speaks text.
_WRITE_STDIN = "import base64, sys; open(sys.argv[1], 'wb').write(base64.b64decode(sys.stdin.read()))"


def log_in(page, partner):
    """Fill in the login form the page shows."""
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill(partner.username)
    page.get_by_label("Password").fill(partner.password)
    page.get_by_role("button", name="Log in").click()


def expect_home(page, partner):
    expect(page.get_by_role("heading", level=1)).to_have_text(partner.name)


def signed_in(stack, new_page, partner):
    """A page of a browser of its own, signed in to the portal as the partner, on its home page."""
    page = new_page()
    page.goto(f"{stack.url}/accounts/login/")
    log_in(page, partner)
    expect_home(page, partner)
    return page


def upload(page, filename, file, name=""):
    """Upload through the portal's form, from the home page, and store the file as its preview
    shows it; back on the home page after. A refused file stays on the upload form."""
    choose_file(page, filename, file, name)
    checked = page.get_by_role("heading", name="Check before storing")
    expect(checked.or_(page.locator(".field [role=alert]"))).to_be_visible()
    if checked.is_visible():
        page.get_by_role("button", name="Store", exact=True).click()


def choose_file(page, filename, file, name=""):
    """Send a file through the portal's upload form, from the home page: its preview follows."""
    page.get_by_role("link", name="Upload a dataset").first.click()
    expect(page.get_by_role("heading", name="Upload a dataset")).to_be_visible()
    page.get_by_label("File").set_input_files({"name": filename, "mimeType": "text/csv", "buffer": file.data})
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Upload").click()


def dataset_row(page, name):
    return page.locator("table.datasets tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def expect_analytics(page, partner):
    """The analytics, drawn for this partner (its content comes over the websocket)."""
    expect(sidebar(page).get_by_role("heading", name=partner.name)).to_be_visible()
    expect(sidebar(page)).to_contain_text(f"Signed in as {partner.username}")


def choose(page, label, option):
    """Pick `option` in Streamlit's selectbox labelled `label`."""
    box = page.get_by_role("combobox", name=label, exact=True)
    # While a rerun redraws the page, the box it replaces may still stand beside the new one.
    expect(box).to_have_count(1)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def picker_options(page):
    """Open the sidebar's dataset picker: the options it offers (close it with Escape)."""
    sidebar(page).get_by_role("combobox", name="Dataset", exact=True).click()
    return page.get_by_role("listbox").get_by_role("option")


def go_to(page, title):
    """A page of the analytics, from the sidebar's navigation."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()


def chart(page):
    """The drawn chart: the SVG vega-embed renders into Streamlit's chart container."""
    return page.get_by_test_id("stVegaLiteChart").locator("svg.marks")


def grid_row(page, first_cell):
    """A row of a Streamlit dataframe. The grid draws on a canvas; the cells' values are in the
    accessible table inside it, unformatted."""
    return page.get_by_test_id("stDataFrame").locator("tbody tr").filter(
        has=page.locator("td", has_text=first_cell)
    )
