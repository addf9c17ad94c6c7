"""Make a quantize.py model (uint8 weights, zero point 128) run on onnxruntime's fast uint8 x int8
kernels without their 16-bit saturation: the weights become int8 with no adjacent pair able to
overflow `vpmaddubsw`.

    MODEL_VERSION=1.7.3 /usr/bin/python3 pair_safe.py <uint8-model-dir> [out-dir]   # default out-dir: models/letters-ctc-1.7.3/

Why: on x86 CPUs without VNNI, onnxruntime multiplies uint8 activations by int8 weights with
`vpmaddubsw`, which sums each pair of adjacent products along the reduction axis in 16 bits and
saturates when a pair passes 32767 (EXPERIMENTS.md, "int8 arithmetic that does not depend on the
CPU"). quantize.py therefore stores weights as uint8 (uint8 x uint8 is exact everywhere), which costs
~1.3x in `session.run`. A pair a1*w1 + a2*w2 with activations 0..255 can only saturate when w1 and w2
have the same sign and |w1| + |w2| > 128 (255 * 128 = 32640 fits), so:

- dense convolutions (the pointwise 1x1 layers; onnxruntime reduces over kernel tap, then input
  channel, so adjacent pairs are input channels 2j, 2j+1 of one tap): int8, and every same-sign pair
  with |w1| + |w2| > 128 loses the excess, split between the two (the larger gives the odd unit);
- depthwise convolutions: int8 as they are (onnxruntime's depthwise kernel widens to 16 bits before
  multiplying; measured exact here);
- layers in `KEEP_UINT8` [conv0] stay uint8: the stem is where capping pairs changed verdicts
  (one more example item misjudged with it capped, none without).

`COMPENSATE_FROM=<float-model-dir>` (the float model the source was quantised from) re-rounds the
pointwise layers from its float weights instead of capping the rounded ones: a pair at a time, the two
values chosen together as the feasible pair that least raises the layer's output error on the
calibration rows (quantize.py's, training audio only), each rounding error spread over the input
channels not yet rounded through the inverse input Hessian (GPTQ-style; `GPTQ_DAMP` [0.05] of the
Hessian's mean diagonal is added before inverting). `GPTQ_ROWS` [capped] re-rounds only the output
channels whose plain rounding breaks the cap; `all` re-rounds every one.

The output's integer kernels then match the same QDQ graph run in float (optimisations off) as
closely as the uint8 model's do, on every CPU; `int8_exact.cjs` measures that on the example phrases
and this script prints it. Adopt the output only when `compare_models.py` and `eval_real.py` show
the same item figures as the source model.
"""
import json
import os
import subprocess

import numpy as np
import onnx
from onnx import numpy_helper

import common as C
import export

PAIR_LIMIT = 128  # 255 * 128 = 32640 <= 32767


def keep_uint8():
    return tuple(x.strip() + "." for x in os.environ.get("KEEP_UINT8", "conv0").split(",") if x.strip())


