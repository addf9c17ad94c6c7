"""Train letters-ctc with CTC on synthetic clips (CPU, one thread). Wall-clock-budgeted cosine LR.

REAL_SPEECH=1 mixes in the recorded speech of real_speech.py (work/data/real/train.pkl): REAL_SHARE
of the utterances are drawn from it, a share P_CHILD of those made more child-like (augment.py).

Periodically saves work/ckpt/last.pt and exports the ONNX model + manifest to the model folder,
so a usable model exists at all times.
"""
import collections
import glob
import math
import os
import pickle
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import common as C
from augment import SPEED_RANGE, Augmenter
from model import build, count_blocks, n_frames

SEED = 20261127
BUDGET_MIN = float(os.environ.get("TRAIN_MINUTES", "80"))
BATCH_SEC = float(os.environ.get("BATCH_SECONDS", "100"))
EXPORT_EVERY_MIN = float(os.environ.get("EXPORT_EVERY_MIN", "10"))
LR = float(os.environ.get("LR", "2e-3"))
POOL = int(os.environ.get("POOL", "160"))
ARCH = os.environ.get("ARCH", "conv")
# SCHEDULE=restart: a resumed run starts a new warm-up + cosine cycle over its own minutes
# (a warm restart) instead of continuing the original cycle.
SCHEDULE = os.environ.get("SCHEDULE", "continue")
P_SPEED = float(os.environ.get("P_SPEED", "0.5"))


def factor_range(name, default, lo, hi, p=None):
    """Env var "low,high" (or "low,high,p" when p, the default share, is given) with lo <= low <= high
    <= hi and 0 < p <= 1, as a tuple; a clear SystemExit otherwise. None when unset and no default."""
    raw = os.environ.get(name) or default
    if raw is None:
        return None
    shape = "low,high" + ("[,p]" if p is not None else "")
    try:
        v = tuple(float(x) for x in raw.split(","))
    except ValueError:
        v = ()
    if p is not None and len(v) == 2:
        v += (p,)
    if len(v) != (2 if p is None else 3) or not lo <= v[0] <= v[1] <= hi or (p is not None and not 0 < v[2] <= 1):
        raise SystemExit(f"{name} must be '{shape}' with {lo} <= low <= high <= {hi}"
                         f"{' and 0 < p <= 1' if p is not None else ''}, got {raw!r}")
    return v


# speed-perturbation factors, "low,high" (1.3 raises formants by 30 %, towards children's and the
# high-formant espeak variants that dominate the held-out errors)
SPEED = factor_range("SPEED", ",".join(map(str, SPEED_RANGE)), 0.5, 2.0)
# VTLP="low,high[,p]": vocal-tract-length perturbation of the training filterbank (formants only,
# no tempo or pitch change); off unless set. p (default 0.5) is the share of utterances warped.
VTLP = factor_range("VTLP", None, 0.7, 1.4, p=0.5)
CKPT = os.environ.get("CKPT_DIR", os.path.join(C.WORK, "ckpt"))
# periodic ONNX exports stay beside the checkpoints, never over a bundled model folder (export.py
# writes models/letters-ctc-<version> once the run is averaged)
EXPORT = os.environ.get("EXPORT_DIR", os.path.join(CKPT, "onnx"))
DATA = os.path.join(C.WORK, "data")
# recorded speech (real_speech.py): off unless REAL_SPEECH=1; its dev split is never read here
REAL_SPEECH = os.environ.get("REAL_SPEECH", "0") == "1"
REAL_TRAIN = os.path.join(DATA, "real", "train.pkl")


def share(name, default):
    raw = os.environ.get(name, default)
    try:
        v = float(raw)
    except ValueError:
        v = -1.0
    if not 0.0 <= v <= 1.0:
        raise SystemExit(f"{name} must be a share between 0 and 1, got {raw!r}")
    return v


REAL_SHARE = share("REAL_SHARE", "0.3")
P_CHILD = share("P_CHILD", "0.5")


def mislabelled(clip):
    """Phoneme-input espeak clips whose label says more than the audio does: the northern-English
    accents' `V` (labelled ʌ, heard [ʊ]) in clips made before gen_data sent `@` for it, and a word
    that is just a voiced stop or affricate (silent in espeak-ng, ~0.5 % of clips)."""
    if clip["kind"] == "text" or clip["family"] != "espeak":
        return False
    if any(w in C.SILENT_IN_ESPEAK for w in clip["words"]):
        return True
    return (not clip.get("strutFixed") and any(a + "+" in clip["voice"] for a in C.STRUT_AS_FOOT)
            and any("ʌ" in w for w in clip["words"]))


