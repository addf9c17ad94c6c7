"""Utterance assembly + acoustic augmentation (numpy). Used for training and for the eval sets.

An utterance = 1..6 clips of one voice separated by 0.1-0.9 s pauses (a phrase of items), with
leading/trailing silence, per-clip gain, then optional reverb, band-pass (tablet mic) and additive
noise (white, pink or babble; with `room_noise` also a low rumble) at 5-40 dB SNR. Recorded adult
speech (`real_share` of the draws, families in RECORDED) is made more child-like first for a share
`p_child` of its utterances (`child_like`: formants and pitch raised, tempo kept or slowed).
Returned waveform is normalised per utterance (zero mean, unit variance over the true samples),
exactly as the ReadScore pipeline does.
"""
import numpy as np
from scipy.signal import butter, fftconvolve, sosfilt

import common as C

SR = C.SR
# default speed-perturbation range (train.py's SPEED overrides it)
SPEED_RANGE = (0.9, 1.1)
# recorded (adult) speech families of real_speech.py
RECORDED = frozenset(C.RECORDED)
# child_like: formant/pitch factor (children's formants sit ~15-40 % above an adult woman's) and the
# resulting duration relative to the recording (children read slower, rarely faster)
CHILD_SHIFT = (1.05, 1.35)
CHILD_DURATION = (0.95, 1.35)


