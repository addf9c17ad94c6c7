"""Synthesise labelled clips for the letters-ctc model.

Clips are saved as pickled lists of {"audio": int16[16 kHz], "words": [alphabet words],
"voice": str, "family": str, "kind": str} under work/data/<split>-<chunk>.pkl.
Splits: train-* (espeak train variants + flite), val (same voices, unseen draws),
heldout_espeak (espeak variants never trained on), heldout_festival (festival, never trained on),
and, when RANDOM_VARIANT_CHUNKS > 0, train-rv-* (espeak voices made up by crossing two training
variants, see random_variants; never a held-out variant), and, when NATURAL_VOICE_CHUNKS > 0,
train-nv-* (pico and RHVoice voices modelled on recorded speakers, plus flite; see pico_clip).
Multi-item sequences (several letters separated by pauses) are assembled from these clips at
training/eval time (see augment.py).
"""
import io
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
import wave

import numpy as np
from scipy.signal import resample_poly

import common as C

OUT = os.path.join(C.WORK, "data")
SEED = 1234

ESPEAK_ACCENTS_PHONE = ["en-us", "en-us", "en-us", "en-gb", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
ESPEAK_ACCENTS_TEXT = ESPEAK_ACCENTS_PHONE + ["en-gb-scotland", "en-029"]
HELDOUT_VARIANTS = ["f3", "m5", "klatt4", "Annie", "belinda", "john", "steph2", "iven3", "linda",
                    "robert", "grandma", "Alicia", "max", "Tweaky"]
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
FESTIVAL_PHONE_VOICES = ["kal_diphone", "ked_diphone"]
FESTIVAL_TEXT_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]
# Voices modelled on recorded speakers, from Debian's non-free section (see README.md): SVOX pico
# (pico2wave, lingware under Apache-2.0 terms) and RHVoice's CMU ARCTIC voices (data LGPL-2.1+).
# RHVoice's slt is the speaker of the held-out festival voice cmu_us_slt_arctic_hts, and its
# evgeniy-eng / lyubov voices are CC-BY-NC-ND: none of them is ever used.
PICO_LANGS = ["en-US", "en-GB"]
RHVOICE_VOICES = ["alan", "bdl", "clb"]
# alphabet -> X-SAMPA that pico's lingware accepts (probed: an unknown symbol is dropped silently, so
# pico_probe() refuses to run when one of these no longer changes the audio). ɹ is `r\`, written
# with the backslash doubled because pico unescapes it.
PICO_OF = {
    "a": "eI", "æ": "{", "b": "b", "d": "d", "ɛ": "E", "f": "f", "g": "g", "h": "h", "i": "i:",
    "ɪ": "I", "j": "dZ", "k": "k", "l": "l", "m": "m", "n": "n", "o": "oU", "ɑ": "A:", "p": "p",
    "s": "s", "t": "t", "u": "u:", "ʌ": "V", "v": "v", "w": "w", "x": "tS", "y": "j", "z": "z",
    "ɹ": "r\\\\", "ɝ": "@`", "γ": "aI", "θ": "T", "ð": "D", "ɔ": "O:", "ʃ": "S", "ʊ": "U", "ʒ": "Z",
}
PICO_GB = {"o": "@U", "ɝ": "3:"}
PICO_TABLES = {"en-US": PICO_OF, "en-GB": dict(PICO_OF, **PICO_GB)}

CARRIER = {"the": "ðʌ", "letter": "lɛtɝ", "says": "sɛz", "is": "ɪz", "for": "fɔɹ", "I": "γ",
           "see": "si", "that": "ðæt", "my": "mγ", "next": "nɛkst", "sound": "sæʊnd", "name": "nam",
           "its": "ɪts", "a": "ʌ", "say": "sa", "it": "ɪt", "yes": "yɛs", "um": "ʌm", "uh": "ʌ"}