def load_train():
    clips, dropped = [], 0
    files = sorted(glob.glob(os.path.join(DATA, "train-*.pkl")))
    for f in files:
        with open(f, "rb") as fh:
            for c in pickle.load(fh):
                if mislabelled(c):
                    dropped += 1
                else:
                    clips.append(c)
    print(f"dropped {dropped} mislabelled clips (northern-English ʌ, silent voiced stops)", flush=True)
    if REAL_SPEECH:
        if not os.path.exists(REAL_TRAIN):
            raise SystemExit(f"REAL_SPEECH=1 but {REAL_TRAIN} is missing: run real_speech.py first (README.md)")
        with open(REAL_TRAIN, "rb") as fh:
            real = pickle.load(fh)
        clips += real
        print(f"recorded speech: {len(real)} clips ({REAL_TRAIN}), {100 * REAL_SHARE:.0f} % of utterances, "
              f"{100 * P_CHILD:.0f} % of those made child-like", flush=True)
    return clips, len(files)


def augmenter(clips, rng):
    real = dict(real_share=REAL_SHARE, p_child=P_CHILD, room_noise=True) if REAL_SPEECH else {}
    return Augmenter(clips, rng, p_speed=P_SPEED, speed=SPEED, **real)


def families(clips):
    """Training clips per synthesizer family, recorded in the segment (EVAL.md and the model card name them)."""
    return dict(sorted(collections.Counter(c["family"] for c in clips).items()))


_queue = []


def make_batch(aug):
    """Length-bucketed batches: draw a pool, sort by length, cut into batches of about BATCH_SEC
    seconds of padded audio, shuffle their order."""
    if not _queue:
        pool = [aug.sample() for _ in range(POOL)]
        pool.sort(key=lambda p: len(p[0]))
        batches, cur = [], []
        for p in pool:
            if cur and len(p[0]) / C.SR * (len(cur) + 1) > BATCH_SEC:
                batches.append(cur)
                cur = []
            cur.append(p)
        if cur:
            batches.append(cur)
        order = aug.rng.permutation(len(batches))
        _queue.extend(batches[i] for i in order)
    batch = _queue.pop()
    xs = [b[0] for b in batch]
    ys = [C.label_ids(b[1]) for b in batch]
    lens = [len(x) for x in xs]
    X = np.zeros((len(xs), max(lens)), np.float32)
    for i, x in enumerate(xs):
        X[i, : len(x)] = x
    return torch.from_numpy(X), torch.tensor(lens), ys


