"""Render one text string with one font into a word crop shaped like the benchmark crops.

Geometry lives here (size, weight, tracking, rotation, underline, crop padding, bits of neighbouring
lines at the edges); photometric damage lives in `augment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from training.synth.fonts import FontInfo


@dataclass(frozen=True)
class RenderConfig:
    size_range: tuple[int, int] = (16, 44)  # font size in px before any resampling
    bold_prob: float = 0.12  # fake bold via stroke
    tracking_prob: float = 0.2
    tracking_range: tuple[float, float] = (-0.03, 0.22)  # extra space between letters, in ems
    rotation_prob: float = 0.25
    max_rotation_deg: float = 2.0
    underline_prob: float = 0.04
    # crops are ground-truth boxes padded by 3 px; boxes are sometimes loose or tight
    pad_px: int = 3
    pad_jitter: tuple[int, int] = (-2, 5)
    neighbour_prob: float = 0.12  # strokes of the lines above/below entering the crop
    side_context_prob: float = 0.15  # neighbouring words close enough for loose boxes to cut into
    side_gap_em: tuple[float, float] = (0.12, 0.45)
    ink_range: tuple[int, int] = (0, 90)
    paper_range: tuple[int, int] = (170, 255)
    inverted_prob: float = 0.03  # white text on a dark band
    supersample: int = 1


@lru_cache(maxsize=1024)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _draw_text(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font, fill: int, stroke: int, tracking_px: float
) -> None:
    if tracking_px == 0:
        draw.text(xy, text, font=font, fill=fill, stroke_width=stroke, stroke_fill=fill)
        return
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, font=font, fill=fill, stroke_width=stroke, stroke_fill=fill)
        x += font.getlength(ch) + tracking_px


def render_word(
    text: str, font_info: FontInfo, rng: np.random.Generator, cfg: RenderConfig = RenderConfig()
) -> np.ndarray:
    """Grayscale uint8 crop of `text`: dark ink on light paper (or the inverse), padded like a GT box."""
    size = int(rng.integers(cfg.size_range[0], cfg.size_range[1] + 1))
    font = _font(font_info.path, size)
    stroke = 1 if rng.random() < cfg.bold_prob and size >= 20 else 0
    # no letter-spacing across word gaps: the label could not say where the real spaces are
    tracking = (
        float(rng.uniform(*cfg.tracking_range)) * size if rng.random() < cfg.tracking_prob and " " not in text else 0.0
    )
    ink = int(rng.integers(*cfg.ink_range))
    paper = int(rng.integers(*cfg.paper_range))
    if rng.random() < cfg.inverted_prob:
        ink, paper = 255 - ink // 2, int(rng.integers(0, 90))

    width = int(sum(font.getlength(c) for c in text) + tracking * len(text)) if tracking else int(font.getlength(text))
    margin = size
    canvas_w, canvas_h = max(width, 1) + 2 * margin, 3 * size
    img = Image.new("L", (canvas_w, canvas_h), paper)
    draw = ImageDraw.Draw(img)
    origin = (margin, size)
    _draw_text(draw, origin, text, font, ink, stroke, tracking)
    arr = np.asarray(img)
    ys, xs = np.nonzero(np.abs(arr.astype(np.int16) - paper) > 20)
    ascent, descent = font.getmetrics()
    if xs.size == 0:  # e.g. a space: use the nominal box
        x0, x1, y0, y1 = margin, margin + max(width, size // 3), size, size + ascent + descent
    else:
        # vertical box from the font's metrics in part, as human boxes span the line, not the ink
        x0, x1 = int(xs.min()), int(xs.max()) + 1
        y0 = min(int(ys.min()), size + int(0.25 * ascent)) if rng.random() < 0.5 else int(ys.min())
        y1 = max(int(ys.max()) + 1, size + int(0.9 * ascent)) if rng.random() < 0.5 else int(ys.max()) + 1

    if rng.random() < cfg.underline_prob:
        uy = min(y1 + max(1, size // 12), canvas_h - 2)
        cv2.line(arr := arr.copy(), (x0 - 2, uy), (x1 + 2, uy), ink, max(1, size // 16))
        y1 = uy + 1
    if rng.random() < cfg.neighbour_prob:
        arr = _add_neighbour_strokes(arr, rng, (x0, y0, x1, y1), font, size, ink, stroke)
    if rng.random() < cfg.side_context_prob and tracking == 0:
        arr = _add_side_context(arr, rng, font, (x0, x1), size, ink, stroke, cfg.side_gap_em)

    def pad() -> int:
        return max(0, cfg.pad_px + int(rng.integers(cfg.pad_jitter[0], cfg.pad_jitter[1] + 1)))

    scale = size / 32.0
    x0, x1 = max(0, x0 - int(pad() * scale)), min(canvas_w, x1 + int(pad() * scale))
    y0, y1 = max(0, y0 - int(pad() * scale)), min(canvas_h, y1 + int(pad() * scale))
    crop = np.ascontiguousarray(arr[y0:y1, x0:x1])

    if rng.random() < cfg.rotation_prob:
        crop = rotate(crop, float(rng.uniform(-cfg.max_rotation_deg, cfg.max_rotation_deg)), paper)
    return crop


def rotate(img: np.ndarray, degrees: float, fill: int) -> np.ndarray:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=int(fill))


def _add_neighbour_strokes(
    arr: np.ndarray, rng: np.random.Generator, box: tuple[int, int, int, int], font, size: int, ink: int, stroke: int
) -> np.ndarray:
    """Descenders/ascenders of the adjacent line, or a table rule, just inside the crop edge.

    The adjacent line is real text in the same face one line pitch away, so the crop edge shows
    the clipped glyph parts that padded ground-truth boxes on dense pages really contain.
    """
    x0, y0, x1, y1 = box
    top = rng.random() < 0.5
    if rng.random() < 0.3:  # a rule line
        arr = arr.copy()
        y = y0 - int(rng.integers(1, 4)) if top else y1 + int(rng.integers(0, 3))
        y = int(np.clip(y, 0, arr.shape[0] - 1))
        cv2.line(arr, (x0 - size, y), (x1 + size, y), ink, int(rng.integers(1, 3)))
        return arr
    letters = "abcdefghijklmnopqrstuvwxyz  ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.()"
    line = ""
    while font.getlength(line) < (x1 - x0) + 2 * size:
        line += str(rng.choice(list(letters)))
    pitch = float(rng.uniform(0.8, 1.2)) * size  # loose boxes on tight pages show a good part of it
    img = Image.fromarray(arr)
    x = x0 - float(rng.uniform(0, size))
    ImageDraw.Draw(img).text(
        (x, size - pitch if top else size + pitch), line, font=font, fill=ink, stroke_width=stroke, stroke_fill=ink
    )
    return np.asarray(img)


def _add_side_context(
    arr: np.ndarray,
    rng: np.random.Generator,
    font,
    span: tuple[int, int],
    size: int,
    ink: int,
    stroke: int,
    gap_em: tuple[float, float],
) -> np.ndarray:
    """Glyphs of the previous/next word on the same baseline, a small gap away from the word."""
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for side in ("left", "right"):
        if rng.random() < 0.5:
            continue
        context = "".join(rng.choice(list(letters), int(rng.integers(1, 4))))
        gap = float(rng.uniform(*gap_em)) * size
        x = span[0] - gap - font.getlength(context) if side == "left" else span[1] + gap
        draw.text((x, size), context, font=font, fill=ink, stroke_width=stroke, stroke_fill=ink)
    return np.asarray(img)
