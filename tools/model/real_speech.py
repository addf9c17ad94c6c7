"""Recorded human speech from Debian packages, labelled in the domain phone alphabet.

The synthesizers alone leave the model deaf to real voices (issue #23), so this adds the recorded
speech that Debian ships: the Asterisk voice prompts (one professional speaker per language, with
the prompt texts), KLettres' spoken alphabets and syllables and KTuberling's spoken words, and on
request (REAL_SOURCES, below) Tux Paint's spoken stamp descriptions. Each
utterance is labelled by espeak-ng's G2P for its language (`espeak-ng -q --ipa -v <voice>`), mapped
to the alphabet with common.py's IPA table plus a small per-language table of the nearest English
phone (LANG_IPA below); an utterance with any other phone is left out and counted. Spoken letters
of English get the catalog's letter-name pronunciation.

    /usr/bin/python3 real_speech.py      # -> work/data/real/{train,dev}.pkl, manifest.jsonl, counts.json

REAL_SOURCES picks the sources, comma-separated (default `asterisk,klettres,ktuberling`: what every
model up to 1.7.3 was trained and calibrated on, so their data regenerate byte for byte); add
`tuxpaint` for `tuxpaint-stamps-default`'s "descriptive sounds" ("A duck.", "Un canard."), each
language recorded by its own volunteer (the package's changelog names them), with the texts in each
stamp's .txt: 11 more voices, the English ones (66 animal words) held out as speaker-unseen dev
speech (phone error rate only: they are not letters).

The chunks hold clips in gen_data.py's format ({"audio": int16 16 kHz, "words", "voice", "family",
"kind"} plus "lang", "path", "text" and, for letters, "letter"); train.py reads train.pkl with
REAL_SPEECH=1, eval_real.py reads dev.pkl. The dev split (DEV_RULES) is never trained on.
"""
import collections
import glob
import gzip
import json
import os
import pickle
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np

import common as C

OUT = os.path.join(C.WORK, "data", "real")
ASTERISK = "/usr/share/asterisk/sounds"
ASTERISK_DOC = "/usr/share/doc/asterisk-core-sounds-{lang}/core-sounds-{lang}.txt.gz"
KLETTRES = "/usr/share/klettres"
KTUBERLING = "/usr/share/ktuberling/sounds"
TUXPAINT = "/usr/share/tuxpaint/stamps"
# Tux Paint description language (file suffix; "" is English) -> espeak-ng voice; ml (6 clips) has
# no mapping to the alphabet worth having
TUXPAINT_VOICES = {"": "en-us", "be": "be", "bg": "bg", "ca": "ca", "da": "da", "el": "el", "es": "es",
                   "fr": "fr-fr", "lt": "lt", "nl": "nl", "ro": "ro", "ru": "ru"}
DEFAULT_SOURCES = ("asterisk", "klettres", "ktuberling")
# Asterisk core sounds: language -> (speaker folder, espeak-ng voice, speaker id). Allison Smith
# recorded both the English and the Spanish set, so they share a speaker id (sequences of one voice).
ASTERISK_SETS = {
    "en": ("en_US_f_Allison", "en-us", "allison"),
    "es": ("es_MX_f_Allison", "es-419", "allison"),
    "fr": ("fr_CA_f_June", "fr-fr", "june"),
    "it": ("it_IT_m_Carlo", "it", "carlo"),
    "ru": ("ru_RU_f_IvrvoiceRU", "ru", "ivrvoice-ru"),
}
# KLettres language folder -> espeak-ng voice (the folders Debian's klettres-data ships that
# espeak-ng has a voice for; ar, he, id, ml, nds, tn are not read: no usable G2P or script)
KLETTRES_VOICES = {"en": "en-us", "en_GB": "en-gb", "cs": "cs", "da": "da", "de": "de", "es": "es",
                   "fr": "fr-fr", "hu": "hu", "it": "it", "lt": "lt", "nb": "nb", "nl": "nl",
                   "pt_BR": "pt-br", "ru": "ru", "uk": "uk"}
# Held out, never trained on: Allison's English letters and digits (the letters the items are made
# of; her other prompts are trained on, so this split is speaker-seen) and every KLettres English
# recording (two speakers that no training clip has: the speaker-unseen part of the split).
DEV_RULES = (("asterisk", "en", "letters/"), ("asterisk", "en", "digits/"),
             ("klettres", "en", ""), ("klettres", "en_GB", ""), ("tuxpaint", "en", ""))
