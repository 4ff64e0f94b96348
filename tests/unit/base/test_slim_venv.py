"""What the images' build stages strip from a venv before copying it: build leftovers always,
what a service names as never used, and copies of one library under its other names."""
import importlib.machinery
import importlib.util
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "services" / "base" / "slim-venv"
loader = importlib.machinery.SourceFileLoader("slim_venv", str(SCRIPT))
spec = importlib.util.spec_from_loader("slim_venv", loader)
slim_venv = importlib.util.module_from_spec(spec)
loader.exec_module(slim_venv)

ELF = b"\x7fELF"


def tree(root, files):
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def names(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink())


def test_build_leftovers_go_and_what_runs_stays(tmp_path):
    site = tree(tmp_path, {
        "pkg/__init__.py": b"", "pkg/core.so": ELF, "pkg/locale/ko/LC_MESSAGES/django.mo": b"",
        "pkg/locale/ko/LC_MESSAGES/django.po": b"", "pkg/tests/test_core.py": b"", "pkg/core.pyi": b"",
        "pkg/include/core.h": b"", "pkg/_core.pyx": b"", "pkg/src/core.cc": b"",
    })

    slim_venv.drop_always(site)

    assert names(site) == ["pkg/__init__.py", "pkg/core.so", "pkg/locale/ko/LC_MESSAGES/django.mo"]
    assert not (site / "pkg" / "include").exists() and not (site / "pkg" / "src").exists()


def test_never_used_paths_go_except_those_kept(tmp_path):
    site = tree(tmp_path, {"babel/locale-data/root.dat": b"", "babel/locale-data/ko_KR.dat": b"",
                           "babel/locale-data/fr.dat": b"", "pydeck/__init__.py": b"", "pandas/__init__.py": b""})

    slim_venv.drop_never_used(site, ["pydeck", "babel/locale-data/*", "!babel/locale-data/root.dat",
                                     "!babel/locale-data/ko*"])

    assert names(site) == ["babel/locale-data/ko_KR.dat", "babel/locale-data/root.dat", "pandas/__init__.py"]


def test_a_never_used_path_that_matches_nothing_stops_the_build(tmp_path):
    with pytest.raises(SystemExit, match="pydeck matches nothing"):
        slim_venv.drop_never_used(tmp_path, ["pydeck"])


def test_a_librarys_copies_under_its_other_names_become_links(tmp_path):
    site = tree(tmp_path, {"pyarrow/libarrow_python.so": ELF + b"a", "pyarrow/libarrow_python.so.2600": ELF + b"a",
                           "pyarrow/libarrow_python.so.2600.1.0": ELF + b"a", "pyarrow/libarrow.so.2600": ELF + b"b"})

    slim_venv.link_copies(site)

    pyarrow = site / "pyarrow"
    assert not (pyarrow / "libarrow_python.so.2600").is_symlink()
    assert all((pyarrow / name).readlink() == Path("libarrow_python.so.2600")
               for name in ("libarrow_python.so", "libarrow_python.so.2600.1.0"))
    assert not (pyarrow / "libarrow.so.2600").is_symlink()


def test_bytecode_only_keeps_each_compiled_module_as_bytecode_that_still_imports(tmp_path):
    site = tree(tmp_path, {"pkg/__init__.py": b"", "pkg/core.py": b"ANSWER = 42\n", "pkg/data.json": b"{}",
                           "pkg/uncompiled.py": b"", "pkg/__pycache__/gone.cpython-0.pyc": b""})
    for module in ("pkg/__init__.py", "pkg/core.py"):
        py_compile.compile(str(site / module), cfile=importlib.util.cache_from_source(str(site / module)))

    slim_venv.keep_bytecode_only(site)

    assert names(site) == ["pkg/__init__.pyc", "pkg/core.pyc", "pkg/data.json", "pkg/uncompiled.py"]
    imported = subprocess.run([sys.executable, "-c", "import pkg.core; print(pkg.core.ANSWER)"], cwd=site,
                              capture_output=True, text=True, check=True)
    assert imported.stdout == "42\n"


def test_bytecode_only_leaves_a_module_that_reads_its_own_source_as_it_is(tmp_path):
    site = tree(tmp_path, {"anyio/__init__.py": b"", "anyio/abc/__init__.py": b"", "anyio/_core.py": b""})
    for module in ("anyio/__init__.py", "anyio/abc/__init__.py", "anyio/_core.py"):
        py_compile.compile(str(site / module), cfile=importlib.util.cache_from_source(str(site / module)))

    slim_venv.keep_bytecode_only(site)

    tag = sys.implementation.cache_tag
    assert names(site) == ["anyio/__init__.py", f"anyio/__pycache__/__init__.{tag}.pyc", "anyio/_core.pyc",
                           "anyio/abc/__init__.py", f"anyio/abc/__pycache__/__init__.{tag}.pyc"]


def test_only_a_wheels_own_elf_libraries_are_stripped(tmp_path):
    site = tree(tmp_path, {"numpy/core.so": ELF, "numpy.libs/libopenblas.so": ELF, "pkg/notes.so.txt": b"text"})

    assert slim_venv.libraries(site) == [site / "numpy" / "core.so"]


def test_front_end_extensions_for_jupyter_go_and_other_shared_data_stays(tmp_path):
    venv = tree(tmp_path, {"share/jupyter/nbextensions/pydeck/index.js": b"", "share/man/man1/x.1": b""})

    slim_venv.drop_jupyter(venv)
    slim_venv.drop_jupyter(venv)

    assert names(venv) == ["share/man/man1/x.1"]
