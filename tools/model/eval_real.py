"""Evaluate a model on the held-out recorded speech of real_speech.py (the dev split).

1. Phone error rate of every dev recording (greedy CTC on the logits of the folder's model.onnx in
   onnxruntime-node, `verify_ort.cjs`: the graph as shipped, so an int8 folder is measured as it
   runs), per group, and what each spoken letter decodes to per speaker.
2. Item level through the ReadScore CLI, on activities built from the held-out letter recordings:
   each recording of letter X is scored against X_letter (a correct reading), against X_sound (the
   name said where the sound was expected, unless the catalog accepts the name for the sound) and
   against another letter's name Y_letter (unless accepted for it), in phrases of 1-4 items, as
   recorded and made child-like (augment.child_like).

    /usr/bin/python3 eval_real.py [model-dir]    # default: the bundled model (engines/factory.ts)

Writes work/real-speech-eval-<version>.{md,json}; evaluate.py adds the same section to EVAL.md.
"""
import collections
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import activities as A
import common as C
from augment import CHILD_DURATION, CHILD_SHIFT, child_like, normalise

DEV = os.path.join(C.WORK, "data", "real", "dev.pkl")
ACT_DIR = os.path.join(C.WORK, "real_activities")
SEED = 23
CONDITIONS = ("recorded", "child-like")
KINDS = ("correct", "name-for-sound", "other letter")
SPEAKERS = {"asterisk:allison": "Allison (Asterisk en; her other prompts are trained on)",
            "klettres:en": "KLettres en (unseen speaker)",
            "klettres:en_GB": "KLettres en_GB (unseen speaker)"}


def bundled_model_dir():
    src = open(os.path.join(C.REPO, "engines", "factory.ts"), encoding="utf-8").read()
    m = re.search(r"letters-ctc-\d+\.\d+\.\d+", src)
    if not m:
        raise SystemExit("cannot find the bundled model's folder in engines/factory.ts: pass a model folder")
    return os.path.join(C.REPO, "models", m.group(0))


def load_dev():
    if not os.path.exists(DEV):
        raise SystemExit(f"{DEV} is missing: run real_speech.py first (tools/model/README.md)")
    with open(DEV, "rb") as f:
        return pickle.load(f)


def group_of(c):
    if c["family"] == "asterisk":
        return "Allison: letters" if c.get("letter") else (
            "Allison: digits, dates" if c["path"].split("/")[-2] == "digits" else "Allison: symbols (letters/)")
    if c["family"] == "tuxpaint":
        return f"Tux Paint {c['lang']}: words (REAL_SOURCES=…,tuxpaint)"
    return f"KLettres {c['lang']}: " + ("letters" if c["kind"] == "letter" else "syllables")


# ------------------------------------------------------------------ phone level
def ort_logits(onnx_path):
    """A function [batch, samples] float32 -> [batch, frames, vocab] logits of the graph at onnx_path,
    run by onnxruntime-node (verify_ort.cjs, default session options) - the graph itself, whatever
    its front end or precision (a quantised folder has no float weights to rebuild a model from)."""
    onnx_path = os.path.abspath(onnx_path)
    if not os.path.exists(onnx_path):
        raise SystemExit(f"{onnx_path} is missing: pass a model folder (model.onnx + manifest.json)")

    def run(x):
        with tempfile.TemporaryDirectory(prefix="eval_real") as tmp:
            inp, outp = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
            np.ascontiguousarray(x, np.float32).tofile(inp)
            r = subprocess.run(["node", os.path.join(C.HERE, "verify_ort.cjs"), onnx_path, inp, str(x.shape[0]),
                                str(x.shape[1]), outp], capture_output=True, text=True, cwd=C.REPO)
            if r.returncode != 0:
                raise SystemExit(f"onnxruntime-node failed on {onnx_path}: {r.stderr[-2000:]}")
            return np.fromfile(outp, np.float32).reshape(json.loads(r.stdout)["dims"])
    return run


def torch_logits(model):
    """The same for an eval-mode PyTorch model (evaluate.py passes its checkpoint's)."""
    import torch

    def run(x):
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()
    return run


