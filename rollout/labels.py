"""Gate names, units and categories: checked here, before anything is stored, by the kernel's label
rules with the lengths of the columns that keep them. The API (through the router), the admin and
the CLI (through the gate store) all come here."""

from __future__ import annotations

from collections.abc import Iterable

from kernel.labels import identifier, text_label
from rollout.store.models import GateState, Request, column_length

MAX_GATE = column_length(GateState.name)
MAX_UNIT = column_length(Request.unit)
MAX_CATEGORY = column_length(Request.category)


def gate_name(raw: str) -> str:
    return identifier(raw, "gate name", MAX_GATE)


def unit(raw: str) -> str:
    return text_label(raw, "unit", MAX_UNIT)


def category(raw: str) -> str:
    return text_label(raw, "category", MAX_CATEGORY)


def units(values: Iterable[str]) -> list[str]:
    """A gate's allow or deny list: each unit checked, blank lines dropped, sorted, no repeats."""
    return sorted({unit(value) for value in values if value.strip()})


def categories(values: Iterable[str]) -> list[str]:
    """A gate's target categories: each checked, blank lines dropped, sorted, no repeats."""
    return sorted({category(value) for value in values if value.strip()})
