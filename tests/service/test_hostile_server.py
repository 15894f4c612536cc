"""Hostile clients of `ocrgate serve` (issue 16), over a real socket to a real server process:
bodies over the limit are refused before they are read, stalled bodies do not hold a connection,
and what the service stores of an upload is the decoded page, re-encoded, nothing else."""

from __future__ import annotations

import io
import os
import socket
import struct
import subprocess
import sys
import threading
import zlib
from urllib import request

import numpy as np
import pytest
from PIL import Image

from engines import BBox, Block, Line, OcrEngine, Page, Word, register_engine
from engines.registry import unregister_engine
from imaging import load_first_page
from rollout.gate_store import GateChange, change_gate, create_gate
from rollout.store.models import ImageBlob, Request
from tests.service.test_cli_ops import _free_port, ocrgate

#: the image byte limit the server runs with: its body limit is this plus the multipart allowance
IMAGE_BYTES = 1000
#: what a socket waits for an answer before the test gives up (a limit, not a measurement)
PATIENCE = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`ocrgate serve` as a process, with a small image limit and a one-second client timeout."""
    folder = tmp_path_factory.mktemp("serve")
    db = f"sqlite:///{folder / 'svc.db'}"
    token = ocrgate("tokens", "create", "hostile", "--db", db).stdout.strip()
    port = _free_port()
    env = {**os.environ, "OCRGATE_MAX_IMAGE_BYTES": str(IMAGE_BYTES), "OCRGATE_CLIENT_TIMEOUT": "1"}
    process = subprocess.Popen([sys.executable, "-m", "ocrgate", "serve", "--port", str(port), "--db", db],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        _wait_for_health(port, process)
        yield port, token
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_health(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        assert process.poll() is None, "the server exited"
        try:
            with request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            try:
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
    pytest.fail("the server did not answer /healthz")


def body_limit() -> int:
    from service.app import MULTIPART_OVERHEAD

    return IMAGE_BYTES + MULTIPART_OVERHEAD


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)


def _head(length: int, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST /v1/ocr HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def _answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (socket.timeout: it never did)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("announced", [100_000_000, 70_000_000])
@pytest.mark.parametrize("with_token", [False, True])
def test_a_body_announced_over_the_limit_is_refused_before_it_is_sent(server, announced, with_token):
    port, token = server
    with _connect(port) as connection:
        connection.sendall(_head(announced, token if with_token else None))  # and not one byte of body
        assert _status(_answer(connection)) == 413


def test_the_server_reads_exactly_the_apps_limit(server):
    """A body of the limit reaches the application (401: no token); one byte more is refused unread."""
    port, _ = server
    limit = body_limit()
    with _connect(port) as connection:
        connection.sendall(_head(limit) + b"\0" * limit)
        assert _status(_answer(connection)) == 401
    with _connect(port) as connection:
        connection.sendall(_head(limit + 1))
        assert _status(_answer(connection)) == 413


def test_a_chunked_body_is_cut_off_at_the_limit(server):
    """No length announced: the server reads up to the limit, answers 413 and stops reading, so
    sending the rest fails; the answer is read as it comes (a reset would discard it later)."""
    port, token = server
    chunk = b"\0" * 65536
    head = (f"POST /v1/ocr HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    plenty = 20 * body_limit()
    sent, answers = 0, []
    with _connect(port) as connection:
        reader = threading.Thread(target=lambda: answers.append(connection.recv(65536)))
        reader.start()
        connection.sendall(head)
        try:
            while sent < plenty:
                connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reader.join(PATIENCE)
    assert answers and _status(answers[0]) == 413
    assert sent < plenty


def test_a_stalled_body_does_not_hold_the_connection(server):
    """Content-Length under the limit, ten bytes sent, then silence: the server closes the
    connection after OCRGATE_CLIENT_TIMEOUT instead of waiting for the rest."""
    port, token = server
    with _connect(port) as connection:
        connection.sendall(_head(IMAGE_BYTES, token) + b"0123456789")
        assert _answer(connection) == b""  # closed without an answer (a timeout here fails the test)


# --- what is stored of an upload -----------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_private_chunk(size: int) -> bytes:
    """A 32×32 RGBA PNG carrying `size` bytes of an ancillary private chunk and a text chunk."""
    pixels = np.random.default_rng(7).integers(0, 256, (32, 32, 4), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="PNG")
    plain = buffer.getvalue()
    extra = _png_chunk(b"prVt", os.urandom(size)) + _png_chunk(b"tEXt", b"Author\0someone private")
    return plain[:33] + extra + plain[33:]  # after the signature and IHDR


def png_chunks(data: bytes) -> list[bytes]:
    kinds, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kinds.append(data[at + 4:at + 8])
        at += 12 + length
    return kinds


def stored_image(app, request_id: str) -> tuple[bytes, Request]:
    with app.extensions["ocrgate"].store.session() as session:
        row = session.get(Request, request_id)
        return session.get(ImageBlob, row.image_sha256).data, row


def test_the_stored_image_is_the_decoded_page_and_nothing_else(served_app, client):
    app, _, _ = served_app
    upload = png_with_private_chunk(2_000_000)
    answer = client.ocr(upload, unit="u1", category="c")
    data, row = stored_image(app, answer["request_id"])
    assert len(data) < len(upload) // 100
    assert png_chunks(data) and set(png_chunks(data)) <= {b"IHDR", b"pHYs", b"IDAT", b"IEND"}
    assert np.array_equal(load_first_page(data).pixels, load_first_page(upload).pixels)
    assert row.byte_size == len(upload)  # the request still says what was sent


def multi_frame_tiff(count: int) -> bytes:
    frames = [Image.new("L", (60, 40), 50 * i) for i in range(count)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def test_post_ocr_reads_and_stores_the_first_frame_only(served_app, client):
    app, _, _ = served_app
    upload = multi_frame_tiff(3)
    answer = client.ocr(upload, unit="u1", category="c")
    assert len(answer["result"]["pages"]) == 1
    data, _ = stored_image(app, answer["request_id"])
    assert np.array_equal(load_first_page(data).pixels, load_first_page(upload).pixels)
    assert len(Image.open(io.BytesIO(data)).getexif()) == 0


class PixelRecorder(OcrEngine):
    """Remembers the pixels and resolution of every page it is given."""

    seen: dict[str, list[tuple[np.ndarray, float | None]]] = {}

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    @property
    def version(self) -> str:
        return "1"

    def _read_page(self, page, options):
        self.seen.setdefault(self.name, []).append((page.pixels.copy(), page.dpi))
        word = Word("seen", BBox(0, 0, page.width, page.height), 0.9)
        return Page(width=page.width, height=page.height, blocks=[Block([Line([word])])])


def exif_rotated_jpeg() -> bytes:
    pixels = np.random.default_rng(3).integers(0, 256, (30, 50, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", exif=exif, dpi=(200, 200))
    return buffer.getvalue()


@pytest.mark.parametrize("upload", [exif_rotated_jpeg(), png_with_private_chunk(1000), multi_frame_tiff(2)],
                         ids=["exif-jpeg", "rgba-png", "tiff"])
def test_a_shadow_run_reads_exactly_the_pixels_that_served(served_app, client, upload):
    app, _, _ = served_app
    service = app.extensions["ocrgate"]
    PixelRecorder.seen.clear()
    for name in ("rec-control", "rec-candidate"):
        register_engine(name, lambda name=name: PixelRecorder(name))
    try:
        create_gate(service.store, "pixels", "rec-control", "rec-candidate", actor="test")
        change_gate(service.store, "pixels", GateChange(stage="shadow", aa_percent=0), actor="test")
        service.snapshot.refresh()
        client.ocr(upload, unit="u1", category="c", gate="pixels")
        assert service.shadows.drain(timeout=PATIENCE)
        (served, served_dpi), = PixelRecorder.seen["rec-control"]
        (shadow, shadow_dpi), = PixelRecorder.seen["rec-candidate"]
    finally:
        for name in ("rec-control", "rec-candidate"):
            unregister_engine(name)
    expected = load_first_page(upload)
    assert np.array_equal(served, expected.pixels) and np.array_equal(shadow, expected.pixels)
    assert served_dpi == shadow_dpi == expected.dpi