WORDS = ("cat dog sun hat bed pig bus fox red big top mat map cup fun run sit hop mop pot pen ten "
         "hen net wet jet yes box six fix wax zip zoo moon food boot book look cook good foot "
         "ship fish wish shop she he we me be see tree bee feet meet seat read leaf key cake lake "
         "make game name day play say way rain train boat coat goat road nose rose home bone note "
         "kite bike ride hide time five nine line fly sky my pie tie cow now how out house mouse "
         "boy toy oil coin car far star park jar bird her fur turn girl word nurse world door four "
         "more horse fork ball tall call wall saw dog mother father baby water apple table zebra "
         "yellow violet jump hand milk desk vest web van vet lamp lip lid log jug jam quiz queen "
         "quick the this that then with thin thumb bath math measure treasure vision chair cheese "
         "judge giant gem juice").split()


def schwa_espeak(rng):
    return lambda: rng.choice(["V", "@"])


def schwa_cmu(rng):
    return lambda: rng.choice(["ah", "ax"])


class Content:
    """Draws utterance content as alphabet words (for phone-input synthesis)."""

    def __init__(self, rng):
        self.rng = rng
        ref = C.load_items()
        els = set(ref["elements"])
        for it in ref["items"]:
            els.update(it["pronunciations"])
            els.update(it["accepted"])
        for c in C.CONSONANTS:
            els.add(c)
            els.add(c + "ʌ")
        for v in C.VOWELS:
            els.add(v)
        self.elements = sorted(els)
        self.names = [it["pronunciations"][0] for it in ref["items"] if it["kind"] == "name"]
        self.vowels = sorted(C.VOWELS)
        self.cons = [c for c in C.CONSONANTS if c not in ("h",)] + ["h"]

    def cv(self):
        return self.rng.choice(self.cons) + self.rng.choice(self.vowels)

    def cvc(self):
        r = self.rng
        w = r.choice(self.cons + [""]) + r.choice(self.vowels) + r.choice(self.cons)
        if r.random() < 0.3:
            w += r.choice(["ʌ", "i", "ɝ", "o"])
        return w

    def element(self):
        return self.rng.choice(self.elements)

    def item_like(self):
        return self.rng.choice(self.elements) if self.rng.random() < 0.7 else self.rng.choice(self.names)

    def carrier(self):
        r = self.rng
        x, y = self.item_like(), self.item_like()
        t = r.randrange(7)
        if t == 0:
            return [CARRIER["the"], CARRIER["letter"], x]
        if t == 1:
            return [x, CARRIER["says"], y]
        if t == 2:
            return [CARRIER["I"], CARRIER["see"], x]
        if t == 3:
            return [CARRIER["that"], CARRIER["is"], x]
        if t == 4:
            return [r.choice([CARRIER["um"], CARRIER["uh"], CARRIER["yes"]]), x]
        if t == 5:
            return [x, CARRIER["is"], CARRIER["for"], self.cvc()]
        return [CARRIER["its"], x]

    def draw(self):
        r = self.rng.random()
        if r < 0.42:
            return "element", [self.element()]
        if r < 0.52:
            return "name", [self.rng.choice(self.names)]
        if r < 0.68:
            return "cv", [self.cv()]
        if r < 0.80:
            return "pseudo", [self.cvc()]
        if r < 0.88:
            return "seq", [self.item_like() for _ in range(self.rng.randint(2, 3))]
        return "carrier", self.carrier()


def read_wav_bytes(b):
    with wave.open(io.BytesIO(b)) as w:
        sr = w.getframerate()
        n = w.getnframes()
        ch = w.getnchannels()
        x = np.frombuffer(w.readframes(n), dtype=np.int16).astype(np.float32)
    if ch > 1:
        x = x.reshape(-1, ch).mean(1)
    return x, sr


def to16k(x, sr):
    if sr == 16000:
        y = x
    elif sr == 22050:
        y = resample_poly(x, 320, 441)
    elif sr == 8000:
        y = resample_poly(x, 2, 1)
    elif sr == 32000:
        y = resample_poly(x, 1, 2)
    elif sr == 48000:
        y = resample_poly(x, 1, 3)
    else:
        from math import gcd
        g = gcd(16000, sr)
        y = resample_poly(x, 16000 // g, sr // g)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def trim_ok(a):
    return a is not None and len(a) > 1600 and np.abs(a).max() > 200


def synth_wav(cmd, wav, text_input=None):
    """Runs a synthesizer that writes `wav`: (the finished process, its audio as 16 kHz int16 or None)."""
    r = subprocess.run(cmd, input=text_input, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(wav):
        return r, None
    with open(wav, "rb") as f:
        x, sr = read_wav_bytes(f.read())
    os.remove(wav)
    return r, to16k(x, sr)


# ---------------------------------------------------------------- espeak
def espeak_variants():
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True).stdout
    vs = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and parts[4].startswith("!v/"):
            vs.append(parts[4][3:])
    return sorted(set(vs))


def espeak_data_dir():
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"Data at: (\S+)", out)
    if not m or not os.path.isdir(m.group(1)):
        raise SystemExit(f"cannot find espeak-ng's data folder in `espeak-ng --version`: {out!r}")
    return m.group(1)


