"""Chooses the second-look margin of the judge on a development set (never on the eval's voices).

Builds synthetic activities from *training* voices (espeak-ng train variants, flite) with a seed of
its own, scores them through the ReadScore CLI with the second look off and at several margins, and
prints/writes how many correctly read items were accepted and how many injected errors were
flagged. The held-out voices of evaluate.py play no part in the choice.

    /usr/bin/python3 tune_second_look.py [model-dir]     # default: MODEL_VERSION's; needs `npm run build` first

Output: work/second_look_tuning.md and .json, and <model-dir>/SECOND_LOOK.md.
"""
import json
import os
import sys
import time

import activities as A
import common as C
import evaluate as E

DEV_DIR = os.path.join(C.WORK, "dev_activities")
DEV_SEED = 7
MARGINS = [None, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0]
# The rule: the margin with the most correctly read items accepted (mean over families) while every
# family still flags at least this share of injected errors (the 90 % target plus 3 points of room).
MIN_FLAGGED = 0.93
FAMILIES = ("espeak", "flite")


def main():
    model_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else E.export.model_dir())  # MODEL_VERSION's
    n = int(os.environ.get("DEV_ACTIVITIES", "20"))
    t0 = time.time()
    truth_file = os.path.join(DEV_DIR, "truth.json")
    if os.environ.get("DEV_REBUILD") == "1" or not os.path.exists(truth_file):
        truth = E.build_activities(n, n, out_dir=DEV_DIR, seed=DEV_SEED, families=FAMILIES, voices_of=A.dev_voices)
        with open(truth_file, "w", encoding="utf-8") as f:
            json.dump(truth, f, ensure_ascii=False)
        print(f"built {len(truth)} development activities in {time.time() - t0:.0f} s", flush=True)
    with open(truth_file, encoding="utf-8") as f:
        truth = json.load(f)
    rows = []
    for margin in MARGINS:
        extra = ["--no-second-look"] if margin is None else ["--second-look-margin", str(margin)]
        results = {}
        for fam in FAMILIES:
            results.update(E.run_cli(model_dir, fam, act_dir=DEV_DIR, extra=extra))
        stats = E.score_items(truth, results)
        for fam in FAMILIES:
            s = stats[fam]
            row = {"margin": margin, "family": fam,
                   "correctAccepted": s["clean_judged_ok"] / max(1, s["clean_items"]),
                   "correctAcceptedAll": s["ok_judged_ok"] / max(1, s["ok_items"]),
                   "errorsFlagged": s["err_flagged"] / max(1, s["err_items"]),
                   "substitutionsFlagged": s["err_substituted_flagged"] / max(1, s["err_substituted"]),
                   "skipsFlagged": s["err_omitted_flagged"] / max(1, s["err_omitted"]),
                   "items": s["items"]}
            rows.append(row)
            print(f"margin {'off' if margin is None else margin:>4} {fam:7s} correct→ok {100 * row['correctAccepted']:5.1f} % "
                  f"(all {100 * row['correctAcceptedAll']:5.1f} %)  errors flagged {100 * row['errorsFlagged']:5.1f} % "
                  f"(subs {100 * row['substitutionsFlagged']:5.1f} %, skips {100 * row['skipsFlagged']:5.1f} %)", flush=True)
    chosen, best = None, -1.0
    for margin in MARGINS:
        mine = [r for r in rows if r["margin"] == margin]
        ok = sum(r["correctAccepted"] for r in mine) / len(mine)
        if margin is not None and all(r["errorsFlagged"] >= MIN_FLAGGED for r in mine) and ok > best:
            chosen, best = margin, ok
    print(f"chosen margin: {chosen} (most correct→ok with every family flagging ≥ {100 * MIN_FLAGGED:.0f} % of errors)")
    with open(os.path.join(C.WORK, "second_look_tuning.json"), "w", encoding="utf-8") as f:
        json.dump({"model": model_dir, "seed": DEV_SEED, "activitiesPerKind": n, "rows": rows, "minFlagged": MIN_FLAGGED,
                   "chosen": chosen}, f, indent=2)
    lines = [f"# Second-look margin on the development set ({os.path.basename(model_dir)})", "",
             f"Training voices (espeak-ng train variants, flite), seed {DEV_SEED}, {n} clean + {n} error activities "
             "per family. Correct→ok: correctly read items judged correct/accepted (clean activities).", "",
             "| margin (nats) | family | correct→ok | errors flagged | substitutions flagged | skips flagged |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {'off' if r['margin'] is None else r['margin']} | {r['family']} | {100 * r['correctAccepted']:.1f} % | "
                     f"{100 * r['errorsFlagged']:.1f} % | {100 * r['substitutionsFlagged']:.1f} % | {100 * r['skipsFlagged']:.1f} % |")
    lines += ["", f"Chosen: **{chosen}** — the margin with the most correctly read items accepted while every family "
              f"flags ≥ {100 * MIN_FLAGGED:.0f} % of injected errors (the 90 % target plus 3 points of room)."]
    for out in (os.path.join(C.WORK, "second_look_tuning.md"), os.path.join(model_dir, "SECOND_LOOK.md")):
        with open(out, "w", encoding="utf-8") as f:  # the model folder keeps the record with the model
            f.write("\n".join(lines) + "\n")
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
