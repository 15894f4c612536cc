"""The Word Detector: MSER regions strung into words and lines, cut into recognizer-sized crops."""

from inhouse.detector.config import DetectorConfig
from inhouse.detector.detect import Detection, WordBox, detect_words

__all__ = ["DetectorConfig", "Detection", "WordBox", "detect_words"]
