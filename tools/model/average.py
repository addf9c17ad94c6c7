"""Checkpoint averaging with a validation check: writes work/ckpt/final.pt.

Averages the weights (and BatchNorm statistics) of the last K periodic checkpoints of a run and
keeps the average only if it beats the last checkpoint on the *validation* split (training voices,
unseen draws; never the held-out groups that EVAL.md reports against the targets). Prints both PERs.

    /usr/bin/python3 average.py [K]        # default K = 4 (the last 40 minutes at 10-min checkpoints)
"""
import glob
import os
import pickle
import sys

import numpy as np
import torch

import common as C
import evaluate as E
import export
from augment import Augmenter, normalise

CKPT = os.environ.get("CKPT_DIR", os.path.join(C.WORK, "ckpt"))
SELECT_SEED = 7  # not the seed of EVAL.md's figures


def average(paths):
    states = [torch.load(p, map_location="cpu") for p in paths]
    out = dict(states[-1])
    avg = {}
    for k, v in states[-1]["model"].items():
        if v.is_floating_point():
            avg[k] = sum(s["model"][k].double() for s in states).div(len(states)).to(v.dtype)
        else:  # num_batches_tracked
            avg[k] = v
    out["model"] = avg
    out["averaged_steps"] = [s["step"] for s in states]
    out.pop("opt", None)
    return out


def val_per(st, n=int(os.environ.get("SELECT_N", "300"))):
    model = export.model_from_state(st)
    with open(os.path.join(C.WORK, "data", "val.pkl"), "rb") as f:
        clips = pickle.load(f)
    errs = tot = 0
    for corrupt in (False, True):
        rng = np.random.default_rng(SELECT_SEED + int(corrupt))
        kw = {} if corrupt else dict(p_noise=0.0, p_reverb=0.0, p_band=0.0)
        aug = Augmenter(clips, rng, **kw)
        wavs, refs = [], []
        for _ in range(n):
            x, words = aug.assemble(aug.pick())
            x = aug.corrupt(x) if corrupt else x + rng.standard_normal(len(x)).astype(np.float32) * 1e-3
            wavs.append(normalise(x))
            refs.append("".join(words))
        for ref, hyp in zip(refs, E.infer(model, wavs)):
            errs += E.edit_ops(list(ref), list("".join(C.ids_to_words(hyp))))[0]
            tot += len(ref)
    return errs / tot


def main():
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    last = torch.load(os.path.join(CKPT, "last.pt"), map_location="cpu")
    steps = sorted(glob.glob(os.path.join(CKPT, "step*.pt")))
    steps = [p for p in steps if torch.load(p, map_location="cpu")["step"] <= last["step"]][-k:]
    if len(steps) < 2:
        print("fewer than 2 checkpoints: keeping last.pt")
        best = last
    else:
        avg = average(steps)
        p_last, p_avg = val_per(last), val_per(avg)
        print(f"validation PER (clean + corrupted): last step {last['step']}: {100 * p_last:.2f} %, "
              f"average of steps {avg['averaged_steps']}: {100 * p_avg:.2f} %")
        best = avg if p_avg < p_last else last
        print("keeping the average" if best is avg else "keeping the last checkpoint")
    torch.save(best, os.path.join(CKPT, "final.pt"))
    print(os.path.join(CKPT, "final.pt"))


if __name__ == "__main__":
    main()
