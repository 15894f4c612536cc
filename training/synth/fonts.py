"""Font registry: discover installed fonts, validate their glyphs, weight them by how common the face is.

Validation follows the reference's lesson: fonts that draw `.notdef` boxes, nothing at all, or the
same glyph for lower and upper case would teach the network wrong labels. Every font keeps the set
of characters it really draws; caps-only faces are used for upper-case text only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import ImageFont

from inhouse.recognizer.charset import CHARSET

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
CACHE_PATH = Path(__file__).resolve().parents[2] / "var" / "font-registry.json"


@dataclass(frozen=True)
class FontPolicy:
    """What makes a font usable, and how often each kind of face is drawn."""

    probe_size: int = 32
    # characters every usable font must draw
    required: str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:-/()"
    # codepoints no Latin text font defines: their rendering is the font's .notdef glyph
    missing_probes: tuple[str, ...] = ("\U0010fffd", "\u0378", "\ufffe")
    # lower/upper pairs whose shapes differ in any normal face; if most look alike the face is caps-only
    case_pairs: str = "abdeghnqrt"
    case_similarity: float = 0.93
    case_min_distinct: int = 6
    kind_weights: dict[str, float] = field(
        default_factory=lambda: {
            "sans": 0.28,
            "serif": 0.20,
            "cm": 0.14,  # Computer/Latin Modern: typeset papers
            "mono": 0.16,  # receipts, forms
            "typewriter": 0.08,
            "thermal": 0.07,  # dot-matrix / bitmap / terminal faces
            "ocr": 0.03,
            "display": 0.04,
        }
    )
    # the world's most common faces (and their metric clones) get this extra factor inside their kind
    common_boost: float = 4.0
    italic_factor: float = 0.35
    # Noto ships one font per script; only its Latin families are of use here
    noto_latin: re.Pattern = re.compile(r"^Noto (Sans|Serif|Sans Mono|Serif Display|Sans Display)$")


ITALIC_STYLE = re.compile(r"italic|oblique", re.I)

KIND_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("cm", re.compile(r"latin modern|lm roman|lm sans|lm mono|cmu |computer modern", re.I)),
    ("ocr", re.compile(r"\bocr", re.I)),
    ("thermal", re.compile(r"dot|3270|terminus|glass tty|unifont|proggy|vt\d", re.I)),
    ("typewriter", re.compile(r"typewriter|typist|courier prime|gnutypewriter|jura|mekanus", re.I)),
    ("mono", re.compile(r"mono|courier|code|consol|inconsolata|hack|anonymous|fixed|nimbus mono|cousine", re.I)),
    ("display", re.compile(r"comic|bebas|dustismo|tomson|f500|yanone|cabin sketch|dosis", re.I)),
    (
        "serif",
        re.compile(
            r"serif|times|roman|tinos|garamond|libertin|gentium|charis|vollkorn|caladea|baskervald|"
            r"quattrocento|bookman|schoolbook|p052|palatino|c059|termes|pagella|bonum|schola|heros|"
            r"universalis|romande|didot|bodoni|georgia",
            re.I,
        ),
    ),
)
COMMON_FACES = re.compile(
    r"liberation|arimo|tinos|cousine|nimbus|dejavu sans$|helvet|arial|times|courier|"
    r"tex gyre (heros|termes|cursor)|latin modern roman|lm roman|carlito|open sans|roboto$",
    re.I,
)


@dataclass(frozen=True)
class FontInfo:
    path: str
    family: str
    style: str
    kind: str
    weight: float
    caps_only: bool
    supported: str  # every charset character the font draws

    @property
    def italic(self) -> bool:
        return ITALIC_STYLE.search(self.style) is not None

    def supports(self, text: str) -> bool:
        return all(c in self.supported or c == " " for c in text)


def discover_font_files(dirs: tuple[Path, ...] = FONT_DIRS) -> list[Path]:
    files = [p for d in dirs if d.exists() for p in d.rglob("*") if p.suffix.lower() in FONT_SUFFIXES]
    return sorted(set(files))


def _mask(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    m = font.getmask(ch)
    return (
        np.asarray(m, dtype=np.uint8).reshape(m.size[1], m.size[0])
        if m.size[0] * m.size[1]
        else np.zeros((0, 0), np.uint8)
    )


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b)


def _shape_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two glyphs scaled to the same box: catches small caps as well as caps-only."""
    import cv2

    if a.size == 0 or b.size == 0:
        return 1.0
    a16 = cv2.resize(a.astype(np.float32), (16, 16), interpolation=cv2.INTER_AREA).ravel()
    b16 = cv2.resize(b.astype(np.float32), (16, 16), interpolation=cv2.INTER_AREA).ravel()
    a16, b16 = a16 - a16.mean(), b16 - b16.mean()
    denom = float(np.linalg.norm(a16) * np.linalg.norm(b16)) or 1.0
    return float(a16 @ b16) / denom


