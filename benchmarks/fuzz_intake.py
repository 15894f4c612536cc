"""Fuzz image intake and PDF intake for a bounded time: no unexpected exception, no hang, no
allocation past the budget.

    nice -n 10 python benchmarks/fuzz_intake.py --minutes 10 [--pdf-share 0.5] [--case-seconds 10]

Hypothesis draws the cases: byte-level mutations (flips, overwritten header integers with
interesting values, insertions, cuts, splices) of valid PNG, APNG, JPEG, MPO, TIFF (one and many
frames, bilevel, 16-bit), WebP (still and animated) and BMP files, and files built field by field:
TIFFs with chains of directories claiming huge sizes (loops, garbage offsets, every compression),
PNGs with chosen IHDR/acTL/fcTL values and zlib bombs, BMP headers. For PDFs: mutations of valid
PDFs and PDFs written object by object (huge or inverted page boxes, page-tree loops, Form
XObjects that draw themselves many times, compressed content streams that expand a thousandfold).

Each case runs in a worker process under the intake limits set in its environment (`LIMITS`:
small, so that the budget means something), and must end within `--case-seconds` with a result or
an `OcrInputError` (exit code 2 family, `kernel.errors`). Image cases: `load_pages`, then
`load_first_page` -> `page_png` -> `load_first_page` must give the same pixels and DPI (what the
service stores must be what it read). PDF cases: `open_pdf`, `check_render_budget`, `pages_with_text`,
then page 1 rendered at a low resolution. A case's peak memory is the worker's rise
in resident set (VmHWM after resetting it; glibc set to give large blocks back at once) and the
peak traced by tracemalloc; over the budget (`budget()`) is a failure. A worker that does not
answer in time is killed (a hang); one that dies is a crash.

Writes benchmarks/results/fuzz_intake.json (cases run, outcomes, failures with their reproducers,
peak memory) and, only when something failed, one reproducer per distinct failure under
benchmarks/results/fuzz/ (`NAME.bin` with `NAME.json` saying what happened).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import multiprocessing
import os
import struct
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "fuzz_intake.json"
REPRODUCERS = ROOT / "benchmarks" / "results" / "fuzz"

#: the intake limits the worker runs under (environment, read by kernel.settings)
LIMITS = {
    "OCRGATE_MAX_IMAGE_BYTES": str(1 << 20),
    "OCRGATE_MAX_IMAGE_PIXELS": str(4_000_000),
    "OCRGATE_MAX_IMAGE_FRAMES": "64",
    "OCRGATE_MAX_TOTAL_PIXELS": str(8_000_000),
    "OCRGATE_MAX_PDF_BYTES": str(1 << 20),
    "OCRGATE_MAX_PDF_PAGES": "50",
    "OCRGATE_MAX_PDF_PIXELS": str(40_000_000),
}
#: glibc: blocks over 64 KiB are their own mappings, returned when freed, so each case's resident
#: rise is its own (no reuse of a previous case's freed heap)
MALLOC = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}
#: bytes per budgeted pixel: the widest intake path (16-bit or float to 8-bit through float64) holds
#: about 30 bytes per pixel of one frame at its peak, and the frames already decoded stay
BYTES_PER_PIXEL = 40
OVERHEAD = 96 << 20
PDF_RENDER_DPI = 24
MAX_SAVED = 25


def budget(kind: str) -> int:
    """The most a case may allocate, in bytes, under LIMITS."""
    if kind == "image":
        return BYTES_PER_PIXEL * int(LIMITS["OCRGATE_MAX_TOTAL_PIXELS"]) + OVERHEAD
    # PDF intake parses (it renders in another process): the file, its decoded streams, the parse
    return 64 * int(LIMITS["OCRGATE_MAX_PDF_BYTES"]) + OVERHEAD


# --- seeds -----------------------------------------------------------------------------------------


def _save(images: list, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    if len(images) > 1:
        options = {"save_all": True, "append_images": images[1:], **options}
    images[0].save(buffer, format=fmt, **options)
    return buffer.getvalue()


def image_seeds() -> list[bytes]:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(16)
    gray = Image.fromarray(rng.integers(0, 256, (24, 32), dtype=np.uint8))
    rgb = Image.fromarray(rng.integers(0, 256, (20, 28, 3), dtype=np.uint8))
    rgba = Image.fromarray(rng.integers(0, 256, (16, 16, 4), dtype=np.uint8), "RGBA")
    bilevel = gray.convert("1")
    exif = Image.Exif()
    exif[0x0112] = 6
    frames = [Image.new("L", (20, 12), 60 * i) for i in range(3)]
    return [
        _save([gray], "PNG"),
        _save([rgba], "PNG"),
        _save([rgb.convert("P")], "PNG", transparency=0),
        _save([Image.fromarray(rng.integers(0, 65535, (12, 12), dtype=np.uint16))], "PNG"),
        _save(frames, "PNG"),  # APNG
        _save([rgb], "JPEG", exif=exif, dpi=(300, 300)),
        _save([rgb], "JPEG", progressive=True),
        _save([rgb, rgb], "MPO"),
        _save([gray], "TIFF", compression="tiff_lzw"),
        _save(frames, "TIFF"),
        _save([bilevel, bilevel], "TIFF", compression="group4"),
        _save([rgb], "TIFF", compression="tiff_deflate", tiled=True, tile_size=(16, 16)),
        _save([gray], "WEBP", lossless=True),
        _save([f.convert("RGB") for f in frames], "WEBP"),
        _save([rgb], "BMP"),
        _save([gray.convert("P")], "BMP"),
    ]


def pdf_seeds() -> list[bytes]:
    import pikepdf
    from PIL import Image

    seeds = [_save([Image.new("L", (40, 30), 200), Image.new("RGB", (30, 40))], "PDF", resolution=72)]
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(200, 100))
        page = pdf.pages[0]
        page.obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 10 10 Td (hi) Tj ET")
        page.obj.CropBox = [10, 10, 150, 90]
        page.obj.Rotate = 90
        buffer = io.BytesIO()
        pdf.save(buffer)
        seeds.append(buffer.getvalue())
    return seeds + [built_pdf(Pdf(pages=3, forms=2, form_copies=3, bomb=1000))]


# --- image cases -----------------------------------------------------------------------------------

INTERESTING = (0, 1, 2, 7, 8, 16, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 30_000, 30_001,
               65_535, 100_000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


@st.composite
def mutated(draw: st.DrawFn, seeds: st.SearchStrategy[bytes]) -> bytes:
    data = bytearray(draw(seeds))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        kind = draw(st.sampled_from(("flip", "integer", "insert", "cut", "truncate", "splice", "repeat")))
        at = draw(st.one_of(st.integers(0, min(len(data) - 1, 255)), st.integers(0, len(data) - 1)))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "integer":
            size = draw(st.sampled_from((1, 2, 4)))
            value = draw(st.one_of(st.sampled_from(INTERESTING), st.integers(0, 0xFFFFFFFF))) % (1 << (8 * size))
            data[at:at + size] = value.to_bytes(size, draw(st.sampled_from(("little", "big"))))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "splice":
            other = draw(seeds)
            data[at:] = other[draw(st.integers(0, len(other) - 1)):]
        else:
            length = draw(st.integers(1, 64))
            data[at:at] = data[at:at + length] * draw(st.integers(1, 50))
    return bytes(data)


_HUGE = st.one_of(st.integers(1, 64), st.sampled_from(INTERESTING), st.integers(1, 0xFFFFFFFF))


@st.composite
def tiff_files(draw: st.DrawFn) -> bytes:
    """A TIFF written directory by directory: sizes, compressions and layouts drawn, the chain
    of directories long, looped or pointing nowhere."""
    order = draw(st.sampled_from(("<", ">")))
    count = draw(st.one_of(st.integers(1, 5), st.sampled_from((64, 65, 200, 3000))))
    pixels = draw(st.binary(min_size=0, max_size=2048))
    entries = 11
    size = 2 + 12 * entries + 4
    data_at = 8 + count * size
    out = bytearray((b"II*\0" if order == "<" else b"MM\0*") + struct.pack(order + "I", 8))
    uniform = draw(st.booleans())
    shape = (draw(_HUGE), draw(_HUGE), draw(st.sampled_from((1, 2, 4, 8, 16, 32, 0, 255))))
    for index in range(count):
        width, height, bits = shape if uniform else (draw(_HUGE), draw(_HUGE), draw(st.sampled_from((1, 8, 16))))
        following = 8 + (index + 1) * size if index + 1 < count else 0
        if index + 1 == count and draw(st.booleans()):
            following = draw(st.one_of(st.just(8), st.integers(0, data_at + len(pixels) + 16)))  # a loop
        compression = draw(st.sampled_from((1, 2, 3, 4, 5, 7, 8, 32773, 32946, 34712, 65535)))
        samples = draw(st.sampled_from((1, 1, 3, 4, 0, 65535)))
        rows = draw(st.one_of(st.just(height), st.integers(1, 0xFFFFFFFF)))
        fields = [(256, 4, width), (257, 4, height), (258, 3, bits), (259, 3, compression),
                  (262, 3, draw(st.integers(0, 9))), (273, 4, data_at), (277, 3, samples), (278, 4, rows),
                  (279, 4, len(pixels)), (284, 3, draw(st.sampled_from((1, 2, 3)))),
                  (339, 3, draw(st.sampled_from((1, 2, 3, 4))))]
        out += struct.pack(order + "H", entries)
        for tag, kind, value in fields:
            value %= 1 << (32 if kind == 4 else 16)
            out += (struct.pack(order + "HHII", tag, kind, 1, value) if kind == 4
                    else struct.pack(order + "HHIHH", tag, kind, 1, value, 0))
        out += struct.pack(order + "I", following)
    return bytes(out + pixels)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


@st.composite
def png_files(draw: st.DrawFn) -> bytes:
    """A PNG written chunk by chunk: IHDR drawn, maybe an animation (acTL, fcTL, fdAT) and a zlib
    stream that expands far past its size."""
    width, height = draw(_HUGE), draw(_HUGE)
    depth, colour = draw(st.sampled_from(((1, 0), (8, 0), (16, 0), (8, 2), (16, 2), (8, 3), (8, 4), (8, 6),
                                          (16, 6), (2, 3), (7, 0), (8, 5))))
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width % 2**32, height % 2**32, depth,
                                                             colour, 0, 0, draw(st.sampled_from((0, 1)))))
    if colour == 3:
        out += _chunk(b"PLTE", draw(st.binary(min_size=3, max_size=768)))
    frames = draw(st.integers(0, 3))
    if frames:
        out += _chunk(b"acTL", struct.pack(">II", draw(_HUGE) % 2**32, 0))
    expanded = draw(st.one_of(st.integers(0, 4096), st.sampled_from((1 << 20, 64 << 20, 512 << 20))))
    idat = _zeros_deflate(expanded)
    sequence = 0
    for frame in range(max(frames, 1)):
        if frames:
            out += _chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, draw(_HUGE) % 2**32, draw(_HUGE) % 2**32,
                                               draw(st.integers(0, 100)), draw(st.integers(0, 100)), 1, 10,
                                               draw(st.integers(0, 3)), draw(st.integers(0, 2))))
            sequence += 1
        if frame == 0:
            out += _chunk(b"IDAT", idat)
        else:
            out += _chunk(b"fdAT", struct.pack(">I", sequence) + idat)
            sequence += 1
    return out + _chunk(b"IEND", b"")


def _zeros_deflate(length: int) -> bytes:
    """A zlib stream of `length` zero bytes (rounded down to whole MiB past the first), built from
    one compressed MiB repeated."""
    if length < 1 << 20:
        return zlib.compress(b"\0" * length, 9)
    head, tail = _zeros_mib()
    mebibytes = length >> 20
    adler32 = ((mebibytes << 20) % 65521) << 16 | 1  # of that many zero bytes
    return head + tail * (mebibytes - 1) + b"\x03\x00" + struct.pack(">I", adler32)  # an empty final block


@functools.cache
def _zeros_mib() -> tuple[bytes, bytes]:
    """Deflate blocks for 1 MiB of zeros: with the zlib header, and alone (ending byte-aligned)."""
    block = zlib.compressobj(9)
    head = block.compress(b"\0" * (1 << 20)) + block.flush(zlib.Z_FULL_FLUSH)
    tail = block.compress(b"\0" * (1 << 20)) + block.flush(zlib.Z_FULL_FLUSH)
    return head, tail


@st.composite
def bmp_files(draw: st.DrawFn) -> bytes:
    pixels = draw(st.binary(max_size=1024))
    header = struct.pack("<IiiHHIIiiII", 40, draw(st.integers(-(2**31), 2**31 - 1)),
                         draw(st.integers(-(2**31), 2**31 - 1)), 1, draw(st.sampled_from((1, 4, 8, 16, 24, 32, 0, 64))),
                         draw(st.integers(0, 6)), len(pixels), 2835, 2835, draw(_HUGE) % 2**32, 0)
    offset = 14 + len(header)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + header + pixels


# --- PDF cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pdf:
    """What a PDF written object by object holds."""

    pages: int = 1
    box: tuple[str, str, str, str] = ("0", "0", "612", "792")
    crop: tuple[str, str, str, str] | None = None
    rotate: str | None = None
    forms: int = 0  # a chain of Form XObjects, each drawing the next `form_copies` times
    form_copies: int = 1
    self_drawing: bool = False  # the last form draws itself
    bomb: int = 0  # bytes a compressed content stream expands to
    tree_loop: bool = False
    count: str | None = None  # what /Count says (None: the truth)
    extra: list[str] = field(default_factory=list)


def built_pdf(spec: Pdf) -> bytes:
    """A PDF with a correct cross-reference table, so qpdf reads it without repairing it."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")
    pages = add(b"")
    forms = [add(b"") for _ in range(spec.forms)]
    for index, number in enumerate(forms):
        names = [f"/X{index}_{copy}" for copy in range(spec.form_copies)]
        target = forms[index + 1] if index + 1 < len(forms) else (number if spec.self_drawing else None)
        resources = (" ".join(f"{name} {target} 0 R" for name in names)) if target else ""
        content = " ".join(f"{name} Do" for name in names) if target else "0 0 m 1 1 l S"
        body = content.encode()
        objects[number - 1] = (f"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << "
                               f"{resources} >> >> /Length {len(body)} >>\nstream\n").encode() + body + b"\nendstream"
    content = b"q 1 0 0 1 0 0 cm " + (b"/F0 Do " if forms else b"") + b"Q"
    if spec.bomb:
        stream = _zeros_deflate(spec.bomb)
        content_ref = add(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream
                          + b"\nendstream")
    else:
        content_ref = add(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    kids = []
    for _ in range(spec.pages):
        extras = "".join(spec.extra)
        crop = f" /CropBox [{' '.join(spec.crop)}]" if spec.crop else ""
        rotate = f" /Rotate {spec.rotate}" if spec.rotate is not None else ""
        xobjects = f" /Resources << /XObject << /F0 {forms[0]} 0 R >> >>" if forms else ""
        kids.append(add(f"<< /Type /Page /Parent {pages} 0 R /MediaBox [{' '.join(spec.box)}]{crop}{rotate}"
                        f"{xobjects} /Contents {content_ref} 0 R{extras} >>".encode()))
    kid_refs = " ".join(f"{kid} 0 R" for kid in kids) + (f" {pages} 0 R" if spec.tree_loop else "")
    objects[pages - 1] = f"<< /Type /Pages /Kids [{kid_refs}] /Count {spec.count or len(kids)} >>".encode()
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages} 0 R >>".encode()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


