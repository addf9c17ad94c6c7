"""Quantise an exported letters-ctc model's encoder to int8 (QDQ, opset 13) for onnxruntime's
QLinearConv / QLinearAdd kernels; the log-mel front end stays float32.

    MODEL_VERSION=1.6.2 /usr/bin/python3 quantize.py <float-model-dir> [out-dir]   # default out-dir: models/letters-ctc-1.6.2/

- weights of every encoder Conv but the head: 8-bit, symmetric, per output channel (max |w| / 127),
  stored as uint8 with zero point 128 (`WEIGHT_TYPE=uint8`, the default) or as int8 with zero point
  0 (`WEIGHT_TYPE=int8`, as 1.6.2-1.7.1 were made). The values are the same; the kernels are not. On
  x86 CPUs without VNNI, onnxruntime runs uint8 × int8 convolutions with `vpmaddubsw`, which adds
  pairs of products in 16 bits and saturates (2 × 255 × 127 > 32767), so an int8-weight model gives
  other logits there than on a VNNI CPU (exact `vpdpbusd`); uint8 × uint8 is exact everywhere, so
  a uint8-weight model gives the same logits on every CPU, those of the int8 model on VNNI;
  biases int32 at input scale x weight scale;
- activations (the stem's input, every ReLU output, every residual sum): uint8, per tensor, range
  [min(0, 0.01th pct), 99.999th pct] (`CALIB_STAT=max`: [min, max]) of the float graph in
  onnxruntime on calibration audio from the TRAINING data only (`work/data/train-000.pkl`, and
  `work/data/real/train.pkl` when present: `CALIB_CLIPS` [300] / `CALIB_REAL` [150] clips joined
  with 0.3 s gaps into ~10 s rows, each normalised as the pipeline does; seed 3);
- the head (256 -> 38) reads the dequantised last residual sum with float weights, so the logits
  keep float precision.
- `FLOAT_LAYERS` (e.g. `conv0,blocks.0`): layers left float, for sensitivity sweeps (EXPERIMENTS.md).

Adopt a quantised model only when `compare_models.py <float-dir> <int8-dir>` shows no EVAL item
figure dropping (issue #22); its logits differ from the float graph's by more than the 1e-4 ORT
check (printed here), which therefore applies to the float model it was made from.
"""
import json
import os
import pickle
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

import common as C
import export
from augment import normalise

SEED = 3


def calibration_rows():
    """(float32 rows, their lengths) of normalised training audio."""
    rng = np.random.default_rng(SEED)
    src = os.path.join(C.WORK, "data", "train-000.pkl")
    if not os.path.exists(src):
        raise SystemExit(f"{os.path.relpath(src, C.REPO)} is missing: run gen_data.py first (calibration uses training data only)")
    with open(src, "rb") as f:
        clips = pickle.load(f)
    pick = [clips[i] for i in rng.choice(len(clips), min(len(clips), int(os.environ.get("CALIB_CLIPS", "300"))), replace=False)]
    real = os.path.join(C.WORK, "data", "real", "train.pkl")
    if os.path.exists(real):
        with open(real, "rb") as f:
            rc = pickle.load(f)
        pick += [rc[i] for i in rng.choice(len(rc), min(len(rc), int(os.environ.get("CALIB_REAL", "150"))), replace=False)]
    rng.shuffle(pick)
    return pack_rows(pick), len(pick)


def pack_rows(clips, seconds=10):
    """Clips end to end with 0.3 s gaps, cut into normalised float32 rows of just over `seconds`."""
    rows, cur, gap = [], [], np.zeros(int(0.3 * C.SR), np.float32)
    for c in clips:
        cur += [c["audio"].astype(np.float32), gap]
        if sum(len(a) for a in cur) > seconds * C.SR:
            rows.append(normalise(np.concatenate(cur)).astype(np.float32))
            cur = []
    if cur:
        rows.append(normalise(np.concatenate(cur)).astype(np.float32))
    return rows


def float_layers():
    """Encoder layers left float (`FLOAT_LAYERS`, comma-separated weight prefixes such as `conv0`,
    `blocks.0`; default none): their convolutions keep float weights and the tensors they make are
    not quantised."""
    return tuple(x.strip() + "." for x in os.environ.get("FLOAT_LAYERS", "").split(",") if x.strip())


def layer_of(node):
    """The weight prefix of the layer a node belongs to (`conv0`, `blocks.3`, ...), from its name."""
    name = node.name.strip("/").split("/")
    if name[0] == "blocks" and len(name) > 1:
        return name[1] + "."
    return "conv0." if name[0] in ("conv0", "Relu") else ""


def quantised_conv(node, keep):
    """Whether an encoder Conv gets int8 weights: not the head, not a layer in `keep`."""
    return node.op_type == "Conv" and node.input[1].endswith(".weight") and not node.input[1].startswith("head") \
        and not any(node.input[1].startswith(k) for k in keep)


def activation_tensors(graph, keep=()):
    """The tensors to quantise, in graph order: each int8 Conv's input, every ReLU output and every
    residual sum outside the layers in `keep` (encoder Convs are those with initializer weights
    named `*.weight`; the stem's ReLU belongs to `conv0`)."""
    want = []
    for n in graph.node:
        if quantised_conv(n, keep):
            want.append(n.input[0])
        if (n.op_type == "Relu" or (n.op_type == "Add" and n.output[0].startswith("/blocks"))) and layer_of(n) not in keep:
            want.append(n.output[0])
    return list(dict.fromkeys(want))