MAX_SEC = 15.0   # longer prompts are left out (the activities' phrases are a few seconds)
MIN_SEC = 0.15

# The nearest English phone for phones of other languages that the shared table lacks (allophones
# of a phoneme that has an English counterpart): COMMON for every language but English, LANG_IPA
# per language on top (None: unmapped there). Anything else (French ʁ, front rounded and nasal vowels, ɲ, ʎ, ŋ, ç, ...)
# stays unmapped: the utterance is left out.
COMMON = [("β", "b"), ("ɣ", "g"), ("ʝ", "y"), ("ɭ", "l"), ("x", "h")]  # x: jota, Brazilian r, ach-laut
LANG_IPA = {
    "ru": [("ɕ", "ʃ"), ("ʑ", "ʒ"), ("ɵ", "o"), ("y", "ɪ")],  # espeak-ng's Russian y is ы [ɨ]
    "uk": [("ɕ", "ʃ"), ("ʑ", "ʒ")],
    "cs": [("ɦ", "h")],
    "de": [("ɾ", None)],  # German r (uvular or vocalised), not the tap that ɾ -> t labels elsewhere
}
# Cʲ (palatalised) is labelled C; outside English a length mark is dropped (Italian gemination,
# long vowels the shared table does not list: ɛː -> ɛ)
PALATAL = "ʲ"
LANG_TAG = re.compile(r"\([a-z]{2,3}(-[a-z0-9]+)?\)")


def base_lang(lang):
    return lang.split("_")[0].split("-")[0]


def lang_table(lang):
    """The IPA -> alphabet table of one language, its own entries first."""
    base = base_lang(lang)
    extra = [] if base == "en" else LANG_IPA.get(base, []) + COMMON
    return sorted(extra, key=lambda kv: -len(kv[0])) + C.IPA_TABLE


def ipa_word(word, lang):
    """One espeak IPA word -> (alphabet string, None) or (None, the first unmapped symbol)."""
    s = LANG_TAG.sub("", word).replace(":", "ː").replace(PALATAL, "")
    s = "".join(c for c in s if c not in C.IPA_DROP + "\"^()'")
    english = base_lang(lang) == "en"
    out, i = [], 0
    table = lang_table(lang)
    while i < len(s):
        if s[i] == "ː" and not english:
            i += 1
            continue
        for src, dst in table:
            if s.startswith(src, i):
                if dst is None:
                    return None, src
                out.append(dst)
                i += len(src)
                break
        else:
            return None, s[i]
    return "".join(out), None


def espeak_ipa(voice, text):
    r = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", voice, text], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"espeak-ng -v {voice} failed: {r.stderr.strip()[-300:]} (apt: espeak-ng)")
    return r.stdout.split()


def label(voice, lang, text):
    """(alphabet words, ipa, None) or (None, ipa, reason)."""
    ipa = espeak_ipa(voice, text)
    if not ipa:
        return None, "", "no phones from espeak-ng"
    words = []
    for w in ipa:
        a, bad = ipa_word(w, lang)
        if a is None:
            return None, " ".join(ipa), f"unmapped phone {bad}"
        if a:
            words.append(a)
    return (words, " ".join(ipa), None) if words else (None, " ".join(ipa), "no phones from espeak-ng")


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[-1]


class LetterNames:
    """English letter names as the catalog writes them: the `<x>_letter` pronunciation nearest to
    espeak-ng's reading of the letter in the given accent (so a British "zed" stays zɛd, which the
    catalog does not list)."""

    def __init__(self):
        self.items = {it["item"]: it for it in C.load_items()["items"]}

    def of(self, letter, voice):
        it = self.items[f"{letter.lower()}_letter"]
        heard, _, _ = label(voice, "en", letter.upper())
        heard = "".join(heard or [])
        cands = it["pronunciations"] + it["accepted"]
        best = min(cands, key=lambda p: edit_distance(p, heard))
        return best if edit_distance(best, heard) <= 1 or not heard else heard