_NUMBER = st.one_of(st.integers(-20_000, 20_000).map(str), st.sampled_from(
    ("0", "-0", "1e309", "1e38", "99999999999999999999", "14400", "14401", "0.0001", "nan", "-612", "3.4e38")))


@st.composite
def pdf_specs(draw: st.DrawFn) -> bytes:
    spec = Pdf(
        pages=draw(st.one_of(st.integers(1, 4), st.sampled_from((50, 51, 400)))),
        box=tuple(draw(_NUMBER) for _ in range(4)) if draw(st.booleans()) else ("0", "0", "612", "792"),
        crop=tuple(draw(_NUMBER) for _ in range(4)) if draw(st.booleans()) else None,
        rotate=draw(st.one_of(st.none(), st.sampled_from(("90", "-90", "45", "720", "1e10", "(x)")))),
        forms=draw(st.integers(0, 12)),
        form_copies=draw(st.integers(1, 24)),
        self_drawing=draw(st.booleans()),
        bomb=draw(st.one_of(st.just(0), st.integers(1, 4096), st.sampled_from((64 << 20, 900 << 20)))),
        tree_loop=draw(st.booleans()) and draw(st.booleans()),
        count=draw(st.one_of(st.none(), st.sampled_from(("0", "-1", "99999999", "2147483648")))),
    )
    return built_pdf(spec)


