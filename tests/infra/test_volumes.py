"""What lives in the volumes outlives the containers. Runs last of the infra tests: it takes the
stack down and up."""
from support.logins import create_partner_user, login


def test_what_is_in_the_database_survives_down_and_up(stack):
    username, password = create_partner_user(stack, "persist", "Persistence Ltd")
    down = stack.compose("down", "--timeout", "10")
    assert down.returncode == 0, down.stderr
    up = stack.ops("up")
    assert up.returncode == 0, up.stderr
    assert stack.healthy("django") and stack.healthy("nginx")
    session = login(stack.url, username, password)
    home = session.get(f"{stack.url}/")
    assert home.status_code == 200
    assert "Persistence Ltd" in home.text