def phone_level(logits_of, dev):
    """`logits_of`: ort_logits(...) or torch_logits(...)."""
    import evaluate as E
    wavs = [normalise(np.concatenate([np.zeros(4000, np.float32), c["audio"].astype(np.float32),
                                      np.zeros(4000, np.float32)])) for c in dev]
    hyps = [C.ids_to_words(h) for h in E.infer_with(logits_of, wavs)]
    groups = collections.defaultdict(lambda: [0, 0, 0, 0])  # errors, phones, exact, utterances
    conf = collections.Counter()
    letters = collections.defaultdict(dict)
    for c, h in zip(dev, hyps):
        ref, hyp = list("".join(c["words"])), list("".join(h))
        e, ops = E.edit_ops(ref, hyp)
        g = groups[group_of(c)]
        g[0] += e
        g[1] += len(ref)
        g[2] += int(h == c["words"])
        g[3] += 1
        for op, r, hh in ops:
            if op != "=":
                conf[f"{r or '(inserted)'} → {hh or '(deleted)'}"] += 1
        if c.get("letter"):
            letters[c["letter"]][c["voice"]] = (" ".join(h) or "(nothing)", c["words"][0])
    return {"groups": {k: {"per": v[0] / max(1, v[1]), "phones": v[1], "exact": v[2] / max(1, v[3]), "n": v[3]}
                       for k, v in sorted(groups.items())},
            "confusions": conf.most_common(15), "letters": {k: letters[k] for k in sorted(letters)}}


# ------------------------------------------------------------------ item level
def letter_clips(dev, cat):
    """Held-out letter recordings whose reading the catalog lists for the letter's name (a British
    "zed" is not: it is left out)."""
    keep, left = [], []
    for c in dev:
        if c.get("letter"):
            (keep if c["words"][0] in cat.ok_set(f"{c['letter']}_letter") else left).append(c)
    return keep, left


def swap_exempt(cat):
    """Letters whose name the catalog accepts for their sound (no name-for-sound error to plant)."""
    return [it["letter"].upper() for it in cat.items.values()
            if it["kind"] == "name" and it["pronunciations"][0] in cat.ok_set(f"{it['letter']}_sound")]


def plan(rng, cat, clips):
    """(clip, expected item, kind) for one speaker's letters: a correct reading, a name-for-sound
    swap and another letter's name for each recording, shuffled."""
    entries = []
    letters = sorted({c["letter"] for c in clips})
    for c in clips:
        said = c["words"][0]
        entries.append((c, f"{c['letter']}_letter", "correct"))
        if said not in cat.ok_set(f"{c['letter']}_sound"):
            entries.append((c, f"{c['letter']}_sound", "name-for-sound"))
        others = [f"{o}_letter" for o in letters if o != c["letter"] and said not in cat.ok_set(f"{o}_letter")]
        entries.append((c, others[rng.integers(len(others))], "other letter"))
    order = rng.permutation(len(entries))
    return [entries[i] for i in order]


def render(rng, clips, condition):
    """One phrase: the recordings with 0.4-0.8 s pauses and 0.3-0.8 s of silence around them, white
    noise at 30-40 dB SNR; child-like: augment.child_like over the whole phrase first."""
    parts = [np.zeros(int(rng.uniform(0.3, 0.8) * C.SR), np.float32)]
    for k, c in enumerate(clips):
        if k:
            parts.append(np.zeros(int(rng.uniform(0.4, 0.8) * C.SR), np.float32))
        parts.append(c["audio"].astype(np.float32))
    parts.append(np.zeros(int(rng.uniform(0.3, 0.8) * C.SR), np.float32))
    x = np.concatenate(parts)
    if condition == "child-like":
        x = child_like(x, rng)
    sig = np.mean(x[np.abs(x) > 1] ** 2) if np.any(np.abs(x) > 1) else 1.0
    x = x + rng.standard_normal(len(x)).astype(np.float32) * np.sqrt(sig / 10 ** (rng.uniform(30, 40) / 10))
    x = x / (np.abs(x).max() + 1e-6) * 0.6 * 32767
    return np.round(x).astype(np.int16)


def build_activities(clips, cat, out_dir=ACT_DIR, seed=SEED, phrases_per_activity=6):
    """Activities per condition and speaker under out_dir/<condition>/<speaker>-NN/, with the truth
    of every item: {activityId: {condition, speaker, items: [(phraseIndex, position, kind, item, said)]}}."""
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    rng = np.random.default_rng(seed)
    truth = {}
    for condition in CONDITIONS:
        for speaker in SPEAKERS:
            mine = [c for c in clips if c["voice"] == speaker]
            if not mine:
                continue
            entries = plan(rng, cat, mine)
            phrases = []
            while entries:
                n = int(rng.integers(1, 5))
                phrases.append(entries[:n])
                entries = entries[n:]
            for a in range(0, len(phrases), phrases_per_activity):
                d = os.path.join(out_dir, condition, f"{speaker.replace(':', '-')}-{a // phrases_per_activity:02d}")
                os.makedirs(d)
                act_id = "".join("0123456789ABCDEF"[rng.integers(16)] for _ in range(32))
                man = {"activityId": act_id, "storyId": "real-speech-dev", "phrases": []}
                exp = {"activityId": act_id, "phrases": []}
                items = []
                for pi, ph in enumerate(phrases[a: a + phrases_per_activity]):
                    A.write_wav(os.path.join(d, f"p{pi}.wav"), render(rng, [e[0] for e in ph], condition))
                    man["phrases"].append({"phraseIndex": pi, "items": [e[1] for e in ph], "audio": f"p{pi}.wav"})
                    vs = []
                    for k, (c, item, kind) in enumerate(ph):
                        said = c["words"][0]
                        vs.append({"item": item, "verdict": "correct"} if kind == "correct" else
                                  {"item": item, "verdict": "substituted", "heardAs": said})
                        items.append((pi, k, kind, item, said, c["letter"]))
                    exp["phrases"].append({"phraseIndex": pi, "items": vs})
                for name, obj in (("activity.json", man), ("expected.json", exp)):
                    with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                        json.dump(obj, f, ensure_ascii=False, indent=2)
                        f.write("\n")
                truth[act_id] = {"condition": condition, "speaker": speaker, "items": items}
    return truth


