"""Export a tiny, randomly initialised CTC model shaped like wav2vec2 with an espeak-IPA vocabulary.

    /usr/bin/python3 tools/model/wav2vec2_shape.py [out-dir]   # default: test/fixtures/wav2vec2-shape/

It is a test fixture, not a recogniser: its weights are random (seeded), so its verdicts mean
nothing. What it has is the shape of a Hugging Face `Wav2Vec2ForCTC` phoneme model exported the way
docs/models.md describes: the raw waveform in, the conv feature encoder (7 layers, strides
5,2,2,2,2,2,2: 320 samples per frame, group norm on the first layer, GELU), a feature projection,
a transformer encoder with a convolutional positional embedding (post-layer-norm, as in
wav2vec2-base), a linear CTC head over espeak-style IPA tokens (multi-character ones such as `eɪ`
and `tʃ`, and some the catalog alphabet lacks), and a manifest whose `tokenMap` maps those tokens
onto the catalog alphabet. Widths are cut down (32 conv channels, d=64, 2 layers) to keep it well
under a megabyte. ONNX opset 14 with dynamic batch and length; the output is checked against
onnxruntime-node when `node` and the repository's node_modules are there.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import torch
from torch import nn

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(REPO, "test", "fixtures", "wav2vec2-shape")
SEED = 23
OPSET = 14

# An espeak-ng IPA phone set as wav2vec2 phoneme models write it (the HF tokenizer's special tokens
# first, `|` the word delimiter). Multi-character tokens are one class each.
VOCAB = [
    "<pad>", "<s>", "</s>", "<unk>", "|",
    "ə", "ʌ", "æ", "ɑː", "ɔː", "ɛ", "eɪ", "aɪ", "aʊ", "oʊ", "ɪ", "iː", "ʊ", "uː", "ɜː", "ɚ",
    "b", "d", "f", "ɡ", "h", "j", "k", "l", "m", "n", "ŋ", "p", "ɹ", "s", "ʃ", "t", "θ", "ð", "v",
    "w", "z", "ʒ", "tʃ", "dʒ", "ʔ",
]
# Onto the catalog alphabet (domain brief §3: a=eɪ, i=iː, j=dʒ, o=oʊ, u=uː, x=tʃ, y=j, γ=aɪ,
# ʌ=ʌ/ə, ɝ=ɝ/ɚ). Catalog symbols the model writes the same way (b, d, æ, ...) need no entry; `<s>`,
# `</s>`, `<unk>`, `aʊ`, `ŋ` and `ʔ` have no catalog symbol and stay as they are (reported unparsed).
TOKEN_MAP = {
    "ə": "ʌ", "ʌ": "ʌ", "ɑː": "ɑ", "ɔː": "ɔ", "eɪ": "a", "aɪ": "γ", "oʊ": "o", "iː": "i", "uː": "u",
    "ɜː": "ɝ", "ɚ": "ɝ", "ɡ": "g", "j": "y", "dʒ": "j", "tʃ": "x",
}

CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)
CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)  # product 320: one frame per 20 ms at 16 kHz
CONV_DIM = 32
HIDDEN = 64
HEADS = 4
FFN = 128
LAYERS = 2
POS_KERNEL = 128
POS_GROUPS = 16


class FeatureEncoder(nn.Module):
    """wav2vec2's conv feature encoder (`feat_extract_norm="group"`): no conv biases, a GroupNorm
    with one group per channel after the first conv, GELU after each."""

    def __init__(self):
        super().__init__()
        dims = [1] + [CONV_DIM] * len(CONV_KERNELS)
        self.convs = nn.ModuleList(nn.Conv1d(dims[i], dims[i + 1], k, stride=s, bias=False)
                                   for i, (k, s) in enumerate(zip(CONV_KERNELS, CONV_STRIDES)))
        self.norm = nn.GroupNorm(CONV_DIM, CONV_DIM)

    def forward(self, x):  # [B, 1, samples] -> [B, C, frames]
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 0:
                x = self.norm(x)
            x = nn.functional.gelu(x)
        return x


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.out = (nn.Linear(HIDDEN, HIDDEN) for _ in range(4))

    def forward(self, x):  # [B, T, D]
        b = x.shape[0]
        split = lambda y: y.reshape(b, -1, HEADS, HIDDEN // HEADS).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        w = torch.softmax(q @ k.transpose(-1, -2) * (HIDDEN // HEADS) ** -0.5, dim=-1)
        return self.out((w @ v).transpose(1, 2).reshape(b, -1, HIDDEN))


class EncoderLayer(nn.Module):
    """wav2vec2-base's post-layer-norm block."""

    def __init__(self):
        super().__init__()
        self.attention = SelfAttention()
        self.norm1 = nn.LayerNorm(HIDDEN)
        self.ffn = nn.Sequential(nn.Linear(HIDDEN, FFN), nn.GELU(), nn.Linear(FFN, HIDDEN))
        self.norm2 = nn.LayerNorm(HIDDEN)

    def forward(self, x):
        x = self.norm1(x + self.attention(x))
        return self.norm2(x + self.ffn(x))


