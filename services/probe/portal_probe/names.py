"""This container's compose name (project-streamlit-2), or in a Swarm stack its task's service,
slot and node (stack_streamlit.2@node3), asked of Docker's DNS.

`gethostbyaddr` answers from /etc/hosts first, where Docker maps the container's own address to
its id; the name ops know it by only comes from Docker's DNS server. So this asks that server
directly: one PTR query over UDP, as `dig -x` would.
"""

import os
import random
import re
import socket
import struct

RESOLV_CONF = "/etc/resolv.conf"
PTR, IN = 12, 1


def nameserver(resolv_conf: str = RESOLV_CONF) -> str | None:
    try:
        with open(resolv_conf, encoding="utf-8") as conf:
            for line in conf:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    return parts[1]
    except OSError:
        pass
    return None


def ptr_query(address: str, query_id: int) -> bytes:
    labels = list(reversed(address.split("."))) + ["in-addr", "arpa"]
    question = b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\0"
    # Header: id, flags (recursion desired), one question, no answers or other records.
    return struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", PTR, IN)


def read_name(message: bytes, offset: int) -> tuple[str, int]:
    """A (possibly compressed) domain name at `offset`; returns it and the offset after it."""
    labels, end = [], None
    for _ in range(128):  # bounds a malicious loop of pointers
        length = message[offset]
        if length == 0:
            return ".".join(labels), end if end is not None else offset + 1
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = struct.unpack("!H", message[offset:offset + 2])[0] & 0x3FFF
            continue
        labels.append(message[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    raise ValueError("DNS name too long")


def first_ptr_answer(message: bytes, query_id: int) -> str | None:
    answer_id, flags, questions, answers = struct.unpack("!HHHH", message[:8])
    if answer_id != query_id or flags & 0x000F or answers == 0:
        return None
    offset = 12
    for _ in range(questions):
        _, offset = read_name(message, offset)
        offset += 4
    for _ in range(answers):
        _, offset = read_name(message, offset)
        record_type, _, _, length = struct.unpack("!HHIH", message[offset:offset + 10])
        offset += 10
        if record_type == PTR:
            return read_name(message, offset)[0]
        offset += length
    return None


def reverse_lookup(address: str, server: str | None, port: int = 53, timeout: float = 1.0) -> str | None:
    if server is None:
        return None
    query_id = random.randrange(1 << 16)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(timeout)
        try:
            udp.sendto(ptr_query(address, query_id), (server, port))
            reply, _ = udp.recvfrom(4096)
            return first_ptr_answer(reply, query_id)
        except (OSError, ValueError, struct.error, IndexError):
            return None


SWARM_TASK_ID = re.compile(r"[a-z0-9]{25}")


def name_from_dns(answer: str, node: str = "") -> str:
    """Compose answers "project-streamlit-2.project_back": the first label is the container's
    name. Swarm answers "stack_streamlit.2.<task id>.stack_back": service and slot name the task
    (a replacement keeps them), and the node it runs on (PORTAL_NODE) tells it from a task of that
    slot that ran elsewhere. A global service's task has the node's id for a slot: the service
    and the node name it."""
    labels = answer.split(".")
    if len(labels) >= 3 and SWARM_TASK_ID.fullmatch(labels[2]):
        if labels[1].isdigit():
            name = f"{labels[0]}.{labels[1]}"
        else:
            name, node = labels[0], node or labels[1]
        return f"{name}@{node}" if node else name
    return labels[0]


def container_name(hostname: str) -> str:
    """This container's name as ops know it, or `hostname` where DNS cannot tell."""
    try:
        address = socket.gethostbyname(hostname)
    except OSError:
        return hostname
    name = reverse_lookup(address, nameserver())
    return name_from_dns(name, os.environ.get("PORTAL_NODE", "").strip()) if name else hostname