def decode(path):
    """Any audio file -> 16 kHz mono int16 (ffmpeg; G.722 files need `-f g722`)."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"]
    if path.endswith(".g722"):
        cmd += ["-f", "g722"]
    cmd += ["-i", path, "-f", "s16le", "-ac", "1", "-ar", str(C.SR), "-"]
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        return None
    return np.frombuffer(r.stdout, np.int16).copy()


def trim(a, floor_db=40.0, lead=0.15, tail=0.2):
    """Cut leading/trailing silence: keep from `lead` s before the first 10 ms frame within
    `floor_db` of the loudest one to `tail` s after the last."""
    x = a.astype(np.float32)
    n = len(x) // 160
    if n == 0:
        return a
    rms = np.sqrt(np.mean(x[: n * 160].reshape(n, 160) ** 2, axis=1) + 1e-9)
    loud = np.where(rms > rms.max() * 10 ** (-floor_db / 20))[0]
    s = max(0, loud[0] * 160 - int(lead * C.SR))
    e = min(len(a), (loud[-1] + 1) * 160 + int(tail * C.SR))
    return a[s:e]


# ---------------------------------------------------------------- the sources
def asterisk_entries():
    """(source, lang, speaker, file, text, voice) of every Asterisk prompt with a text. The wideband
    G.722 rendition (16 kHz) is preferred to the 8 kHz WAV of the same take where both are installed."""
    for lang, (folder, voice, speaker) in ASTERISK_SETS.items():
        doc = ASTERISK_DOC.format(lang=lang)
        root = os.path.join(ASTERISK, folder)
        if not os.path.exists(doc) or not os.path.isdir(root):
            print(f"asterisk {lang}: not installed (apt: asterisk-core-sounds-{lang}-wav "
                  f"asterisk-core-sounds-{lang}-g722)", flush=True)
            continue
        with gzip.open(doc, "rt", encoding="utf-8-sig") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith(";") or ":" not in line:
                    continue
                name, text = (s.strip() for s in line.split(":", 1))
                path = next((p for p in (os.path.join(root, name + ext) for ext in (".g722", ".wav"))
                             if os.path.exists(p)), None)
                yield "asterisk", lang, speaker, path, text, voice, name


def klettres_entries():
    for code, voice in KLETTRES_VOICES.items():
        xml = os.path.join(KLETTRES, code, "sounds.xml")
        if not os.path.exists(xml):
            continue
        root = ET.parse(xml).getroot()
        for section, kind in (("alphabet", "letter"), ("syllables", "syllable")):
            for sec in root.iter(section):
                for s in sec.iter("sound"):
                    path = os.path.join(KLETTRES, s.get("file"))
                    yield "klettres", code, f"{code}", path, s.get("name"), voice, f"{kind}:{s.get('name')}"


def ktuberling_entries():
    """English words only: the other languages' words are named by their English file names."""
    for path in sorted(glob.glob(os.path.join(KTUBERLING, "en", "*.ogg"))):
        word = os.path.basename(path)[:-4].split("_")[-1]
        yield "ktuberling", "en", "en", path, word, "en-us", "word:" + word


def tuxpaint_text(txt, lang):
    """The description of one stamp in one language from its .txt (first line: English; then
    `xx.utf8=...` lines), or None."""
    with open(txt, encoding="utf-8", errors="replace") as f:
        lines = [l.strip() for l in f if l.strip()]
    if not lines:
        return None
    if not lang:
        return lines[0]
    prefix = f"{lang}.utf8="
    return next((l[len(prefix):].strip() for l in lines if l.startswith(prefix)), None)


def tuxpaint_entries():
    """Every `<stamp>_desc[_<lang>].ogg` whose stamp has a text in that language."""
    if not os.path.isdir(TUXPAINT):
        print("tuxpaint: not installed (apt: tuxpaint-stamps-default)", flush=True)
        return
    pattern = re.compile(r"^(?P<stamp>.+?)_desc(?:_(?P<lang>[a-z]{2}))?\.ogg$")
    for path in sorted(glob.glob(os.path.join(TUXPAINT, "**", "*_desc*.ogg"), recursive=True)):
        m = pattern.match(os.path.basename(path))
        if not m or (m.group("lang") or "") not in TUXPAINT_VOICES:
            continue
        code = m.group("lang") or ""
        txt = os.path.join(os.path.dirname(path), m.group("stamp") + ".txt")
        text = tuxpaint_text(txt, code) if os.path.exists(txt) else None
        lang = code or "en"
        name = "desc:" + os.path.relpath(path, TUXPAINT)[: -len(".ogg")]
        yield "tuxpaint", lang, f"tuxpaint-{lang}", path if text else None, text or "", TUXPAINT_VOICES[code], name


SOURCES = {"asterisk": asterisk_entries, "klettres": klettres_entries, "ktuberling": ktuberling_entries,
           "tuxpaint": tuxpaint_entries}


