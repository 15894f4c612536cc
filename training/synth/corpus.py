"""Text corpus: what the synthetic words say.

A weighted mix of natural words (wordfreq, tempered so rare words appear), generated names and
addresses (faker), and receipt/form strings (prices, dates, codes, ids, URLs) that boost the
digits and symbols natural text rarely shows.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from inhouse.recognizer.charset import in_charset


@dataclass(frozen=True)
class CorpusConfig:
    vocab_size: int = 60000
    # word sampling probability ~ frequency ** temperature: 1 = natural text, 0 = uniform over the vocabulary
    frequency_temperature: float = 0.35
    source_weights: dict[str, float] = field(
        default_factory=lambda: {
            "word": 0.46,
            "receipt": 0.26,
            "names": 0.10,
            "number": 0.10,
            "symbolic": 0.05,
            "paper": 0.05,
            "phrase": 0.03,
        }
    )
    # case of a word: lower / Title / UPPER (receipts are upper case)
    case_weights: tuple[float, float, float] = (0.5, 0.22, 0.28)
    punct_attach_prob: float = 0.3
    max_chars: int = 28


PREFIXES = ["(", '"', "'", "[", "“", "‘", "#", "$", "*"]
# commas and full stops follow words far more often than anything else
SUFFIXES = [
    ",",
    ",",
    ",",
    ",",
    ".",
    ".",
    ".",
    ":",
    ";",
    ")",
    '"',
    "'",
    "?",
    "!",
    "),",
    ").",
    ".,",
    "”",
    "’",
    "%",
    "-",
    "/",
    "*",
    "'s",
]
CURRENCIES = ["RM", "$", "RM ", "$ ", "€", "£", "USD ", "MYR "]
RECEIPT_WORDS = (
    "TOTAL SUBTOTAL SUB-TOTAL CASH CHANGE QTY AMOUNT AMT PRICE TAX GST SST DISC DISCOUNT ROUNDING "
    "INVOICE RECEIPT NO. TEL FAX DATE TIME CASHIER ITEM DESCRIPTION UNIT S/PRICE U/P BALANCE "
    "PAYMENT VISA MASTER CARD TABLE PAX BILL ORDER REF SDN BHD ENT. TRADING JALAN TAMAN "
    "SELANGOR KUALA LUMPUR THANK YOU PLEASE COME AGAIN EXCL. INCL. NETT RM TOTAL: CASH: SR ZR "
    "GOODS SOLD ARE NOT RETURNABLE CUSTOMER SERVICE STORE MEMBER POINTS"
).split()


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list(string.digits), n))


class Corpus:
    """Samples one label string per call; deterministic given the generator's state."""

    def __init__(self, config: CorpusConfig = CorpusConfig(), seed: int = 0) -> None:
        self.config = config
        self._faker_seed = seed

    @cached_property
    def _vocab(self) -> tuple[list[str], np.ndarray]:
        from wordfreq import get_frequency_dict

        ranked = sorted(get_frequency_dict("en").items(), key=lambda kv: -kv[1])
        vocab = [(w, f) for w, f in ranked if w.isprintable() and in_charset(w)][: self.config.vocab_size]
        words = [w for w, _ in vocab]
        freq = np.array([f for _, f in vocab]) ** self.config.frequency_temperature
        return words, np.cumsum(freq / freq.sum())

    @cached_property
    def _fake(self):
        from faker import Faker

        fk = Faker(["en_US", "en_GB", "ms_MY"] if _has_locale("ms_MY") else ["en_US", "en_GB"])
        fk.seed_instance(self._faker_seed)
        return fk

    def _seeded_faker(self, rng: np.random.Generator):
        """One locale's Faker, chosen and seeded from `rng`: a multi-locale Faker picks the locale
        with Python's global random module, which would make samples depend on call history."""
        locales = self._fake.locales
        single = self._fake[locales[int(rng.integers(len(locales)))]]
        single.seed_instance(int(rng.integers(2**31)))
        return single

    def sample(self, rng: np.random.Generator) -> str:
        names = list(self.config.source_weights)
        p = np.array([self.config.source_weights[n] for n in names])
        for _ in range(20):
            source = names[int(rng.choice(len(names), p=p / p.sum()))]
            text = getattr(self, f"_{source}")(rng).strip()
            text = " ".join(text.split())
            if text and len(text) <= self.config.max_chars and in_charset(text):
                return text
        return self._word(rng)

    # --- sources -------------------------------------------------------------------------------
    def _case(self, rng: np.random.Generator, word: str) -> str:
        k = int(rng.choice(3, p=self.config.case_weights))
        return (word.lower(), word[:1].upper() + word[1:], word.upper())[k]

    def _punct(self, rng: np.random.Generator, word: str) -> str:
        if rng.random() < self.config.punct_attach_prob:
            if rng.random() < 0.3:
                word = PREFIXES[int(rng.integers(len(PREFIXES)))] + word
            if rng.random() < 0.85:
                word += SUFFIXES[int(rng.integers(len(SUFFIXES)))]
        return word

    def _word(self, rng: np.random.Generator) -> str:
        words, cdf = self._vocab
        w = words[int(np.searchsorted(cdf, rng.random()))]
        return self._punct(rng, self._case(rng, w))

    def _phrase(self, rng: np.random.Generator) -> str:
        words, cdf = self._vocab
        n = int(rng.integers(2, 4))
        phrase = " ".join(words[int(np.searchsorted(cdf, rng.random()))] for _ in range(n))
        return self._case(rng, phrase)

    def _names(self, rng: np.random.Generator) -> str:
        fk = self._seeded_faker(rng)
        kind = int(rng.integers(8))
        text = [
            fk.last_name,
            fk.first_name,
            fk.company,
            fk.city,
            fk.street_name,
            fk.street_address,
            fk.job,
            fk.country,
        ][kind]()
        parts = text.split()
        if len(parts) > 1 and rng.random() < 0.7:  # mostly single tokens, like the benchmark crops
            text = parts[int(rng.integers(len(parts)))]
        return self._punct(rng, self._case(rng, text))

    def _number(self, rng: np.random.Generator) -> str:
        k = int(rng.integers(6))
        if k == 0:
            return str(int(rng.integers(0, 100)))
        if k == 1:
            return str(int(10 ** rng.uniform(0, 7)))
        if k == 2:
            return f"{rng.uniform(0, 1000):.{int(rng.integers(1, 4))}f}"
        if k == 3:
            return f"{int(rng.integers(1, 10**6)):,}"
        if k == 4:
            return self._punct(rng, str(int(rng.integers(1, 200))))
        return f"{rng.uniform(-100, 100):.2f}"

    def _receipt(self, rng: np.random.Generator) -> str:
        k = int(rng.integers(16))
        price = f"{10 ** rng.uniform(-1, 3.3):.2f}"
        if k == 0:
            return price
        if k == 1:
            return CURRENCIES[int(rng.integers(len(CURRENCIES)))] + price
        if k == 2:
            return f"{int(rng.integers(1, 20))} X {rng.uniform(0, 100):.{int(rng.choice([2, 4]))}f}"
        if k == 3:
            return self._date(rng)
        if k == 4:
            return self._time(rng)
        if k == 5:  # UPC / EAN / tax id / invoice number
            return _digits(rng, int(rng.choice([8, 12, 13, 14])))
        if k == 6:
            prefix = ["INV", "CS", "OR", "No.", "#", "T", "RCPT", "BILL", "CB", "SO"][int(rng.integers(10))]
            sep = ["", "-", ":", " ", "/"][int(rng.integers(5))]
            return f"{prefix}{sep}{_digits(rng, int(rng.integers(4, 10)))}"
        if k == 7:  # phone
            return [
                f"03-{_digits(rng, 4)} {_digits(rng, 4)}",
                f"0{_digits(rng, 2)}-{_digits(rng, 7)}",
                f"({_digits(rng, 3)}) {_digits(rng, 3)}-{_digits(rng, 4)}",
                f"+60{_digits(rng, 9)}",
                f"{_digits(rng, 3)}-{_digits(rng, 3)}-{_digits(rng, 4)}",
            ][int(rng.integers(5))]
        if k == 8:
            fk = self._seeded_faker(rng)
            s = [fk.url, fk.email, fk.domain_name, fk.free_email][int(rng.integers(4))]()
            return s.upper() if rng.random() < 0.3 else s
        if k == 9:
            return f"{int(rng.integers(0, 100))}%" if rng.random() < 0.5 else f"{rng.uniform(0, 30):.1f}%"
        if k == 10:
            return RECEIPT_WORDS[int(rng.integers(len(RECEIPT_WORDS)))] + ("" if rng.random() < 0.6 else ":")
        if k == 11:
            return f"{RECEIPT_WORDS[int(rng.integers(len(RECEIPT_WORDS)))]}({CURRENCIES[int(rng.integers(2))].strip()})"
        if k == 12:  # product codes like 24QT, 500G, 1.5L
            units = ["G", "KG", "ML", "L", "QT", "PCS", "S", "X", "MM"]
            return f"{int(rng.integers(1, 1000))}{units[int(rng.integers(len(units)))]}"
        if k == 13:  # GST/SST ids, registration numbers
            return [
                f"{_digits(rng, 12)}",
                f"({_digits(rng, 6)}-{rng.choice(list('ADKMPTVWX'))})",
                f"{_digits(rng, 6)}-{rng.choice(list('ADKMPTVWX'))}",
                f"GST:{_digits(rng, 12)}",
            ][int(rng.integers(4))]
        if k == 14:
            return f"{int(rng.integers(1, 100))}/{int(rng.integers(1, 100))}"
        return f"-{price}" if rng.random() < 0.5 else f"({price})"

    def _paper(self, rng: np.random.Generator) -> str:
        """Tokens of typeset papers: citations, page ranges, equation and figure references."""
        words, cdf = self._vocab
        w = words[int(np.searchsorted(cdf, rng.random()))]
        n, m = int(rng.integers(1, 60)), int(rng.integers(1, 400))
        fmts = [
            f"[{n}]",
            f"[{n},{n + int(rng.integers(1, 9))}]",
            f"({n})",
            f"({n}).",
            f"({n}),",
            f"{m}–{m + int(rng.integers(1, 40))}.",
            f"{m}–{m + int(rng.integers(1, 40))},",
            f"({int(rng.integers(1950, 2030))})",
            f"{int(rng.integers(1950, 2030))}.",
            "al.",
            "al.,",
            "et",
            "Fig.",
            "Eq.",
            "Sec.",
            "Tab.",
            "i.e.,",
            "e.g.,",
            "vol.",
            "pp.",
            "Phys.",
            "J.",
            f"{w[:1].upper()}.",
            f"{w[:1].upper()}.,",
            f"{w[:1].upper()}.-{words[int(rng.integers(len(words)))][:1].upper()}.",
            f"{w}-",
            f"{n}.{int(rng.integers(1, 10))}",
            f"{rng.uniform(0, 1):.{int(rng.integers(2, 5))}f}",
            f"{w}.",
            f"{w},",
            f"({w})",
            f"{w};",
        ]
        return fmts[int(rng.integers(len(fmts)))]

    def _date(self, rng: np.random.Generator) -> str:
        d, m, y = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(1960, 2031))
        mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        fmts = [
            f"{d:02d}/{m:02d}/{y}",
            f"{d:02d}-{m:02d}-{y}",
            f"{d:02d}.{m:02d}.{y % 100:02d}",
            f"{y}-{m:02d}-{d:02d}",
            f"{m}/{d}/{y % 100:02d}",
            f"{d:02d}-{mon.upper()}-{y % 100:02d}",
            f"{d}{mon.upper()}{y}",
            f"{mon}.",
            f"{d:02d}/{m:02d}/{y % 100:02d}",
            f"{y}",
        ]
        return fmts[int(rng.integers(len(fmts)))]

    def _time(self, rng: np.random.Generator) -> str:
        h, mi, s = int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
        fmts = [f"{h:02d}:{mi:02d}", f"{h:02d}:{mi:02d}:{s:02d}", f"{(h % 12) or 12}:{mi:02d}", f"{h:02d}{mi:02d}"]
        t = fmts[int(rng.integers(len(fmts)))]
        return t + (["", "AM", "PM", " AM", " PM"][int(rng.integers(5))] if rng.random() < 0.3 else "")

    def _symbolic(self, rng: np.random.Generator) -> str:
        """Short strings made of boosted symbols and digits: '&', '/', '#12', '@', 'A/C', '-'."""
        sym = list("/&$%#@:-.,()*+=_'\"!?;[]<>|~^{}\\`") + ["•", "©", "°", "€", "£", "–", "—", "±", "×"]
        k = int(rng.integers(5))
        if k == 0:
            return sym[int(rng.integers(len(sym)))]
        if k == 1:
            return sym[int(rng.integers(len(sym)))] + _digits(rng, int(rng.integers(1, 5)))
        if k == 2:
            a, b = rng.choice(list(string.ascii_uppercase), 2)
            return f"{a}{sym[int(rng.integers(6))]}{b}"
        if k == 3:
            return "".join(
                rng.choice(list(string.ascii_letters + string.digits + "".join(sym[:12])), int(rng.integers(2, 8)))
            )
        return sym[int(rng.integers(len(sym)))] * int(rng.integers(1, 4))


def _has_locale(name: str) -> bool:
    from faker.config import AVAILABLE_LOCALES

    return name in AVAILABLE_LOCALES