def calibrate(model_path, names, tmp):
    rows, n_clips = calibration_rows()
    m = onnx.load(model_path)
    for name in names:
        m.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    paths = {k: os.path.join(tmp, k) for k in ("calib.onnx", "names.json", "rows.f32", "rows.json", "ranges.json")}
    onnx.save(m, paths["calib.onnx"])
    with open(paths["names.json"], "w") as f:
        json.dump(names, f)
    np.concatenate(rows).tofile(paths["rows.f32"])
    with open(paths["rows.json"], "w") as f:
        json.dump([len(r) for r in rows], f)
    subprocess.run(["node", os.path.join(C.HERE, "calibrate.cjs"), paths["calib.onnx"], paths["names.json"],
                    paths["rows.f32"], paths["rows.json"], paths["ranges.json"]], check=True, cwd=C.REPO)
    with open(paths["ranges.json"]) as f:
        return json.load(f), n_clips, sum(len(r) for r in rows) / C.SR


def quantise(model_path, ranges, out_path, stat, keep=()):
    m = onnx.load(model_path)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    extra = []

    def init(arr, name):
        extra.append(numpy_helper.from_array(arr, name))
        return name

    wtype = weight_type()
    qp = {}
    for name, r in ranges.items():
        lo = min(0.0, r["min"] if stat == "max" else r["p0001"])
        hi = max(0.0, r["max"] if stat == "max" else r["p99999"])
        s = (hi - lo) / 255.0 or 1e-8
        qp[name] = (s, int(min(255, max(0, round(-lo / s)))))
    for n in g.node:  # consumers read the dequantised tensor
        for i, x in enumerate(n.input):
            if x in qp:
                n.input[i] = x + "_dq"
    nodes = []
    for n in g.node:
        if quantised_conv(n, keep) and n.input[0].endswith("_dq"):
            sx = qp[n.input[0][:-3]][0]
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            sw = np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0
            sw[sw == 0] = 1e-8
            wq = np.clip(np.round(w / sw[:, None, None]), -127, 127)
            wq, wzp = (wq.astype(np.int8), np.zeros(len(sw), np.int8)) if wtype == "int8" else \
                ((wq + 128).astype(np.uint8), np.full(len(sw), 128, np.uint8))
            bq = np.round(b / (sx * sw)).astype(np.int32)
            wn, bn = n.input[1], n.input[2]
            nodes.append(helper.make_node("DequantizeLinear", [init(wq, wn + "_q"), init(sw.astype(np.float32), wn + "_s"),
                                                               init(wzp, wn + "_zp")], [wn + "_dq"], axis=0))
            nodes.append(helper.make_node("DequantizeLinear", [init(bq, bn + "_q"), init((sx * sw).astype(np.float32), bn + "_s"),
                                                               init(np.zeros(len(sw), np.int32), bn + "_zp")], [bn + "_dq"], axis=0))
            n.input[1], n.input[2] = wn + "_dq", bn + "_dq"
        nodes.append(n)
        for t in n.output:
            if t in qp:
                s, zp = qp[t]
                sn, zn = init(np.array(s, np.float32), t + "_s"), init(np.array(zp, np.uint8), t + "_zp")
                nodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [t + "_q"]))
                nodes.append(helper.make_node("DequantizeLinear", [t + "_q", sn, zn], [t + "_dq"]))
    del g.node[:]
    g.node.extend(nodes)
    used = {x for n in g.node for x in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep + extra)
    onnx.checker.check_model(m)
    onnx.save(m, out_path)
    return len(qp)


def weight_type():
    t = os.environ.get("WEIGHT_TYPE", "uint8")
    if t not in ("uint8", "int8"):
        raise SystemExit(f"WEIGHT_TYPE must be uint8 or int8, got {t}")
    return t


def main():
    version, src, out = export.derived_args(__doc__)
    stat = os.environ.get("CALIB_STAT", "p99999")
    if stat not in ("p99999", "max"):
        raise SystemExit(f"CALIB_STAT must be p99999 or max, got {stat!r}")
    src_model = os.path.join(src, "model.onnx")
    keep = float_layers()
    names = activation_tensors(onnx.load(src_model).graph, keep)
    with tempfile.TemporaryDirectory() as tmp:
        ranges, n_clips, secs = calibrate(src_model, names, tmp)
    os.makedirs(out, exist_ok=True)
    n = quantise(src_model, ranges, os.path.join(out, "model.onnx"), stat, keep)
    weights = "int8 per-channel weights" if weight_type() == "int8" else \
        "8-bit per-channel weights stored as uint8 (zero point 128: the same logits on every CPU)"
    export.write_derived_manifest(src, out, version, f"Encoder quantised to int8 (QDQ: {weights}, uint8 "
                                  "per-tensor activations calibrated on training audio); front end and head float32.")
    print(json.dumps({"source": os.path.relpath(src, C.REPO), "out": os.path.relpath(out, C.REPO), "quantizedTensors": n,
                      "calibration": {"clips": n_clips, "seconds": round(secs, 1), "stat": stat},
                      "floatLayers": [k[:-1] for k in keep],
                      "bytes": os.path.getsize(os.path.join(out, "model.onnx"))}, indent=1))


if __name__ == "__main__":
    main()
