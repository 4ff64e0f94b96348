"""Formula cells: stored as they came, defused in everything the portal exports."""
import pyarrow.parquet as pq
import pytest
from django_helpers import upload

from datasets.exports import defuse_formula
from datasets.models import Dataset


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+3.25", "+3.25"),
        ("-1e5", "-1e5"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
        (-5, -5),
        (2.5, 2.5),
    ],
)
def test_defuse_formula(value, expected):
    assert defuse_formula(value) == expected


@pytest.mark.django_db(transaction=True)
def test_formula_cells_are_accepted_kept_and_defused_on_download(alice_client, datasets_dir):
    content = b'=cmd,note,amount\n"=HYPERLINK(""http://evil.example"")",@me,-5\n+1+1,-x,3\n'

    response = upload(alice_client, content, filename="formulas.csv")

    assert response.status_code == 302
    dataset = Dataset.objects.get()
    assert pq.read_table(datasets_dir / dataset.path).to_pylist()[0] == {
        "=cmd": '=HYPERLINK("http://evil.example")',
        "note": "@me",
        "amount": -5,
    }
    body = b"".join(alice_client.get(f"/datasets/{dataset.id}/download/").streaming_content).decode()
    assert body == (
        "\ufeff'=cmd,note,amount\r\n"
        '"\'=HYPERLINK(""http://evil.example"")",\'@me,-5\r\n'
        "'+1+1,'-x,3\r\n"
    )