def classify_kind(family: str) -> str:
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(family):
            return kind
    return "sans"


def validate_font(path: Path, policy: FontPolicy = FontPolicy()) -> FontInfo | None:
    """FontInfo for a usable font, None for one that lacks required glyphs or cannot load."""
    try:
        font = ImageFont.truetype(str(path), policy.probe_size)
        family, style = font.getname()
    except Exception:  # broken or unsupported font file
        return None
    family, style = family or path.stem, style or "Regular"
    if family.startswith("Noto") and not policy.noto_latin.match(family):
        return None
    missing = [_mask(font, p) for p in policy.missing_probes]
    supported = []
    masks: dict[str, np.ndarray] = {}
    for ch in CHARSET:
        if ch == " ":
            continue
        m = _mask(font, ch)
        if m.size == 0 or int(m.max(initial=0)) == 0 or any(_same(m, x) for x in missing):
            continue
        masks[ch] = m
        supported.append(ch)
    if any(ch not in masks for ch in policy.required):
        return None
    distinct = sum(_shape_similarity(masks[c], masks[c.upper()]) < policy.case_similarity for c in policy.case_pairs)
    kind = classify_kind(family)
    weight = 1.0
    if COMMON_FACES.search(family):
        weight *= policy.common_boost
    if ITALIC_STYLE.search(style):
        weight *= policy.italic_factor
    return FontInfo(
        path=str(path),
        family=family,
        style=style,
        kind=kind,
        weight=weight,
        caps_only=distinct < policy.case_min_distinct,
        supported="".join(supported),
    )


class FontRegistry:
    """Validated fonts with sampling probabilities: kind share x within-kind weight."""

    def __init__(self, fonts: list[FontInfo], policy: FontPolicy = FontPolicy(), italic_boost: float = 1.0) -> None:
        """`italic_boost` multiplies italic faces' weights (papers set titles and variables in italics)."""
        if not fonts:
            raise RuntimeError("no usable fonts found: install the font packages in apt-packages-test.txt")
        self.fonts = fonts
        self.policy = policy
        kinds = {f.kind for f in fonts}
        share = {k: policy.kind_weights.get(k, 0.0) for k in kinds}
        total_share = sum(share.values())
        weights = [f.weight * (italic_boost if f.italic else 1.0) for f in fonts]
        in_kind: dict[str, float] = {}
        for f, w in zip(fonts, weights, strict=True):
            in_kind[f.kind] = in_kind.get(f.kind, 0.0) + w
        probs = [share[f.kind] / total_share * w / in_kind[f.kind] for f, w in zip(fonts, weights, strict=True)]
        self.probs = np.asarray(probs) / np.sum(probs)

    @classmethod
    def load(cls, policy: FontPolicy = FontPolicy(), cache: Path | None = CACHE_PATH) -> FontRegistry:
        """Validate all installed fonts once; cached by the list of font files and the charset."""
        files = discover_font_files()
        key = hashlib.sha1(("\n".join(map(str, files)) + CHARSET + repr(policy)).encode()).hexdigest()
        if cache is not None and cache.exists():
            data = json.loads(cache.read_text())
            if data.get("key") == key:
                return cls([FontInfo(**f) for f in data["fonts"]], policy)
        fonts = [info for p in files if (info := validate_font(p, policy)) is not None]
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps({"key": key, "fonts": [asdict(f) for f in fonts]}))
        return cls(fonts, policy)

    def sample(self, rng: np.random.Generator, text: str) -> FontInfo | None:
        """A font that can draw `text` (caps-only faces only for text without lower case)."""
        has_lower = any(c.islower() for c in text)
        for _ in range(8):
            f = self.fonts[int(rng.choice(len(self.fonts), p=self.probs))]
            if f.supports(text) and not (f.caps_only and has_lower):
                return f
        return None

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.fonts:
            out[f.kind] = out.get(f.kind, 0) + 1
        return out


if __name__ == "__main__":
    reg = FontRegistry.load()
    print(len(reg.fonts), reg.summary())
    for f, p in sorted(zip(reg.fonts, reg.probs, strict=True), key=lambda t: -t[1])[:30]:
        print(f"{p:.4f} {f.kind:10s} {f.family} {f.style} caps_only={f.caps_only} n={len(f.supported)}")
