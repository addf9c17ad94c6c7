"""Shared tables for the ReadScore letters-ctc recipe (alphabet, phone mappings, items)."""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
WORK = os.path.join(HERE, "work")
# The scorer's own item catalog, so the model is trained and judged on the items and elements the
# pipeline scores. Every path of the recipe derives from this file's place in the repository.
CATALOG_JSON = os.path.join(REPO, "core", "items", "letter-items.v1.json")
SR = 16000
STRIDE = 320

VOCAB = ["<pad>", "|", "a", "æ", "b", "d", "ɛ", "f", "g", "h", "i", "ɪ", "j", "k", "l", "m", "n",
         "o", "ɑ", "p", "s", "t", "u", "ʌ", "v", "w", "x", "y", "z", "ɹ", "ɝ", "γ", "θ", "ð", "ɔ",
         "ʃ", "ʊ", "ʒ"]
TOK = {t: i for i, t in enumerate(VOCAB)}
PHONES = VOCAB[2:]
VOWELS = set("aæɛiɪoɑuʌɝγɔʊ")
CONSONANTS = [p for p in PHONES if p not in VOWELS]


# synthesizer families of the training data, as gen_data.py names them -> how EVAL.md, the model card
# and the manifest name them
SYNTHESIZERS = {"espeak": "espeak-ng", "flite": "flite", "pico": "SVOX pico", "rhvoice": "RHVoice"}
# recorded human speech, as real_speech.py names its sources (REAL_SPEECH=1 for train.py)
RECORDED = {"asterisk": "Asterisk voice prompts (recorded speech)",
            "klettres": "KLettres alphabets (recorded speech)",
            "ktuberling": "KTuberling words (recorded speech)"}


def family_name(f):
    """How EVAL.md, the model card and the manifest name a training family."""
    return SYNTHESIZERS.get(f) or RECORDED.get(f) or f


def trained_families(st):
    """Families a checkpoint was trained on: every segment's recorded families (train.py records them
    since the natural-voice trial; earlier segments trained on espeak-ng and flite only)."""
    fams = {"espeak", "flite"}
    for sg in (st or {}).get("segments") or []:
        fams.update((sg.get("families") or {}).keys())
    known = list(SYNTHESIZERS) + list(RECORDED)
    return [f for f in known if f in fams] + sorted(fams - set(known))


def load_items():
    """The item catalog: `items` (item, letter, kind, pronunciations, accepted) and `elements`."""
    with open(CATALOG_JSON, encoding="utf-8") as f:
        return json.load(f)


# espeak-ng quirks the labels must respect (measured): the northern-English accents realise the STRUT
# phoneme `V` as [ʊ], and an isolated voiced stop or affricate ([[b]] [[d]] [[g]] [[dZ]]) is pure silence.
STRUT_AS_FOOT = ("en-gb-x-gbclan", "en-gb-x-gbcwmd")
SILENT_IN_ESPEAK = frozenset({"b", "d", "g", "j"})

# ---------------------------------------------------------------- alphabet -> synthesiser input
# espeak-ng phoneme mnemonics ([[...]] input)
ESPEAK_OF = {
    "a": "eI", "æ": "a", "b": "b", "d": "d", "ɛ": "E", "f": "f", "g": "g", "h": "h", "i": "i:",
    "ɪ": "I", "j": "dZ", "k": "k", "l": "l", "m": "m", "n": "n", "o": "oU", "ɑ": "A:", "p": "p",
    "s": "s", "t": "t", "u": "u:", "ʌ": "V", "v": "v", "w": "w", "x": "tS", "y": "j", "z": "z",
    "ɹ": "r", "ɝ": "3:", "γ": "aI", "θ": "T", "ð": "D", "ɔ": "O:", "ʃ": "S", "ʊ": "U", "ʒ": "Z",
}
# CMU / radio phone set used by flite and festival (phone input and segment output)
CMU_OF = {
    "a": "ey", "æ": "ae", "b": "b", "d": "d", "ɛ": "eh", "f": "f", "g": "g", "h": "hh", "i": "iy",
    "ɪ": "ih", "j": "jh", "k": "k", "l": "l", "m": "m", "n": "n", "o": "ow", "ɑ": "aa", "p": "p",
    "s": "s", "t": "t", "u": "uw", "ʌ": "ah", "v": "v", "w": "w", "x": "ch", "y": "y", "z": "z",
    "ɹ": "r", "ɝ": "er", "γ": "ay", "θ": "th", "ð": "dh", "ɔ": "ao", "ʃ": "sh", "ʊ": "uh", "ʒ": "zh",
}
CMU_TO = {v: k for k, v in CMU_OF.items()}
CMU_TO.update({"ax": "ʌ", "axr": "ɝ", "aw": "æʊ", "oy": "ɔɪ", "el": "ʌl", "em": "ʌm", "en": "ʌn"})
CMU_SKIP = {"pau", "h#", "brth", "#"}


