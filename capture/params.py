"""Every page's capture parameters, drawn from a generator seeded by (seed, page id).

The ranges below are the model (docs/photos.md has them as a table); change one and bump
`SIMULATOR_VERSION`, since sets built before would no longer rebuild byte for byte.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

#: bump whenever a range, a distribution or an operation changes what a page turns into
SIMULATOR_VERSION = 2  # 2: lines carry their outline on the photo (`polygon`); the photos are as in 1

# --- geometry (shares are of the page: its width or height along an axis, or for amplitudes the
# geometric mean of width and height, "page size") ---
OUT_LONG_SIDE = (1600, 3000)  # px, uniform integer: long side of the scanner's output (phone camera and app)
ROTATION_DEG = 2.0  # degrees, uniform in ±: rotation the rectifier left
CORNER_JITTER = 0.03  # share of width/height, uniform in ± per corner coordinate: residual perspective
BOW = 0.008  # share of page size, uniform in ± per axis: page curl, the page's middle bowed (lines arch)
WAVE_COUNT = (1, 3)  # uniform integer: low-frequency waves of a curved page
WAVE_AMPLITUDE = (0.0005, 0.003)  # share of page size, uniform: each wave's displacement
WAVE_FREQUENCY = (0.5, 2.0)  # cycles per page, uniform, in a uniform direction
CRINKLE_COUNT = (0, 3)  # uniform integer: short-wave ripples of a crinkled page
CRINKLE_AMPLITUDE = (0.0003, 0.001)  # share of page size, uniform
CRINKLE_FREQUENCY = (3.0, 7.0)  # cycles per page, uniform, in a uniform direction
MAX_DISPLACEMENT = 0.015  # share of page size: bow, waves and crinkles together are scaled down to at most this

# --- photometry (output pixels for blur lengths; intensities in 0..1 of white) ---
PAPER_TINT = 0.06  # uniform in 0..: yellowed paper, blue × (1 − t), green × (1 − t/2)
EXPOSURE = (0.82, 1.0)  # uniform: brightness of the best-lit paper
LIGHT_GRADIENT = (0.0, 0.35)  # uniform: light lost from the bright edge to the dark edge (linear ramp, any direction)
VIGNETTING = (0.0, 0.3)  # uniform: light lost in the corners (quadratic in the distance from the centre)
SHADOW_PROBABILITY = 0.5  # share of pages with a cast shadow (a hand or the phone) from one edge
SHADOW_DEPTH = (0.15, 0.5)  # share of the page, uniform: how far in from its edge the shadow reaches
SHADOW_DARKNESS = (0.2, 0.55)  # uniform: share of the light the shadow takes away
SHADOW_SOFTNESS = (0.005, 0.04)  # share of page size, uniform: blur (σ) of the shadow's edge (penumbra)
HIGHLIGHT_PROBABILITY = 0.35  # share of pages with a specular highlight (glossy paper, a lamp)
HIGHLIGHT_SIZE = (0.05, 0.2)  # share of page size, uniform: semi-axes of the highlight's ellipse
HIGHLIGHT_STRENGTH = (0.4, 1.6)  # uniform: blend toward white at the core; above 1 the core saturates
DEFOCUS_PROBABILITY = 0.5  # share of pages out of focus
DEFOCUS_RADIUS = (0.8, 2.5)  # px, uniform: radius of the disk kernel
MOTION_PROBABILITY = 0.3  # share of pages with camera shake
MOTION_LENGTH = (2.0, 7.0)  # px, uniform, in a uniform direction: length of the line kernel
NOISE_SHOT = (0.0005, 0.004)  # uniform: Poisson part, variance = shot × signal (signal 0..1)
NOISE_READ = (0.002, 0.012)  # uniform: Gaussian part, σ (read noise)
WHITE_BALANCE = 0.05  # uniform in ± per gain of red and blue (green fixed): the camera's colour cast
JPEG_QUALITY = (60, 92)  # uniform integer: the scanner app's JPEG quality

Wave = tuple[float, float, float, float, float]  # amplitude, displacement angle (rad), fu, fv (cycles), phase (rad)


@dataclass(frozen=True)
class CaptureParams:
    """What one page goes through; `asdict` of it is JSON (tuples become lists)."""

    out_long_side: int
    rotation_deg: float
    corner_jitter: tuple[float, ...]  # 8 values: (dx, dy) of the top-left, top-right, bottom-right, bottom-left corner
    bow_x: float
    bow_y: float
    waves: tuple[Wave, ...]  # the waves, then the crinkles
    paper_tint: float
    exposure: float
    light_gradient: float
    light_angle: float  # radians: the direction in which the light falls off
    vignetting: float
    shadow_edge: int  # -1: no shadow; 0 top, 1 right, 2 bottom, 3 left
    shadow_span: tuple[float, float]  # where along its edge the shadow starts and ends (shares)
    shadow_depths: tuple[float, float, float]  # how far in it reaches at its start, middle and end (shares)
    shadow_darkness: float
    shadow_softness: float
    highlight_strength: float  # 0: no highlight
    highlight_center: tuple[float, float]  # shares of width and height
    highlight_axes: tuple[float, float]  # shares of page size
    highlight_angle: float  # radians
    defocus_radius: float  # px; 0: in focus
    motion_length: float  # px; 0: no shake
    motion_angle: float  # radians
    noise_shot: float
    noise_read: float
    white_balance: tuple[float, float, float]  # gains of R, G, B
    jpeg_quality: int
    noise_seed: int  # seeds the sensor noise's generator

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaptureParams:
        """The inverse of `asdict` after a JSON round trip (lists back to tuples)."""

        def frozen(value: Any) -> Any:
            return tuple(frozen(v) for v in value) if isinstance(value, list) else value

        return cls(**{f.name: frozen(data[f.name]) for f in fields(cls)})


def page_rng(page_id: str, seed: int) -> np.random.Generator:
    """A generator that depends on (seed, page id) only: sha256 of both seeds it."""
    digest = hashlib.sha256(f"ocrgate-capture:{seed}:{page_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _u(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return round(float(rng.uniform(*bounds)), 6)


def _pm(rng: np.random.Generator, half: float) -> float:
    return round(float(rng.uniform(-half, half)), 6)


def _angle(rng: np.random.Generator) -> float:
    return round(float(rng.uniform(0.0, 2 * math.pi)), 6)


def _waves(
    rng: np.random.Generator, count: tuple[int, int], amplitude: tuple[float, float], frequency: tuple[float, float]
) -> list[list[float]]:
    waves = []
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        size, direction, f, heading, phase = (
            _u(rng, amplitude),
            _angle(rng),
            _u(rng, frequency),
            _angle(rng),
            _angle(rng),
        )
        waves.append([size, direction, f * math.cos(heading), f * math.sin(heading), phase])
    return waves


def _geometry(rng: np.random.Generator) -> dict[str, Any]:
    out_long_side = int(rng.integers(OUT_LONG_SIDE[0], OUT_LONG_SIDE[1] + 1))
    rotation = _pm(rng, ROTATION_DEG)
    jitter = tuple(_pm(rng, CORNER_JITTER) for _ in range(8))
    bow_x, bow_y = _pm(rng, BOW), _pm(rng, BOW)
    waves = _waves(rng, WAVE_COUNT, WAVE_AMPLITUDE, WAVE_FREQUENCY) + _waves(
        rng, CRINKLE_COUNT, CRINKLE_AMPLITUDE, CRINKLE_FREQUENCY
    )
    total = abs(bow_x) + abs(bow_y) + sum(w[0] for w in waves)
    shrink = min(1.0, MAX_DISPLACEMENT / total) if total > 0 else 1.0
    for wave in waves:
        wave[0] = round(wave[0] * shrink, 6)
    return {
        "out_long_side": out_long_side,
        "rotation_deg": rotation,
        "corner_jitter": jitter,
        "bow_x": round(bow_x * shrink, 6),
        "bow_y": round(bow_y * shrink, 6),
        "waves": tuple(tuple(round(v, 6) for v in w) for w in waves),
    }


def _lighting(rng: np.random.Generator) -> dict[str, Any]:
    values: dict[str, Any] = {
        "paper_tint": _u(rng, (0.0, PAPER_TINT)),
        "exposure": _u(rng, EXPOSURE),
        "light_gradient": _u(rng, LIGHT_GRADIENT),
        "light_angle": _angle(rng),
        "vignetting": _u(rng, VIGNETTING),
    }
    shadow = rng.random() < SHADOW_PROBABILITY
    start, end = _u(rng, (0.0, 0.5)), _u(rng, (0.5, 1.0))
    depths = tuple(_u(rng, SHADOW_DEPTH) for _ in range(3))
    values.update(
        shadow_edge=int(rng.integers(0, 4)) if shadow else -1,
        shadow_span=(start, end),
        shadow_depths=depths,
        shadow_darkness=_u(rng, SHADOW_DARKNESS),
        shadow_softness=_u(rng, SHADOW_SOFTNESS),
    )
    highlight = rng.random() < HIGHLIGHT_PROBABILITY
    strength = _u(rng, HIGHLIGHT_STRENGTH)
    values.update(
        highlight_strength=strength if highlight else 0.0,
        highlight_center=(_u(rng, (0.1, 0.9)), _u(rng, (0.1, 0.9))),
        highlight_axes=(_u(rng, HIGHLIGHT_SIZE), _u(rng, HIGHLIGHT_SIZE)),
        highlight_angle=_angle(rng),
    )
    return values


def _optics_and_sensor(rng: np.random.Generator) -> dict[str, Any]:
    defocus = rng.random() < DEFOCUS_PROBABILITY
    radius = _u(rng, DEFOCUS_RADIUS)
    motion = rng.random() < MOTION_PROBABILITY
    length = _u(rng, MOTION_LENGTH)
    return {
        "defocus_radius": radius if defocus else 0.0,
        "motion_length": length if motion else 0.0,
        "motion_angle": _angle(rng),
        "noise_shot": _u(rng, NOISE_SHOT),
        "noise_read": _u(rng, NOISE_READ),
        "white_balance": (round(1 + _pm(rng, WHITE_BALANCE), 6), 1.0, round(1 + _pm(rng, WHITE_BALANCE), 6)),
        "jpeg_quality": int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1)),
        "noise_seed": int(rng.integers(0, 2**31 - 1)),
    }


def draw_photometric(rng: np.random.Generator) -> dict[str, Any]:
    """The photometric fields of `CaptureParams` (lighting, optics, sensor, JPEG) drawn from `rng`."""
    return {**_lighting(rng), **_optics_and_sensor(rng)}


def draw_params(page_id: str, seed: int) -> CaptureParams:
    """The parameters of page `page_id` under `seed`: a pure function of the two."""
    rng = page_rng(page_id, seed)
    return CaptureParams(**_geometry(rng), **draw_photometric(rng))
