"""Synthetic ReadScore activities from held-out voices (for the item-level eval and examples/).

Each phrase is one utterance: the items' elements separated by 0.4-0.8 s pauses, optionally with
injected errors (another letter's name or sound, a skipped item, an inserted element, a late answer).
Ground truth is written in the expected.json format of examples/.
"""
import json
import os
import subprocess
import tempfile
import wave

import numpy as np

import common as C
import gen_data as G

SR = C.SR
UNSYNTH = {"ph", "th"}  # aspirated p/t elements: not reliably producible by the synthesisers


class Catalog:
    def __init__(self):
        ref = C.load_items()
        self.items = {it["item"]: it for it in ref["items"]}
        self.names = sorted(self.items)
        self.elements = sorted(set(ref["elements"]) - UNSYNTH)
        self.letter_elements = sorted({p for it in ref["items"] for p in it["pronunciations"]} - UNSYNTH)

    def ok_set(self, item):
        it = self.items[item]
        return set(it["pronunciations"]) | set(it["accepted"])


class Voice:
    """A held-out synthetic voice: espeak-ng variant (phoneme input) or festival diphone voice."""

    def __init__(self, rng, family, name, accent="en-us"):
        self.family, self.name, self.accent = family, name, accent
        self.speed = int(rng.integers(120, 190))
        self.pitch = int(rng.integers(40, 99))
        self.stretch = float(rng.uniform(0.9, 1.3))
        self.rng = rng
        self.cache = {}
        self.audible = {}  # word -> whether it renders as sound (see audible())

    @property
    def label(self):
        return f"espeak:{self.accent}+{self.name}" if self.family == "espeak" else f"{self.family}:{self.name}"

    def prepare(self, words):
        if self.family != "festival":
            return
        todo = sorted({w for w in words if w not in self.cache})
        if not todo:
            return
        tmp = tempfile.mkdtemp(prefix="rsact")
        lines = [f"(voice_{self.name})", f"(Parameter.set 'Duration_Stretch {self.stretch:.2f})"]
        for i, w in enumerate(todo):
            phones = ["pau"] + C.alpha_to_cmu(w) + ["pau"]
            lines += [f"(set! u (utt.synth (Utterance Phones ({' '.join(phones)}))))",
                      f'(utt.save.wave u "{tmp}/w{i}.wav" \'riff)']
        with open(os.path.join(tmp, "b.scm"), "w") as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run(["festival", "-b", os.path.join(tmp, "b.scm")], capture_output=True)
        for i, w in enumerate(todo):
            with open(f"{tmp}/w{i}.wav", "rb") as f:
                x, sr = G.read_wav_bytes(f.read())
            self.cache[w] = trim(G.to16k(x, sr))

    def say(self, word):
        if word in self.cache:
            return self.cache[word]
        if self.family == "festival":
            self.prepare([word])
            return self.cache[word]
        if self.family == "flite":
            with tempfile.TemporaryDirectory(prefix="rsflite") as tmp:
                wav = os.path.join(tmp, "w.wav")
                phones = ["pau"] + C.alpha_to_cmu(word) + ["pau"]
                subprocess.run(["flite", "-voice", self.name, "--setf", f"duration_stretch={self.stretch:.2f}",
                                "-p", " ".join(phones), "-o", wav], capture_output=True, check=True)
                with open(wav, "rb") as f:
                    x, sr = G.read_wav_bytes(f.read())
            self.cache[word] = trim(G.to16k(x, sr))
            return self.cache[word]
        ph = C.alpha_to_espeak(word, stress=True, schwa_choice=lambda: "V")
        # (espeak-ng renders an isolated voiced stop or affricate, [[b]] [[d]] [[g]] [[dZ]], as
        # silence: see audible())
        cmd = ["espeak-ng", "-v", f"{self.accent}+{self.name}", "-s", str(self.speed), "-p", str(self.pitch),
               "--stdout", f"[[{ph}]]"]
        r = subprocess.run(cmd, capture_output=True)
        x, sr = G.read_wav_bytes(r.stdout)
        self.cache[word] = trim(G.to16k(x, sr))
        return self.cache[word]


def audible(voice, word):
    """Whether the voice renders the word as sound at all. espeak-ng outputs pure silence for an
    isolated voiced stop or affricate (`b`, `d`, `g`, `j`), so a "correctly read" `d` would be a
    silent phrase: such readings are never planned (the eval used to count them as false rejections)."""
    if word not in voice.audible:  # asked for every candidate element of every phrase: once per word
        a = voice.say(word)
        voice.audible[word] = len(a) > 0 and float(np.abs(a.astype(np.float32)).max()) > 200.0
    return voice.audible[word]


def trim(a, thr=0.02):
    x = np.abs(a.astype(np.float32))
    idx = np.where(x > thr * max(1.0, x.max()))[0]
    if len(idx) == 0:
        return a
    return a[max(0, idx[0] - 400): idx[-1] + 800]