class Wav2Vec2Shape(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = FeatureEncoder()
        self.projection = nn.Sequential(nn.LayerNorm(CONV_DIM), nn.Linear(CONV_DIM, HIDDEN))
        # Positional conv embedding; wav2vec2 wraps it in weight norm, which folds into the weight.
        self.pos_conv = nn.Conv1d(HIDDEN, HIDDEN, POS_KERNEL, padding=POS_KERNEL // 2, groups=POS_GROUPS)
        self.norm = nn.LayerNorm(HIDDEN)
        self.layers = nn.ModuleList(EncoderLayer() for _ in range(LAYERS))
        self.head = nn.Linear(HIDDEN, len(VOCAB))

    def forward(self, waveform):  # [B, samples] -> logits [B, frames, vocab]
        x = self.features(waveform.unsqueeze(1)).transpose(1, 2)
        x = self.projection(x)
        pos = self.pos_conv(x.transpose(1, 2))[:, :, :-1]  # even kernel: drop the extra frame (SamePad)
        x = self.norm(x + nn.functional.gelu(pos).transpose(1, 2))
        for layer in self.layers:
            x = layer(x)
        return self.head(x)


def build():
    torch.manual_seed(SEED)
    model = Wav2Vec2Shape().eval()
    with torch.no_grad():
        # Sharper than the default init, so that the argmax moves between tokens from frame to frame.
        model.head.weight.mul_(4.0)
    return model


def export(model, path):
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(2, 16000), path, opset_version=OPSET, input_names=["waveform"],
                          output_names=["logits"], do_constant_folding=True,
                          dynamic_axes={"waveform": {0: "batch", 1: "samples"}, "logits": {0: "batch", 1: "frames"}})


def check_with_onnxruntime(model, path):
    """Runs a batch of a length the export never saw through onnxruntime-node and compares it with
    PyTorch (skipped when node or the repository's node_modules are missing)."""
    if not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        print("onnxruntime-node not installed: output not checked")
        return
    torch.manual_seed(SEED + 1)
    wave = torch.randn(3, 27_777)
    with torch.no_grad():
        want = model(wave)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
        wave.numpy().astype("float32").tofile(src)
        cmd = ["node", os.path.join(REPO, "tools", "model", "verify_ort.cjs"), path, src, "3", str(wave.shape[1]), dst]
        dims = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout)["dims"]
        got = torch.from_numpy(__import__("numpy").fromfile(dst, dtype="float32")).reshape(*dims)
    if list(got.shape) != list(want.shape):
        raise SystemExit(f"onnxruntime output shape {list(got.shape)} != PyTorch {list(want.shape)}")
    diff = (got - want).abs().max().item()
    if diff > 1e-3:
        raise SystemExit(f"onnxruntime and PyTorch differ by {diff}")
    print(f"onnxruntime-node matches PyTorch on [3, {wave.shape[1]}] -> {dims} (max |diff| {diff:.2e})")


def write_manifest(out_dir, sha):
    manifest = {
        "format": "readscore-model/1",
        "name": "wav2vec2-shape",
        "version": "0.0.1",
        "sha256": sha,
        "sampleRate": 16000,
        "input": {"name": "waveform"},
        "output": {"name": "logits"},
        "vocabulary": VOCAB,
        "blank": "<pad>",
        "separator": "|",
        "frameStride": 320,
        "normalization": "zero-mean-unit-variance",
        "tokenMap": TOKEN_MAP,
        "description": ("Test fixture made by tools/model/wav2vec2_shape.py: a randomly initialised "
                        "(seed 23) wav2vec2-shaped CTC model (conv feature encoder, 2-layer transformer "
                        "with positional conv, espeak-IPA vocabulary mapped onto the catalog by tokenMap). "
                        "Untrained: its verdicts mean nothing."),
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write("\n")


def main():
    out_dir = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR
    os.makedirs(out_dir, exist_ok=True)
    unknown = sorted(set(TOKEN_MAP) - set(VOCAB))
    if unknown:
        raise SystemExit(f"TOKEN_MAP maps tokens that are not in VOCAB: {unknown}")
    model = build()
    path = os.path.join(out_dir, "model.onnx")
    export(model, path)
    check_with_onnxruntime(model, path)
    with open(path, "rb") as f:
        data = f.read()
    write_manifest(out_dir, hashlib.sha256(data).hexdigest())
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {os.path.relpath(out_dir, REPO)}/: {params} parameters, model.onnx {len(data) / 1024:.0f} KiB, "
          f"{len(VOCAB)} tokens -> {len(set(TOKEN_MAP.get(t, t) for t in VOCAB))} after the token map")


if __name__ == "__main__":
    main()
