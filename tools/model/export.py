"""Export a LettersCTC model to ONNX (opset 13, dynamic batch/length) + readscore manifest."""
import copy
import hashlib
import json
import os
import sys

import torch

import common as C
from model import build, count_blocks, fuse_for_inference

VERSION = os.environ.get("MODEL_VERSION", "1.5.0")
MODEL_DIR = os.path.join(C.REPO, "models", f"letters-ctc-{VERSION}")
INPUT_NAME = "audio"
OUTPUT_NAME = "logits"


def export_model(model, step=None, out_dir=MODEL_DIR):
    os.makedirs(out_dir, exist_ok=True)
    m = fuse_for_inference(model)
    m.spec_augment = False
    m.frontend.precise = True
    dummy = torch.randn(2, 16000)
    tmp = os.path.join(out_dir, "model.onnx.tmp")
    with torch.no_grad():
        torch.onnx.export(m, dummy, tmp, opset_version=13, input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], do_constant_folding=True,
                          dynamic_axes={INPUT_NAME: {0: "batch", 1: "samples"},
                                        OUTPUT_NAME: {0: "batch", 1: "frames"}})
    os.replace(tmp, os.path.join(out_dir, "model.onnx"))
    write_manifest(out_dir, step)
    return os.path.join(out_dir, "model.onnx")


def write_manifest(out_dir=MODEL_DIR, step=None):
    with open(os.path.join(out_dir, "model.onnx"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    man = {
        "format": "readscore-model/1",
        "name": "letters-ctc",
        "version": VERSION,
        "sha256": sha,
        "sampleRate": C.SR,
        "input": {"name": INPUT_NAME},
        "output": {"name": OUTPUT_NAME},
        "vocabulary": C.VOCAB,
        "blank": "<pad>",
        "separator": "|",
        "frameStride": C.STRIDE,
        "normalization": "zero-mean-unit-variance",
        "description": ("Small CTC phone recogniser for letter names and letter sounds, trained on "
                        "synthetic speech only (espeak-ng, flite). Input: 16 kHz mono float32 "
                        "waveform [batch, samples], normalised per utterance (zero mean, unit variance "
                        "over the true samples, zero right-padding after normalisation); log-mel "
                        "front end inside the graph. Output: logits [batch, frames, 38] with "
                        "frames = ceil(samples / 320) (20 ms). Accuracy on children's real voices is "
                        "unknown and expected to be much lower than on the synthetic evaluation."),
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(man, f, ensure_ascii=False, indent=2)
        f.write("\n")


def model_from_state(st):
    """Eval-mode model (BatchNorm folded, precise front end) from a checkpoint dict."""
    blocks = count_blocks(st["model"])
    m = build(st.get("arch", "conv"), blocks=blocks)
    m.load_state_dict(st["model"])
    m = fuse_for_inference(m)
    m.frontend.precise = True
    return m.eval()


def load_checkpoint(path):
    st = torch.load(path, map_location="cpu")
    return model_from_state(st), st


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(C.WORK, "ckpt", "last.pt")
    m, st = load_checkpoint(path)
    print(export_model(m, st.get("step")))
