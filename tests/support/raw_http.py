"""HTTP requests exactly as written, for attacks that a client library would tidy away.

requests (through urllib3) removes `..` segments from a path and refuses odd headers; here the
request line, the headers and the body go to nginx byte for byte. A server that answers and
closes before reading everything sent (an oversized header, a body over the limit) is normal:
the answer is read all the same.
"""
import http.client
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when the server closed without answering
    headers: dict
    body: bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def send(base_url, method, target, headers=(), body=b"", body_chunks=None, timeout=30):
    """Send one request to the server of `base_url`. `headers`: (name, value) pairs, in order;
    Host is the URL's unless given. `body_chunks`: an iterable of bytes sent with chunked encoding."""
    url = urlsplit(base_url)
    headers = list(headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", url.netloc))
    if body_chunks is not None:
        headers.append(("Transfer-Encoding", "chunked"))
    elif body and not any(name.lower() == "content-length" for name, _ in headers):
        headers.append(("Content-Length", str(len(body))))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    head += "Connection: close\r\n\r\n"
    with socket.create_connection((url.hostname, url.port or 80), timeout=timeout) as sock:
        try:
            sock.sendall(head.encode("latin-1") + body)
            for chunk in body_chunks or ():
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            if body_chunks is not None:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and stopped reading; its answer is still there
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return Reply(0, {}, b"")
        try:
            data = response.read()
        except (http.client.IncompleteRead, ConnectionResetError) as error:
            data = getattr(error, "partial", b"")
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