def score(truth, results):
    """Counts per (condition, speaker, kind): n, judged ok; plus what correct readings were heard as
    when rejected."""
    stats = collections.defaultdict(collections.Counter)
    missed = collections.defaultdict(collections.Counter)
    for aid, t in truth.items():
        res = results.get(aid)
        got = {}
        for p in (res or {}).get("phrases", []):
            for k, it in enumerate(p.get("items") or []):
                got[(p["phraseIndex"], k)] = it
        for pi, k, kind, item, said, letter in t["items"]:
            it = got.get((pi, k), {})
            ok = it.get("verdict") in ("correct", "accepted")
            for key in ((t["condition"], t["speaker"], kind), (t["condition"], "all", kind)):
                stats[key]["n"] += 1
                stats[key]["ok"] += int(ok)
            if kind == "correct" and not ok:
                missed[t["condition"]][f"{letter.upper()} → {it.get('heard') or it.get('verdict', 'missing')}"] += 1
            if kind == "correct":
                stats[(t["condition"], "letter", letter)]["n"] += 1
                stats[(t["condition"], "letter", letter)]["ok"] += int(ok)
    return stats, missed


def figures(stats, condition, speaker="all"):
    """{accepted, flagged, nameForSoundFlagged, otherLetterFlagged} shares and their counts."""
    def share(kinds, flagged):
        n = sum(stats[(condition, speaker, k)]["n"] for k in kinds)
        ok = sum(stats[(condition, speaker, k)]["ok"] for k in kinds)
        return ((n - ok) if flagged else ok) / n if n else None, n
    acc, n_ok = share(["correct"], False)
    flg, n_err = share(["name-for-sound", "other letter"], True)
    swp, n_swp = share(["name-for-sound"], True)
    oth, n_oth = share(["other letter"], True)
    return {"accepted": acc, "correct": n_ok, "flagged": flg, "errors": n_err, "nameForSoundFlagged": swp,
            "nameForSound": n_swp, "otherLetterFlagged": oth, "otherLetter": n_oth}


def pct(v):
    return "n/a" if v is None else f"{100 * v:.1f} %"