# --- running a case in the worker ------------------------------------------------------------------


def _resident() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process, in bytes."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux 4.0+)


def _image_case(data: bytes) -> str:
    import numpy as np

    from imaging import load_first_page, load_pages, page_png

    pages = load_pages(data)
    first = load_first_page(data)
    again = load_first_page(page_png(first))
    if not (np.array_equal(first.pixels, again.pixels) and first.dpi == again.dpi):
        raise AssertionError("the stored page does not read back as the page read")
    return f"{len(pages)} pages"


def _pdf_case(data: bytes, seconds: float) -> str:
    from imaging import ImageLimits
    from pdf.intake import PdfLimits, check_render_budget, open_pdf, pages_with_text
    from pdf.rasterize import render_page

    with tempfile.TemporaryDirectory(prefix="fuzz-pdf-") as folder:
        path = Path(folder) / "case.pdf"
        path.write_bytes(data)
        with open_pdf(path) as pdf:
            check_render_budget(pdf, path, PDF_RENDER_DPI, ImageLimits.from_env(), PdfLimits.from_env())
            texts = len(pages_with_text(pdf))
            count = len(pdf.pages)
        render_page(path, 1, PDF_RENDER_DPI, timeout=seconds)
    return f"{count} pages, {texts} with text"


def _worker(connection, seconds: float) -> None:
    import tracemalloc
    import warnings

    from kernel.errors import OcrInputError

    warnings.simplefilter("ignore")  # Pillow's and qpdf's remarks on damaged files: the outcome says enough
    tracemalloc.start()
    while True:
        kind, data = connection.recv()
        _reset_peak()
        base, _ = _resident()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        try:
            detail = _image_case(data) if kind == "image" else _pdf_case(data, seconds / 2)
            outcome, error = "accepted", None
        except OcrInputError as exc:
            outcome, error, detail = "refused", type(exc).__name__, str(exc)
        except Exception as exc:
            outcome, error = "error", type(exc).__name__
            detail = "".join(traceback.format_exception_only(exc)).strip() + " at " + _where(exc)
        _, peak = _resident()
        connection.send({"outcome": outcome, "error": error, "detail": detail[:500],
                         "seconds": time.perf_counter() - started, "rss": max(0, peak - base),
                         "traced": tracemalloc.get_traced_memory()[1]})


