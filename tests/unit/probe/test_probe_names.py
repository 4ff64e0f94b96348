"""The container's own compose name, asked of a DNS server with a PTR query."""
import socket
import struct
import threading

import pytest

from portal_probe import names
from portal_probe.names import first_ptr_answer, nameserver, ptr_query, read_name, reverse_lookup


def answer_to(query: bytes, name: str) -> bytes:
    """A DNS reply to `query` with one PTR answer, its owner name compressed to the question."""
    query_id = struct.unpack("!H", query[:2])[0]
    header = struct.pack("!HHHHHH", query_id, 0x8180, 1, 1, 0, 0)
    question = query[12:]
    rdata = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    answer = struct.pack("!HHHIH", 0xC00C, 12, 1, 600, len(rdata)) + rdata
    return header + question + answer


def test_a_ptr_query_asks_for_the_reversed_address():
    query = ptr_query("172.20.0.5", 4660)
    name, end = read_name(query, 12)
    assert name == "5.0.20.172.in-addr.arpa"
    assert struct.unpack("!HH", query[end:end + 4]) == (12, 1)


def test_the_answer_is_read_through_name_compression():
    query = ptr_query("172.20.0.5", 7)
    reply = answer_to(query, "pp-streamlit-2.pp_back")
    assert first_ptr_answer(reply, 7) == "pp-streamlit-2.pp_back"


def test_a_reply_to_another_query_or_an_error_is_no_answer():
    query = ptr_query("172.20.0.5", 7)
    reply = answer_to(query, "pp-streamlit-2.pp_back")
    assert first_ptr_answer(reply, 8) is None
    nxdomain = reply[:2] + struct.pack("!H", 0x8183) + reply[4:6] + b"\0\0" + reply[8:]
    assert first_ptr_answer(nxdomain, 7) is None


def test_reverse_lookup_against_a_real_udp_server():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]

        def serve_once():
            query, client = server.recvfrom(512)
            server.sendto(answer_to(query, "pp-django-1.pp_back"), client)

        thread = threading.Thread(target=serve_once)
        thread.start()
        assert reverse_lookup("172.20.0.9", "127.0.0.1", port=port) == "pp-django-1.pp_back"
        thread.join()


def test_no_server_answering_gives_no_name():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        assert reverse_lookup("172.20.0.9", "127.0.0.1", port=silent.getsockname()[1], timeout=0.2) is None
    assert reverse_lookup("172.20.0.9", None) is None


def test_nameserver_is_read_from_resolv_conf(tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("search example\nnameserver 127.0.0.11\noptions ndots:0\n")
    assert nameserver(str(conf)) == "127.0.0.11"
    assert nameserver(str(tmp_path / "missing")) is None


@pytest.mark.parametrize(
    "answer, node, expected",
    [
        ("pp-streamlit-2.pp_back", "", "pp-streamlit-2"),
        ("partner-portal_streamlit.2.x7k2q9x7k2q9x7k2q9x7k2q9a.partner-portal_back", "node3",
         "partner-portal_streamlit.2@node3"),
        ("partner-portal_django.1.p0q1r2p0q1r2p0q1r2p0q1r2p.partner-portal_back", "", "partner-portal_django.1"),
        # A global service: one task per node, named by the node.
        ("partner-portal_nginx.m2u8bap47myc13youfx1pgptl.k2x9q7k2x9q7k2x9q7k2x9q7k.partner-portal_back", "node2",
         "partner-portal_nginx@node2"),
    ],
)
def test_a_compose_container_or_a_swarm_task_is_named_as_ops_know_it(answer, node, expected):
    assert names.name_from_dns(answer, node) == expected
