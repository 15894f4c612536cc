"""Engines behind one interface: `OcrEngine.recognize(image, options) -> OcrResult`."""

from engines.base import OcrEngine
from engines.options import MODES, RecognizeOptions
from engines.registry import describe_engines, engine_names, get_engine, register_engine
from engines.result import BBox, Block, Line, OcrResult, Page, Word

__all__ = [
    "OcrEngine",
    "MODES",
    "RecognizeOptions",
    "describe_engines",
    "engine_names",
    "get_engine",
    "register_engine",
    "BBox",
    "Block",
    "Line",
    "OcrResult",
    "Page",
    "Word",
]
