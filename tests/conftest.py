"""Fixtures shared by the stack tests (infra, e2e, faults, security)."""
import pytest
import requests

from support.stack import Stack


@pytest.fixture(scope="session")
def stack():
    found, problem = Stack.from_environment()
    if found is None:
        pytest.fail(problem, pytrace=False)
    return found


@pytest.fixture
def http():
    """A fresh client session, as a new browser would be."""
    with requests.Session() as session:
        yield session
