"""Photometric steps of a phone capture, in the order light meets them: paper tint, uneven
illumination, a cast shadow, a specular highlight, defocus and motion blur, sensor noise, the
camera's white balance, JPEG compression.

Images are float32 RGB in 0..1 (`to_float`, `to_uint8`). Every page op is `(image, params) -> image`
and moves no pixel, so boxes are untouched; `degrade_crop` applies the same ops, drawn at the same
ranges, to a word crop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from capture.params import CaptureParams, draw_photometric

#: a word crop's height (px) on a phone scanner's page: dev segments are 30–39 px high on the photos
#: (median per category), plus a little padding; a crop of another height is at another resolution
PHOTO_CROP_HEIGHT = 38.0
#: a phone scanner's page size (px, √(width × height)) around which a crop is imagined
PHOTO_PAGE_SIZE = 2000.0
#: shadows and illumination fields are drawn at this share of the image's size, then enlarged
FIELD_SCALE = 0.25


def to_float(image: np.ndarray) -> np.ndarray:
    """uint8 grey or RGB to float32 RGB in 0..1."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return image.astype(np.float32) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def _page_size(image: np.ndarray) -> float:
    return math.sqrt(image.shape[0] * image.shape[1])


def _coordinates(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """u (columns) and v (rows) in 0..1 across the image, as broadcastable float32 arrays."""
    height, width = image.shape[:2]
    u = (np.arange(width, dtype=np.float32) + 0.5) / width
    v = (np.arange(height, dtype=np.float32) + 0.5) / height
    return u[None, :], v[:, None]


def paper_tint(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """Yellowed paper: less blue, a little less green, in the paper and the ink alike."""
    t = params.paper_tint
    return image * np.array([1.0, 1.0 - t / 2, 1.0 - t], dtype=np.float32)


def illumination(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """Uneven light: exposure × a linear fall-off in one direction × vignetting (multiplicative)."""
    u, v = _coordinates(image)
    dx, dy = math.cos(params.light_angle), math.sin(params.light_angle)
    ramp = (u - 0.5) * dx + (v - 0.5) * dy
    span = (abs(dx) + abs(dy)) / 2  # the ramp's half-range, never below ½
    ramp = ramp / span * 0.5 + 0.5  # 0 on the bright edge, 1 on the dark one
    radius2 = ((u - 0.5) ** 2 + (v - 0.5) ** 2) * 2  # 1 in the corners
    field = params.exposure * (1 - params.light_gradient * ramp) * (1 - params.vignetting * radius2)
    return image * field[..., None].astype(np.float32)


def shadow_polygon(params: CaptureParams, width: int, height: int) -> np.ndarray:
    """The shadow's outline in pixels: a span of one edge, reaching in to three depths."""
    start, end = params.shadow_span
    d0, d1, d2 = params.shadow_depths
    local = [(start, -0.2), (end, -0.2), (end, d2), ((start + end) / 2, d1), (start, d0)]  # (along, inward)
    edge = params.shadow_edge
    points = []
    for along, inward in local:
        if edge == 0:
            x, y = along, inward
        elif edge == 1:
            x, y = 1 - inward, along
        elif edge == 2:
            x, y = 1 - along, 1 - inward
        else:
            x, y = inward, 1 - along
        points.append((x * width, y * height))
    return np.array(points)


def soft_mask(polygon: np.ndarray, width: int, height: int, sigma: float) -> np.ndarray:
    """A polygon's mask (0..1) with edges blurred by `sigma` px, drawn small and enlarged."""
    small_w, small_h = max(1, round(width * FIELD_SCALE)), max(1, round(height * FIELD_SCALE))
    mask: np.ndarray = np.zeros((small_h, small_w), dtype=np.float32)
    scaled = np.rint(polygon * FIELD_SCALE * 16).astype(np.int32)  # 4 bits of sub-pixel precision
    cv2.fillPoly(mask, [scaled], 1.0, lineType=cv2.LINE_AA, shift=4)
    small_sigma = max(0.5, sigma * FIELD_SCALE)
    mask = cv2.GaussianBlur(mask, (0, 0), small_sigma, borderType=cv2.BORDER_REPLICATE)
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)


def cast_shadow(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """A soft-edged shadow (a hand, the phone) from one edge, taking `shadow_darkness` of the light."""
    if params.shadow_edge < 0:
        return image
    height, width = image.shape[:2]
    polygon = shadow_polygon(params, width, height)
    mask = soft_mask(polygon, width, height, params.shadow_softness * _page_size(image))
    return image * (1 - params.shadow_darkness * mask)[..., None]


def specular_highlight(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """Glare: a soft ellipse blended toward white; where strength × mask ≥ 1 it saturates."""
    if params.highlight_strength <= 0:
        return image
    height, width = image.shape[:2]
    page = _page_size(image)
    u, v = _coordinates(image)
    x = (u - params.highlight_center[0]) * width
    y = (v - params.highlight_center[1]) * height
    c, s = math.cos(params.highlight_angle), math.sin(params.highlight_angle)
    a, b = params.highlight_axes[0] * page, params.highlight_axes[1] * page
    q = ((x * c + y * s) / a) ** 2 + ((-x * s + y * c) / b) ** 2
    weight = np.minimum(1.0, params.highlight_strength * np.exp(-2.0 * q))[..., None]
    return image + (1.0 - image) * weight


def disk_kernel(radius: float) -> np.ndarray:
    """A normalised disk of `radius` px with an anti-aliased rim."""
    half = math.ceil(radius + 0.5)
    y, x = np.mgrid[-half : half + 1, -half : half + 1]
    kernel = np.clip(radius + 0.5 - np.hypot(x, y), 0, 1).astype(np.float32)
    return kernel / kernel.sum()


def line_kernel(length: float, angle: float) -> np.ndarray:
    """A normalised line of `length` px through the centre at `angle`: camera shake."""
    half = math.ceil(length / 2 + 1)
    size = 2 * half + 1
    kernel: np.ndarray = np.zeros((size, size), dtype=np.float32)
    samples = max(2, math.ceil(length * 4))
    for t in np.linspace(-length / 2, length / 2, samples):
        x, y = half + t * math.cos(angle), half + t * math.sin(angle)
        x0, y0 = math.floor(x), math.floor(y)
        fx, fy = x - x0, y - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    kernel = (kernel + kernel[::-1, ::-1]) / 2  # exactly symmetric about the centre
    return kernel / kernel.sum()


def defocus(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """Out of focus: convolution with a disk (the lens's circle of confusion)."""
    if params.defocus_radius <= 0:
        return image
    return cv2.filter2D(image, -1, disk_kernel(params.defocus_radius), borderType=cv2.BORDER_REFLECT)


def motion_blur(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """Camera shake: convolution with a line."""
    if params.motion_length <= 0:
        return image
    kernel = line_kernel(params.motion_length, params.motion_angle)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT)


def sensor_noise(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """Poisson-Gaussian noise (Gaussian approximation): variance = shot × signal + read²."""
    rng = np.random.default_rng(params.noise_seed)
    sigma = np.sqrt(params.noise_shot * np.clip(image, 0, 1) + params.noise_read**2)
    return image + sigma * rng.standard_normal(image.shape, dtype=np.float32)


def white_balance(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """The camera's colour cast: a gain per channel."""
    return image * np.array(params.white_balance, dtype=np.float32)


def jpeg_bytes(image: np.ndarray, quality: int) -> bytes:
    """A uint8 RGB image as JPEG (cv2.imencode: the same bytes for the same pixels)."""
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return encoded.tobytes()


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """A uint8 RGB image after JPEG compression at `quality`."""
    decoded = cv2.imdecode(np.frombuffer(jpeg_bytes(image, quality), np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValueError("JPEG decoding failed")
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


Op = Callable[[np.ndarray, CaptureParams], np.ndarray]

#: the photometric ops in order (JPEG comes last, on the uint8 image: `jpeg_bytes`)
OPS: tuple[Op, ...] = (
    paper_tint,
    illumination,
    cast_shadow,
    specular_highlight,
    defocus,
    motion_blur,
    sensor_noise,
    white_balance,
)


def photometrics(image: np.ndarray, params: CaptureParams) -> np.ndarray:
    """Every photometric op on a float32 RGB image."""
    for op in OPS:
        image = op(image, params)
    return np.clip(image, 0.0, 1.0)


def crop_params(rng: np.random.Generator, width: int, height: int) -> CaptureParams:
    """Photometric parameters for a `width`×`height` word crop: drawn at the page ranges, then scaled
    as if the crop sat somewhere on a phone's page. The crop's height sets its resolution (pixel
    lengths such as blur scale with it); the light varies little across one word; a shadow's edge
    crosses it about a third of the time when there is a shadow (else the word is wholly in or out);
    a highlight lies anywhere on the imagined page, so it covers the word about as often as it
    covers a word of a page."""
    drawn = draw_photometric(rng)
    resolution = height / PHOTO_CROP_HEIGHT  # crop px per px of a phone's page
    page = PHOTO_PAGE_SIZE * resolution  # the imagined page's size in crop px
    size = math.sqrt(width * height)
    depths = tuple(float(rng.uniform(-1.0, 2.0)) for _ in range(3))
    offset = rng.uniform(-0.5, 0.5, 2) * page
    drawn.update(
        light_gradient=drawn["light_gradient"] * size / page,
        vignetting=drawn["vignetting"] * size / page,
        shadow_depths=depths,
        shadow_softness=drawn["shadow_softness"] * page / size,
        highlight_center=(0.5 + float(offset[0]) / width, 0.5 + float(offset[1]) / height),
        highlight_axes=tuple(a * page / size for a in drawn["highlight_axes"]),
        defocus_radius=drawn["defocus_radius"] * resolution,
        motion_length=drawn["motion_length"] * resolution,
    )
    geometry: dict[str, Any] = {
        "out_long_side": max(width, height),
        "rotation_deg": 0.0,
        "corner_jitter": (0.0,) * 8,
        "bow_x": 0.0,
        "bow_y": 0.0,
        "waves": (),
    }  # unused: a crop keeps its geometry
    return CaptureParams(**geometry, **drawn)


def degrade_crop(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A word crop (uint8 grey or RGB) as a phone would have captured it: the photometric ops and JPEG,
    at the page ranges scaled to a crop. Grey in, grey out."""
    params = crop_params(rng, crop.shape[1], crop.shape[0])
    degraded = jpeg_roundtrip(to_uint8(photometrics(to_float(crop), params)), params.jpeg_quality)
    return cv2.cvtColor(degraded, cv2.COLOR_RGB2GRAY) if crop.ndim == 2 else degraded
