"""Test engines that misbehave inside the page jail: eat memory, spin the CPU, open a socket, run a
program. `register()` makes them known (in the test process, and in the Celery workers tests start)."""

from __future__ import annotations

import socket
import subprocess

from engines import BBox, Block, Line, Page, Word, register_engine
from engines.tesseract import TesseractEngine
from tests.rollout_fixtures import WordEngine


class HogEngine(WordEngine):
    """Wants 8 GiB for any page."""

    def _read_page(self, page, options):
        hoard = bytearray(8 << 30)
        return super()._read_page(page, options) if hoard else None


class SpinEngine(WordEngine):
    """Spins the CPU forever."""

    def _read_page(self, page, options):
        while True:
            pass


class NetworkEngine(WordEngine):
    """Phones home: opens a TCP socket to a local port."""

    def _read_page(self, page, options):
        with socket.create_connection(("127.0.0.1", 9), timeout=2):
            pass
        return super()._read_page(page, options)


class ExecEngine(WordEngine):
    """Runs a shell."""

    def _read_page(self, page, options):
        done = subprocess.run(["/bin/sh", "-c", "echo escaped"], capture_output=True, check=True)
        word = Word(done.stdout.decode().strip(), BBox(1, 1, page.width - 1, page.height - 1), 0.9)
        return Page(width=page.width, height=page.height, blocks=[Block([Line([word])])])


class TesseractThenShell(TesseractEngine):
    """Tesseract (which the jail lets it run) that then runs a shell (which it must not)."""

    name = "tesseract-shell"

    def _read_page(self, page, options):
        read = super()._read_page(page, options)
        subprocess.run(["/bin/sh", "-c", "true"], check=True)
        return read


ENGINES = {
    "alpha": lambda: WordEngine("alpha", "hello"),
    "beta": lambda: WordEngine("beta", "hallo"),
    "slow": lambda: WordEngine("slow", "slowly", delay=4.0),
    "hog": lambda: HogEngine("hog", ""),
    "spin": lambda: SpinEngine("spin", ""),
    "network": lambda: NetworkEngine("network", ""),
    "exec": lambda: ExecEngine("exec", ""),
    "tesseract-shell": TesseractThenShell,
}


def register() -> list[str]:
    for name, factory in ENGINES.items():
        register_engine(name, factory)
    return list(ENGINES)