def read_variant(path):
    """An espeak-ng variant file as {keyword: [values]} (comments and blank lines dropped;
    `formant` lines keyed by their index, as "formant<k>")."""
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.split("//")[0].strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            key, vals = parts[0], parts[1:]
            if key == "formant" and vals:
                out[f"formant{vals[0]}"] = vals[1:]
            elif key not in ("name", "language", "gender"):
                out[key] = vals
    return out


def cross_variant(rng, a, b):
    """A made-up variant between training variants a and b: every formant's frequency, strength and
    width (and pitch) at a random point between the parents' (100 % when a parent leaves it out),
    the frequency jittered by ±8 %; every other setting (voicing, tone, breath, echo, klatt, ...)
    from one parent at random."""
    lines = []
    for k in range(9):
        fa = [float(x) for x in a.get(f"formant{k}", [])] or [100.0, 100.0, 100.0]
        fb = [float(x) for x in b.get(f"formant{k}", [])] or [100.0, 100.0, 100.0]
        fa += [0.0] * (4 - len(fa))
        fb += [0.0] * (4 - len(fb))
        t = rng.random()
        v = [x + t * (y - x) for x, y in zip(fa[:4], fb[:4])]
        v[0] *= rng.uniform(0.92, 1.08)
        lines.append(f"formant {k} " + " ".join(str(int(round(x))) for x in v))
    pa, pb = a.get("pitch"), b.get("pitch")
    if pa and pb and len(pa) == 2 and len(pb) == 2:
        t = rng.random()
        lo, hi = (int(round(float(x) + t * (float(y) - float(x)))) for x, y in zip(pa, pb))
        lines.append(f"pitch {lo} {max(hi, lo + 10)}")
    elif pa or pb:
        lines.append("pitch " + " ".join(pa or pb))
    for key in sorted((set(a) | set(b)) - {"pitch"}):
        if key.startswith("formant"):
            continue
        src = a if rng.random() < 0.5 else b
        if key in src:
            lines.append(f"{key} " + " ".join(src[key]))
    return "\n".join(lines) + "\n"


def variant_parents(train_vars):
    """(espeak-ng's data folder, {training variant: read_variant}) — the parents random_variants
    crosses; held-out variants are never among them."""
    sysdata = espeak_data_dir()
    vdir = os.path.join(sysdata, "voices", "!v")
    # (espeak_variants splits `--voices` on spaces: "Mr serious" comes out as "Mr", no such file)
    return sysdata, {v: read_variant(os.path.join(vdir, v)) for v in train_vars
                     if os.path.isfile(os.path.join(vdir, v))}


def random_variants(rng, sysdata, parsed, n, root, tag):
    """Writes n made-up variants rs_<tag>_<i> (cross_variant of two random parents from
    variant_parents) into a private copy of espeak-ng's data under `root` (links to the system's
    files; its voices/!v holds only these variants, because espeak-ng lists at most 349 voices and
    then fails to find even en-us) and returns (their names, the environment that makes espeak-ng
    read that copy)."""
    data = os.path.join(root, "espeak-ng-data")
    vdir = os.path.join(data, "voices", "!v")
    if os.path.exists(root):
        raise SystemExit(f"{root} exists: each set of made-up variants needs a folder of its own")
    os.makedirs(vdir)
    for e in os.listdir(sysdata):
        if e != "voices":
            os.symlink(os.path.join(sysdata, e), os.path.join(data, e))
    for e in os.listdir(os.path.join(sysdata, "voices")):
        if e != "!v":
            os.symlink(os.path.join(sysdata, "voices", e), os.path.join(data, "voices", e))
    names = []
    for i in range(n):
        a, b = rng.sample(sorted(parsed), 2)
        name = f"rs_{tag}_{i:03d}"
        with open(os.path.join(vdir, name), "w") as f:
            f.write(f"language variant\nname {name}\n// crossed from {a} and {b}\n"
                    + cross_variant(rng, parsed[a], parsed[b]))
        names.append(name)
    env = dict(os.environ, ESPEAK_DATA_PATH=root)
    # espeak-ng falls back to the plain voice, silently, for a variant it cannot find: make sure not
    probe = [subprocess.run(["espeak-ng", "-v", v, "--stdout", "[[sIt]]"], capture_output=True, env=env)
             for v in ("en-us", f"en-us+{names[0]}")]
    if any(p.returncode != 0 or len(p.stdout) < 1000 for p in probe):
        raise SystemExit(f"espeak-ng with ESPEAK_DATA_PATH={root} does not speak: "
                         f"{probe[0].stderr.decode(errors='replace').strip()[-300:]}")
    if probe[0].stdout == probe[1].stdout:
        raise SystemExit(f"espeak-ng ignored the made-up variant {names[0]} in {vdir}")
    return names, env


