"""Write a data split as model-input rows for `int8_exact.cjs` (its `ROWS=`): the split's clips end to
end in normalised ~10 s rows, as quantize.py's calibration rows are made.

    /usr/bin/python3 fidelity_rows.py [split] [out.f32]    # default: val, work/fidelity-val.f32; real/dev: the recorded dev split

Writes <out>.f32 (float32 rows end to end) and <out>.json (their lengths). Use a split the model was
not calibrated on (val: training voices, unseen draws) to measure how far quantisation moved logits.
"""
import json
import os
import pickle
import sys

import numpy as np

import common as C
from quantize import pack_rows


def main():
    split = sys.argv[1] if len(sys.argv) > 1 else "val"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(C.WORK, f"fidelity-{split.replace('/', '-')}.f32")
    src = os.path.join(C.WORK, "data", f"{split}.pkl")
    if not os.path.exists(src):
        raise SystemExit(f"{os.path.relpath(src, C.REPO)} is missing: run gen_data.py first")
    with open(src, "rb") as f:
        rows = pack_rows(pickle.load(f))
    np.concatenate(rows).astype(np.float32).tofile(out)
    with open(out[: -len(".f32")] + ".json", "w") as f:
        json.dump([len(r) for r in rows], f)
    print(f"{len(rows)} rows, {sum(len(r) for r in rows) / C.SR:.0f} s of {split} -> {out}")


if __name__ == "__main__":
    main()