def _where(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} ({frame.name})"


class Worker:
    """A process that runs cases; killed and replaced when one hangs or kills it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        saved = dict(os.environ)
        os.environ.update({**LIMITS, **MALLOC})
        try:
            self.process = context.Process(target=_worker, args=(child, self.seconds), daemon=True)
            self.process.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def run(self, kind: str, data: bytes) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            self.connection.send((kind, data))
            if self.connection.poll(self.seconds):
                return self.connection.recv()
            outcome = "hang"
        except (EOFError, OSError, BrokenPipeError):
            outcome = "crash"
        code = self.process.exitcode
        self.process.kill()
        self.process.join()
        self._start()
        return {"outcome": "crash" if code is not None else outcome, "error": None,
                "detail": f"worker exit code {code}" if code is not None else f"no answer in {self.seconds:g} s",
                "seconds": time.perf_counter() - started, "rss": 0, "traced": 0}

    def close(self) -> None:
        self.process.kill()
        self.process.join()


# --- the campaign ----------------------------------------------------------------------------------


class TimeUp(BaseException):
    """The campaign's time is over (a BaseException, so Hypothesis does not take it for a failure)."""


@dataclass
class Campaign:
    kind: str
    worker: Worker
    budget: int
    until: float
    outcomes: Counter = field(default_factory=Counter)
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    peak_rss: int = 0
    peak_traced: int = 0
    slowest: float = 0.0

    def run(self, data: bytes) -> None:
        if time.monotonic() > self.until:
            raise TimeUp
        result = self.worker.run(self.kind, data)
        peak = max(result["rss"], result["traced"])
        if result["outcome"] in ("accepted", "refused") and peak > self.budget:
            result = {**result, "outcome": "over budget",
                      "detail": f"peak {peak} bytes over the budget of {self.budget}; {result['detail']}"}
        self.outcomes[result["outcome"]] += 1
        self.peak_rss, self.peak_traced = max(self.peak_rss, result["rss"]), max(self.peak_traced, result["traced"])
        self.slowest = max(self.slowest, result["seconds"])
        if result["outcome"] not in ("accepted", "refused"):
            self._record(data, result)

    def _record(self, data: bytes, result: dict[str, Any]) -> None:
        # one reproducer per kind of failure: an error by its type and where it was raised
        where = result["detail"].rsplit(" at ", 1)[-1] if result["outcome"] == "error" else ""
        signature = f"{self.kind}:{result['outcome']}:{result['error'] or ''}:{where}"
        if signature in self.failures:
            self.failures[signature]["count"] += 1
            return
        name = f"{self.kind}-{result['outcome'].replace(' ', '-')}-{hashlib.sha256(data).hexdigest()[:12]}"
        entry = {**result, "count": 1, "bytes": len(data), "reproducer": None}
        if len(self.failures) < MAX_SAVED:
            REPRODUCERS.mkdir(parents=True, exist_ok=True)
            (REPRODUCERS / f"{name}.bin").write_bytes(data)
            (REPRODUCERS / f"{name}.json").write_text(json.dumps({"kind": self.kind, **result}, indent=2) + "\n")
            entry["reproducer"] = str((REPRODUCERS / f"{name}.bin").relative_to(ROOT))
        self.failures[signature] = entry
        print(f"FAILURE {signature}: {result['detail'][:200]}", flush=True)

    def report(self) -> dict[str, Any]:
        return {"cases": sum(self.outcomes.values()), "outcomes": dict(self.outcomes), "budget_bytes": self.budget,
                "peak_rss_delta_bytes": self.peak_rss, "peak_traced_bytes": self.peak_traced,
                "slowest_case_seconds": round(self.slowest, 3), "failures": list(self.failures.values())}


