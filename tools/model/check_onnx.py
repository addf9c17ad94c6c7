"""Check the exported ONNX model against PyTorch with onnxruntime-node (max abs diff <= 1e-4),
the frame count rule (ceil(N/320)), the manifest and the size limit. Prints a JSON summary."""
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


def main(ckpt=None, model_dir=None, model=None):
    """Compares model_dir's graph (default: MODEL_VERSION's folder) with the checkpoint's eval-mode
    model (pass `model` if already loaded)."""
    model_dir = model_dir or export.model_dir()
    if model is None:
        model, _ = export.load_checkpoint(ckpt or os.path.join(C.WORK, "ckpt", "last.pt"))
    onnx_path = os.path.abspath(os.path.join(model_dir, "model.onnx"))  # node runs from the repo root
    g = onnx.load(onnx_path)
    onnx.checker.check_model(g)
    rng = np.random.default_rng(7)
    res = {"opset": [o.version for o in g.opset_import if o.domain in ("", "ai.onnx")][0],
           "sizeMB": round(os.path.getsize(onnx_path) / 1e6, 3), "cases": []}
    man = json.load(open(os.path.join(model_dir, "manifest.json"), encoding="utf-8"))
    res["manifestShaOk"] = man["sha256"] == hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    res["manifestVocabOk"] = man["vocabulary"] == C.VOCAB
    maxdiff = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        import glob
        import wave
        real = []
        for p in sorted(glob.glob(os.path.join(C.REPO, "examples", "*", "p0.wav")))[:3]:
            with wave.open(p) as w:
                real.append(np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32))
        cases = [(1, [16000]), (3, [24000, 17777, 5121]), (2, [321, 640]), (1, [48013])]
        if real:
            cases.append(("real", [len(r) for r in real]))
        for batch, lens in cases:
            n = max(lens)
            x = np.zeros((len(lens), n), np.float32)
            for i, L in enumerate(lens):
                if batch == "real":
                    sig = real[i].copy()
                    sig[: 4000] = 0.0  # digital silence at the start, as in padded/streamed audio
                else:
                    t = np.arange(L) / 16000
                    sig = np.sin(2 * np.pi * 220 * t) * (rng.random() + 0.2) + rng.standard_normal(L) * 0.3
                x[i, :L] = normalise(sig)
            batch = len(lens)
            with torch.no_grad():
                ref = model(torch.from_numpy(x)).numpy()
            inp, outp = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
            x.tofile(inp)
            r = subprocess.run(["node", os.path.join(C.HERE, "verify_ort.cjs"), onnx_path, inp, str(batch),
                                str(n), outp], capture_output=True, text=True, cwd=C.REPO)
            if r.returncode != 0:
                raise SystemExit("onnxruntime-node failed: " + r.stderr)
            info = json.loads(r.stdout)
            got = np.fromfile(outp, np.float32).reshape(info["dims"])
            # compare the frames the pipeline keeps: ceil(len/320) per row (padding frames are unused)
            d = max(float(np.abs(got[i, : -(-L // 320)] - ref[i, : -(-L // 320)]).max()) for i, L in enumerate(lens))
            d_all = float(np.abs(got - ref).max())
            maxdiff = max(maxdiff, d)
            res["cases"].append({"batch": batch, "samples": n, "frames": int(got.shape[1]),
                                 "ceilN320": -(-n // 320), "maxAbsDiff": d, "maxAbsDiffInclPadding": d_all,
                                 "logitAbsMax": float(np.abs(ref).max())})
            res["names"] = {"input": info["input"], "output": info["output"]}
    res["maxAbsDiff"] = maxdiff
    res["ok"] = (maxdiff <= 1e-4 and res["sizeMB"] <= 5.0 and res["manifestShaOk"] and res["manifestVocabOk"]
                 and all(c["frames"] == c["ceilN320"] for c in res["cases"]) and res["opset"] == 13)
    print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main(*sys.argv[1:])
