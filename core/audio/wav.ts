/**
 * WAV (RIFF/WAVE) reader: PCM 8/16/24/32-bit integer, 32/64-bit IEEE float, WAVE_FORMAT_EXTENSIBLE,
 * any channel count (downmixed to mono), any sample rate. Anything else is an AudioDecodeError.
 */
import { AudioDecodeError, AudioErrorCode } from '../errors';
import { resample, resamplePcm16 } from './resample';

/** Decoded mono audio. */
export interface DecodedAudio {
  /** Mono samples scaled to [-1, 1]. */
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** Channels in the file (before the downmix). */
  readonly channels: number;
  /** e.g. `pcm16`, `float32`. */
  readonly encoding: string;
}

/** Limits applied while reading. */
export interface WavReadOptions {
  /** Longest accepted duration in seconds (checked from the header before decoding). Default 600. */
  maxDurationSec?: number;
}

/** Default duration limit of one audio file, seconds. */
export const DEFAULT_MAX_AUDIO_SEC = 600;

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'µ-law',
  17: 'IMA ADPCM',
  49: 'GSM 6.10',
  80: 'MPEG',
  85: 'MP3',
  255: 'AAC',
  5648: 'HE-AAC',
  26447: 'Ogg Vorbis',
  61868: 'FLAC',
};

/** What a WAV header says, checked; the data itself is not read. */
export interface WavHeader {
  readonly sampleRate: number;
  readonly channels: number;
  /** e.g. `pcm16`, `float32`. */
  readonly encoding: string;
  /** Sample frames in the data chunk. */
  readonly frames: number;
  /** Duration, seconds. */
  readonly seconds: number;
  /** Byte offset of the first sample. */
  readonly dataStart: number;
  readonly isFloat: boolean;
  readonly bits: number;
}

/**
 * Largest magnitude accepted for an IEEE-float sample. Full scale is ±1; a few dB over it happens in
 * processed audio, but ±3.4e38 (or int16-range floats) is not a recording: it overflows the
 * resampler and, through the neighbour padding, drowns the next phrase's normalisation.
 */
export const MAX_FLOAT_SAMPLE = 16;

/**
 * Parses and checks a WAV header (format, rate, layout, duration limit) without touching the
 * samples: a 2-hour file is refused at the cost of its first bytes. `name` appears in every error.
 *
 * @example
 * const { seconds } = readWavHeader(bytes, 'p0.wav');
 */
