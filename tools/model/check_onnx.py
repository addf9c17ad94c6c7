"""Check the exported ONNX model against PyTorch with onnxruntime-node (max abs diff <= 1e-4),
the frame count rule (ceil(N/320)), the manifest and the size limit. Prints a JSON summary.

    /usr/bin/python3 check_onnx.py [checkpoint | model-dir] [model-dir] [reference-model-dir]

The PyTorch side is the float64 reference: the same (float32) weights, the whole model computed in
float64 with the dense DFT front end (`LogMel._forward_dense64`), whatever front end the graph has.
PyTorch's own float32 run is no reference at this scale: it is ~2.5e-4 from the float64 one on the
examples, onnxruntime ~1e-4 (`maxAbsDiffTorchF32` reports it). `examples` runs every example
phrase as one batch and is reported, not gated: the 1e-4 limit sits at the float32 encoder's own
rounding there (1.6.0: 1.0e-4). With a reference folder, its graph runs on the same inputs too
and `vsReference` is the largest logit difference between the two graphs."""
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch

import common as C
import export
from augment import normalise


def _run_ort(onnx_path, x, tmp):
    inp, outp = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
    x.tofile(inp)
    r = subprocess.run(["node", os.path.join(C.HERE, "verify_ort.cjs"), onnx_path, inp, str(x.shape[0]),
                        str(x.shape[1]), outp], capture_output=True, text=True, cwd=C.REPO)
    if r.returncode != 0:
        raise SystemExit("onnxruntime-node failed: " + r.stderr)
    info = json.loads(r.stdout)
    return np.fromfile(outp, np.float32).reshape(info["dims"]), info


def _kept_diff(a, b, lens):
    """Largest |a - b| over the frames the pipeline keeps: ceil(len / 320) per row."""
    return max(float(np.abs(a[i, : -(-L // 320)] - b[i, : -(-L // 320)]).max()) for i, L in enumerate(lens))


def _example_phrases():
    """(path, int16-valued float32 samples) of every examples/*/p*.wav, in order."""
    import glob
    import wave
    out = []
    for p in sorted(glob.glob(os.path.join(C.REPO, "examples", "*", "p*.wav"))):
        with wave.open(p) as w:
            out.append((p, np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32)))
    return out


def main(ckpt=None, model_dir=None, model=None, reference_dir=None):
    """Compares model_dir's graph (default: MODEL_VERSION's folder) with the checkpoint's eval-mode
    model (pass `model` if already loaded)."""
    model_dir = model_dir or export.model_dir()
    if model is None:
        model, _ = export.load_checkpoint(ckpt or os.path.join(C.WORK, "ckpt", "last.pt"))
    ref64 = copy.deepcopy(model).double().eval()
    ref64.frontend.precise, ref64.frontend.precise_dft = True, "dense64"
    f32 = copy.deepcopy(model).eval()
    f32.frontend.precise = True
    onnx_path = os.path.abspath(os.path.join(model_dir, "model.onnx"))  # node runs from the repo root
    ref_path = os.path.abspath(os.path.join(reference_dir, "model.onnx")) if reference_dir else None
    g = onnx.load(onnx_path)
    onnx.checker.check_model(g)
    rng = np.random.default_rng(7)
    res = {"opset": [o.version for o in g.opset_import if o.domain in ("", "ai.onnx")][0],
           "sizeMB": round(os.path.getsize(onnx_path) / 1e6, 3), "cases": []}
    man = json.load(open(os.path.join(model_dir, "manifest.json"), encoding="utf-8"))
    res["manifestShaOk"] = man["sha256"] == hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    res["manifestVocabOk"] = man["vocabulary"] == C.VOCAB
    maxdiff = maxdiff_f32 = vs_ref = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        phrases = _example_phrases()
        real = [p for name, p in phrases if name.endswith("p0.wav")][:3]  # the first three activities' first phrases
        phrases = [p for _, p in phrases]
        cases = [("synthetic", [16000]), ("synthetic", [24000, 17777, 5121]), ("synthetic", [321, 640]),
                 ("synthetic", [48013])]
        if real:
            cases.append(("real", [len(r) for r in real]))
            cases.append(("examples", [len(r) for r in phrases]))  # every example phrase, one batch
            cases.append(("quiet", [len(real[0])] * 3))
        for kind, lens in cases:
            n = max(lens)
            x = np.zeros((len(lens), n), np.float32)
            for i, L in enumerate(lens):
                if kind == "real":
                    sig = normalise(real[i])
                    sig[: 4000] = 0.0  # digital silence at the start, as in padded/streamed audio
                elif kind == "examples":
                    sig = normalise(phrases[i])
                elif kind == "quiet":  # speech with 1 s at -80 dB, an all-zero row, unnormalised near-silence
                    sig = [normalise(real[0]), np.zeros(L, np.float32),
                           rng.standard_normal(L).astype(np.float32) * 1e-4][i]
                    if i == 0:
                        sig[8000:24000] = rng.standard_normal(16000) * 1e-4
                else:
                    t = np.arange(L) / 16000
                    sig = normalise(np.sin(2 * np.pi * 220 * t) * (rng.random() + 0.2) + rng.standard_normal(L) * 0.3)
                x[i, :L] = sig
            with torch.no_grad():
                ref = ref64(torch.from_numpy(x).double()).numpy()
                ref_f32 = f32(torch.from_numpy(x)).numpy()
            got, info = _run_ort(onnx_path, x, tmp)
            case = {"case": kind, "batch": len(lens), "samples": n, "frames": int(got.shape[1]),
                    "ceilN320": -(-n // 320), "maxAbsDiff": _kept_diff(got, ref, lens),  # padding frames are unused
                    "maxAbsDiffTorchF32": _kept_diff(got, ref_f32, lens),
                    "maxAbsDiffInclPadding": float(np.abs(got - ref).max()), "logitAbsMax": float(np.abs(ref).max())}
            if ref_path:
                other, _ = _run_ort(ref_path, x, tmp)
                case["vsReference"] = _kept_diff(got, other, lens)
                vs_ref = max(vs_ref, case["vsReference"])
            res["names"] = {"input": info["input"], "output": info["output"]}
            if kind == "examples":
                res["examples"] = case
                continue
            maxdiff, maxdiff_f32 = max(maxdiff, case["maxAbsDiff"]), max(maxdiff_f32, case["maxAbsDiffTorchF32"])
            res["cases"].append(case)
    res["maxAbsDiff"] = maxdiff
    res["maxAbsDiffTorchF32"] = maxdiff_f32
    if ref_path:
        res["reference"] = os.path.relpath(ref_path, C.REPO)
        res["vsReference"] = vs_ref
    frames_ok = all(c["frames"] == c["ceilN320"] for c in res["cases"] + [res.get("examples", res["cases"][0])])
    res["ok"] = (maxdiff <= 1e-4 and res["sizeMB"] <= 5.0 and res["manifestShaOk"] and res["manifestVocabOk"]
                 and frames_ok and res["opset"] == 13)
    print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    args = sys.argv[1:] + [None] * 3
    main(args[0], args[1], reference_dir=args[2])
