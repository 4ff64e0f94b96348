"""The files a streamlit replica keeps for ops and its probe: the drain deadline and its
sessions per client address, and how the reporter and `sessions` read them."""
import json

from portal_probe import cli, replica


def test_no_file_means_not_draining_and_a_deadline_is_read_back(tmp_path):
    path = tmp_path / "portal-drain"
    assert replica.drain_deadline(path) is None
    path.write_text("1764640000\n")
    assert replica.drain_deadline(path) == 1764640000.0
    path.write_text("soon")
    assert replica.drain_deadline(path) is None


def test_drain_sets_the_deadline_keeps_an_earlier_one_and_kept_takes_it_away(tmp_path, monkeypatch, capsys):
    path = tmp_path / "portal-drain"
    monkeypatch.setattr(replica, "DRAIN_FILE", path)
    assert cli.main(["drain", "1764640600"]) == 0
    assert replica.drain_deadline(path) == 1764640600.0
    # A second drain, ops/scale's after a replica's own: the tabs were told the earlier moment.
    assert cli.main(["drain", "1764641000"]) == 0
    assert replica.drain_deadline(path) == 1764640600.0
    assert capsys.readouterr().out.split() == ["1764640600", "1764640600"]
    assert replica.mark_draining(1764640300, path) == 1764640300.0
    assert cli.main(["kept"]) == 0 and cli.main(["kept"]) == 0
    assert replica.drain_deadline(path) is None
    assert list(tmp_path.iterdir()) == []


def test_peers_are_written_whole_without_closed_addresses_and_read_back(tmp_path):
    path = tmp_path / "portal-peers.json"
    assert replica.read_peers(path) is None
    replica.write_peers({"203.0.113.7": 2, "198.51.100.2": 0}, path)
    assert json.loads(path.read_text()) == {"203.0.113.7": 2}
    assert replica.read_peers(path) == {"203.0.113.7": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["portal-peers.json"]
    path.write_text("[1, 2]")
    assert replica.read_peers(path) is None


def test_sessions_prints_the_established_websockets_of_the_server(capsys, monkeypatch):
    from types import SimpleNamespace

    def connection(status, port):
        return SimpleNamespace(status=status, laddr=SimpleNamespace(port=port), raddr=())

    monkeypatch.setattr(cli, "read_tcp_connections", lambda: [
        connection("ESTABLISHED", 8501), connection("ESTABLISHED", 8501), connection("TIME_WAIT", 8501),
        connection("ESTABLISHED", 41000)])
    assert cli.main(["sessions"]) == 0
    assert capsys.readouterr().out == "2\n"