def espeak_ipa(voice, text, env=None):
    r = subprocess.run(["espeak-ng", "-v", voice, "-q", "--ipa", text], capture_output=True, text=True, env=env)
    return r.stdout.split()


def espeak_synth(voice, arg, rng, env=None):
    cmd = ["espeak-ng", "-v", voice, "-s", str(rng.randint(110, 230)), "-p", str(rng.randint(25, 99)),
           "-a", str(rng.randint(60, 180)), "--stdout", arg]
    r = subprocess.run(cmd, capture_output=True, env=env)
    if r.returncode != 0 or len(r.stdout) < 100:
        return None
    x, sr = read_wav_bytes(r.stdout)
    return to16k(x, sr)


def espeak_clip(rng, content, variants, env=None):
    """A clip from `variants` (names under voices/!v of espeak-ng's data; `env` may point
    ESPEAK_DATA_PATH at a private copy that holds made-up variants)."""
    variant = rng.choice(variants)
    if rng.random() < 0.18:
        # text input, labels from espeak's own IPA
        accent = rng.choice(ESPEAK_ACCENTS_TEXT)
        voice = f"{accent}+{variant}"
        if rng.random() < 0.4:
            text = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "."
            if rng.random() < 0.3:
                text = "the letter " + text
        else:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2)))
        ipa = espeak_ipa(voice, text, env)
        words = [C.ipa_to_alpha(w) for w in ipa]
        if not words or any(w is None or w == "" for w in words):
            return None
        audio = espeak_synth(voice, text, rng, env)
        kind = "text"
    else:
        accent = rng.choice(ESPEAK_ACCENTS_PHONE)
        voice = f"{accent}+{variant}"
        kind, words = content.draw()
        if any(w in C.SILENT_IN_ESPEAK for w in words):
            return None  # would be a silent word with a label
        # C.STRUT_AS_FOOT accents get `@` for every ʌ, so the label ʌ stays true (older clips: train.py)
        strut = "@" if accent in C.STRUT_AS_FOOT else None
        ph = " ".join(C.alpha_to_espeak(w, stress=True, schwa_choice=schwa_espeak(rng), strut=strut)
                      for w in words)
        audio = espeak_synth(voice, f"[[{ph}]]", rng, env)
    if not trim_ok(audio):
        return None
    return {"audio": audio, "words": words, "voice": f"espeak:{voice}", "family": "espeak", "kind": kind,
            "strutFixed": True}


# ---------------------------------------------------------------- flite
def flite_clip(rng, content, tmp):
    voice = rng.choice(FLITE_VOICES)
    wav = os.path.join(tmp, "f.wav")
    sets = ["--setf", f"duration_stretch={rng.uniform(0.8, 1.5):.2f}",
            "--setf", f"int_f0_target_mean={rng.uniform(90, 260):.0f}"]
    if rng.random() < 0.2:
        text = rng.choice(WORDS) if rng.random() < 0.6 else rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        r, audio = synth_wav(["flite", "-voice", voice] + sets + ["-t", text, "-ps", "-o", wav], wav)
        a = C.cmu_to_alpha(r.stdout.split())
        if not a:
            return None
        words, kind = [a], "text"
    else:
        kind, words = content.draw()
        phones = ["pau"]
        for w in words:
            phones += C.alpha_to_cmu(w, schwa_cmu(rng))
        phones.append("pau")
        _, audio = synth_wav(["flite", "-voice", voice] + sets + ["-p", " ".join(phones), "-o", wav], wav)
    if not trim_ok(audio):
        return None
    return {"audio": audio, "words": words, "voice": f"flite:{voice}", "family": "flite", "kind": kind}


