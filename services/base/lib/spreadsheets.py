"""What spreadsheets do with a file handed out, the same for the portal's downloads and the
analytics': which text they run as a formula, what CP949 cannot hold, Excel's bounds and its
rules for a sheet's name.

Standard library only: both images import it, each with its own table library.
"""
import datetime as dt
import functools
import re
import unicodedata

# A formula mark (ASCII or full-width: spreadsheets in East Asian locales take both) after any
# white space, or a tab or line break first. The pattern means the same to Python's re, to RE2
# (pyarrow) and to Rust's regex (polars), where \s is Unicode-aware too.
FORMULA_MARKS = "=+-@|＝＋－＠｜"
FORMULA_PATTERN = "^[\t\r\n]|^\\s*[" + FORMULA_MARKS.replace("-", "\\-") + "]"
_FORMULA = re.compile(FORMULA_PATTERN)

# A worksheet's bounds: rows (the header's included) and characters in one cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
# A workbook is written cell by cell before its first byte can be sent: some 200,000 cells go a
# second on a free core, a fifth of that on a busy host (2,000,000 took 50 s on one).
EXCEL_MAX_CELLS = 2_000_000
# Excel shows 15 significant digits and rounds the rest away: a longer whole number (an account
# or order number) goes in as text, digit for digit.
EXCEL_EXACT_DIGITS = 15
# Excel's dates start on 1900-01-01; an earlier one goes in as its ISO text.
EXCEL_FIRST_DAY = dt.date(1900, 1, 1)
EXCEL_SHEET_NAME_CHARS = 31
_UNSAFE_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]+")
_SHEET_NAME_ENDS = re.compile(r"^[\s']+|[\s']+$")
# What file systems refuse in a name (Windows the most), and control characters.
_UNSAFE_IN_NAMES = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]+')


def runs_as_formula(text):
    return bool(_FORMULA.search(text))


@functools.cache
def cp949_gaps():
    """A regular expression (RE2's and Rust's syntax) matching any character that CP949 has no
    code for, made from Python's own codec, which also encodes the file. CP949 holds nothing
    past U+FFFF."""
    ranges, start = [], None
    for code in range(0x10000):
        try:
            chr(code).encode("cp949")
            fits = True
        except UnicodeEncodeError:
            fits = False
        if fits and start is None:
            start = code
        elif not fits and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0xFFFF))
    return "[^" + "".join(rf"\x{{{low:X}}}-\x{{{high:X}}}" for low, high in ranges) + "]"


def not_in_cp949(text):
    """The first character of `text` that CP949 has no code for, or None."""
    for character in text:
        try:
            character.encode("cp949")
        except UnicodeEncodeError:
            return character
    return None


def too_long_for_excel(number):
    """Whether a whole number has more digits than Excel keeps."""
    return len(str(abs(number))) > EXCEL_EXACT_DIGITS


def before_excel_dates(value):
    """Whether a date or datetime falls before Excel's first day."""
    return (value.date() if isinstance(value, dt.datetime) else value) < EXCEL_FIRST_DAY


def column_width(name, least):
    """A column's width in characters: at least `least` (what its values need), and its header
    whole, a wide (Hangul) character counting as two."""
    wide = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in name)
    return max(least, min(50, wide + 2))


def sheet_name(name):
    """A dataset's name as Excel takes a sheet's: no [ ] : * ? / \\, at most 31 characters."""
    # Cut first, then trimmed: Excel refuses a sheet name that begins or ends with an apostrophe.
    cleaned = _SHEET_NAME_ENDS.sub("", _UNSAFE_IN_SHEET_NAMES.sub(" ", name)[:EXCEL_SHEET_NAME_CHARS])
    return cleaned or "data"


def file_name(name, suffix):
    """A dataset's name as a download's file name, Hangul kept: only what file systems refuse
    goes, and "dataset" stands in when nothing is left."""
    cleaned = re.sub(r"\s+", " ", _UNSAFE_IN_NAMES.sub(" ", name)).strip(" .")
    return (cleaned or "dataset") + suffix


def workbook_options(scratch):
    """xlsxwriter's options for a download: rows go to a scratch file in `scratch` as they are
    written, and no text ever turns into a formula, a link or a number (only xlsxwriter's write()
    reads those, and the downloads make typed writes only: set all the same)."""
    return {
        "constant_memory": True,
        "tmpdir": scratch,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": True,
    }
