/**
 * Band-limited sample-rate conversion: a polyphase windowed-sinc (Kaiser) filter. The passband is
 * flat to 43.75 % of the lower rate (7 kHz at 16 kHz) and the stopband starts at 56.25 % (9 kHz),
 * at least 70 dB down; components between 8 and 9 kHz alias into 7–8 kHz partly attenuated.
 * The filter runs in the native module's kernel (aligner/src/dsp.rs: AVX where the CPU has it,
 * which also converts PCM16 on the way in) or, without the module, in a 4-lane SIMD WebAssembly
 * kernel (fir.wat); the two round identically (same lanes, same order: bit-for-bit equal output).
 * Plain TypeScript is the fallback where neither runs and for rate pairs too odd for a table.
 */
import { nativeDsp } from '../../aligner/native';
import { FIR_WASM_BASE64 } from './firKernel.generated';

/** Which kernel runs the filter: `native` (the Node-API module), `wasm` (fir.wat) or `ts`. */
export type ResampleBackend = 'native' | 'wasm' | 'ts';

/** Filter design parameters, relative to the lower of the two rates. */
const PASS_EDGE = 0.4375;
const STOP_EDGE = 0.5625;
const STOPBAND_DB = 70;
/** Above this many polyphase phases the table is not built and taps are computed per sample. */
const MAX_TABLE_PHASES = 4096;

interface Filter {
  readonly up: number;
  readonly down: number;
  /** Taps per output sample. */
  readonly taps: number;
  /** Input samples before the output position covered by tap 0. */
  readonly lead: number;
  /** [phase][tap] coefficients, or undefined when computed on the fly. */
  readonly table: Float32Array | undefined;
  kernel(x: number): number;
}

const filters = new Map<string, Filter>();

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (Kaiser window). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function designFilter(inRate: number, outRate: number): Filter {
  const g = gcd(inRate, outRate);
  const up = outRate / g;
  const down = inRate / g;
  const low = Math.min(inRate, outRate);
  // Everything in input-sample units: cutoff and transition relative to the input rate.
  const cutoff = ((PASS_EDGE + STOP_EDGE) / 2) * (low / inRate);
  const transition = 2 * Math.PI * (STOP_EDGE - PASS_EDGE) * (low / inRate);
  const beta = 0.1102 * (STOPBAND_DB - 8.7);
  const length = Math.ceil((STOPBAND_DB - 8) / (2.285 * transition));
  const half = length / 2;
  const i0beta = besselI0(beta);
  const kernel = (x: number): number => {
    if (Math.abs(x) >= half) return 0;
    const r = x / half;
    const window = besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
    const arg = Math.PI * 2 * cutoff * x;
    const sinc = x === 0 ? 1 : Math.sin(arg) / arg;
    return 2 * cutoff * sinc * window;
  };
  const lead = Math.ceil(half) - 1;
  // Rounded up to a multiple of 8 for the unrolled SIMD loop; the extra taps are zero.
  const taps = 8 * Math.ceil(Math.ceil(half) / 4);
  let table: Float32Array | undefined;
  if (up <= MAX_TABLE_PHASES) {
    table = new Float32Array(up * taps);
    for (let p = 0; p < up; p++) {
      const frac = p / up;
      let sum = 0;
      for (let t = 0; t < taps; t++) {
        const c = kernel(frac - (t - lead));
        table[p * taps + t] = c;
        sum += c;
      }
      // Unity gain at DC for every phase.
      for (let t = 0; t < taps; t++) table[p * taps + t] = (table[p * taps + t] as number) / sum;
    }
  }
  return { up, down, taps, lead, table, kernel };
}

interface FirKernel {
  readonly memory: WebAssembly.Memory;
  fir(inPtr: number, tablePtr: number, outPtr: number, outLen: number, taps: number, up: number, down: number): void;
  /** The filter whose table sits at the start of memory. */
  loaded?: Filter;
}

let kernel: FirKernel | null | undefined;

/** The WebAssembly kernel, instantiated once; null where WebAssembly SIMD is unavailable. */
function firKernel(): FirKernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(FIR_WASM_BASE64, 'base64')));
    const exports = instance.exports as unknown as Omit<FirKernel, 'loaded'>;
    kernel = { memory: exports.memory, fir: exports.fir };
  } catch {
    kernel = null;
  }
  return kernel;
}

/**
 * Output samples per kernel call (rounded to a multiple of the filter's phase count, so each block
 * starts at phase 0). Blocks keep the kernel's memory a few hundred KB whatever the audio length:
 * WebAssembly memory never shrinks, and a whole 600 s file copied in would stay resident.
 */
const BLOCK_OUTPUTS = 65536;

/** Runs the polyphase filter in the WebAssembly kernel, block by block. */
function resampleWasm(k: FirKernel, filter: Filter, input: Float32Array, outLength: number): Float32Array {
  const { up, down, taps, lead } = filter;
  const table = filter.table as Float32Array;
  const block = up * Math.max(1, Math.floor(BLOCK_OUTPUTS / up));
  // Layout (in floats): [table][input span of one block, zero beyond the input][one block of output]
  const span = Math.ceil((block * down) / up) + taps + 8;
  const tableAt = 0;
  const inAt = table.length;
  const outAt = inAt + span;
  const bytes = (outAt + block) * 4;
  if (k.memory.buffer.byteLength < bytes) k.memory.grow(Math.ceil((bytes - k.memory.buffer.byteLength) / 65536));
  const mem = new Float32Array(k.memory.buffer);
  if (k.loaded !== filter) {
    mem.set(table, tableAt);
    k.loaded = filter;
  }
  const out = new Float32Array(outLength);
  for (let o0 = 0; o0 < outLength; o0 += block) {
    const n = Math.min(block, outLength - o0);
    // o0 is a multiple of `up`: the block starts at phase 0 and input sample (o0 / up) * down.
    const first = (o0 / up) * down - lead;
    const from = Math.max(0, first);
    const to = Math.min(input.length, first + span);
    mem.fill(0, inAt, outAt);
    if (to > from) mem.set(input.subarray(from, to), inAt + (from - first));
    k.fir(inAt * 4, tableAt * 4, outAt * 4, n, taps, up, down);
    out.set(mem.subarray(outAt, outAt + n), o0);
  }
  return out;
}

