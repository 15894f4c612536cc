"""`python -m training.train --out DIR`: train the Word Deep Net on streamed synthetic words.

Checkpoints (model, optimizer, step, stream position) go to DIR/ckpt and training resumes from the
latest one; DIR/word_deep_net.weights.h5 (with DIR/word_deep_net.json, loadable by
`training.runtimes.load_recognizer(DIR)`) holds the weights with the best single-word accuracy on
held-out REAL crops of the `train` split, which also drives early stopping. Every run is logged to
the lab notebook (`evaluation.labnotebook.record_training`, kind "training").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import labnotebook

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass
class TrainConfig:
    steps: int = 60000
    batch_size: int = 64
    lr: float = 1e-3
    min_lr_fraction: float = 0.05
    warmup_steps: int = 500
    clipnorm: float = 5.0
    eval_every: int = 1000
    log_every: int = 100
    patience: int = 12  # evaluations without improvement before stopping
    max_hours: float = 100.0
    threads: int = 2
    seed: int = 0
    workers: int = 1
    val_per_category: int = 400
    init_weights: str | None = None
    # a photo set built from train (`ocrgate sets photos`): its held-out pages' crops join validation
    # and, when fine-tuning, its other pages' crops join the real batches
    photo_set: str | None = None
    # fine-tuning only: comma-separated photo sets of train built with other seeds (other captures of
    # the same pages); their fit pages' crops join the real batches, validation stays on photo_set's
    more_photo_sets: str | None = None
    # fine-tuning only: the crops the in-house detector cuts on the train pages and on every photo set
    # given (`training.detectedcrops`), labelled by the truth word each covers, join the real batches;
    # their held-out pages' crops join validation as `engine_<category>`
    detected_crops: bool = False
    model: dict = field(default_factory=dict)


def set_threads(n: int) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    except RuntimeError:  # TF already initialised in this process (e.g. fine-tuning read crops first)
        pass


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to min_lr_fraction of the peak."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    t = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.lr * (cfg.min_lr_fraction + (1 - cfg.min_lr_fraction) * 0.5 * (1 + math.cos(math.pi * t)))


def make_train_step(model, optimizer):
    import tensorflow as tf

    from inhouse.recognizer.charset import BLANK_ID

    spec = (
        tf.TensorSpec([None, None, None, 1], tf.float32),
        tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None], tf.int32),
    )

    @tf.function(input_signature=spec)
    def step(images, steps, labels, lengths):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            t = tf.shape(logits)[1]
            loss = tf.nn.ctc_loss(
                labels, logits, lengths, tf.minimum(steps, t), logits_time_major=False, blank_index=BLANK_ID
            )
            loss = tf.reduce_mean(tf.where(tf.math.is_finite(loss), loss, tf.zeros_like(loss)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return step


def make_predict(model):
    import tensorflow as tf

    @tf.function(input_signature=(tf.TensorSpec([None, None, None, 1], tf.float32),))
    def predict(images):
        return model(images, training=False)

    return predict


def evaluate(predict, samples: list, categories: list[str], folded: set[str], batch_size: int = 128) -> dict:
    """SWA / CER per category on preprocessed (image, text) samples, greedy decoding; case is
    folded in the `folded` categories."""
    from inhouse.recognizer.ctc import greedy_decode
    from training.data import make_batch
    from training.metrics import cer, word_correct

    order = sorted(range(len(samples)), key=lambda i: samples[i][0].shape[1])
    stats: dict[str, list[float]] = {}
    for k in range(0, len(order), batch_size):
        idx = order[k : k + batch_size]
        images, steps, _, _, texts = make_batch([samples[i] for i in idx])
        logits = predict(images).numpy()
        for j, i in enumerate(idx):
            pred, _ = greedy_decode(logits[j], int(steps[j]))
            cat = categories[i]
            fold = cat in folded
            e, n = cer(pred, texts[j], fold)
            for key in (cat, "all"):
                s = stats.setdefault(key, [0, 0, 0, 0])
                s[0] += word_correct(pred, texts[j], fold)
                s[1] += 1
                s[2] += e
                s[3] += n
    return {k: {"swa": s[0] / s[1], "cer": s[2] / s[3], "n": s[1]} for k, s in stats.items()}


def real_validation(
    per_category: int, seed: int, photo_set: str | None = None, detected: bool = False
) -> tuple[list, list[str], set[str]]:
    """Held-out real crops of the train split (pages never used for fitting), and of its photos
    when `photo_set` is given (the same pages held out), and with `detected` the crops the detector
    cuts on those pages, preprocessed; with their categories and the categories whose ground
    truth is upper case."""
    from inhouse.recognizer.preprocess import preprocess
    from training.realcrops import TRAIN_SPLIT, cut_crops

    splits = [TRAIN_SPLIT] + ([Path(photo_set)] if photo_set else [])
    crops = [c for split in splits for c in cut_crops(split, holdout=True)]
    if detected:
        from training.detectedcrops import detected_crops

        crops += [replace(c, category=f"engine_{c.category}") for s in splits for c in detected_crops(s, holdout=True)]
    rng = np.random.default_rng(seed)
    chosen = []
    for cat in sorted({c.category for c in crops}):
        pool = [c for c in crops if c.category == cat]
        chosen += [pool[i] for i in rng.permutation(len(pool))[:per_category]]
    folded = {c.category for c in crops if c.fold_case}
    return [(preprocess(c.image), c.text) for c in chosen], [c.category for c in chosen], folded


def fit(out: Path, cfg: TrainConfig, batches: Callable[[int], Iterator], run_id: str, data_config: dict) -> dict:
    """The shared training loop of `train` and `finetune`; `batches(start_index)` streams batches."""
    import tensorflow as tf

    from inhouse.recognizer.model_files import CONFIG_FILE, WEIGHTS_FILE
    from inhouse.recognizer.preprocess import SPEC
    from training.model import ModelConfig, build_model

    set_threads(cfg.threads)
    tf.random.set_seed(cfg.seed)
    out.mkdir(parents=True, exist_ok=True)
    model_fields: dict[str, Any] = {
        k: tuple(map(tuple, v)) if k == "pools" else tuple(v) if isinstance(v, list) else v
        for k, v in cfg.model.items()
    }
    model_cfg = ModelConfig(**model_fields)
    model = build_model(model_cfg)
    if cfg.init_weights:
        model.load_weights(cfg.init_weights)
    optimizer = tf.keras.optimizers.Adam(cfg.lr, clipnorm=cfg.clipnorm)
    step_var, index_var = tf.Variable(0, dtype=tf.int64), tf.Variable(0, dtype=tf.int64)
    best_var = tf.Variable(-1.0, dtype=tf.float64)
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step_var, index=index_var, best=best_var)
    manager = tf.train.CheckpointManager(ckpt, str(out / "ckpt"), max_to_keep=3)
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint)
        print(f"resumed from {manager.latest_checkpoint} at step {int(step_var.numpy())}", flush=True)
    (out / CONFIG_FILE).write_text(json.dumps({"model": model_cfg.to_dict(), "input": asdict(SPEC)}, indent=1))

    val, val_cats, folded = real_validation(cfg.val_per_category, cfg.seed, cfg.photo_set, cfg.detected_crops)
    train_step, predict = make_train_step(model, optimizer), make_predict(model)
    labnotebook.record_training(
        "start",
        run_id,
        out=str(out),
        train=asdict(cfg),
        data=data_config,
        resumed_step=int(step_var.numpy()),
        val_size=len(val),
    )
    t0, losses, bad_evals, result = time.time(), [], 0, {}
    step = int(step_var.numpy())
    stream = batches(int(index_var.numpy()))
    while step < cfg.steps:
        index, (images, steps, labels, lengths, _) = next(stream)
        optimizer.learning_rate.assign(lr_at(step, cfg))
        losses.append(float(train_step(images, steps, labels, lengths)))
        step += 1
        step_var.assign(step)
        index_var.assign(index)
        if step % cfg.log_every == 0:
            print(
                json.dumps(
                    {
                        "step": step,
                        "loss": round(float(np.mean(losses)), 4),
                        "lr": lr_at(step, cfg),
                        "elapsed_s": round(time.time() - t0),
                    }
                ),
                flush=True,
            )
            losses = []
        hours = (time.time() - t0) / 3600
        if step % cfg.eval_every == 0 or step == cfg.steps or hours > cfg.max_hours:
            result = evaluate(predict, val, val_cats, folded)
            swa = result["all"]["swa"]
            improved = swa > float(best_var.numpy())
            if improved:
                best_var.assign(swa)
                model.save_weights(str(out / WEIGHTS_FILE))
                bad_evals = 0
            else:
                bad_evals += 1
            manager.save()
            print(
                json.dumps({"step": step, "eval": result, "best": float(best_var.numpy()), "improved": improved}),
                flush=True,
            )
            labnotebook.record_training("eval", run_id, step=step, val=result, best_swa=float(best_var.numpy()))
            if bad_evals >= cfg.patience or hours > cfg.max_hours:
                break
    model.save_weights(str(out / "last.weights.h5"))
    labnotebook.record_training("end", run_id, step=step, best_swa=float(best_var.numpy()), last_val=result)
    return {"step": step, "best_swa": float(best_var.numpy()), "last": result}


def parse_config(
    argv: list[str] | None = None, description: str = __doc__, extra: dict[str, float] | None = None
) -> tuple[Path, TrainConfig, argparse.Namespace]:
    """TrainConfig from the command line; `extra` adds float options (name -> default) for the caller."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--synth-seed", type=int, default=1)
    for name, value in (extra or {}).items():
        ap.add_argument("--" + name.replace("_", "-"), type=float, default=value)
    defaults = TrainConfig()
    for name, value in asdict(defaults).items():
        if name == "model":
            ap.add_argument("--model", type=json.loads, default={}, help="ModelConfig overrides as JSON")
        elif isinstance(value, bool):
            ap.add_argument("--" + name.replace("_", "-"), action=argparse.BooleanOptionalAction, default=value)
        else:
            ap.add_argument(
                "--" + name.replace("_", "-"), type=type(value) if value is not None else str, default=value
            )
    args = ap.parse_args(argv)
    cfg = TrainConfig(**{k: getattr(args, k) for k in asdict(defaults)})
    return args.out, cfg, args


def main(argv: list[str] | None = None) -> None:
    from training.data import StreamConfig, synthetic_batches
    from training.synth.generator import SynthConfig

    out, cfg, args = parse_config(argv)
    synth = SynthConfig(seed=args.synth_seed)
    stream = StreamConfig(batch_size=cfg.batch_size, workers=cfg.workers)
    run_id = f"train-{out.name}-{time.strftime('%Y%m%dT%H%M%S')}"
    result = fit(
        out,
        cfg,
        lambda start: synthetic_batches(synth, start, stream),
        run_id,
        {"synthetic": asdict(synth), "stream": asdict(stream)},
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
