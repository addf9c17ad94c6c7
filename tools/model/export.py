"""Export a LettersCTC model to ONNX (opset 13, dynamic batch/length) + readscore manifest.

    MODEL_VERSION=1.8.0 /usr/bin/python3 export.py [checkpoint] [out-dir]  # default out-dir: models/letters-ctc-1.8.0/
    MODEL_VERSION=1.6.1 /usr/bin/python3 export.py ../../models/letters-ctc-1.6.0 work/frontend/letters-ctc-1.6.1

MODEL_VERSION is required: it names the output folder, and having no default is what keeps an
export from overwriting the bundled model. An existing model folder is replaced only with
MODEL_OVERWRITE=1. The source is a checkpoint (.pt) or an exported model folder, whose graph's
weights are taken as they are (a new front end for the same weights; the manifest is the source's
with the new version and checksum). FRONTEND picks the front end written into the graph: `conv32`
(default from 1.6.2; `LogMel._forward_conv32`, float32), `fft` (1.6.1's float64 FFT) or `dense64`
(1.6.0's dense float64 DFT), for A/B comparisons. quantize.py makes the int8 model from the export.
"""
import copy
import hashlib
import json
import os
import re
import sys

import torch

import common as C
from model import PRECISE_DFTS, build, count_blocks, fuse_for_inference

MODEL_NAME = "letters-ctc"
INPUT_NAME = "audio"
OUTPUT_NAME = "logits"
# major.minor.patch with an optional pre-release or build suffix (semver)
VERSION_PATTERN = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]+)?")


def model_version():
    """The version being built, from MODEL_VERSION; exits with a clear message when unset or malformed."""
    version = os.environ.get("MODEL_VERSION", "").strip()
    if not version:
        raise SystemExit("MODEL_VERSION is not set: give the version being built, e.g. MODEL_VERSION=1.8.0. "
                         f"It names the output folder models/{MODEL_NAME}-<version>/ and has no default, "
                         "so that no run overwrites the bundled model.")
    if not VERSION_PATTERN.fullmatch(version):
        raise SystemExit(f"MODEL_VERSION must be a version such as 1.7.0, got {version!r}")
    return version


def frontend():
    """The exported front end, from FRONTEND (default "conv32"); exits with a clear message on a bad value."""
    kind = os.environ.get("FRONTEND", "conv32").strip() or "conv32"
    if kind not in PRECISE_DFTS:
        raise SystemExit(f"FRONTEND must be one of {', '.join(PRECISE_DFTS)}, got {kind!r}")
    return kind


def model_dir(version=None):
    """The model folder of `version` (default: MODEL_VERSION, required) inside the repository."""
    return os.path.join(C.REPO, "models", f"{MODEL_NAME}-{version or model_version()}")


def output_dir(folder=None):
    """The folder a release export writes (default: MODEL_VERSION's), refused if it already holds a
    model (the bundled one included) unless MODEL_OVERWRITE=1. run.sh calls this before training so
    a run fails in its first second, not after hours."""
    out = os.path.abspath(folder) if folder else model_dir()
    if os.path.exists(os.path.join(out, "model.onnx")) and os.environ.get("MODEL_OVERWRITE") != "1":
        choose = "another folder" if folder else "a new MODEL_VERSION"
        raise SystemExit(f"{os.path.relpath(out, C.REPO)}/ already holds a model: choose {choose}, "
                         "or set MODEL_OVERWRITE=1 to replace it")
    return out


def derived_args(usage):
    """(version, source folder, output folder) of a tool that derives a model from another model's
    folder: `tool.py <model-dir> [out-dir]`, MODEL_VERSION required; exits with `usage` when no source
    is given."""
    version = model_version()
    if len(sys.argv) < 2:
        raise SystemExit(usage)
    return version, os.path.abspath(sys.argv[1]), output_dir(sys.argv[2] if len(sys.argv) > 2 else None)


def write_derived_manifest(src, out, version, note):
    """The manifest of a model derived from the one in `src`: its manifest, `note` appended to the
    description, the new version and files."""
    with open(os.path.join(src, "manifest.json"), encoding="utf-8") as f:
        base = json.load(f)
    base["description"] = base["description"].rstrip() + " " + note.format(source=base["version"])
    write_manifest(out, version, base=base)


def manifest_version(folder):
    """The version recorded in a model folder's manifest.json."""
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


