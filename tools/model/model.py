"""letters-ctc model: raw 16 kHz waveform -> log-mel (fixed conv STFT, inside the graph) -> 1-D conv
encoder -> CTC logits at 20 ms frames (stride 320 samples).

Frame count: for N input samples the model returns exactly ceil(N / 320) frames
(STFT: 25 ms Hann window, 10 ms hop, input padded 200 left / 199 right -> ceil(N/160) frames;
then one stride-2 convolution -> ceil(N/320)).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

N_FFT = 400
HOP = 160
N_MELS = 64
SR = 16000


def vtlp_warp(freqs, alpha, sr, f_hi=4800.0):
    """Piecewise-linear vocal-tract-length warp (Jaitly & Hinton 2013): f -> alpha * f up to a knee,
    then a straight line to Nyquist, so the warped axis still ends at sr / 2."""
    nyq = sr / 2
    knee = f_hi * min(alpha, 1.0) / alpha
    upper = nyq - (nyq - f_hi * min(alpha, 1.0)) / (nyq - knee) * (nyq - freqs)
    return torch.where(freqs <= knee, freqs * alpha, upper)


def mel_filterbank(n_freqs, n_mels, sr, fmin=40.0, fmax=7600.0, alpha=1.0):
    def hz2mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    def mel2hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    freqs = torch.linspace(0, sr / 2, n_freqs)
    if alpha != 1.0:  # filter i then collects the energy a speaker with formants x alpha puts in band i
        freqs = vtlp_warp(freqs, alpha, sr)
    mpts = torch.linspace(hz2mel(fmin), hz2mel(fmax), n_mels + 2)
    hz = torch.tensor([mel2hz(float(m)) for m in mpts])
    fb = torch.zeros(n_freqs, n_mels)
    for i in range(n_mels):
        lo, c, hi = hz[i], hz[i + 1], hz[i + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[:, i] = torch.clamp(torch.minimum(up, down), min=0.0)
    return fb


class LogMel(nn.Module):
    def __init__(self):
        super().__init__()
        n_freqs = N_FFT // 2 + 1
        n = torch.arange(N_FFT, dtype=torch.float64)
        win = 0.5 - 0.5 * torch.cos(2 * math.pi * n / N_FFT)  # periodic Hann
        self.n_freqs = n_freqs
        # the [N_FFT, 2F] windowed DFT matrix, from 400-entry tables so that export.py can put it in
        # the graph as a few ops (stored whole in float64 it was 1.3 MB of the 5 MB ONNX limit)
        self.register_buffer("cos64", torch.cos(2 * math.pi * n / N_FFT), persistent=False)
        self.register_buffer("sin64", torch.sin(2 * math.pi * n / N_FFT), persistent=False)
        self.register_buffer("win64", win, persistent=False)
        self.register_buffer("dft64", self._dft64(), persistent=False)
        self.register_buffer("stft_kernel", self.dft64.t().float()[:, None, :])  # [2F, 1, N_FFT]
        fb = mel_filterbank(n_freqs, N_MELS, SR)  # [F, M]
        self.register_buffer("mel_fb", fb.t().contiguous()[:, :, None])
        self.register_buffer("mel64", fb.double(), persistent=False)
        # precise=True (export/eval): exact framing + float64 DFT/mel/log, so onnxruntime and PyTorch
        # agree to ~1e-6 (float32 DFT sums lose ~1e-4 relative precision in quiet frames).
        # precise=False (training): the same maths as one float32 Conv1d, faster.
        self.precise = False
        # vtlp = (low, high, p) (training only, set by train.py's VTLP): with probability p an
        # utterance's filterbank is warped by a factor drawn from [low, high] - formants move, tempo
        # and pitch do not (speed perturbation moves all three together)
        self.vtlp = None
        self._vtlp_banks = (None, None)  # (the (low, high) they were built for, [K, M, F] filterbanks)

    def _mel(self, power):
        if not (self.training and self.vtlp):
            return F.conv1d(power, self.mel_fb)
        lo, hi, p = self.vtlp
        if self._vtlp_banks[0] != (lo, hi):
            self._vtlp_banks = ((lo, hi), torch.stack([mel_filterbank(self.n_freqs, N_MELS, SR, alpha=float(a)).t()
                                                       for a in torch.linspace(lo, hi, 21)]))
        banks = self._vtlp_banks[1]
        B = power.shape[0]
        fb = banks[torch.randint(0, len(banks), (B,))]
        plain = torch.rand(B) >= p
        fb[plain] = self.mel_fb[:, :, 0]
        return torch.bmm(fb, power)  # [B, M, T]

    def forward(self, wav):  # wav [B, N]
        if self.precise:
            return self._forward_precise(wav)
        x = F.pad(wav[:, None, :], (200, 199))
        spec = F.conv1d(x, self.stft_kernel, stride=HOP)  # [B, 2F, T]
        re, im = spec[:, : self.n_freqs], spec[:, self.n_freqs:]
        power = re * re + im * im
        mel = self._mel(power)  # [B, M, T]
        return torch.log(mel + 1e-6)

    def _dft64(self):
        """[N_FFT, 2F] windowed DFT matrix (cos | -sin), exact in float64: entry (n, k) is
        table[(k * n) mod N_FFT] * window[n], the gathers and products export.py writes into the
        graph in place of the constant, so onnxruntime builds the same matrix."""
        n = torch.arange(N_FFT)
        idx = (torch.arange(self.n_freqs)[:, None] * n[None, :]) % N_FFT  # [F, N_FFT]
        re = self.cos64[idx] * self.win64
        im = -self.sin64[idx] * self.win64
        return torch.cat([re, im], 0).t()

    def _forward_precise(self, wav):
        n = wav.shape[1]
        t = (n + 159) // 160  # frames = ceil(N / 160)
        x = F.pad(wav, (200, 199 + 160))
        n80 = (n + 559) // 80
        blocks = x[:, : n80 * 80].reshape(x.shape[0], -1, 80)  # [B, n80, 80]
        # frame k = blocks 2k .. 2k+4 (window 400 = 5 blocks, hop 160 = 2 blocks): exact copies
        frames = torch.cat([blocks[:, j: j + 2 * t - 1: 2] for j in range(5)], dim=2)  # [B, T, 400]
        spec = torch.matmul(frames.double(), self.dft64)  # [B, T, 2F]
        re, im = spec[..., : self.n_freqs], spec[..., self.n_freqs:]
        mel = torch.matmul(re * re + im * im, self.mel64)  # [B, T, M]
        return torch.log(mel + 1e-6).float().transpose(1, 2)


class Block(nn.Module):
    def __init__(self, c, k, drop):
        super().__init__()
        self.dw = nn.Conv1d(c, c, k, padding=k // 2, groups=c, bias=False)
        self.bn1 = nn.BatchNorm1d(c)
        self.pw = nn.Conv1d(c, c, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(c)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        y = F.relu(self.bn1(self.dw(x)))
        y = F.relu(self.bn2(self.pw(y)))
        return x + self.drop(y)


class LettersCTC(nn.Module):
    def __init__(self, vocab=38, channels=256, blocks=8, kernel=9, drop=0.1):
        super().__init__()
        self.frontend = LogMel()
        self.in_norm = nn.BatchNorm1d(N_MELS)
        self.conv0 = nn.Conv1d(N_MELS, channels, 5, stride=2, padding=2, bias=False)
        self.bn0 = nn.BatchNorm1d(channels)
        self.blocks = nn.Sequential(*[Block(channels, kernel, drop) for _ in range(blocks)])
        self.head = nn.Conv1d(channels, vocab, 1)
        self.spec_augment = False

    def _mask(self, x):
        # SpecAugment-style masking on normalised log-mel (training only)
        B, M, T = x.shape
        for b in range(B):
            for _ in range(2):
                w = int(torch.randint(0, 9, (1,)))
                f0 = int(torch.randint(0, max(1, M - w), (1,)))
                x[b, f0:f0 + w, :] = 0
            for _ in range(max(1, T // 60)):
                w = int(torch.randint(0, 6, (1,)))
                t0 = int(torch.randint(0, max(1, T - w), (1,)))
                x[b, :, t0:t0 + w] = 0
        return x

    def encode(self, wav):
        """Log-mel, (training) masking, the stride-2 stem and the residual blocks: [B, C, T]."""
        with torch.no_grad():
            feats = self.frontend(wav)
        x = self.in_norm(feats)
        if self.training and self.spec_augment:
            x = self._mask(x.clone())
        x = F.relu(self.bn0(self.conv0(x)))
        return self.blocks(x)

    def forward(self, wav):
        return self.head(self.encode(wav)).transpose(1, 2)  # [B, T, V]


class LettersCRNN(LettersCTC):
    """Log-mel -> the same stride-2 stem -> one separable conv block -> 2-layer BiGRU -> linear head
    (`ARCH=crnn`). Tried as an alternative: at equal wall-clock time it learned no faster than the
    convolutional stack here and costs about 2.5x as much per second of audio."""

    arch = "crnn"

    def __init__(self, vocab=38, channels=192, hidden=128, layers=2, drop=0.1):
        nn.Module.__init__(self)
        self.frontend = LogMel()
        self.in_norm = nn.BatchNorm1d(N_MELS)
        self.conv0 = nn.Conv1d(N_MELS, channels, 5, stride=2, padding=2, bias=False)
        self.bn0 = nn.BatchNorm1d(channels)
        self.blocks = nn.Sequential(Block(channels, 5, drop))
        self.rnn = nn.GRU(channels, hidden, num_layers=layers, batch_first=True, bidirectional=True,
                          dropout=drop)
        self.head = nn.Linear(2 * hidden, vocab)
        self.spec_augment = False

    def forward(self, wav):
        y, _ = self.rnn(self.encode(wav).transpose(1, 2))
        return self.head(y)  # [B, T, V]


def count_blocks(state):
    """Residual blocks in a conv-encoder state dict (0 for the crnn one)."""
    return len([k for k in state if k.startswith("blocks.") and k.endswith(".dw.weight")])


def build(arch="conv", blocks=10):
    return LettersCRNN() if arch == "crnn" else LettersCTC(blocks=blocks)


def n_frames(n_samples):
    return (n_samples + 319) // 320


def _fold(conv, bn):
    """Conv1d followed by eval-mode BatchNorm1d -> one Conv1d with bias (folded in float64)."""
    w = conv.weight.detach().double()
    b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
    new = nn.Conv1d(conv.in_channels, conv.out_channels, conv.kernel_size[0], stride=conv.stride[0],
                    padding=conv.padding[0], groups=conv.groups, bias=True)
    new.weight.data = (w * scale[:, None, None]).float()
    new.bias.data = ((b - bn.running_mean.double()) * scale + bn.bias.detach().double()).float()
    return new


def fuse_for_inference(model):
    """Returns an eval-mode copy with conv+BN folded, so PyTorch and onnxruntime run the same weights."""
    import copy
    m = copy.deepcopy(model).eval()
    if isinstance(m.bn0, nn.Identity):  # already fused
        return m
    m.conv0 = _fold(m.conv0, m.bn0)
    m.bn0 = nn.Identity()
    for blk in m.blocks:
        blk.dw = _fold(blk.dw, blk.bn1)
        blk.bn1 = nn.Identity()
        blk.pw = _fold(blk.pw, blk.bn2)
        blk.bn2 = nn.Identity()
    return m
