"""Page orientation: 0, 90, 180 or 270 degrees (clockwise rotation that makes the page upright).

Two cheap questions instead of a second deep net:
1. Do text lines run across or down? The ink of horizontal lines varies far more from row to
   row than from column to column (and the other way round on a page turned 90°).
2. Which way up? The recognizer reads sample words right side up as longer strings, with more
   confidence, than upside down or sideways: each turn scores its sample's confident characters
   per word. A page is turned only when the evidence clears a margin (chosen on data): turning
   an upright page is the costly mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from imaging import illumination, text_size
from inhouse.detector import DetectorConfig, detect_words
from inhouse.detector.detect import Detection, word_crop

PROBE_MAX_SIDE = 1400
SAMPLE_WORDS = 24
#: the sample is the widest words no wider than this many times their height: a wider "word" is
#: usually several words run together (small italic type on a form), which the recognizer reads as
#: one long doubtful string at any turn. Chosen on 50 train pages turned four ways (6, 8, 12, no cap:
#: benchmarks/results/orientation_margins_train*.json): 8 leaves the widest margins, upright pages
#: leading any other turn by at least 0.22 (0.11 uncapped) and turned pages' right turns gaining 0.25
MAX_SAMPLE_ASPECT = 8.0
MIN_SAMPLE_WORDS = 4
FIRST_LOOK_WORDS = 8  # the widest words are read upside down first…
CLEAR_MARGIN = 0.4  # …and when one way up beats the other by this much, the rest are not
#: score gain over upright to turn a page over: on 50 upright train pages and their 50 simulated
#: photos upside down never scored within 0.07 of upright; the 100 pages turned over gained at least 0.09
FLIP_MARGIN = 0.05
#: score gain over upright to turn a page a quarter: a photo's shadow or a figure's rotated tick
#: labels can make an upright page's ink profile look like lines running down, and its sideways
#: reading then score close to its upright one. On 50 train pages and their 50 simulated photos no
#: upright page's other turns came within 0.066 of upright (so 0 would do on train), but train has
#: no typeset pages or figures: 0.1 of safety costs none of the 300 turned train pages and photos
#: (benchmarks/results/orientation_margins_*.json), never on dev
TURN_MARGIN = 0.1
#: row/column profile variation at or above this: lines run across; below, the recognizer reads
#: the page across and down…
HORIZONTAL_RATIO = 1.0
#: …and below this, where lines plainly run down, a quarter turn needs no margin
VERTICAL_RATIO = 0.3
#: the score a turn's own reading must reach: a page that reads badly every way (a defocused photo
#: whose calibrated confidences are all near 0) stays as it is. On train pages and their photos the
#: right turn scored at least 0.16 on every page but one photo (0.10): 0.15 costs 1 of 300 turned pages
MIN_TURN_SCORE = 0.15
#: a page whose best reading across (either way up) scores under this is read down as well, whatever
#: its ink profile: a receipt turned sideways can have a row profile as varied as its columns'
#: (profile ratio 1.04). On 50 train pages, upright ones scored at least 0.17 across and that
#: sideways receipt 0.13; reading down costs time only, since a turn must still clear its margin
WEAK_ACROSS = 0.2


@dataclass(frozen=True)
class Orientation:
    rotation: int  # clockwise degrees applied to make the page upright
    profile_ratio: float
    scores: dict[int, float]  # `_score` per turn that was read (0 is the page as it is)


def rotate(gray: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by 0/90/180/270 degrees."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(gray, codes[degrees]) if degrees in codes else gray


def profile_ratio(gray: np.ndarray) -> float:
    """How much more the ink varies from row to row than from column to column.

    Horizontal text lines alternate ink and blank rows, so the row profile of a page of
    horizontal text varies much more (coefficient of variation) than its column profile: the
    ratio is above 1 for horizontal text and below 1 for text that runs down the page.
    """
    text = text_size.ink(gray)
    ys, xs = np.nonzero(text)
    if len(ys) == 0:
        return 1.0 + HORIZONTAL_RATIO
    text = text[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    rows, columns = text.sum(axis=1).astype(float), text.sum(axis=0).astype(float)
    variation = lambda profile: profile.std() / max(profile.mean(), 1e-9)  # noqa: E731
    return variation(rows) / max(variation(columns), 1e-9)


def _probe(gray: np.ndarray) -> np.ndarray:
    factor = min(1.0, PROBE_MAX_SIDE / max(gray.shape))
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray


Readings = list[tuple[str, float]]

#: a sampled word's score is its confidence × its characters, counted up to this many, ÷ this: a
#: sideways page's "words" are stacks of turned letters that read as one or two characters, often
#: confidently (a turned "l" is a fine "-"), so confidence alone rated sideways forms as high as
#: upright ones; right side up, a word reads as a long string (on 6 train forms, upright 1.5–6.2
#: confident characters per word against at most 1.1 for any other turn)
FULL_WORD = 8


def _score(readings: Readings) -> float:
    """Confident characters per word, ÷ FULL_WORD (0 to 1)."""
    return float(
        np.mean([confidence * min(len(text.replace(" ", "")), FULL_WORD) / FULL_WORD for text, confidence in readings])
    )


def _scores(
    turned: np.ndarray,
    read_crops,
    config: DetectorConfig,
    detection: Detection | None = None,
    readings: Callable[[], Readings] | None = None,
) -> tuple[float, float] | None:
    """The `_score` of the widest words of `turned`, as they are and upside down.

    `detection` is `turned`'s detection when the caller already has it, and `readings()` the
    readings of its words' crops, in order, if the caller reads them anyway. A sequential test:
    the first FIRST_LOOK_WORDS decide alone when the answer is plain (the usual upright page);
    a close call reads them all.
    """
    detection = detection if detection is not None else detect_words(turned, config)
    boxes = [word.bbox for word in detection.words]
    wordlike = [  # the faint pass's words are left to reading: often junk, never the evidence for a turn
        k for k, box in enumerate(boxes) if box.width <= MAX_SAMPLE_ASPECT * box.height and not detection.words[k].faint
    ]
    chosen = sorted(wordlike, key=lambda k: -boxes[k].width)[:SAMPLE_WORDS]
    if len(chosen) < MIN_SAMPLE_WORDS:
        return None
    crops = [word_crop(turned, detection.words[k], config.crop_padding) for k in chosen]
    if readings is not None:
        everything = readings()
        as_is = [everything[k] for k in chosen]
    else:
        as_is = read_crops(crops)
    flipped = read_crops([cv2.rotate(c, cv2.ROTATE_180) for c in crops[:FIRST_LOOK_WORDS]])
    if abs(_score(as_is[: len(flipped)]) - _score(flipped)) >= CLEAR_MARGIN:
        return _score(as_is[: len(flipped)]), _score(flipped)
    flipped += read_crops([cv2.rotate(c, cv2.ROTATE_180) for c in crops[FIRST_LOOK_WORDS:]])
    return _score(as_is), _score(flipped)


def predict(
    gray: np.ndarray,
    read_crops,
    config: DetectorConfig | None = None,
    upright: Detection | None = None,
    upright_readings: Callable[[], Readings] | None = None,
) -> Orientation:
    """`read_crops(list of crops) -> [(text, confidence)]` is the recognizer.

    A clear horizontal ink profile and a good reading across leave only upright or upside down to
    tell; otherwise (lines that may run down, photos of receipts, forms with rules) the recognizer
    reads the page both across and down. The page as it is always counts: turning an upright page
    is the costly mistake, so a turn must beat upright's score by FLIP_MARGIN (upside down) or,
    unless the profile plainly runs down, by TURN_MARGIN (a quarter turn).

    `upright` is the detection of `gray` as it is, and `upright_readings()` the readings of its
    words: the engine needs both anyway for the common upright page, so passing them saves
    detecting and reading the page a second time here.
    """
    config = config or DetectorConfig()
    probe = _probe(gray)
    flat = illumination.flatten_if_uneven(probe)  # a shadow is not a column of ink
    ratio = profile_ratio(probe if flat is None else flat)
    scores: dict[int, float] = {}
    across = (
        _scores(gray, read_crops, config, upright, upright_readings)
        if upright is not None
        else _scores(probe, read_crops, config)
    )
    if across is not None:
        scores[0], scores[180] = across
    if ratio < HORIZONTAL_RATIO or max(across or (0.0,)) < WEAK_ACROSS:
        down = _scores(rotate(probe, 90), read_crops, config)
        if down is not None:
            scores[90], scores[270] = down
    return Orientation(decide(scores, ratio, TURN_MARGIN), ratio, scores)


def decide(scores: dict[int, float], ratio: float, turn_margin: float) -> int:
    """The turn that the recognizer's `scores` per turn and the ink profile `ratio` call for: the
    best-scoring turn when it beats upright by its margin and reads well enough itself."""
    if not scores:
        return 0
    best = max(scores, key=lambda turn: scores[turn])
    margin = FLIP_MARGIN if best == 180 else 0.0 if ratio < VERTICAL_RATIO else turn_margin
    return best if best and scores[best] > scores.get(0, 0.0) + margin and scores[best] >= MIN_TURN_SCORE else 0