def export_model(model, out_dir, version, families=None, front=None, base_manifest=None):
    """Writes out_dir/model.onnx and manifest.json (`base_manifest`: a manifest to keep all but the
    version and checksum of). `front`: the front end, default `frontend()`."""
    front = front or frontend()
    os.makedirs(out_dir, exist_ok=True)
    m = fuse_for_inference(model)
    m.spec_augment = False
    m.frontend.precise = True
    m.frontend.precise_dft = front
    dummy = torch.randn(2, 16000)
    tmp = os.path.join(out_dir, "model.onnx.tmp")
    with torch.no_grad():
        torch.onnx.export(m, dummy, tmp, opset_version=13, input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], do_constant_folding=True,
                          dynamic_axes={INPUT_NAME: {0: "batch", 1: "samples"},
                                        OUTPUT_NAME: {0: "batch", 1: "frames"}})
    if front == "dense64":
        _unfold_dft(tmp, m.frontend)
    os.replace(tmp, os.path.join(out_dir, "model.onnx"))
    write_manifest(out_dir, version, families, base_manifest)
    return os.path.join(out_dir, "model.onnx")


def _unfold_dft(path, frontend):
    """The tracer stores the front end's [400, 402] float64 DFT matrix as one 1.3 MB constant; put
    back the few ops that build it from 400-entry tables (`LogMel._dft64`: the same gathers and
    float64 products as in PyTorch, so both give identical matrices) and save 1.28 MB."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    g = onnx.load(path)
    want = frontend.dft64.numpy()
    hits = [nd for nd in g.graph.node if nd.op_type == "Constant" and nd.attribute[0].HasField("t")
            and tuple(nd.attribute[0].t.dims) == want.shape]
    if len(hits) != 1 or not np.array_equal(numpy_helper.to_array(hits[0].attribute[0].t), want):
        raise RuntimeError(f"export: expected one DFT constant of shape {want.shape}, found {len(hits)}")
    node, out = hits[0], hits[0].output[0]
    n_fft, n_freqs = want.shape[0], want.shape[1] // 2

    def const(name, arr):
        return helper.make_node("Constant", [], [f"dft/{name}"], value=numpy_helper.from_array(arr, f"dft/{name}"))

    i64 = np.int64
    nodes = [
        const("zero", np.array(0, i64)), const("one", np.array(1, i64)),
        const("n_fft", np.array(n_fft, i64)), const("n_freqs", np.array(n_freqs, i64)),
        const("axis1", np.array([1], i64)),
        const("cos", frontend.cos64.numpy()), const("neg_sin", (-frontend.sin64).numpy()),
        const("window", frontend.win64.numpy()),
        helper.make_node("Range", ["dft/zero", "dft/n_fft", "dft/one"], ["dft/n"]),
        helper.make_node("Range", ["dft/zero", "dft/n_freqs", "dft/one"], ["dft/k"]),
        helper.make_node("Unsqueeze", ["dft/k", "dft/axis1"], ["dft/k_col"]),
        helper.make_node("Mul", ["dft/k_col", "dft/n"], ["dft/kn"]),
        helper.make_node("Mod", ["dft/kn", "dft/n_fft"], ["dft/idx"]),  # [F, N_FFT]
        helper.make_node("Gather", ["dft/cos", "dft/idx"], ["dft/cos_kn"]),
        helper.make_node("Gather", ["dft/neg_sin", "dft/idx"], ["dft/neg_sin_kn"]),
        helper.make_node("Mul", ["dft/cos_kn", "dft/window"], ["dft/re"]),
        helper.make_node("Mul", ["dft/neg_sin_kn", "dft/window"], ["dft/im"]),
        helper.make_node("Concat", ["dft/re", "dft/im"], ["dft/re_im"], axis=0),
        helper.make_node("Transpose", ["dft/re_im"], [out], perm=[1, 0]),
    ]
    at = list(g.graph.node).index(node)
    g.graph.node.remove(node)
    for j, nd in enumerate(nodes):
        g.graph.node.insert(at + j, nd)
    onnx.checker.check_model(g)
    onnx.save(g, path)


def write_manifest(out_dir, version, families=None, base=None):
    """out_dir/manifest.json for out_dir/model.onnx: `base` (another manifest) with this version and
    checksum, or the recipe's own fields."""
    with open(os.path.join(out_dir, "model.onnx"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    man = dict(base, version=version, sha256=sha) if base is not None else {
        "format": "readscore-model/1",
        "name": "letters-ctc",
        "version": version,
        "sha256": sha,
        "sampleRate": C.SR,
        "input": {"name": INPUT_NAME},
        "output": {"name": OUTPUT_NAME},
        "vocabulary": C.VOCAB,
        "blank": "<pad>",
        "separator": "|",
        "frameStride": C.STRIDE,
        # the conv encoder's receptive field (one-sample probe: about ±0.9 s); the pipeline relies on
        # it to run each phrase with only this much of its neighbours, and checks it at load
        "contextSec": 1.0,
        "normalization": "zero-mean-unit-variance",
        "description": ("Small CTC phone recogniser for letter names and letter sounds, trained on "
                        + ("synthetic speech only (" if not any(f in C.RECORDED for f in (families or [])) else "synthetic and recorded speech (")
                        + ", ".join(C.family_name(f) for f in (families or ["espeak", "flite"]))
                        + "). Input: 16 kHz mono float32 "
                        "waveform [batch, samples], normalised per utterance (zero mean, unit variance "
                        "over the true samples, zero right-padding after normalisation); log-mel "
                        "front end inside the graph. Output: logits [batch, frames, 38] with "
                        "frames = ceil(samples / 320) (20 ms). Accuracy on children's real voices is "
                        "unknown and expected to be much lower than on the synthetic evaluation."),
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(man, f, ensure_ascii=False, indent=2)
        f.write("\n")


def model_from_state(st, front=None):
    """Eval-mode model (BatchNorm folded, precise front end) from a checkpoint dict."""
    blocks = count_blocks(st["model"])
    m = build(st.get("arch", "conv"), blocks=blocks)
    m.load_state_dict(st["model"])
    m = fuse_for_inference(m)
    m.frontend.precise = True
    m.frontend.precise_dft = front or frontend()
    return m.eval()


def model_from_onnx(path, front=None):
    """Eval-mode model with the weights of an exported graph (`export_model` names its initializers
    after the folded model's parameters), so a model whose checkpoint is not kept - the bundled
    1.6.0 is an average of four - can be re-exported with the same float32 weights."""
    import onnx
    from onnx import numpy_helper

    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(path).graph.initializer}
    blocks = count_blocks(weights)
    if not blocks or "head.weight" not in weights:
        raise SystemExit(f"{path}: not a conv letters-ctc export (no blocks.N.dw.weight / head.weight initializers)")
    m = fuse_for_inference(build("conv", blocks=blocks))
    state = m.state_dict()
    unknown = sorted(set(weights) - set(state))
    missing = sorted(k for k in state if k not in weights and not k.startswith("frontend.")
                     and not k.endswith("num_batches_tracked"))
    bad = sorted(k for k in weights if k in state and weights[k].shape != state[k].shape)
    if unknown or missing or bad:
        raise SystemExit(f"{path}: initializers do not match a {blocks}-block model: unknown {unknown[:5]}, "
                         f"missing {missing[:5]}, wrong shape {bad[:5]}")
    state.update(weights)
    m.load_state_dict(state)
    m.frontend.precise = True
    m.frontend.precise_dft = front or frontend()
    return m.eval()


def load_checkpoint(path, front=None):
    """(eval-mode model, checkpoint dict) from a checkpoint, or from an exported model folder or
    model.onnx (then the dict is None)."""
    onnx_path = os.path.join(path, "model.onnx") if os.path.isdir(path) else path
    if onnx_path.endswith(".onnx"):
        return model_from_onnx(onnx_path, front), None
    st = torch.load(path, map_location="cpu")
    return model_from_state(st, front), st


if __name__ == "__main__":
    version, front = model_version(), frontend()  # before loading anything: the commonest mistakes
    out = output_dir(sys.argv[2] if len(sys.argv) > 2 else None)
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(C.WORK, "ckpt", "last.pt")
    m, st = load_checkpoint(path, front)
    base = None
    if st is None:  # an exported folder: keep its manifest (vocabulary, description) but for version and checksum
        src = path if os.path.isdir(path) else os.path.dirname(path)
        with open(os.path.join(src, "manifest.json"), encoding="utf-8") as f:
            base = json.load(f)
    print(export_model(m, out, version, families=C.trained_families(st), front=front, base_manifest=base))
