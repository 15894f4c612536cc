"""Where a result came from: the machine a measurement ran on."""

from __future__ import annotations

import os

import pytest

from kernel import provenance
from kernel.provenance import NUMERIC_ISA, machine, same_machine


@pytest.mark.skipif(not provenance.CPUINFO.exists(), reason="no /proc/cpuinfo on this platform")
def test_machine_names_the_cpu_and_the_numeric_instruction_sets_it_has():
    flags = set()
    for line in provenance.CPUINFO.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags = set(value.split())
            break
    found = machine()
    assert found["cpu"] and found["cpu"] != "unknown"
    assert found["isa"] == [f for f in NUMERIC_ISA if f in flags]
    assert found["cores"] == os.cpu_count()


def test_machine_reads_a_cpuinfo_of_another_architecture(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nFeatures\t: fp asimd evtstrm sve crc32\nModel\t\t: Raspberry Pi 5\n")
    monkeypatch.setattr(provenance, "CPUINFO", cpuinfo)
    provenance.machine.cache_clear()
    try:
        found = machine()
    finally:
        provenance.machine.cache_clear()
    assert found["cpu"] == "Raspberry Pi 5" and found["isa"] == ["asimd", "sve"]


def test_same_machine_compares_cpu_and_instruction_sets_only():
    here = {"cpu": "AMD EPYC", "isa": ["avx2", "avx512f"], "cores": 2, "python": "3.11.7"}
    assert same_machine(here, {**here, "cores": 16, "python": "3.12.1"}) is True
    assert same_machine(here, {**here, "isa": ["avx2"]}) is False
    assert same_machine(here, {**here, "cpu": "Intel Xeon"}) is False
    assert same_machine(here, None) is None and same_machine({}, here) is None