def cap_pairs(w):
    """w: int weights [cout, cin, k]. Returns (capped copy, pairs capped, largest change), pairing
    input channels 2j, 2j+1 within each kernel tap."""
    cout, cin, k = w.shape
    rows = w.transpose(0, 2, 1).reshape(cout, -1).astype(np.int32)  # [cout, k*cin], tap-major
    if rows.shape[1] % 2:
        rows = np.concatenate([rows, np.zeros((cout, 1), np.int32)], 1)
    p = rows.reshape(cout, -1, 2)
    mag = np.abs(p)
    over = (np.sign(p[..., 0]) == np.sign(p[..., 1])) & (mag.sum(-1) > PAIR_LIMIT)
    excess = np.where(over, mag.sum(-1) - PAIR_LIMIT, 0)
    first_larger = mag[..., 0] >= mag[..., 1]
    cut_first = np.where(first_larger, (excess + 1) // 2, excess // 2)
    cut = np.stack([cut_first, excess - cut_first], -1)
    p = np.sign(p) * (mag - cut)
    capped = p.reshape(cout, -1)[:, : k * cin].reshape(cout, k, cin).transpose(0, 2, 1)
    return capped, int(over.sum()), int(cut.max(initial=0))


def input_hessians(float_model, layers):
    """{layer: H = sum of x x^T over calibration frames} of each 1x1 layer's input, the float model
    (export.model_from_onnx) run on quantize.py's calibration rows (training audio only)."""
    import torch

    import quantize

    model = export.model_from_onnx(float_model, front="conv32")
    sums = {}

    def hook(name):
        def record(_module, args):
            x = args[0][0].double()  # [cin, frames]
            sums[name] = sums.get(name, 0) + (x @ x.T).numpy()
        return record

    handles = [model.get_submodule(name).register_forward_pre_hook(hook(name)) for name in layers]
    rows, _ = quantize.calibration_rows()
    with torch.no_grad():
        for row in rows:
            model(torch.from_numpy(row)[None])
    for h in handles:
        h.remove()
    return sums, model.state_dict()


def rows_mode():
    """`GPTQ_ROWS` [capped]: re-round only the output channels whose plain rounding breaks the cap
    (the rest keep the source's rounding, bit for bit); `all`: every output channel."""
    mode = os.environ.get("GPTQ_ROWS", "capped")
    if mode not in ("capped", "all"):
        raise SystemExit(f"GPTQ_ROWS={mode}: expected capped or all")
    return mode


def gptq_damp():
    """`GPTQ_DAMP` [0.05]: the share of the Hessian's mean diagonal added before inverting (> 0)."""
    text = os.environ.get("GPTQ_DAMP", "0.05")
    try:
        damp = float(text)
    except ValueError:
        damp = -1.0
    if not damp > 0:
        raise SystemExit(f"GPTQ_DAMP={text}: expected a positive number such as 0.05")
    return damp


def compensated(w, scale, h, damp=None, reach=72):
    """Int8 weights [cout, cin] of the float weights `w` (per-row `scale`) with the pair cap applied
    in the loop (GPTQ-style): input channels are rounded a pair at a time, the pair's two values
    chosen together as the feasible pair that least raises the layer's output error on the
    calibration inputs (first value within `reach` of its rounding, second its best rounding under
    the cap), and the pair's error spread over the channels not yet rounded through the inverse input
    Hessian `h`. Returns the weights."""
    cout, cin = w.shape
    if cin % 2:
        raise SystemExit(f"compensated: {cin} input channels, expected an even number")
    work = w / scale[:, None]
    damp = gptq_damp() if damp is None else damp
    h = h + damp * np.mean(np.diag(h)) * np.eye(cin)
    u = np.linalg.cholesky(np.linalg.inv(h)).T  # upper: inv(h) = u.T @ u
    q = np.zeros((cout, cin), np.int32)
    steps = np.arange(-reach, reach + 1)
    for i in range(0, cin, 2):
        w1 = work[:, i]
        q1 = np.clip(np.rint(w1)[:, None] + steps[None, :], -128, 127)  # [cout, candidates]
        e1 = (w1[:, None] - q1) / u[i, i]
        w2 = work[:, i + 1, None] - e1 * u[i, i + 1]
        room = PAIR_LIMIT - np.abs(q1)  # |q2| allowed on q1's side
        lo = np.where(q1 < 0, -room, -128)
        hi = np.where(q1 > 0, np.minimum(room, 127), 127)
        q2 = np.clip(np.rint(w2), lo, hi)
        loss = e1 ** 2 + ((w2 - q2) / u[i + 1, i + 1]) ** 2
        best = np.argmin(loss, 1)
        rows = np.arange(cout)
        for j, col in ((i, q1[rows, best]), (i + 1, q2[rows, best])):
            q[:, j] = col
            err = (work[:, j] - col) / u[j, j]
            work[:, j + 1:] -= np.outer(err, u[j, j + 1:])
    return q


def over_cap(w):
    """[cout, cin / 2] True where the pair (2j, 2j + 1) of int8 weights [cout, cin] has the same sign
    and |w1| + |w2| over the cap."""
    a, b = w[:, 0::2], w[:, 1::2]
    return (np.sign(a) == np.sign(b)) & (np.abs(a) + np.abs(b) > PAIR_LIMIT)


def convert(src_path, out_path, float_model=None):
    """`float_model`: the float folder `src_path` was quantised from; with it, dense 1x1 layers are
    re-rounded from its weights by `compensated` instead of capping the rounded ones."""
    m = onnx.load(src_path)
    inits = {i.name: i for i in m.graph.initializer}
    keep = keep_uint8()
    report = []
    dense = [n.input[0][: -len(".weight_q")] for n in m.graph.node if n.op_type == "DequantizeLinear"
             and n.input[0].endswith(".pw.weight_q")]
    cache = {}

    def float_inputs(folder):
        if "h" not in cache:
            cache["h"] = input_hessians(os.path.join(folder, "model.onnx"), dense)
        return cache["h"]

    for n in m.graph.node:
        if n.op_type != "DequantizeLinear" or not n.input[0].endswith(".weight_q"):
            continue
        name, zp_name = n.input[0], n.input[2]
        q = numpy_helper.to_array(inits[name])
        zp = numpy_helper.to_array(inits[zp_name])
        if q.dtype != np.uint8 or not np.all(zp == 128):
            raise SystemExit(f"{src_path}: {name} is not a uint8 weight with zero point 128 (quantize.py WEIGHT_TYPE=uint8)")
        layer = name[: -len("weight_q")]
        if any(layer.startswith(k) for k in keep):
            report.append({"layer": layer[:-1], "weights": "uint8 (kept)"})
            continue
        w = q.astype(np.int32) - 128
        depthwise = w.ndim == 3 and w.shape[1] == 1 and w.shape[2] > 1
        extra = {}
        compensate = bool(float_model) and layer[:-1] in dense  # the layers input_hessians measures
        if depthwise:
            capped, n_capped, largest = w, 0, 0
        elif compensate:
            hess, state = float_inputs(float_model)
            scale = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64).reshape(-1)
            wf = state[layer + "weight"].double().numpy()[:, :, 0]
            rtn = np.clip(np.rint(wf / scale[:, None]), -128, 127)
            moved = float(np.mean(rtn != w[:, :, 0]))
            if moved > 0.01:
                raise SystemExit(f"{layer[:-1]}: {moved:.1%} of the rounded float weights differ from {src_path}'s: "
                                 "not the float model it was quantised from")
            capped = compensated(wf, scale, hess[layer[:-1]])
            over = over_cap(w[:, :, 0])
            n_capped = int(over.sum())  # pairs of the source's values over the cap
            redo = over.any(1) if rows_mode() == "capped" else np.ones(len(w), bool)
            capped = np.where(redo[:, None], capped, w[:, :, 0])
            largest = int(np.abs(capped - w[:, :, 0]).max())
            capped = capped[:, :, None]
            extra = {"rowsRerounded": int(redo.sum()), "ofRows": len(w)}
        else:
            capped, n_capped, largest = cap_pairs(w.reshape(w.shape[0], w.shape[1], -1))
            capped = capped.reshape(w.shape)
        inits[name].CopyFrom(numpy_helper.from_array(capped.astype(np.int8), name))
        inits[zp_name].CopyFrom(numpy_helper.from_array(np.zeros(zp.shape, np.int8), zp_name))
        report.append({"layer": layer[:-1], "weights": "int8 depthwise" if depthwise else
                       "int8 pair-capped" + (", compensated" if compensate else ""),
                       "pairs": int(w.size // 2), "capped": n_capped, "largestCut": largest, **extra})
    onnx.checker.check_model(m)
    onnx.save(m, out_path)
    return report


def main():
    version, src, out = export.derived_args(__doc__)
    float_model = os.environ.get("COMPENSATE_FROM")
    if float_model:
        float_model = os.path.abspath(float_model)
        if not os.path.exists(os.path.join(float_model, "model.onnx")):
            raise SystemExit(f"COMPENSATE_FROM={float_model}: no model.onnx there (give the float model folder)")
        gptq_damp(), rows_mode()  # refuse a bad setting before any work
    os.makedirs(out, exist_ok=True)
    report = convert(os.path.join(src, "model.onnx"), os.path.join(out, "model.onnx"), float_model)
    kept = ", ".join(k[:-1] for k in keep_uint8()) or "none"
    rows = float_model and ("output channels whose rounding broke the cap" if rows_mode() == "capped" else
                            "every output channel")
    how = (f"pointwise {rows} re-rounded from {export.manifest_version(float_model)}'s float weights with the cap "
           "in the loop and each rounding error spread over the later input channels (GPTQ-style, training-audio "
           "calibration)") if float_model else "the excess split between the two"
    export.write_derived_manifest(src, out, version, "Weights then made int8 by pair_safe.py from {source} "
                                  f"(adjacent same-sign pairs capped at |w1|+|w2| <= {PAIR_LIMIT}, so uint8 x int8 "
                                  f"kernels cannot saturate: {how}; depthwise unchanged; uint8 kept: {kept}).")
    check = subprocess.run(["node", os.path.join(C.HERE, "int8_exact.cjs"), os.path.join(src, "model.onnx"),
                            os.path.join(out, "model.onnx")], check=True, cwd=C.REPO, capture_output=True, text=True)
    capped = sum(r.get("capped", 0) for r in report)
    pairs = sum(r.get("pairs", 0) for r in report if "capped" in r and r["weights"] != "int8 depthwise")
    print(json.dumps({"source": os.path.relpath(src, C.REPO), "out": os.path.relpath(out, C.REPO),
                      "cappedPairs": capped, "ofPairs": pairs, "layers": report,
                      "integerVsFloatQdq": json.loads(check.stdout)}, indent=1))


if __name__ == "__main__":
    main()