export function readWavHeader(bytes: Uint8Array, name: string, options: WavReadOptions = {}): WavHeader {
  const fail = (code: AudioErrorCode, message: string): never => {
    throw new AudioDecodeError(code, name, message);
  };
  if (bytes.length === 0) fail(AudioErrorCode.Empty, 'file is empty (0 bytes)');
  const ascii = (at: number) => String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
  if (bytes.length < 12) {
    if (ascii(0).startsWith('RIFF'.slice(0, Math.min(4, bytes.length)))) fail(AudioErrorCode.Truncated, `RIFF header truncated (${bytes.length} bytes)`);
    fail(AudioErrorCode.NotWav, 'not a WAV file (no RIFF/WAVE header)');
  }
  const head = ascii(0);
  if (head === 'RF64' || head === 'RIFX') fail(AudioErrorCode.UnsupportedFormat, `${head} WAV variant is not supported; convert to RIFF little-endian`);
  if (head !== 'RIFF' || ascii(8) !== 'WAVE') {
    const hint =
      head.startsWith('ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)
        ? ' (looks like MP3)'
        : head === 'OggS'
          ? ' (looks like Ogg)'
          : head === 'fLaC'
            ? ' (looks like FLAC)'
            : '';
    fail(AudioErrorCode.NotWav, `not a WAV file (no RIFF/WAVE header)${hint}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let fmt: { format: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined;
  let dataStart = -1;
  let dataBytes = 0;
  while (offset + 8 <= bytes.length) {
    const id = ascii(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) fail(AudioErrorCode.Truncated, 'fmt chunk truncated');
      let format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const rate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (format === FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 40 > bytes.length) fail(AudioErrorCode.Truncated, 'WAVE_FORMAT_EXTENSIBLE fmt chunk truncated');
        // The sub-format GUID starts with the format code.
        format = view.getUint16(body + 24, true);
      }
      fmt = { format, channels, rate, blockAlign, bits };
    } else if (id === 'data') {
      dataStart = body;
      const available = bytes.length - body;
      // Streaming writers leave 0 or 0xFFFFFFFF when the length was unknown: read to the end.
      dataBytes = size === 0xffffffff || (size === 0 && available > 0) ? available : size;
      if (dataBytes > available) fail(AudioErrorCode.Truncated, `data chunk truncated: header says ${size} bytes, file has ${available}`);
      break;
    }
    offset = body + size + (size & 1);
  }
  if (!fmt) fail(AudioErrorCode.Truncated, 'no fmt chunk before the end of the file (truncated header?)');
  const f = fmt as NonNullable<typeof fmt>;
  if (dataStart < 0) fail(AudioErrorCode.Truncated, 'no data chunk (truncated file?)');
  if (f.format !== FORMAT_PCM && f.format !== FORMAT_FLOAT) {
    const label = FORMAT_NAMES[f.format] ?? `format code 0x${f.format.toString(16).padStart(4, '0')}`;
    fail(AudioErrorCode.UnsupportedFormat, `unsupported codec ${label}; ReadScore reads PCM integer and IEEE float WAV`);
  }
  if (f.channels < 1) fail(AudioErrorCode.UnsupportedFormat, 'fmt chunk declares 0 channels');
  if (f.rate < 1000 || f.rate > 384000) fail(AudioErrorCode.UnsupportedFormat, `sample rate ${f.rate} Hz is outside 1000–384000 Hz`);
  const validBits = f.format === FORMAT_FLOAT ? [32, 64] : [8, 16, 24, 32];
  if (!validBits.includes(f.bits)) {
    fail(AudioErrorCode.UnsupportedFormat, `${f.bits}-bit ${f.format === FORMAT_FLOAT ? 'float' : 'PCM'} is not supported`);
  }
  const bytesPerSample = f.bits / 8;
  const frameBytes = bytesPerSample * f.channels;
  if (f.blockAlign !== frameBytes) fail(AudioErrorCode.UnsupportedFormat, `block align ${f.blockAlign} does not match ${f.channels} channel(s) of ${f.bits}-bit samples`);
  const frames = Math.floor(dataBytes / frameBytes);
  if (dataBytes % frameBytes !== 0) fail(AudioErrorCode.Truncated, `data chunk ends inside a sample frame (${dataBytes} bytes is not a multiple of ${frameBytes})`);
  if (frames === 0) fail(AudioErrorCode.Empty, 'zero-length audio (data chunk has no samples)');
  const maxSec = options.maxDurationSec ?? DEFAULT_MAX_AUDIO_SEC;
  const seconds = frames / f.rate;
  if (seconds > maxSec) fail(AudioErrorCode.TooLong, `audio is ${seconds.toFixed(1)} s long; the limit is ${maxSec} s`);
  const isFloat = f.format === FORMAT_FLOAT;
  return { sampleRate: f.rate, channels: f.channels, encoding: `${isFloat ? 'float' : 'pcm'}${f.bits}`, frames, seconds, dataStart, isFloat, bits: f.bits };
}

/**
 * Parses a WAV file held in memory: the header first ({@link readWavHeader}), then the samples.
 * `name` (the file or object key) appears in every error.
 *
 * @example
 * const audio = readWav(await readFile('p0.wav'), 'p0.wav');
 */
export function readWav(bytes: Uint8Array, name: string, options: WavReadOptions = {}): DecodedAudio {
  return decodeWav(bytes, readWavHeader(bytes, name, options), name);
}

/** Decodes the samples of a WAV whose header {@link readWavHeader} has already checked. */
export function decodeWav(bytes: Uint8Array, header: WavHeader, name: string): DecodedAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { sampleRate, channels, encoding, frames, dataStart, isFloat, bits } = header;
  const samples = decodeMono(view, dataStart, frames, channels, isFloat, bits);
  // Integer PCM is always within [-1, 1]; float data may hold NaN/Inf or absurd magnitudes.
  for (let i = 0; isFloat && i < samples.length; i++) {
    const x = samples[i] as number;
    // Comparisons only (NaN fails both): the loop runs over every sample of every float file.
    if (x >= -MAX_FLOAT_SAMPLE && x <= MAX_FLOAT_SAMPLE) continue;
    const at = `sample ${i} (${(i / sampleRate).toFixed(3)} s)`;
    const message = Number.isFinite(x)
      ? `${at} is ${x.toPrecision(3)}: float samples beyond ±${MAX_FLOAT_SAMPLE} are not audio (full scale is ±1)`
      : `${at} is ${x}: NaN/Inf samples are not audio`;
    throw new AudioDecodeError(AudioErrorCode.InvalidSamples, name, message);
  }
  return { samples, sampleRate, channels, encoding };
}

/**
 * The samples of a WAV whose header {@link readWavHeader} has checked, at `rate` Hz: mono PCM16
 * goes straight into the native resampler (no float copy of the file's rate), anything else is
 * decoded ({@link decodeWav}) and then resampled. Same samples either way.
 */
export function decodeWavAt(bytes: Uint8Array, header: WavHeader, name: string, rate: number): Float32Array {
  if (header.channels === 1 && header.bits === 16 && !header.isFloat && header.sampleRate !== rate) {
    const fused = resamplePcm16(pcm16View(bytes, header), header.sampleRate, rate);
    if (fused) return fused;
  }
  return resample(decodeWav(bytes, header, name).samples, header.sampleRate, rate);
}

/** The data chunk of a mono PCM16 WAV as an Int16Array (a copy only where it is misaligned). */
function pcm16View(bytes: Uint8Array, header: WavHeader): Int16Array {
  const offset = bytes.byteOffset + header.dataStart;
  if (offset % 2 === 0) return new Int16Array(bytes.buffer, offset, header.frames);
  return new Int16Array(bytes.buffer.slice(offset, offset + header.frames * 2));
}

function decodeMono(view: DataView, start: number, frames: number, channels: number, isFloat: boolean, bits: number): Float32Array {
  // Fast paths for the common mono encodings: a typed-array view over the data (copied first when
  // the data chunk is not aligned for it).
  if (channels === 1 && ((bits === 16 && !isFloat) || (bits === 32 && isFloat))) {
    const bytesPer = bits / 8;
    let buffer = view.buffer;
    let offset = view.byteOffset + start;
    // One copy of the data at most (the float path returns that copy).
    if (isFloat) return new Float32Array(buffer.slice(offset, offset + frames * 4));
    if (offset % bytesPer !== 0) {
      buffer = view.buffer.slice(offset, offset + frames * bytesPer);
      offset = 0;
    }
    const pcm = new Int16Array(buffer, offset, frames);
    const out = new Float32Array(frames);
    for (let i = 0; i < frames; i++) out[i] = (pcm[i] as number) / 32768;
    return out;
  }
  const out = new Float32Array(frames);
  const step = bits / 8;
  const scale = 1 / channels;
  let at = start;
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += step) sum += sampleAt(view, at, isFloat, bits);
    out[i] = sum * scale;
  }
  return out;
}

function sampleAt(view: DataView, at: number, isFloat: boolean, bits: number): number {
  if (isFloat) return bits === 32 ? view.getFloat32(at, true) : view.getFloat64(at, true);
  switch (bits) {
    case 8:
      return (view.getUint8(at) - 128) / 128;
    case 16:
      return view.getInt16(at, true) / 32768;
    case 24: {
      const v = view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16);
      return v / 8388608;
    }
    default:
      return view.getInt32(at, true) / 2147483648;
  }
}

/** Encodings {@link encodeWav} can write. */
export type WavEncoding = 'pcm16' | 'float32';

/** Writes mono samples as a WAV file (used by tools, fixtures and tests). */
export function encodeWav(samples: Float32Array, sampleRate: number, encoding: WavEncoding = 'pcm16'): Uint8Array {
  const bytesPerSample = encoding === 'pcm16' ? 2 : 4;
  const dataBytes = samples.length * bytesPerSample;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const put = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = text.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, encoding === 'pcm16' ? FORMAT_PCM : FORMAT_FLOAT, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * bytesPerSample, true);
  view.setUint16(32, bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  put(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as number;
    if (encoding === 'pcm16') view.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(s * 32768))), true);
    else view.setFloat32(44 + 4 * i, s, true);
  }
  return out;
}