# ---------------------------------------------------------------- pico and RHVoice (recorded speakers)
def pico_word(word, lang, rng):
    """Alphabet word -> (pico X-SAMPA, the label it really says). en-GB is non-rhotic: a ɹ that no
    vowel follows is not pronounced, so it leaves the input and the label alike."""
    table = PICO_TABLES[lang]
    out, label = [], []
    for i, ph in enumerate(word):
        if ph == "ɹ" and lang == "en-GB" and (i + 1 == len(word) or word[i + 1] not in C.VOWELS):
            continue
        out.append("@" if ph == "ʌ" and rng.random() < 0.5 else table[ph])
        label.append(ph)
    return "".join(out), "".join(label)


def pico_synth(lang, markup, tmp):
    wav = os.path.join(tmp, "p.wav")
    return synth_wav(["pico2wave", "-w", wav, "-l", lang, markup], wav)[1]


def pico_probe(tmp):
    """Every symbol of PICO_OF / PICO_GB must change pico's audio (an unknown one is dropped)."""
    for lang in PICO_LANGS:
        table = PICO_TABLES[lang]
        def say(ph):
            a = pico_synth(lang, f'<phoneme alphabet="xsampa" ph="{ph}"/>', tmp)
            if a is None:
                raise SystemExit(f"pico2wave -l {lang} failed (apt: libttspico-utils, README.md)")
            return a
        base = say("m")
        for ph, sym in table.items():
            a = say("m" + sym + ("{" if ph == "ɹ" else ""))
            if ph != "ɹ" and len(a) == len(base) and np.array_equal(a, base):
                raise SystemExit(f"pico -l {lang} ignores X-SAMPA {sym!r} (for {ph}): fix PICO_OF")
            if ph == "ɹ" and np.array_equal(a, say("m{")):
                raise SystemExit(f"pico -l {lang} ignores X-SAMPA {sym!r} (for ɹ): fix PICO_OF")
            if len(a) > 3 * C.SR:
                raise SystemExit(f"pico -l {lang} read the markup for {sym!r} aloud: fix PICO_OF")


def pico_clip(rng, content, tmp):
    lang = rng.choice(PICO_LANGS)
    kind, words = content.draw()
    pairs = [pico_word(w, lang, rng) for w in words]
    if any(not lab for _, lab in pairs):
        return None
    ph = " ".join(x for x, _ in pairs)
    markup = (f'<volume level="{rng.randint(60, 140)}"><pitch level="{rng.randint(70, 150)}">'
              f'<speed level="{rng.randint(70, 140)}"><phoneme alphabet="xsampa" ph="{ph}"/>'
              f'</speed></pitch></volume>')
    audio = pico_synth(lang, markup, tmp)
    if not trim_ok(audio):
        return None
    return {"audio": audio, "words": [lab for _, lab in pairs], "voice": f"pico:{lang}", "family": "pico",
            "kind": kind}


def cmu_label(word):
    """Alphabet label of one English word from flite's CMU lexicon (the lexicon RHVoice's English uses)."""
    r = subprocess.run(["flite", "-voice", "kal16", "-t", word, "-ps", "-o", "none"], capture_output=True,
                       text=True)
    return C.cmu_to_alpha(r.stdout.split()) if r.returncode == 0 else None


def rhvoice_say(voice, text, tmp, rate=50, pitch=50, volume=100):
    wav = os.path.join(tmp, "r.wav")
    return synth_wav(["RHVoice-test", "-p", voice, "-r", str(rate), "-t", str(pitch), "-v", str(volume), "-o", wav],
                     wav, text)[1]


def rhvoice_probe(tmp):
    """Each RHVoice voice must speak (otherwise gen() would wait forever for a clip)."""
    for voice in RHVOICE_VOICES:
        if not trim_ok(rhvoice_say(voice, "bee", tmp)):
            raise SystemExit(f"RHVoice-test -p {voice} gave no audio (apt: rhvoice rhvoice-english, README.md)")