def cmu_to_alpha(phones):
    """Map a list of CMU phones to an alphabet string; None if a phone has no mapping."""
    out = []
    for p in phones:
        p = re.sub(r"\d", "", p.lower())
        if p in CMU_SKIP:
            continue
        if p not in CMU_TO:
            return None
        out.append(CMU_TO[p])
    return "".join(out)


def alpha_to_espeak(word, stress=True, schwa_choice=None, strut=None):
    """Alphabet word -> espeak phoneme string. ʌ becomes V or @ (schwa_choice callable), or always
    `strut` when given (accents whose V is not [ʌ])."""
    out = []
    for i, ph in enumerate(word):
        if ph == "ʌ":
            prev_vowel = i > 0 and word[i - 1] in VOWELS
            e = strut or ("V" if prev_vowel or schwa_choice is None else schwa_choice())
        else:
            e = ESPEAK_OF[ph]
        out.append(e)
    s = "".join(out)
    return ("'" + s) if stress else s


def alpha_to_cmu(word, schwa_choice=None):
    out = []
    for ph in word:
        if ph == "ʌ" and schwa_choice is not None:
            out.append(schwa_choice())
        else:
            out.append(CMU_OF[ph])
    return out


# ---------------------------------------------------------------- espeak IPA -> alphabet
# Ordered longest-first; r-coloured vowels are split as vowel + ɹ, except ɝ/ɚ/ɜː(ɹ)/əɹ -> ɝ.
IPA_TABLE = [
    ("ɜːɹ", "ɝ"), ("ɑːɹ", "ɑɹ"), ("ɔːɹ", "ɔɹ"), ("oːɹ", "ɔɹ"), ("əɹ", "ɝ"),
    ("eɪ", "a"), ("eː", "a"), ("aɪ", "γ"), ("ɑɪ", "γ"), ("ɔɪ", "ɔɪ"), ("aʊ", "æʊ"), ("ʌʉ", "ʌu"),
    ("oʊ", "o"), ("əʊ", "o"), ("oː", "o"), ("dʒ", "j"), ("tʃ", "x"),
    ("iː", "i"), ("uː", "u"), ("ɑː", "ɑ"), ("aː", "ɑ"), ("ɔː", "ɔ"), ("ɜː", "ɝ"),
    ("ɪə", "ɪʌ"), ("eə", "ɛʌ"), ("ʊə", "ʊʌ"), ("n̩", "ʌn"), ("l̩", "ʌl"), ("t̪", "t"), ("d̪", "d"),
    ("i", "i"), ("u", "u"), ("ʉ", "u"), ("ɑ", "ɑ"), ("ɒ", "ɑ"), ("ɔ", "ɔ"), ("ɝ", "ɝ"), ("ɚ", "ɝ"),
    ("ə", "ʌ"), ("ʌ", "ʌ"), ("ɐ", "ʌ"), ("ᵻ", "ɪ"), ("ɪ", "ɪ"), ("ɛ", "ɛ"), ("e", "ɛ"), ("æ", "æ"),
    ("a", "æ"), ("o", "o"), ("ʊ", "ʊ"), ("ɾ", "t"), ("ɡ", "g"), ("g", "g"), ("r", "ɹ"), ("ɹ", "ɹ"),
    ("j", "y"), ("ɫ", "l"), ("l", "l"), ("θ", "θ"), ("ð", "ð"), ("ʃ", "ʃ"), ("ʒ", "ʒ"), ("h", "h"),
    ("w", "w"), ("m", "m"), ("n", "n"), ("p", "p"), ("b", "b"), ("t", "t"), ("d", "d"), ("k", "k"),
    ("f", "f"), ("v", "v"), ("s", "s"), ("z", "z"),
]
IPA_DROP = "ˈˌ‿ʔ-"


def ipa_to_alpha(ipa):
    """One espeak IPA word -> alphabet string, or None if it has an unmappable phone (e.g. ŋ)."""
    s = "".join(c for c in ipa.replace(":", "ː") if c not in IPA_DROP)
    out = []
    i = 0
    while i < len(s):
        for src, dst in IPA_TABLE:
            if s.startswith(src, i):
                out.append(dst)
                i += len(src)
                break
        else:
            return None
    return "".join(out)


def label_ids(words):
    """List of alphabet words -> token ids with '|' between words."""
    ids = []
    for wi, w in enumerate(words):
        if wi:
            ids.append(TOK["|"])
        for ch in w:
            ids.append(TOK[ch])
    return ids


def ids_to_words(ids):
    s = "".join(VOCAB[i] for i in ids if i > 1 or i == 1)
    return [w for w in s.split("|") if w]


def greedy_decode(logits_row):
    """Standard CTC: argmax, merge repeats, then drop blanks."""
    import numpy as np
    best = np.asarray(logits_row).argmax(-1)
    out, prev = [], -1
    for b in best:
        if b != prev and b != 0:
            out.append(int(b))
        prev = b
    return out