def sources():
    """REAL_SOURCES as a list of source names (a clear error for an unknown one)."""
    names = [s.strip() for s in os.environ.get("REAL_SOURCES", ",".join(DEFAULT_SOURCES)).split(",") if s.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown or not names:
        raise SystemExit(f"REAL_SOURCES: unknown source {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(SOURCES)}")
    return names


def is_dev(source, lang, name):
    return any(source == s and lang == l and name.startswith(p) for s, l, p in DEV_RULES)


def clean_text(source, text):
    """Prompt text to speak through espeak-ng: notes ("[beep]", "at [@]", "(1 second of silence)") removed."""
    t = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", text)
    t = t.replace("#", " pound ").replace("*", " star ")
    return re.sub(r"\s+", " ", t).strip()


def build():
    for tool in ("espeak-ng", "ffmpeg"):
        if not shutil.which(tool):
            raise SystemExit(f"missing {tool} (apt: {tool})")
    names = LetterNames()
    rows, train, dev = [], [], []
    counts = collections.defaultdict(collections.Counter)
    entries = [e for name in sources() for e in SOURCES[name]()]
    if not entries:
        raise SystemExit("no recorded speech installed: see tools/model/README.md (asterisk-core-sounds-*)")
    for source, lang, speaker, path, text, voice, name in entries:
        key = f"{source} {lang}"
        row = {"source": source, "lang": lang, "speaker": speaker, "name": name, "text": text,
               "path": path and os.path.relpath(path, "/")}
        split = "dev" if is_dev(source, lang, name) else "train"
        row["split"] = split
        reason, words, ipa, letter = None, None, "", None
        spoken = clean_text(source, text)
        if path is None:
            reason = "no audio file" if source != "tuxpaint" else "no text in this language"
        elif not spoken:
            reason = "no speech (tone or note)"
        elif source == "klettres" and name.startswith("letter:") and len(text) != 1:
            reason = "multi-letter alphabet entry"  # e.g. Czech CH: espeak spells it out
        else:
            if lang in ("en", "en_GB") and re.fullmatch(r"[A-Za-z]", spoken):
                letter = spoken.lower()
                words, ipa = [names.of(letter, voice)], "(catalog letter name)"
            else:
                words, ipa, reason = label(voice, lang, spoken)
        audio = None
        if reason is None:
            audio = decode(path)
            if audio is None or len(audio) == 0:
                reason = "undecodable audio"
            else:
                audio = trim(audio)
                sec = len(audio) / C.SR
                if sec > MAX_SEC:
                    reason = f"longer than {MAX_SEC:g} s"
                elif sec < MIN_SEC or np.abs(audio).max() < 200:
                    reason = "silent or too short"
        row.update(words=words, ipa=ipa, status=reason or "kept")
        rows.append(row)
        counts[f"{key} ({split})"][reason or "kept"] += 1
        if reason:
            continue
        clip = {"audio": audio, "words": words, "voice": f"{source}:{speaker}", "family": source,
                "kind": "letter" if letter else name.split(":")[0] if ":" in name else name.split("/")[0],
                "lang": lang, "path": row["path"], "text": text}
        if letter:
            clip["letter"] = letter
        (dev if split == "dev" else train).append(clip)
    os.makedirs(OUT, exist_ok=True)
    for name, clips in (("train", train), ("dev", dev)):
        tmp = os.path.join(OUT, name + ".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(clips, f, protocol=4)
        os.replace(tmp, os.path.join(OUT, name + ".pkl"))
        print(f"saved real/{name}: {len(clips)} clips, {sum(len(c['audio']) for c in clips) / C.SR / 60:.1f} min",
              flush=True)
    with open(os.path.join(OUT, "manifest.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT, "counts.json"), "w", encoding="utf-8") as f:
        json.dump({k: dict(v) for k, v in sorted(counts.items())}, f, ensure_ascii=False, indent=1)
    print_counts(counts)
    return train, dev


def print_counts(counts):
    """Kept and left-out utterances per source, language and split, with the reasons."""
    print("\nutterances per source / language (split): kept, then left out by reason", flush=True)
    total = collections.Counter()
    for key in sorted(counts):
        c = counts[key]
        total.update(c)
        rest = ", ".join(f"{r} {n}" for r, n in c.most_common() if r != "kept")
        print(f"  {key}: kept {c['kept']} of {sum(c.values())}" + (f"; {rest}" if rest else ""))
    left = ", ".join(f"{r} {n}" for r, n in total.most_common() if r != "kept")
    print(f"  all: kept {total['kept']} of {sum(total.values())}; {left}", flush=True)


if __name__ == "__main__":
    build()
