"""One owner for each setting: the .env schema (services/base/lib/envsettings.py) names them and
gives each its default and rule; .env.example, compose.yaml's fallbacks and the README's settings
table must say the same, and the services read them through the schema's reader. A setting
added in one place and forgotten in another fails here."""
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("envfile", ROOT / "ops" / "lib" / "envfile.py")
envfile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(envfile)

DEFAULTS = {name: setting.default for name, setting in envfile.SCHEMA.items()}
# What the README's table says of a setting without a value of its own.
GENERATED, EMPTY = "generated", "empty"
# What the ops scripts hand a build (the base image made here, the host's CA bundle as a build
# secret) or a deployment (ops/deploy's image tag, from its environment): inputs of the build
# and of the stack, not settings of .env.
BUILD_INPUTS = {"BASE_IMAGE", "BUILD_CA_BUNDLE", "IMAGE_TAG"}


def compose_fallbacks():
    """{setting: {fallback, ...}} of every ${NAME:-fallback} and ${NAME} in the compose files."""
    found = {}
    for path in sorted(ROOT.glob("compose*.yaml")):
        for name, _, fallback in re.findall(r"\$\{([A-Z][A-Z0-9_]*)(:-([^}]*))?\}", path.read_text()):
            if name not in BUILD_INPUTS:
                found.setdefault(name, set()).add(fallback if _ else None)
    return found


def readme_table():
    """{setting: what the README's settings table gives as its default}."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Settings (`.env`)"):]
    table = table[: table.index("\n## ", 5)]
    found = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        given = re.findall(r"`([^`]*)`", cells[1]) or [cells[1]] * len(names)
        found.update(zip(names, given))
    return found


def test_the_example_gives_every_setting_the_schemas_default():
    example = {name: value for _, name, value in envfile.parse(ROOT / ".env.example")}
    assert example == DEFAULTS


def test_compose_reads_only_settings_the_schema_knows():
    assert sorted(set(compose_fallbacks()) - set(envfile.SCHEMA)) == []


def test_compose_falls_back_to_the_examples_defaults():
    differ = {
        name: (DEFAULTS[name], sorted(fallbacks, key=str))
        for name, fallbacks in compose_fallbacks().items()
        if any(fallback is not None and fallback != DEFAULTS[name] for fallback in fallbacks)
    }
    assert differ == {}


def test_the_readme_lists_every_setting_with_the_examples_default():
    table = readme_table()
    expected = {
        name: GENERATED if name in envfile.SECRETS else (DEFAULTS[name] or EMPTY) for name in envfile.SCHEMA
    }
    assert sorted(set(expected) - set(table)) == [], "settings the README's table does not list"
    assert sorted(set(table) - set(expected)) == [], "settings in the README's table the schema does not know"
    assert {name: table[name] for name in expected if table[name] != expected[name]} == {}


def test_services_read_the_settings_of_env_only_through_the_schemas_reader():
    # os.environ.get("UPLOAD_MAX_MB") and the like: a parse of its own, beside the schema's rule.
    direct = re.compile(r"""(?:environ(?:\.get)?\s*[(\[]|getenv\()\s*["']([A-Z][A-Z0-9_]*)["']""")
    found = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "services").rglob("*.py")
        if path.name != "envsettings.py"
        for name in direct.findall(path.read_text(encoding="utf-8"))
        if name in envfile.SCHEMA
    )
    assert found == []
