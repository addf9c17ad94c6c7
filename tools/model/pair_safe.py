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


def convert(src_path, out_path):
    m = onnx.load(src_path)
    inits = {i.name: i for i in m.graph.initializer}
    keep = keep_uint8()
    report = []
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
        if depthwise:
            capped, n_capped, largest = w, 0, 0
        else:
            capped, n_capped, largest = cap_pairs(w.reshape(w.shape[0], w.shape[1], -1))
            capped = capped.reshape(w.shape)
        inits[name].CopyFrom(numpy_helper.from_array(capped.astype(np.int8), name))
        inits[zp_name].CopyFrom(numpy_helper.from_array(np.zeros(zp.shape, np.int8), zp_name))
        report.append({"layer": layer[:-1], "weights": "int8 depthwise" if depthwise else "int8 pair-capped",
                       "pairs": int(w.size // 2), "capped": n_capped, "largestCut": largest})
    onnx.checker.check_model(m)
    onnx.save(m, out_path)
    return report


def main():
    version, src, out = export.derived_args(__doc__)
    os.makedirs(out, exist_ok=True)
    report = convert(os.path.join(src, "model.onnx"), os.path.join(out, "model.onnx"))
    kept = ", ".join(k[:-1] for k in keep_uint8()) or "none"
    export.write_derived_manifest(src, out, version, "Weights then made int8 by pair_safe.py from {source} "
                                  f"(adjacent same-sign pairs capped at |w1|+|w2| <= {PAIR_LIMIT}, so uint8 x int8 "
                                  f"kernels cannot saturate; depthwise unchanged; uint8 kept: {kept}).")
    check = subprocess.run(["node", os.path.join(C.HERE, "int8_exact.cjs"), os.path.join(src, "model.onnx"),
                            os.path.join(out, "model.onnx")], check=True, cwd=C.REPO, capture_output=True, text=True)
    capped = sum(r.get("capped", 0) for r in report)
    pairs = sum(r.get("pairs", 0) for r in report if "capped" in r)
    print(json.dumps({"source": os.path.relpath(src, C.REPO), "out": os.path.relpath(out, C.REPO),
                      "cappedPairs": capped, "ofPairs": pairs, "layers": report,
                      "integerVsFloatQdq": json.loads(check.stdout)}, indent=1))


if __name__ == "__main__":
    main()