def evaluate(model_dir, model=None):
    """(markdown lines of the real-speech section, figures as a dict) for the model in model_dir.
    The phone level runs model_dir/model.onnx in onnxruntime-node, or `model` (torch, eval mode)
    where given: evaluate.py passes its checkpoint's, which it has checked against the graph."""
    import evaluate as E
    t0 = time.time()
    dev = load_dev()
    cat = A.Catalog()
    logits_of = torch_logits(model) if model is not None else ort_logits(os.path.join(model_dir, "model.onnx"))
    phones = phone_level(logits_of, dev)
    clips, left = letter_clips(dev, cat)
    truth = build_activities(clips, cat)
    runs = {}
    for label, extra in (("default second look", ()), ("assessment policy (`--scoring-policy assessment`)", ("--scoring-policy", "assessment")),
                         ("greedy only (`--no-second-look`)", ("--no-second-look",))):
        results = {}
        for condition in CONDITIONS:
            results.update(E.run_cli(model_dir, condition, act_dir=ACT_DIR, extra=list(extra)))
        runs[label] = score(truth, results)
    stats, missed = runs["default second look"]
    fig = {label: {cond: {sp: figures(st, cond, sp) for sp in ["all", *SPEAKERS]} for cond in CONDITIONS}
           for label, (st, _) in runs.items()}
    L = ["## Real speech (held-out recordings)\n",
         "Recorded adult speech that no training step sees (`real_speech.py`'s dev split): Allison Smith's "
         "English letters and digits from the Asterisk prompts (`asterisk-core-sounds-en`, CC-BY-SA-3.0; her "
         "other English and Spanish prompts are in the real-speech training data, so she is a seen speaker) and "
         "KLettres' English and British-English alphabets and syllables (`klettres-data`, GPL-2+; two speakers "
         "no training clip has). Adults, studio or desktop microphones: children on a tablet will be harder.\n",
         "### Phone error rate (greedy CTC, each recording alone with 0.25 s of silence around it)\n",
         "| group | recordings | phones | PER | exact |", "|---|---|---|---|---|"]
    for g, v in phones["groups"].items():
        L.append(f"| {g} | {v['n']} | {v['phones']} | {pct(v['per'])} | {pct(v['exact'])} |")
    L.append("\nTop confusions: " + ", ".join(f"`{k}` ×{v}" for k, v in phones["confusions"]) + "\n")
    voices = [v for v in SPEAKERS if any(v in d for d in phones["letters"].values())]
    L += ["What each spoken letter decodes to (catalog reading of the name in brackets where the label differs):\n",
          "| letter | " + " | ".join(SPEAKERS[v].split(" (")[0] for v in voices) + " |",
          "|---|" + "---|" * len(voices)]
    for letter, by in phones["letters"].items():
        cells = []
        for v in voices:
            h, ref = by.get(v, ("—", ""))
            cells.append(f"`{h}`" + ("" if h == "—" else " ✓" if h == ref else f" ({ref})"))
        L.append(f"| {letter.upper()} | " + " | ".join(cells) + " |")
    L += ["", "### Item level through the ReadScore CLI\n",
          f"Activities built from the {len(clips)} held-out letter recordings ({', '.join(sorted({c['voice'] for c in clips}))}; "
          f"left out: {', '.join(c['voice'] + ' ' + c['letter'].upper() + ' (said ' + c['words'][0] + ')' for c in left) or 'none'}, "
          "readings the catalog does not list). Each recording of letter X is scored against `X_letter` (correct), "
          "against `X_sound` (the name said where the sound was expected; left out where the catalog accepts the "
          f"name for the sound: {', '.join(swap_exempt(cat)) or 'none'}) and against one other letter's name, in phrases of 1-4 items with "
          "0.4-0.8 s pauses and white noise at 30-40 dB SNR, scored by `node dist/handlers/cli/main.js score "
          f"<folder> --json --model <dir>` (seed {SEED}). *child-like*: each phrase through `augment.child_like` "
          f"(formants and pitch × {CHILD_SHIFT[0]:g}-{CHILD_SHIFT[1]:g}, duration × {CHILD_DURATION[0]:g}-{CHILD_DURATION[1]:g}).\n",
          "| judge | condition | speaker | correct readings accepted | wrong answers flagged | name-for-sound flagged | other letter flagged |",
          "|---|---|---|---|---|---|---|"]
    for label, by_cond in fig.items():
        for cond, by_sp in by_cond.items():
            for sp, f in by_sp.items():
                if not f["correct"]:
                    continue
                who = "**all**" if sp == "all" else SPEAKERS[sp].split(" (")[0]
                L.append(f"| {label} | {cond} | {who} | {pct(f['accepted'])} ({f['correct']}) | "
                         f"{pct(f['flagged'])} ({f['errors']}) | {pct(f['nameForSoundFlagged'])} ({f['nameForSound']}) | "
                         f"{pct(f['otherLetterFlagged'])} ({f['otherLetter']}) |")
    for cond in CONDITIONS:
        L.append(f"\nCorrect readings rejected ({cond}, default second look; letter → heard): "
                 + (", ".join(f"`{k}`{'' if v == 1 else f' ×{v}'}" for k, v in missed[cond].most_common()) or "none"))
    L.append(f"\nReal-speech evaluation took {(time.time() - t0) / 60:.1f} min.\n")
    out = {"model": os.path.relpath(model_dir, C.REPO), "phoneLevel": phones, "items": fig,
           "rejected": {c: dict(missed[c]) for c in CONDITIONS}, "leftOut": [c["voice"] + " " + c["letter"] for c in left]}
    return L, out


def main():
    import export
    model_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MODEL_DIR") or bundled_model_dir())
    lines, out = evaluate(model_dir)
    version = export.manifest_version(model_dir)
    head = [f"# Real-speech evaluation — letters-ctc {version}\n",
            f"Generated by `tools/model/eval_real.py` for `{os.path.relpath(model_dir, C.REPO)}`. All figures are "
            "measured by the script.\n"]
    base = os.path.join(C.WORK, f"real-speech-eval-{version}")
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(head + lines))
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print("\n".join(head + lines))
    print(f"wrote {base}.md and .json")


if __name__ == "__main__":
    main()
