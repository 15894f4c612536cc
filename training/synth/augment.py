"""Photometric and small geometric damage that turns a clean render into a realistic scan/receipt crop.

Every transform takes a float32 image in [0, 255] (any polarity) and a numpy Generator, so a
sample is reproducible from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    thermal_prob: float = 0.14  # stipple/erode strokes like thermal or dot-matrix printers
    elastic_prob: float = 0.15
    perspective_prob: float = 0.12
    texture_prob: float = 0.35
    shadow_prob: float = 0.12
    crease_prob: float = 0.05
    fade_prob: float = 0.2
    lowres_prob: float = 0.3  # render-small-then-upscale, like the 100 dpi FUNSD scans
    lowres_target_height: tuple[int, int] = (9, 20)
    blur_prob: float = 0.3
    noise_prob: float = 0.45
    salt_pepper_prob: float = 0.08
    binarize_prob: float = 0.1
    jpeg_prob: float = 0.3
    jpeg_quality: tuple[int, int] = (15, 85)


def thermal(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Break strokes into dots (dot-matrix) or erode them unevenly (worn thermal head)."""
    paper = float(np.median(img))
    h, w = img.shape
    if rng.random() < 0.5:
        pitch = int(rng.integers(2, 4))
        yy, xx = np.mgrid[0:h, 0:w]
        dots = (((yy % pitch) < pitch - 1) & ((xx % pitch) < pitch - 1)).astype(np.float32)
        factor = 0.35 + 0.65 * cv2.GaussianBlur(dots, (3, 3), 0.6)
    else:
        holes = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), float(rng.uniform(0.6, 1.5)))
        holes = (holes - holes.min()) / (np.ptp(holes) + 1e-6)
        factor = np.clip(holes * 2.0 + float(rng.uniform(-0.1, 0.3)), 0, 1)
    return paper + (img - paper) * factor


def elastic(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    alpha, sigma = float(rng.uniform(0.5, 2.0)) * h / 32, float(rng.uniform(3, 6)) * h / 32
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * sigma
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * sigma
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def perspective(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    d = 0.06 * h
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    dst = src + rng.uniform(-d, d, (4, 2)).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def texture(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Paper grain and blotches: low-frequency noise scaled by the ink/paper contrast."""
    h, w = img.shape
    noise: np.ndarray = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), float(rng.uniform(1, 8)))
    noise /= noise.std() + 1e-6
    return img + noise * float(rng.uniform(3, 18))


def shadow(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    angle = rng.uniform(0, 2 * np.pi)
    xx, yy = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    ramp = np.clip((np.cos(angle) * xx + np.sin(angle) * yy) * rng.uniform(0.5, 2) + rng.uniform(-0.5, 0.5), 0, 1)
    return img * (1 - ramp.astype(np.float32) * float(rng.uniform(0.2, 0.6)))


def crease(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    out = img.copy()
    x0, x1 = rng.uniform(0, w, 2)
    color = float(rng.choice([rng.uniform(0, 80), rng.uniform(200, 255)]))
    mask = np.zeros((h, w), np.float32)
    cv2.line(mask, (int(x0), 0), (int(x1), h), 1.0, int(rng.integers(1, 3)))
    mask = cv2.GaussianBlur(mask, (3, 3), 0) * float(rng.uniform(0.2, 0.6))
    return out * (1 - mask) + color * mask


def fade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    paper = float(np.percentile(img, 90))
    return paper + (img - paper) * float(rng.uniform(0.25, 0.8))


def lowres(img: np.ndarray, rng: np.random.Generator, target: tuple[int, int]) -> np.ndarray:
    h, w = img.shape
    th = int(rng.integers(*target))
    if th >= h:
        return img
    tw = max(1, round(w * th / h))
    small = cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:  # scanners threshold at low resolution
        lo, hi = np.percentile(small, [5, 95])
        cut = lo + (hi - lo) * float(rng.uniform(0.35, 0.65))
        small = np.where(small > cut, hi, lo).astype(np.float32)
    interp = [cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST][int(rng.integers(3))]
    return cv2.resize(small, (w, h), interpolation=interp)


def blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = float(rng.uniform(0.3, 1.4)) * img.shape[0] / 32
    if rng.random() < 0.3:  # motion blur
        k = max(3, int(sigma * 3) | 1)
        kern = np.zeros((k, k), np.float32)
        kern[k // 2, :] = 1.0 / k
        return cv2.filter2D(img, -1, kern)
    return cv2.GaussianBlur(img, (0, 0), sigma)


def noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return img + rng.normal(0, float(rng.uniform(2, 20)), img.shape).astype(np.float32)


def salt_pepper(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = img.copy()
    m = rng.random(img.shape)
    amount = float(rng.uniform(0.002, 0.03))
    out[m < amount / 2] = 0
    out[m > 1 - amount / 2] = 255
    return out


def binarize(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u8 = np.clip(img, 0, 255).astype(np.uint8)
    _, th = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return th.astype(np.float32)


def jpeg(img: np.ndarray, rng: np.random.Generator, quality: tuple[int, int]) -> np.ndarray:
    u8 = np.clip(img, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*quality))])
    if not ok:
        return img
    decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if decoded is None:
        raise RuntimeError("OpenCV could not decode the JPEG it had just encoded")
    return decoded.astype(np.float32)


def augment(
    crop: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig(), thermal_bias: float = 1.0
) -> np.ndarray:
    """Apply a random subset of the distortions in a fixed, physically sensible order."""
    img = crop.astype(np.float32)
    if rng.random() < cfg.thermal_prob * thermal_bias:
        img = thermal(img, rng)
    if rng.random() < cfg.elastic_prob:
        img = elastic(img, rng)
    if rng.random() < cfg.perspective_prob:
        img = perspective(img, rng)
    if rng.random() < cfg.fade_prob:
        img = fade(img, rng)
    if rng.random() < cfg.texture_prob:
        img = texture(img, rng)
    if rng.random() < cfg.shadow_prob:
        img = shadow(img, rng)
    if rng.random() < cfg.crease_prob:
        img = crease(img, rng)
    if rng.random() < cfg.lowres_prob:
        img = lowres(img, rng, cfg.lowres_target_height)
    if rng.random() < cfg.blur_prob:
        img = blur(img, rng)
    if rng.random() < cfg.noise_prob:
        img = noise(img, rng)
    if rng.random() < cfg.salt_pepper_prob:
        img = salt_pepper(img, rng)
    if rng.random() < cfg.binarize_prob:
        img = binarize(img, rng)
    if rng.random() < cfg.jpeg_prob:
        img = jpeg(img, rng, cfg.jpeg_quality)
    return np.clip(img, 0, 255).astype(np.uint8)


def negative(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A crop with no text: paper/countertop texture, a rule line or speckles; labelled ''."""
    base = float(rng.uniform(60, 250))
    img = np.full((height, width), base, np.float32)
    img = texture(img, rng)
    k = int(rng.integers(4))
    if k == 1:
        y = int(rng.integers(0, height))
        cv2.line(img, (0, y), (width, y), float(rng.uniform(0, 100)), int(rng.integers(1, 3)))
    elif k == 2:
        img = salt_pepper(img, rng)
    elif k == 3:  # wood/marble-like streaks
        streak = cv2.GaussianBlur(
            rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), float(rng.uniform(1, 3))
        )
        streak = cv2.resize(cv2.resize(streak, (width, max(1, height // 6))), (width, height))
        img += streak * float(rng.uniform(10, 40))
    return np.clip(noise(img, rng), 0, 255).astype(np.uint8)