def wsola(x, rate, frame=480, hop=240, search=160):
    """Time-stretch by `rate` (output length ≈ len(x) / rate) keeping pitch and formants:
    waveform-similarity overlap-add, Hann frames of 30 ms, each placed where it best continues the
    previous one within ±10 ms."""
    x = np.asarray(x, np.float32)
    if len(x) < frame + 2 * search or abs(rate - 1.0) < 1e-3:
        return x
    win = np.hanning(frame).astype(np.float32)
    n_out = int(len(x) / rate)
    n_frames = max(1, (n_out - frame) // hop + 1)
    out = np.zeros(n_frames * hop + frame, np.float32)
    norm = np.zeros_like(out)
    pad = np.concatenate([np.zeros(search, np.float32), x, np.zeros(frame + 2 * search, np.float32)])
    prev = None
    for k in range(n_frames):
        centre = int(k * hop * rate) + search
        if prev is None:
            pos = centre
        else:
            seg = pad[centre - search: centre + search + frame]
            # the natural continuation of the last frame, matched against candidate starts
            corr = np.correlate(seg, prev, mode="valid")
            energy = np.sqrt(np.convolve(seg ** 2, np.ones(frame, np.float32), mode="valid") + 1e-6)
            pos = centre - search + int(np.argmax(corr / energy))
        out[k * hop: k * hop + frame] += pad[pos: pos + frame] * win
        norm[k * hop: k * hop + frame] += win
        prev = pad[pos + hop: pos + hop + frame]
    return (out / np.maximum(norm, 1e-3))[:n_out]


def child_like(x, rng, shift=CHILD_SHIFT, duration=CHILD_DURATION):
    """Adult speech made more child-like: resampling by f raises formants and pitch by f (a shorter
    vocal tract, a higher voice) and shortens it; WSOLA then brings it to a drawn duration relative
    to the original, so the tempo stays or slows as children's does. `rng` is a numpy Generator."""
    f = rng.uniform(*shift)
    d = rng.uniform(*duration)
    y = np.interp(np.arange(int(len(x) / f)) * f, np.arange(len(x)), x).astype(np.float32)
    return wsola(y, 1.0 / (f * d))


def brown(rng, n):
    """Room rumble (ventilation, traffic): integrated white noise, DC removed."""
    b = np.cumsum(rng.standard_normal(n)).astype(np.float32)
    b -= np.convolve(b, np.ones(801, np.float32) / 801, mode="same")
    return b


def normalise(x):
    x = x.astype(np.float32)
    return ((x - x.mean()) / np.sqrt(x.var() + 1e-7)).astype(np.float32)


class Augmenter:
    def __init__(self, clips, rng, babble_clips=None, max_items=6, p_seq=0.5, max_sec=7.0,
                 p_noise=0.8, p_reverb=0.3, p_band=0.35, snr=(5.0, 40.0), p_speed=0.0, speed=SPEED_RANGE,
                 real_share=0.0, p_child=0.0, room_noise=False):
        self.clips = clips
        self.rng = rng
        self.by_voice = {}
        for i, c in enumerate(clips):
            self.by_voice.setdefault(c["voice"], []).append(i)
        # recorded speech is a few thousand clips beside tens of thousands of synthetic ones: it is
        # drawn for a fixed share of the utterances instead of in proportion to its count
        self.real = [i for i, c in enumerate(clips) if c["family"] in RECORDED]
        self.synth = [i for i, c in enumerate(clips) if c["family"] not in RECORDED]
        self.real_share = real_share if self.real and self.synth else 0.0
        self.p_child, self.room_noise = p_child, room_noise
        self.babble = babble_clips if babble_clips is not None else clips
        self.max_items, self.p_seq, self.max_sec = max_items, p_seq, max_sec
        self.p_noise, self.p_reverb, self.p_band, self.snr = p_noise, p_reverb, p_band, snr
        self.p_speed, self.speed = p_speed, speed
        self.filters = []
        for lo in (100, 200, 300, 400):
            for hi in (3000, 3400, 4500, 6000):
                for order in (2, 4):
                    self.filters.append(butter(order, [lo, hi], btype="bandpass", fs=SR, output="sos"))

    def pick(self):
        r = self.rng
        if self.real_share:
            pool = self.real if r.random() < self.real_share else self.synth
            i = pool[r.integers(len(pool))]
        else:
            i = r.integers(len(self.clips))
        idx = [i]
        if r.random() < self.p_seq:
            same = self.by_voice[self.clips[i]["voice"]]
            n = r.integers(2, self.max_items + 1)
            idx += [same[r.integers(len(same))] for _ in range(n - 1)]
        return idx

    def assemble(self, idx, gaps=None, lead=None, trail=None):
        r = self.rng
        parts, words, total = [], [], 0
        # speed perturbation (training): resampling by f moves tempo, pitch and formants together,
        # like a different speaker's vocal tract
        f = r.uniform(*self.speed) if self.p_speed and r.random() < self.p_speed else 1.0
        lead = r.uniform(0.0, 0.8) if lead is None else lead
        parts.append(np.zeros(int(lead * SR), np.float32))
        for k, i in enumerate(idx):
            a = self.clips[i]["audio"].astype(np.float32) * (10 ** (r.uniform(-6, 6) / 20))
            if f != 1.0:
                a = np.interp(np.arange(int(len(a) / f)) * f, np.arange(len(a)), a).astype(np.float32)
            if k:
                g = r.uniform(0.1, 0.9) if gaps is None else gaps[k - 1]
                if total + len(a) + g * SR > self.max_sec * SR:
                    break
                parts.append(np.zeros(int(g * SR), np.float32))
                total += int(g * SR)
            parts.append(a)
            total += len(a)
            words += self.clips[i]["words"]
        trail = r.uniform(0.0, 0.8) if trail is None else trail
        parts.append(np.zeros(int(trail * SR), np.float32))
        return np.concatenate(parts), words

    def pink(self, n):
        r = self.rng
        if not hasattr(self, "_pink_bank"):
            m = 1 << 18  # ~16 s, power of two for a fast FFT
            bank = []
            for _ in range(8):
                spec = np.fft.rfft(r.standard_normal(m))
                f = np.arange(len(spec), dtype=np.float64)
                f[0] = 1
                bank.append(np.fft.irfft(spec / np.sqrt(f), m).astype(np.float32))
            self._pink_bank = bank
        b = self._pink_bank[r.integers(len(self._pink_bank))]
        if n >= len(b):
            b = np.tile(b, n // len(b) + 1)
        s = r.integers(0, len(b) - n + 1)
        return b[s:s + n] * (1.0 if r.random() < 0.5 else -1.0)

    def babble_noise(self, n):
        r = self.rng
        out = np.zeros(n, np.float32)
        for _ in range(r.integers(3, 7)):
            a = self.babble[r.integers(len(self.babble))]["audio"].astype(np.float32)
            a = np.tile(a, int(np.ceil(n / len(a))) + 1)
            s = r.integers(0, len(a) - n + 1)
            out += a[s:s + n] / (a.std() + 1e-3)
        return out

    def corrupt(self, x):
        r = self.rng
        sig_pow = np.mean(x[np.abs(x) > 1e-3] ** 2) if np.any(np.abs(x) > 1e-3) else 1.0
        if r.random() < self.p_reverb:
            rt60 = r.uniform(0.1, 0.7)
            n = int(rt60 * SR)
            t = np.arange(n) / SR
            ir = r.standard_normal(n) * np.exp(-6.9 * t / rt60)
            ir[0] = 1.0 / r.uniform(0.3, 1.0)
            ir = ir / np.sqrt(np.sum(ir ** 2))
            x = fftconvolve(x, ir)[: len(x)].astype(np.float32)
        if r.random() < self.p_band:
            x = sosfilt(self.filters[r.integers(len(self.filters))], x).astype(np.float32)
        if r.random() < self.p_noise:
            kind = r.integers(4 if self.room_noise else 3)
            n = len(x)
            noise = r.standard_normal(n).astype(np.float32) if kind == 0 else (
                self.pink(n) if kind == 1 else self.babble_noise(n) if kind == 2 else brown(r, n))
            snr = r.uniform(*self.snr)
            npow = np.mean(noise ** 2) + 1e-12
            x = x + noise * np.sqrt(sig_pow / npow / (10 ** (snr / 10)))
        else:
            x = x + r.standard_normal(len(x)).astype(np.float32) * np.sqrt(sig_pow) * 1e-4
        return x

    def sample(self):
        idx = self.pick()
        x, words = self.assemble(idx)
        if self.p_child and self.clips[idx[0]]["family"] in RECORDED and self.rng.random() < self.p_child:
            x = child_like(x, self.rng)
        return normalise(self.corrupt(x)), words
