"""letters-ctc model: raw 16 kHz waveform -> log-mel (fixed STFT, inside the graph) -> 1-D conv
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
# The exported front end's FFT reads a frame as FFT_COLUMN x (N_FFT / FFT_COLUMN) samples
# (`fft_tables`); FFT_COLUMN must divide HOP. Front end alone in onnxruntime-node, 10 x 11 s, one
# thread: 16 x 25 took 63 ms, 8 x 50 64, 10 x 40 66, 20 x 20 68 (the dense float64 DFT: 221).
FFT_COLUMN = 16
# the exported front end: "conv32" (the two-stage FFT in float32, stage 1 as one grouped Conv read
# straight from the waveform: no frame copies, no casts), "fft" (1.6.1's float64 two-stage FFT) or
# "dense64" (1.6.0's float64 DFT matmul)
PRECISE_DFTS = ("conv32", "fft", "dense64")


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


def fft_tables(column=FFT_COLUMN):
    """The constants of `LogMel._forward_fft`, in float64: a 400-point DFT of real frames as two
    small matrix products (Cooley-Tukey, 400 = P x Q with P = `column`).

    Frame sample n = p + P q (p < P: place in a column of P consecutive samples, q < Q: column).
    Stage 1, one matrix per p, over the Q samples x[p + P q] with the Hann window and the twiddle
    folded in: A[p, j] = sum_q w[n] x[n] e^{-2 pi i j n / 400}, only j = 0 .. Q/2 (real input).
    Stage 2, one matrix for all j, a P-point DFT over p: X[j + Q i] = sum_p e^{-2 pi i p i / P} A[p, j]
    (i < P). The bins j + Q i with j <= Q/2 together with X[400 - k] = conj(X[k]) give every power
    |X[k]|^2, k = 0 .. 200, exactly once, so the mel matrix reads each from where it lands.

    Returns (stage1 [P, 2H, Q] rows (re | im) x j, stage2 [2P, 2P] (re | im) x i by p x (re, im),
    mel [N_MELS, P * H] over powers (i, j)), H = Q // 2 + 1."""
    P = column
    Q = N_FFT // P
    if N_FFT % P or HOP % P:
        raise ValueError(f"FFT column {P} must divide both N_FFT {N_FFT} and HOP {HOP}")
    H = Q // 2 + 1
    n = torch.arange(N_FFT)
    win = 0.5 - 0.5 * torch.cos(2 * math.pi * n.double() / N_FFT)  # periodic Hann, as LogMel
    p, j, q = torch.arange(P)[:, None, None], torch.arange(H)[None, :, None], torch.arange(Q)[None, None, :]
    idx = p + P * q  # [P, 1, Q]: frame sample n
    ang = 2 * math.pi * ((j * idx) % N_FFT).double() / N_FFT  # exact angles: (j n) mod 400 in integers
    stage1 = torch.cat([torch.cos(ang) * win[idx], -torch.sin(ang) * win[idx]], 1)  # [P, 2H, Q]
    a2 = 2 * math.pi * ((torch.arange(P)[:, None] * torch.arange(P)[None, :]) % P).double() / P  # [i, p]
    c, s = torch.cos(a2), torch.sin(a2)
    stage2 = torch.zeros(2, P, P, 2, dtype=torch.float64)  # (re | im of X) x i x p x (re, im of A)
    stage2[0, :, :, 0], stage2[0, :, :, 1] = c, s  # Re X = sum cos Re A + sin Im A
    stage2[1, :, :, 0], stage2[1, :, :, 1] = -s, c  # Im X = sum cos Im A - sin Re A
    fb = mel_filterbank(N_FFT // 2 + 1, N_MELS, SR)  # [F, M]
    mel = torch.zeros(P, H, N_MELS)
    srcs = [k if k % Q < H else N_FFT - k for k in range(N_FFT // 2 + 1)]  # |X[k]| = |X[400 - k]|
    assert len(set(srcs)) == len(srcs)
    for k, src in enumerate(srcs):
        mel[src // Q, src % Q] = fb[k]
    return stage1, stage2.reshape(2 * P, 2 * P), mel.reshape(P * H, N_MELS).t().contiguous()


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
        stage1, stage2, fft_mel = fft_tables()
        self.fft_shape = (stage1.shape[0], stage1.shape[2])  # (P, Q) as Python ints: the trace keeps them constant
        self.register_buffer("fft_stage1", stage1, persistent=False)
        self.register_buffer("fft_stage2", stage2, persistent=False)
        self.register_buffer("fft_mel", fft_mel, persistent=False)
        # conv32: stage 1 as grouped Conv1d weights [P * 2H, 1, Q] (group p = column place p)
        self.register_buffer("conv32_stage1", stage1.reshape(-1, 1, stage1.shape[2]).float(), persistent=False)
        self.register_buffer("conv32_stage2", stage2.float(), persistent=False)
        self.register_buffer("conv32_mel", fft_mel.float(), persistent=False)
        # precise=True (export/eval): exact framing and a float64 DFT, so that onnxruntime and PyTorch
        # agree to ~1e-6 in the features: a float32 DFT loses ~1e-4 in the log-mel of bands far
        # below the frame's loudest (cancellation), up to 2.7e-4 in the logits of the examples.
        # precise_dft picks the float64 DFT: "fft" (`_forward_fft`, what export.py writes unless
        # FRONTEND=dense64) or "dense64" (`_forward_dense64`, 1.6.0's); their features agree to 1e-6.
        # precise=False (training): the same maths as one float32 Conv1d, faster.
        self.precise = False
        self.precise_dft = "fft"
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
            if self.precise_dft not in PRECISE_DFTS:
                raise ValueError(f"precise_dft must be one of {PRECISE_DFTS}, got {self.precise_dft!r}")
            if self.precise_dft == "conv32":
                return self._forward_conv32(wav)
            return self._forward_fft(wav) if self.precise_dft == "fft" else self._forward_dense64(wav)
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

    def _forward_dense64(self, wav):
        """1.6.0's exported front end: one dense [400, 402] float64 DFT matmul per frame."""
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
        # float64 input (check_onnx.py's all-float64 reference) keeps float64 features
        return torch.log(mel + 1e-6).to(torch.float64 if wav.dtype == torch.float64 else torch.float32).transpose(1, 2)

    def _forward_fft(self, wav):
        """The exported front end: frames laid out time-last as [B, P, Q, T] straight from the
        padded waveform, the two float64 stages of `fft_tables` as batched matmuls (a seventh of
        the dense DFT's arithmetic), then power, mel and log in float32 (sums of positive terms:
        no cancellation, relative error ~1e-7). Features within 1e-6 of `_forward_dense64`."""
        P, Q = self.fft_shape
        hop = HOP // P  # columns per hop
        b, n = wav.shape
        t = (n + 159) // 160  # frames = ceil(N / 160)
        # frame k covers padded samples 160 k .. 160 k + 399, inside 160 (t + 2) for any k < t
        x = F.pad(wav, (200, 280))[:, : 160 * (t + 2)]
        # padded sample 160 s + P r + p -> v[:, p, r, s]; frame k's column q = hop u + r is v[:, :, r, k + u].
        # Two transposes that each move one axis: onnxruntime runs those as fast 2-D transposes
        # (2.5 ms vs 5.3 ms for the one 4-D permutation, 10 x 11 s)
        v = x.reshape(b, -1, P).transpose(1, 2).reshape(b, P, -1, hop).transpose(2, 3)  # [B, P, hop, t + 2]
        parts = [v[:, :, : min(hop, Q - hop * u), u: u + t] for u in range(-(-Q // hop))]
        frames = torch.cat(parts, dim=2).double()  # [B, P, Q, T]: exact copies of the samples
        a = torch.matmul(self.fft_stage1, frames)  # [B, P, 2H, T]
        y = torch.matmul(self.fft_stage2, a.reshape(b, 2 * P, -1)).float()  # [B, 2P, H T]
        re, im = y[:, :P], y[:, P:]
        mel = torch.matmul(self.fft_mel, (re * re + im * im).reshape(b, self.fft_mel.shape[1], -1))  # [B, M, T]
        return torch.log(mel + 1e-6)


    def _forward_conv32(self, wav):
        """The exported front end from 1.6.2: `_forward_fft`'s two stages in float32 with no frame
        copies. The padded waveform is read as [B, P, C] (column place p, column c: sample 16 c + p);
        frame k's column q is column 10 k + q, so stage 1 is one Conv1d with P groups, kernel Q and
        stride HOP / P over the waveform itself, and stage 2, power, mel and log follow as in
        `_forward_fft`. Error against the float64 reference: check_onnx.py (features and logits)."""
        P, Q = self.fft_shape
        b, n = wav.shape
        t = (n + 159) // 160  # frames = ceil(N / 160)
        x = F.pad(wav.float(), (200, 280))[:, : 160 * (t + 2)]
        v = x.reshape(b, -1, P).transpose(1, 2)  # [B, P, 10 (t + 2)]
        a = F.conv1d(v, self.conv32_stage1, stride=HOP // P, groups=P)  # [B, P * 2H, T]
        y = torch.matmul(self.conv32_stage2, a.reshape(b, 2 * P, -1))  # [B, 2P, H T]
        re, im = y[:, :P], y[:, P:]
        mel = torch.matmul(self.conv32_mel, (re * re + im * im).reshape(b, self.conv32_mel.shape[1], -1))
        return torch.log(mel + 1e-6)


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