def strategy(kind: str) -> st.SearchStrategy[bytes]:
    if kind == "image":
        seeds = st.sampled_from(image_seeds())
        built = st.one_of(tiff_files(), png_files(), bmp_files())
        return st.one_of(seeds, mutated(seeds), built, mutated(built))
    seeds = st.sampled_from(pdf_seeds())
    built = pdf_specs()
    return st.one_of(seeds, mutated(seeds), built, mutated(built))


def fuzz(campaign: Campaign) -> None:
    @settings(max_examples=10**9, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @given(strategy(campaign.kind))
    def case(data: bytes) -> None:
        campaign.run(data)

    try:
        case()
    except TimeUp:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, required=True, help="total time for both campaigns")
    parser.add_argument("--pdf-share", type=float, default=0.5, help="the PDF campaign's share of the time")
    parser.add_argument("--case-seconds", type=float, default=10.0, help="a case running longer is a hang")
    args = parser.parse_args(argv)
    started = time.time()
    report: dict[str, Any] = {"command": " ".join(["python", "benchmarks/fuzz_intake.py", *(argv or sys.argv[1:])]),
                              "minutes": args.minutes, "case_seconds": args.case_seconds, "limits": LIMITS}
    for kind, share in (("image", 1 - args.pdf_share), ("pdf", args.pdf_share)):
        worker = Worker(args.case_seconds)
        campaign = Campaign(kind, worker, budget(kind), time.monotonic() + args.minutes * 60 * share)
        try:
            fuzz(campaign)
        finally:
            worker.close()
        report[kind] = campaign.report()
        print(f"{kind}: {report[kind]['cases']} cases, {report[kind]['outcomes']}, "
              f"{len(campaign.failures)} distinct failures", flush=True)
    report["seconds"] = round(time.time() - started, 1)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if report["image"]["failures"] or report["pdf"]["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
