"""From the engine's pixels to PDF user space, whatever rotated the page on the way.

An engine reports boxes on the *upright* image (y down, origin top left). That image is the
page's content turned clockwise by the page's `/Rotate` (or the image's EXIF orientation)
and then by the engine's own `rotation`. `upright_to_user` undoes both, so the text layer is
written in the page's own coordinates and turns with the page when a viewer displays it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kernel.errors import OcrInputError

QUARTER_TURNS = (0, 90, 180, 270)


@dataclass(frozen=True)
class Affine:
    """A PDF-style affine map: x' = a·x + c·y + e, y' = b·x + d·y + f."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 1.0
    e: float = 0.0
    f: float = 0.0

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f

    def apply_vector(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.c * y, self.b * x + self.d * y

    def then(self, other: Affine) -> Affine:
        """This map followed by `other`."""
        return Affine(
            self.a * other.a + self.b * other.c,
            self.a * other.b + self.b * other.d,
            self.c * other.a + self.d * other.c,
            self.c * other.b + self.d * other.d,
            self.e * other.a + self.f * other.c + other.e,
            self.e * other.b + self.f * other.d + other.f,
        )


def normalize_rotation(degrees: int) -> int:
    """`degrees` as one of 0/90/180/270; other angles cannot be a page rotation."""
    turn = int(degrees) % 360
    if turn not in QUARTER_TURNS:
        raise OcrInputError(f"rotation must be a multiple of 90 degrees, got {degrees}")
    return turn


def upright_to_user(
    upright_width: int, upright_height: int, content_box: tuple[float, float, float, float], rotation: int
) -> Affine:
    """The map from upright-image pixels to user space.

    content_box: (x0, y0, x1, y1), where the unrotated content lies in user space (an image
    page's MediaBox, a PDF page's CropBox). rotation: degrees clockwise that turn that
    content into the upright image the engine read (page `/Rotate` + engine `rotation`).
    """
    turn = normalize_rotation(rotation)
    sideways = turn in (90, 270)
    content_w, content_h = (upright_height, upright_width) if sideways else (upright_width, upright_height)
    undo_turn = {
        0: Affine(),
        90: Affine(0, -1, 1, 0, 0, content_h),
        180: Affine(-1, 0, 0, -1, content_w, content_h),
        270: Affine(0, 1, -1, 0, content_w, 0),
    }[turn]
    x0, y0, x1, y1 = content_box
    to_points = Affine((x1 - x0) / content_w, 0, 0, -(y1 - y0) / content_h, x0, y1)
    return undo_turn.then(to_points)


def unit(vector: tuple[float, float]) -> tuple[tuple[float, float], float]:
    """`vector` normalised, and its length."""
    length = math.hypot(*vector)
    return (vector[0] / length, vector[1] / length), length
