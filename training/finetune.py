"""`python -m training.finetune --init-weights DIR/word_deep_net.weights.h5 --out DIR2`: fine-tune on real crops.

Real word crops are cut from the `train` split's pages (single-token segments, padded 3 px);
pages held out by `realcrops.is_holdout` are kept for validation and calibration. Batches
alternate between real crops and the synthetic stream so the network does not forget rare
characters and faces that the small real set lacks.

With `--detected-crops`, the crops the in-house detector cuts on the same pages (and photos) join
them, labelled by the truth word each covers (`training.detectedcrops`): the engine's own boxes,
padding and levelling, and every word of a receipt's phrases rather than its one-word phrases.

SROIE ground truth is upper case even where the receipt prints lower case. Training on it as is
would teach the network to answer upper case for lower-case ink, so each receipt label takes
the case the synthetic-only model reads when that reading matches case-insensitively.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from training.train import fit, parse_config


@dataclass(frozen=True)
class MixConfig:
    real_fraction: float = 0.5  # share of batches made of real crops
    # category shares among the clean real batches (receipts are few but matter), and among the
    # photo batches, which count only when a photo set is given
    clean_weights: tuple[tuple[str, float], ...] = (("register_tapes", 0.45), ("scanned_docs", 0.55))
    photo_weights: tuple[tuple[str, float], ...] = (("photos_register_tapes", 0.45), ("photos_scanned_docs", 0.55))
    # share of real batches cut from photos: by default one in four, the photos' share of our evaluation
    photo_share: float = 0.25
    real_augment_prob: float = 0.3
    # the real crops have no typeset papers: keep them in the synthetic share
    typeset_prob: float = 0.6
    # synthetic words captured as a phone would, when a photo set is given (one in four, as above)
    photo_prob: float = 0.25

    def category_weights(self) -> dict[str, float]:
        return {c: w * (1 - self.photo_share) for c, w in self.clean_weights} | {
            c: w * self.photo_share for c, w in self.photo_weights
        }


def restore_case(crops: list, predictions: list[str]) -> int:
    """Replace upper-case-only labels by the model's reading where it matches ignoring case."""
    changed = 0
    for crop, pred in zip(crops, predictions, strict=True):
        if crop.fold_case and pred != crop.text and pred.upper() == crop.text:
            crop.text = pred
            changed += 1
    return changed


def real_batches(
    samples_by_cat: dict[str, list], mix: MixConfig, batch_size: int, rng: np.random.Generator
) -> Iterator:
    """Endless batches of real crops: pick a category, a width bucket, then crops from it."""
    from inhouse.recognizer.preprocess import bucket_width
    from training.data import make_batch

    buckets = {}
    for cat, samples in samples_by_cat.items():
        by_width: dict[int, list] = {}
        for s in samples:
            by_width.setdefault(bucket_width(s[0].shape[1]), []).append(s)
        keys = sorted(by_width)
        sizes = np.array([len(by_width[k]) for k in keys], float)
        buckets[cat] = (by_width, keys, sizes / sizes.sum())
    cats = [c for c in mix.category_weights() if c in buckets]
    weights = np.array([mix.category_weights()[c] for c in cats])
    while True:
        cat = cats[int(rng.choice(len(cats), p=weights / weights.sum()))]
        by_width, keys, p = buckets[cat]
        group = by_width[keys[int(rng.choice(len(keys), p=p))]]
        yield make_batch([group[int(i)] for i in rng.integers(0, len(group), batch_size)])


def main(argv: list[str] | None = None) -> None:
    from inhouse.recognizer.model_files import CONFIG_FILE
    from inhouse.recognizer.preprocess import preprocess
    from training.data import StreamConfig, synthetic_batches
    from training.detectedcrops import detected_crops
    from training.realcrops import TRAIN_SPLIT, cut_crops
    from training.runtimes import load_recognizer
    from training.synth.augment import AugmentConfig, augment
    from training.synth.generator import SynthConfig

    defaults = MixConfig()
    out, cfg, args = parse_config(
        argv,
        description=__doc__,
        extra={
            "real_fraction": defaults.real_fraction,
            "typeset_prob": defaults.typeset_prob,
            "photo_share": defaults.photo_share,
        },
    )
    if not cfg.init_weights:
        raise SystemExit("--init-weights is required: fine-tuning starts from the synthetic-only model")
    mix = replace(
        defaults, real_fraction=args.real_fraction, typeset_prob=args.typeset_prob, photo_share=args.photo_share
    )
    photo_sets = [cfg.photo_set] if cfg.photo_set else []
    photo_sets += cfg.more_photo_sets.split(",") if cfg.more_photo_sets else []
    splits = [TRAIN_SPLIT, *map(Path, photo_sets)]
    crops = [c for split in splits for c in cut_crops(split, holdout=False)]
    if cfg.detected_crops:
        crops += [c for split in splits for c in detected_crops(split, holdout=False)]
    # the initial weights' directory must hold their model config (as training writes it)
    reader = load_recognizer(Path(cfg.init_weights).parent)
    cfg.model = json.loads((Path(cfg.init_weights).parent / CONFIG_FILE).read_text())["model"]
    changed = restore_case(crops, [t for t, _ in reader.recognize_batch([c.image for c in crops])])
    del reader

    rng = np.random.default_rng(cfg.seed)
    light = AugmentConfig(
        thermal_prob=0.05,
        elastic_prob=0.1,
        perspective_prob=0.05,
        texture_prob=0.2,
        shadow_prob=0.05,
        crease_prob=0.0,
        fade_prob=0.1,
        lowres_prob=0.1,
        blur_prob=0.2,
        noise_prob=0.3,
        salt_pepper_prob=0.03,
        binarize_prob=0.05,
        jpeg_prob=0.2,
    )
    samples_by_cat: dict[str, list] = {}
    for c in crops:
        img = augment(c.image, rng, light) if rng.random() < mix.real_augment_prob else c.image
        samples_by_cat.setdefault(c.category, []).append((preprocess(img).astype(np.float16), c.text))
        if rng.random() < mix.real_augment_prob:  # and the clean copy as well
            samples_by_cat[c.category].append((preprocess(c.image).astype(np.float16), c.text))

    synth = SynthConfig(
        seed=args.synth_seed, typeset_prob=mix.typeset_prob, photo_prob=mix.photo_prob if cfg.photo_set else 0.0
    )
    stream = StreamConfig(batch_size=cfg.batch_size, workers=cfg.workers)

    def batches(start: int) -> Iterator:
        real = real_batches(samples_by_cat, mix, cfg.batch_size, np.random.default_rng([cfg.seed, start]))
        synthetic = synthetic_batches(synth, start, stream)
        pick = np.random.default_rng([cfg.seed, start, 1])
        index = start
        while True:
            if pick.random() < mix.real_fraction:
                yield index, next(real)
            else:
                index, batch = next(synthetic)
                yield index, batch

    run_id = f"finetune-{out.name}-{time.strftime('%Y%m%dT%H%M%S')}"
    data = {
        "real_crops": {k: len(v) for k, v in samples_by_cat.items()},
        "case_restored": changed,
        "mix": asdict(mix),
        "synthetic": asdict(synth),
    }
    print(data, flush=True)
    print(fit(out, cfg, batches, run_id, data))


if __name__ == "__main__":
    main()
