"""Score the EVAL activities (evaluate.py's held-out synthetic activities: same seed, same counts)
and the examples with two or more model folders through the ReadScore CLI, and list every item
verdict that differs between the first model and each other one.

    /usr/bin/python3 compare_models.py <model-dir> <model-dir> [...]   # first = the baseline

Writes work/compare/<a>__<b>.{md,json}; builds the activities once into work/eval_activities/
(ACT_CLEAN / ACT_ERRORS [20 / 20] per family as evaluate.py; ACT_REBUILD=1 rebuilds them). How a
front-end or quantisation change is shown to keep verdicts (issue #22). Needs `npm run build`.
"""
import json
import os
import sys

import common as C
import evaluate as E

OUT = os.path.join(C.WORK, "compare")
FAMILIES = ("espeak", "festival")


def activities():
    """The EVAL truth (built when missing or ACT_REBUILD=1) and the folders to score."""
    n_clean = int(os.environ.get("ACT_CLEAN", "20"))
    n_err = int(os.environ.get("ACT_ERRORS", "20"))
    truth_file = os.path.join(E.ACT_DIR, "truth.json")
    if os.environ.get("ACT_REBUILD") == "1" or not os.path.exists(truth_file):
        truth = E.build_activities(n_clean, n_err)
        with open(truth_file, "w", encoding="utf-8") as f:
            json.dump(truth, f)
    with open(truth_file, encoding="utf-8") as f:
        return json.load(f)


def verdicts(results):
    """{(activityId, phraseIndex, k): verdict} of CLI results."""
    out = {}
    for aid, res in results.items():
        for p in res["phrases"]:
            for k, it in enumerate(p["items"]):
                out[(aid, p["phraseIndex"], k)] = (it["item"], it["verdict"], it.get("heard"))
    return out


def score(model_dir):
    res = {}
    for fam in FAMILIES:
        res.update(E.run_cli(model_dir, fam))
    res.update(E.run_cli(model_dir, "", act_dir=os.path.join(C.REPO, "examples")))
    return res


def main():
    dirs = [os.path.abspath(d) for d in sys.argv[1:]]
    if len(dirs) < 2:
        raise SystemExit("usage: compare_models.py <baseline-model-dir> <model-dir> [...]")
    truth = activities()
    os.makedirs(OUT, exist_ok=True)
    runs = [score(d) for d in dirs]
    base = verdicts(runs[0])
    for d, res in zip(dirs[1:], runs[1:]):
        other = verdicts(res)
        diffs = [{"activity": k[0], "phrase": k[1], "index": k[2], "item": base[k][0], "baseline": base[k][1:],
                  "model": other.get(k, (None, "missing", None))[1:]}
                 for k in sorted(base) if other.get(k, (None, None, None))[1:] != base[k][1:]]
        changed = [x for x in diffs if x["baseline"][0] != x["model"][0]]
        figs = {}
        for name, r in (("baseline", runs[0]), ("model", res)):
            st = E.score_items(truth, r)
            figs[name] = {fam: {k: st[fam][k] for k in ("items", "clean_items", "clean_judged_ok", "ok_items",
                                                         "ok_judged_ok", "err_items", "err_flagged", "insertions",
                                                         "insertions_found", "exact_verdict")} for fam in FAMILIES}
        tag = f"{os.path.basename(dirs[0])}__{os.path.basename(d)}"
        report = {"baseline": dirs[0], "model": d, "items": len(base), "verdictChanges": changed,
                  "heardOnlyChanges": len(diffs) - len(changed), "figures": figs}
        with open(os.path.join(OUT, tag + ".json"), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
        lines = [f"# {os.path.basename(dirs[0])} vs {os.path.basename(d)}", "",
                 f"{len(base)} items (EVAL activities, {', '.join(FAMILIES)}, and examples/): "
                 f"{len(changed)} verdicts differ, {len(diffs) - len(changed)} more differ only in what was heard.", "",
                 "| family | model | clean ok | correct ok | errors flagged | insertions found | exact |",
                 "|---|---|---|---|---|---|---|"]
        for fam in FAMILIES:
            for name in ("baseline", "model"):
                s = figs[name][fam]
                lines.append(f"| {fam} | {name} | {E.pct(s['clean_judged_ok'], s['clean_items'])} | "
                             f"{E.pct(s['ok_judged_ok'], s['ok_items'])} | {E.pct(s['err_flagged'], s['err_items'])} | "
                             f"{E.pct(s['insertions_found'], s['insertions'])} | {E.pct(s['exact_verdict'], s['items'])} |")
        lines += ["", "| activity | phrase | item | baseline | model |", "|---|---|---|---|---|"]
        lines += [f"| {x['activity']} | {x['phrase']} | {x['item']} | {x['baseline'][0]} ({x['baseline'][1]}) | "
                  f"{x['model'][0]} ({x['model'][1]}) |" for x in changed]
        with open(os.path.join(OUT, tag + ".md"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print("\n".join(lines[:12 + 2 * len(FAMILIES)]))
        print(f"{len(changed)} verdict changes: {os.path.join(OUT, tag + '.md')}")


if __name__ == "__main__":
    main()