def heldout_voices(rng, family):
    if family == "festival":
        return [Voice(rng, "festival", v) for v in ("kal_diphone", "ked_diphone")]
    return [Voice(rng, "espeak", v, accent=a) for v in G.HELDOUT_VARIANTS for a in ("en-us", "en-gb")]


def dev_voices(rng, family):
    """Training voices (espeak-ng train variants, flite): for tuning on activities, never the eval's."""
    if family == "flite":
        return [Voice(rng, "flite", v) for v in G.FLITE_VOICES]
    train = [v for v in G.espeak_variants() if v not in G.HELDOUT_VARIANTS]
    return [Voice(rng, "espeak", v, accent=a) for v in train[::6] for a in ("en-us", "en-gb")]


def plan_phrase(rng, cat, items, p_sub, p_omit, voice=None):
    """Decide what is said for each item. Returns (spoken elements with roles, expected verdicts).
    With a voice, only elements it renders audibly are planned."""
    said, verdicts = [], []
    can = (lambda e: e not in UNSYNTH) if voice is None else (lambda e: e not in UNSYNTH and audible(voice, e))
    for item in items:
        it = cat.items[item]
        r = rng.random()
        pron = [p for p in it["pronunciations"] if can(p)]
        acc = [a for a in it["accepted"] if can(a)]
        if r < p_sub:
            others = [e for e in cat.letter_elements if e not in cat.ok_set(item) and can(e)]
            e = others[rng.integers(len(others))]
            said.append(e)
            verdicts.append({"item": item, "verdict": "substituted", "heardAs": e})
        elif r < p_sub + p_omit:
            verdicts.append({"item": item, "verdict": "omitted"})
        elif acc and rng.random() < 0.1:
            e = acc[rng.integers(len(acc))]
            said.append(e)
            verdicts.append({"item": item, "verdict": "accepted"})
        else:
            said.append(pron[rng.integers(len(pron))])
            verdicts.append({"item": item, "verdict": "correct"})
    return said, verdicts


def render(rng, voice, elements, late=False, snr=(20, 40)):
    lead = rng.uniform(2.0, 3.0) if late else rng.uniform(0.3, 0.8)
    parts = [np.zeros(int(lead * SR), np.float32)]
    for k, e in enumerate(elements):
        if k:
            parts.append(np.zeros(int(rng.uniform(0.4, 0.8) * SR), np.float32))
        parts.append(voice.say(e).astype(np.float32))
    parts.append(np.zeros(int(rng.uniform(0.4, 0.8) * SR), np.float32))
    x = np.concatenate(parts)
    sig = np.mean(x[np.abs(x) > 1] ** 2) if np.any(np.abs(x) > 1) else 1.0
    noise = rng.standard_normal(len(x)).astype(np.float32)
    x = x + noise * np.sqrt(sig / 10 ** (rng.uniform(*snr) / 10))
    x = x / (np.abs(x).max() + 1e-6) * 0.6 * 32767
    return np.round(x).astype(np.int16)


def write_wav(path, a):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(a.tobytes())


def make_activity(rng, cat, voice, out_dir, n_phrases, items_range=(3, 8), p_sub=0.0, p_omit=0.0, p_ins=0.0,
                  p_late=0.0, story="synthetic"):
    os.makedirs(out_dir, exist_ok=True)
    act_id = "".join("0123456789ABCDEF"[rng.integers(16)] for _ in range(32))
    manifest = {"activityId": act_id, "storyId": story, "phrases": []}
    expected = {"activityId": act_id, "phrases": []}
    meta = {"voice": voice.label, "late": []}
    plans = []
    voice.prepare(sorted({e for it in cat.items.values() for e in it["pronunciations"] + it["accepted"]} - UNSYNTH))
    for pi in range(n_phrases):
        n = int(rng.integers(items_range[0], items_range[1] + 1))
        items = [cat.names[i] for i in rng.choice(len(cat.names), size=n, replace=False)]
        said, verdicts = plan_phrase(rng, cat, items, p_sub, p_omit, voice)
        inserted = []
        if rng.random() < p_ins:
            exp_all = set().union(*[cat.ok_set(i) for i in items])
            cands = [e for e in cat.letter_elements if e not in exp_all and audible(voice, e)]
            e = cands[rng.integers(len(cands))]
            pos = int(rng.integers(0, len(said) + 1))
            said.insert(pos, e)
            inserted.append(e)
        late = rng.random() < p_late
        plans.append((pi, items, said, verdicts, inserted, late))
    voice.prepare([e for p in plans for e in p[2]])
    for pi, items, said, verdicts, inserted, late in plans:
        wav = f"p{pi}.wav"
        if said:
            audio = render(rng, voice, said, late=late)
        else:
            audio = render(rng, voice, [], late=False)
        write_wav(os.path.join(out_dir, wav), audio)
        manifest["phrases"].append({"phraseIndex": pi, "items": items, "audio": wav})
        ph = {"phraseIndex": pi, "items": verdicts}
        if inserted:
            ph["inserted"] = inserted
        if late:
            meta["late"].append(pi)
        expected["phrases"].append(ph)
    with open(os.path.join(out_dir, "activity.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return manifest, expected, meta