/** The filter for a rate pair, designed once. */
function filterFor(inRate: number, outRate: number): Filter {
  if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
    throw new RangeError(`resample: rates must be positive integers (got ${inRate} → ${outRate})`);
  }
  const key = `${inRate}:${outRate}`;
  let filter = filters.get(key);
  if (!filter) {
    filter = designFilter(inRate, outRate);
    filters.set(key, filter);
  }
  return filter;
}

/** The fastest kernel available here for a filter with a coefficient table. */
export function resampleBackend(): ResampleBackend {
  return nativeDsp() ? 'native' : firKernel() ? 'wasm' : 'ts';
}

/**
 * Converts PCM16 samples (`x / 32768`) from `inRate` to `outRate` Hz in the native kernel, without
 * a float copy of the input; undefined where the native module (or a coefficient table for the
 * rate pair) is missing — then decode to floats and call {@link resample}. Same output as
 * `resample(pcm / 32768, ...)` on the native or WebAssembly kernel.
 */
export function resamplePcm16(pcm: Int16Array, inRate: number, outRate: number): Float32Array | undefined {
  const fir = nativeDsp()?.resample;
  const filter = filterFor(inRate, outRate);
  if (!fir || !filter.table || inRate === outRate) return undefined;
  const out = new Float32Array(resampledLength(pcm.length, inRate, outRate));
  fir(pcm, filter.table, filter.taps, filter.up, filter.down, filter.lead, out);
  return out;
}

/** Number of output samples for `inputLength` samples converted from `inRate` to `outRate`. */
export function resampledLength(inputLength: number, inRate: number, outRate: number): number {
  return Math.ceil((inputLength * outRate) / inRate);
}

/**
 * Converts `input` from `inRate` to `outRate` Hz. Returns the input itself when the rates match.
 * `backend` picks the kernel (tests compare them); by default the fastest available
 * ({@link resampleBackend}); one that is unavailable here is a RangeError.
 *
 * @example
 * const at16k = resample(audio.samples, audio.sampleRate, 16000);
 */
export function resample(input: Float32Array, inRate: number, outRate: number, options: { backend?: ResampleBackend } = {}): Float32Array {
  const filter = filterFor(inRate, outRate);
  if (inRate === outRate) return input;
  const { up, down, taps, lead, table } = filter;
  const outLength = resampledLength(input.length, inRate, outRate);
  const backend = options.backend ?? (table ? resampleBackend() : 'ts');
  if (backend !== 'ts') {
    if (!table) throw new RangeError(`resample: ${inRate} → ${outRate} Hz has no coefficient table; only the ts backend runs it`);
    const fir = backend === 'native' ? nativeDsp()?.resample : undefined;
    if (fir) {
      const out = new Float32Array(outLength);
      fir(input, table, taps, up, down, lead, out);
      return out;
    }
    const wasm = backend === 'wasm' ? firKernel() : null;
    if (!wasm) throw new RangeError(`resample: the ${backend} kernel is not available here`);
    return resampleWasm(wasm, filter, input, outLength);
  }
  const out = new Float32Array(outLength);
  const n = input.length;
  let base = 0; // floor(i * down / up)
  let phase = 0; // (i * down) % up
  const weights = table ? undefined : new Float32Array(taps);
  for (let i = 0; i < outLength; i++) {
    let coeffs: Float32Array;
    let c0: number;
    if (table) {
      coeffs = table;
      c0 = phase * taps;
    } else {
      coeffs = weights as Float32Array;
      c0 = 0;
      let sum = 0;
      for (let t = 0; t < taps; t++) {
        const c = filter.kernel(phase / up - (t - lead));
        coeffs[t] = c;
        sum += c;
      }
      for (let t = 0; t < taps; t++) coeffs[t] = (coeffs[t] as number) / sum;
    }
    const first = base - lead;
    let acc = 0;
    if (first >= 0 && first + taps <= n) {
      // Four independent accumulators: V8 does not vectorise, this halves the dependency chain.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let t = 0; t < taps; t += 4) {
        const x = first + t;
        const c = c0 + t;
        a0 += (input[x] as number) * (coeffs[c] as number);
        a1 += (input[x + 1] as number) * (coeffs[c + 1] as number);
        a2 += (input[x + 2] as number) * (coeffs[c + 2] as number);
        a3 += (input[x + 3] as number) * (coeffs[c + 3] as number);
      }
      acc = a0 + a1 + a2 + a3;
    } else {
      const lo = Math.max(0, -first);
      const hi = Math.min(taps, n - first);
      for (let t = lo; t < hi; t++) acc += (input[first + t] as number) * (coeffs[c0 + t] as number);
    }
    out[i] = acc;
    phase += down;
    while (phase >= up) {
      phase -= up;
      base++;
    }
  }
  return out;
}