def main():
    threads = int(os.environ.get("THREADS", "1"))
    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    os.makedirs(CKPT, exist_ok=True)
    model = build(ARCH, blocks=int(os.environ.get("BLOCKS", "10")))
    model.spec_augment = True
    model.frontend.vtlp = VTLP
    print(f"params {sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6:.3f}M "
          f"arch {ARCH} threads {threads}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-2)
    step, elapsed0 = 0, 0.0
    segments = []
    cycle = (0.0, 0)  # (minute-seconds, step) where the current LR cycle began
    if os.environ.get("RESUME", "1") != "1":  # a fresh run: old checkpoints must not be averaged in
        for old in glob.glob(os.path.join(CKPT, "*.pt")):
            os.remove(old)
    if os.path.exists(os.path.join(CKPT, "last.pt")) and os.environ.get("RESUME", "1") == "1":
        st = torch.load(os.path.join(CKPT, "last.pt"))
        if grow_from(model, st["model"]):
            opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-2)  # new parameter list
        else:
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["opt"])
        step, elapsed0 = st["step"], st["elapsed"]
        cycle = tuple(st.get("cycle", (0.0, 0)))
        segments = st.get("segments") or [{"fromMin": 0.0, "toMin": round(elapsed0 / 60, 1), "threads": None,
                                            "fromStep": 0}]  # older checkpoints did not record them
        print(f"resumed at step {step}", flush=True)
    if step:  # a resumed run draws new utterances instead of replaying the first run's sequence
        rng = np.random.default_rng([SEED, step])
    clips, nfiles = load_train()
    aug = augmenter(clips, rng)
    print(f"train clips {len(clips)} from {nfiles} chunks", flush=True)
    t0 = time.time() - elapsed0
    # wall-clock segments of this run (start/end minutes, threads), kept in every checkpoint
    segments = segments + [{"fromMin": round(elapsed0 / 60, 1), "threads": threads, "fromStep": step,
                            "schedule": SCHEDULE, "lr": LR, "blocks": len(getattr(model, "blocks", ())),
                            "pSpeed": P_SPEED, "speed": list(SPEED),
                            "vtlp": list(VTLP) if VTLP else None, "families": families(clips),
                            "realSpeech": {"share": REAL_SHARE, "pChild": P_CHILD} if REAL_SPEECH else None}]
    last_export = time.time()
    last_reload = time.time()
    warm = 150
    if SCHEDULE == "restart" and step:
        cycle = (elapsed0, step)
        print(f"new LR cycle from {elapsed0 / 60:.1f} min (step {step})", flush=True)
    cycle0, step0 = cycle
    losses = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))  # save + export, then exit
    while not stop:
        elapsed = time.time() - t0
        if elapsed >= BUDGET_MIN * 60:
            break
        frac = (elapsed - cycle0) / (BUDGET_MIN * 60 - cycle0)
        lr = LR * min(1.0, (step + 1 - step0) / warm) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        X, lens, ys = make_batch(aug)
        model.train()
        logits = model(X)
        T = logits.shape[1]
        out_lens = torch.clamp(torch.tensor([n_frames(int(n)) for n in lens]), max=T)
        logp = F.log_softmax(logits, -1).transpose(0, 1)
        targets = torch.tensor([t for y in ys for t in y], dtype=torch.long)
        tlens = torch.tensor([len(y) for y in ys])
        loss = F.ctc_loss(logp, targets, out_lens, tlens, blank=0, reduction="mean", zero_infinity=True)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        losses.append(float(loss))
        if step % 25 == 0:
            print(f"step {step} t={elapsed / 60:.1f}min lr={lr:.2e} loss={np.mean(losses):.3f} "
                  f"batch={len(ys)}x{X.shape[1] / C.SR:.1f}s", flush=True)
            losses = []
        if time.time() - last_reload > 300:
            files = sorted(glob.glob(os.path.join(DATA, "train-*.pkl")))
            if len(files) > nfiles:
                clips, nfiles = load_train()
                aug = augmenter(clips, rng)
                segments[-1]["families"] = families(clips)
                print(f"reloaded: train clips {len(clips)} from {nfiles} chunks", flush=True)
            last_reload = time.time()
        if time.time() - last_export > EXPORT_EVERY_MIN * 60:
            save_and_export(model, opt, step, time.time() - t0, segments, cycle)
            last_export = time.time()
    save_and_export(model, opt, step, time.time() - t0, segments, cycle)
    print(f"done: {step} steps, {(time.time() - t0) / 60:.1f} min", flush=True)


def grow_from(model, state):
    """Load a checkpoint with fewer residual blocks than BLOCKS: the old weights as they were, each added
    block (appended after the last) starting close to the identity — its output BatchNorm scale is 0.01,
    so the model's function barely moves and gradients still reach the new weights. Returns False when
    the block counts match (a plain resume); any other mismatch is an error naming both block counts."""
    have = count_blocks(state)
    want = len(model.blocks) if hasattr(model, "blocks") else have
    if have == want:
        return False
    if ARCH != "conv" or have > want:
        raise SystemExit(f"checkpoint has {have} residual blocks, BLOCKS={want} with ARCH={ARCH}: a resume "
                         f"can only add blocks to the conv encoder (to continue it as it is, set BLOCKS={have})")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(tuple(f"blocks.{i}." for i in range(have, want))) for k in missing):
        raise SystemExit(f"checkpoint does not fit the model: missing {missing}, unexpected {unexpected}")
    with torch.no_grad():
        for blk in list(model.blocks)[have:]:
            blk.bn2.weight.fill_(0.01)
            blk.bn2.bias.zero_()
    print(f"grew the encoder from {have} to {want} residual blocks (new ones near identity); "
          "the optimiser starts afresh", flush=True)
    return True


def save_and_export(model, opt, step, elapsed, segments, cycle):
    segments[-1]["toMin"] = round(elapsed / 60, 1)
    st = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
          "arch": ARCH, "segments": segments,
          "cycle": list(cycle)}
    torch.save(st, os.path.join(CKPT, "last.tmp"))
    os.replace(os.path.join(CKPT, "last.tmp"), os.path.join(CKPT, "last.pt"))
    torch.save(st, os.path.join(CKPT, f"step{step:06d}.pt"))
    try:
        import export
        # a snapshot, not a release: its manifest says which step it is (MODEL_VERSION plays no part)
        export.export_model(model, EXPORT, f"0.0.0-step{step}", families=C.trained_families({"segments": segments}))
        print(f"exported at step {step}", flush=True)
    except Exception as e:  # keep training even if an export fails
        print(f"export failed: {e!r}", flush=True)


if __name__ == "__main__":
    main()