def rhvoice_clip(rng, tmp):
    """RHVoice reads text only: letters, words, short carrier phrases; labels from the CMU lexicon."""
    voice = rng.choice(RHVOICE_VOICES)
    t = rng.random()
    if t < 0.35:
        letter = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        text, kind = (f"the letter {letter}." if rng.random() < 0.3 else f"{letter}."), "name"
    elif t < 0.8:
        text, kind = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))), "text"
    else:
        text = rng.choice(["I see", "that is", "it says", "my word is", "yes", "um"]) + " " + rng.choice(WORDS)
        kind = "carrier"
    words = [cmu_label(w.strip(".")) for w in text.split()]
    if not words or any(not w for w in words):
        return None
    audio = rhvoice_say(voice, text, tmp, rng.randint(40, 90), rng.randint(20, 80), rng.randint(60, 100))
    if not trim_ok(audio):
        return None
    return {"audio": audio, "words": words, "voice": f"rhvoice:{voice}", "family": "rhvoice", "kind": kind}


# ---------------------------------------------------------------- festival (held out)
def festival_batch(rng, content, n, tmp):
    """Synthesise n clips with festival in one process (phones for diphone voices, text for all)."""
    jobs = []
    lines = ["(define (segs u) (mapcar (lambda (s) (item.name s)) (utt.relation.items u 'Segment)))"]
    for i in range(n):
        wav = os.path.join(tmp, f"fest{i}.wav")
        stretch = rng.uniform(0.85, 1.4)
        if rng.random() < 0.35:
            voice = rng.choice(FESTIVAL_TEXT_VOICES)
            text = rng.choice(WORDS) if rng.random() < 0.5 else rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            lines += [f"(voice_{voice})", f"(Parameter.set 'Duration_Stretch {stretch:.2f})",
                      f'(set! u (utt.synth (Utterance Text "{text}")))',
                      f'(format t "@@ {i} %l\\n" (segs u))',
                      f'(utt.save.wave u "{wav}" \'riff)']
            jobs.append((i, wav, voice, None, "text"))
        else:
            voice = rng.choice(FESTIVAL_PHONE_VOICES)
            kind, words = content.draw()
            phones = ["pau"]
            for w in words:
                phones += C.alpha_to_cmu(w, schwa_cmu(rng))
            phones.append("pau")
            lines += [f"(voice_{voice})", f"(Parameter.set 'Duration_Stretch {stretch:.2f})",
                      f"(set! u (utt.synth (Utterance Phones ({' '.join(phones)}))))",
                      f'(utt.save.wave u "{wav}" \'riff)']
            jobs.append((i, wav, voice, words, kind))
    scm = os.path.join(tmp, "batch.scm")
    with open(scm, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run(["festival", "-b", scm], capture_output=True, text=True)
    segs = {}
    for line in r.stdout.splitlines():
        if line.startswith("@@ "):
            parts = line.replace("(", " ").replace(")", " ").replace('"', " ").split()
            segs[int(parts[1])] = parts[2:]
    clips = []
    for i, wav, voice, words, kind in jobs:
        if not os.path.exists(wav):
            continue
        if words is None:
            a = C.cmu_to_alpha(segs.get(i, []))
            if not a:
                continue
            words = [a]
        with open(wav, "rb") as f:
            x, sr = read_wav_bytes(f.read())
        os.remove(wav)
        audio = to16k(x, sr)
        if trim_ok(audio):
            clips.append({"audio": audio, "words": words, "voice": f"festival:{voice}",
                          "family": "festival", "kind": kind})
    return clips


def save(clips, name):
    os.makedirs(OUT, exist_ok=True)
    tmpname = os.path.join(OUT, name + ".tmp")
    with open(tmpname, "wb") as f:
        pickle.dump(clips, f, protocol=4)
    os.replace(tmpname, os.path.join(OUT, name + ".pkl"))
    print(f"saved {name}: {len(clips)} clips, {sum(len(c['audio']) for c in clips) / C.SR / 60:.1f} min",
          flush=True)


def gen(rng, content, n, fn):
    clips = []
    while len(clips) < n:
        c = fn()
        if c is not None:
            clips.append(c)
    return clips


def main():
    n_chunks = int(os.environ.get("TRAIN_CHUNKS", "16"))
    chunk = int(os.environ.get("CHUNK_SIZE", "1000"))
    n_eval = int(os.environ.get("EVAL_SIZE", "400"))
    variants = espeak_variants()
    train_vars = [v for v in variants if v not in HELDOUT_VARIANTS]
    held_vars = [v for v in variants if v in HELDOUT_VARIANTS]
    print(f"espeak variants: {len(train_vars)} train, held out: {held_vars}", flush=True)
    tmp = tempfile.mkdtemp(prefix="rsgen")
    rng = random.Random(SEED)
    content = Content(rng)
    if not os.path.exists(os.path.join(OUT, "val.pkl")):
        clips = gen(rng, content, n_eval // 2, lambda: espeak_clip(rng, content, train_vars))
        clips += gen(rng, content, n_eval // 2, lambda: flite_clip(rng, content, tmp))
        save(clips, "val")
    if not os.path.exists(os.path.join(OUT, "heldout_espeak.pkl")):
        save(gen(rng, content, n_eval, lambda: espeak_clip(rng, content, held_vars)), "heldout_espeak")
    if not os.path.exists(os.path.join(OUT, "heldout_festival.pkl")):
        clips = []
        while len(clips) < n_eval:
            clips += festival_batch(rng, content, 100, tmp)
        save(clips[:n_eval], "heldout_festival")
    for k in range(n_chunks):
        name = f"train-{k:03d}"
        crng = random.Random(SEED * 1000 + k)
        ccontent = Content(crng)
        if os.path.exists(os.path.join(OUT, name + ".pkl")):
            continue
        n_flite = chunk // 4
        clips = gen(crng, ccontent, chunk - n_flite, lambda: espeak_clip(crng, ccontent, train_vars))
        clips += gen(crng, ccontent, n_flite, lambda: flite_clip(crng, ccontent, tmp))
        crng.shuffle(clips)
        save(clips, name)
    # made-up espeak voices (RANDOM_VARIANT_CHUNKS, VARIANTS_PER_CHUNK new ones in each chunk)
    n_rv = int(os.environ.get("RANDOM_VARIANT_CHUNKS", "0"))
    per = int(os.environ.get("VARIANTS_PER_CHUNK", "40"))
    sysdata, parents = variant_parents(train_vars) if n_rv else (None, None)
    for k in range(n_rv):
        name = f"train-rv-{k:03d}"
        if os.path.exists(os.path.join(OUT, name + ".pkl")):
            continue
        crng = random.Random(SEED * 2000 + k)
        ccontent = Content(crng)
        made, env = random_variants(crng, sysdata, parents, per, os.path.join(tmp, f"espeak-{k:03d}"),
                                    f"{k:03d}")
        n_flite = chunk // 4
        clips = gen(crng, ccontent, chunk - n_flite, lambda: espeak_clip(crng, ccontent, made, env))
        clips += gen(crng, ccontent, n_flite, lambda: flite_clip(crng, ccontent, tmp))
        crng.shuffle(clips)
        save(clips, name)
    # voices modelled on recorded speakers (NATURAL_VOICE_CHUNKS): pico 40 %, RHVoice 35 %, flite 25 %
    n_nv = int(os.environ.get("NATURAL_VOICE_CHUNKS", "0"))
    if n_nv:
        pico_probe(tmp)
        rhvoice_probe(tmp)
    for k in range(n_nv):
        name = f"train-nv-{k:03d}"
        if os.path.exists(os.path.join(OUT, name + ".pkl")):
            continue
        crng = random.Random(SEED * 3000 + k)
        ccontent = Content(crng)
        n_pico, n_rh = chunk * 40 // 100, chunk * 35 // 100
        clips = gen(crng, ccontent, n_pico, lambda: pico_clip(crng, ccontent, tmp))
        clips += gen(crng, ccontent, n_rh, lambda: rhvoice_clip(crng, tmp))
        clips += gen(crng, ccontent, chunk - n_pico - n_rh, lambda: flite_clip(crng, ccontent, tmp))
        crng.shuffle(clips)
        save(clips, name)


if __name__ == "__main__":
    main()
