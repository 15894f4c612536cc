"""Boxes map exactly: every rendered word's ink lies inside its mapped box, through each geometric
step alone and through the composed capture (with and without the photometric ops)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from capture.geometry import (
    Chain,
    MeshField,
    MeshWarp,
    Perspective,
    Resample,
    Rotation,
    Step,
    capture_geometry,
    map_boxes,
)
from capture.params import draw_params
from capture.simulate import render

PAGE = (360, 260)  # width, height
WORDS = [
    ("Total", (4, 24)),
    ("12.50", (250, 30)),
    ("invoice", (120, 110)),
    ("Kg", (330, 150)),
    ("paid", (20, 250)),
    ("ABC-9", (270, 252)),
]
TOLERANCE = 1  # px, for interpolation


def word_page(word: str, origin: tuple[int, int]) -> np.ndarray:
    page = np.full((PAGE[1], PAGE[0]), 255, np.uint8)
    cv2.putText(page, word, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2, cv2.LINE_AA)
    return page


def ink_box(ink: np.ndarray) -> list[int]:
    ys, xs = np.nonzero(ink)
    return [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]


def pages() -> list[tuple[np.ndarray, list[int]]]:
    found = []
    for word, origin in WORDS:
        page = word_page(word, origin)
        found.append((page, ink_box(page < 128)))
    return found


def outside(ink: np.ndarray, box: np.ndarray) -> int:
    """How many ink pixels lie farther than TOLERANCE outside `box`."""
    ys, xs = np.nonzero(ink)
    x0, y0, x1, y1 = box
    return int(np.sum((xs < x0 - TOLERANCE) | (xs > x1 + TOLERANCE) | (ys < y0 - TOLERANCE) | (ys > y1 + TOLERANCE)))


def assert_ink_inside(step: Step) -> None:
    words = pages()
    mapped = map_boxes([box for _, box in words], step)
    for (page, box), target in zip(words, mapped, strict=True):
        warped = step.warp(page, fill=255)
        assert warped.shape == (step.dst_size[1], step.dst_size[0])
        ink = warped < 128
        assert ink.sum() > 20, "the word's ink should survive the step"
        assert outside(ink, target) == 0, f"ink of box {box} leaves its mapped box {target.tolist()}"


STRONG_MESH = MeshField(
    0.008,
    -0.008,
    (
        (0.003, 0.4, 1.5, 0.8, 0.3),
        (0.003, 2.0, -0.6, 1.9, 1.1),
        (0.001, 1.0, 6.0, 3.0, 0.0),
        (0.001, 4.0, -2.0, 7.0, 2.0),
    ),
)

STEPS = {
    "mesh warp": MeshWarp(PAGE, STRONG_MESH),
    "rotation": Rotation(PAGE, 2.0),
    "rotation, large": Rotation(PAGE, -9.0),
    "perspective": Perspective(PAGE, (0.03, -0.03, -0.03, 0.02, 0.025, 0.03, -0.02, -0.03)),
    "upscale to a phone's resolution": Resample(PAGE, 1000),
    "downscale to a phone's resolution": Resample(PAGE, 160),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_ink_stays_inside_mapped_boxes_through_each_step(name: str) -> None:
    assert_ink_inside(STEPS[name])


@pytest.mark.parametrize("page_id", ["funsd_1", "sroie_2", "docbank_3"])
@pytest.mark.parametrize("long_side", [900, 200])
def test_ink_stays_inside_mapped_boxes_through_the_composed_geometry(page_id: str, long_side: int) -> None:
    params = dataclasses.replace(draw_params(page_id, 0), out_long_side=long_side)
    assert_ink_inside(capture_geometry(PAGE, params))


def test_the_fit_keeps_the_whole_page_in_the_frame() -> None:
    params = dataclasses.replace(
        draw_params("x", 0),
        out_long_side=400,
        rotation_deg=2.0,
        corner_jitter=(-0.03, -0.03, 0.03, -0.03, 0.03, 0.03, -0.03, 0.03),
    )
    chain = capture_geometry(PAGE, params)
    corners = chain.forward(
        np.array([[-0.5, -0.5], [PAGE[0] - 0.5, -0.5], [PAGE[0] - 0.5, PAGE[1] - 0.5], [-0.5, PAGE[1] - 0.5]])
    )
    assert len(chain.steps) == 5  # the fit was needed and added
    assert corners.min() >= -0.5 - 1e-6
    assert (corners.max(axis=0) <= np.array(chain.dst_size) - 0.5 + 1e-6).all()


@pytest.mark.parametrize("page_id", ["funsd_1", "sroie_2", "docbank_3", "docbank_4"])
def test_ink_stays_inside_mapped_boxes_through_the_whole_capture(page_id: str) -> None:
    """With light, shadows, blur, noise and JPEG: ink is where the photo of the word page is much
    darker than the photo of a blank page taken with the same parameters."""
    params = dataclasses.replace(draw_params(page_id, 0), out_long_side=700)
    blank = render(np.full((PAGE[1], PAGE[0]), 255, np.uint8), params).pixels.astype(np.float32).mean(axis=2)
    for page, box in pages():
        photo = render(page, params)
        darker = blank - photo.pixels.astype(np.float32).mean(axis=2)
        ink = darker > 0.5 * blank
        target = photo.map_boxes([box])[0]
        assert outside(ink, target) == 0, f"ink of box {box} leaves its mapped box {target.tolist()}"


def test_the_mesh_inverse_undoes_the_forward_map() -> None:
    mesh = MeshWarp(PAGE, STRONG_MESH)
    points = np.random.default_rng(0).uniform(-20, 380, (500, 2))
    assert np.abs(mesh.inverse(mesh.forward(points)) - points).max() < 1e-6


def test_homographies_invert_exactly() -> None:
    chain = Chain([Resample(PAGE, 1000), Rotation((1000, 722), 1.5)])
    points = np.random.default_rng(1).uniform(0, 300, (100, 2))
    assert np.abs(chain.inverse(chain.forward(points)) - points).max() < 1e-9


def test_boxes_are_clipped_to_the_output() -> None:
    step = Resample(PAGE, 720)
    mapped = map_boxes([[-50, -50, 400, 300], [10, 10, 20, 20]], step)
    assert mapped[0].tolist() == [0, 0, step.dst_size[0] - 1, step.dst_size[1] - 1]
    assert mapped[1].tolist() == [19, 19, 42, 42]  # pixel edges 9.5 and 20.5 scaled by 2, rounded outward
