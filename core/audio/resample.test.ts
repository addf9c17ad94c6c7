import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeStatus } from '../../aligner';
import { resample, resampleBackend, resampledLength, resamplePcm16 } from './resample';

// The native kernel lives in the Node-API module (aligner/build.js); without it its tests are
// skipped with a warning, unless ALIGNER_REQUIRE_NATIVE=1 (CI), where they fail instead.
const native = nativeStatus().available || process.env.ALIGNER_REQUIRE_NATIVE === '1';
if (!native) console.warn('SKIPPING the native resampler tests: the native module is not built');
const itNative = native ? it : it.skip;

/** Whether two arrays hold the same float32 values, bit for bit; the first difference otherwise. */
function firstDifference(a: Float32Array, b: Float32Array): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return `sample ${i}: ${a[i]} vs ${b[i]}`;
  return undefined;
}

function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
}

/** RMS level in dB relative to a full sine of `amplitude`, ignoring the filter's edge transients. */
function levelDb(x: Float32Array, amplitude: number, skip: number): number {
  let sum = 0;
  for (let i = skip; i < x.length - skip; i++) sum += (x[i] as number) ** 2;
  const rms = Math.sqrt(sum / (x.length - 2 * skip));
  return 20 * Math.log10(rms / (amplitude / Math.SQRT2));
}

describe('resample', () => {
  it('keeps a 1 kHz tone within 0.1 dB from 44.1 kHz to 16 kHz', () => {
    const out = resample(tone(1000, 44100, 1), 44100, 16000);
    expect(Math.abs(levelDb(out, 0.5, 1000))).toBeLessThanOrEqual(0.1);
  });

  it('attenuates a 10 kHz tone by at least 60 dB from 44.1 kHz to 16 kHz (no aliasing to 6 kHz)', () => {
    const out = resample(tone(10000, 44100, 1), 44100, 16000);
    expect(levelDb(out, 0.5, 1000)).toBeLessThanOrEqual(-60);
  });

  it('keeps the tone at its frequency (zero crossings match 1 kHz at 16 kHz)', () => {
    const out = resample(tone(1000, 48000, 1), 48000, 16000);
    let crossings = 0;
    for (let i = 1001; i < 15000; i++) if ((out[i - 1] as number) < 0 !== (out[i] as number) < 0) crossings++;
    // 13,999 samples at 16 kHz hold 874.9 periods of 1 kHz: 1,750 crossings.
    expect(Math.abs(crossings - 1750)).toBeLessThanOrEqual(2);
  });

  it('upsamples 8 kHz to 16 kHz with a flat passband', () => {
    const out = resample(tone(1000, 8000, 1), 8000, 16000);
    expect(out.length).toBe(16000);
    expect(Math.abs(levelDb(out, 0.5, 1000))).toBeLessThanOrEqual(0.1);
  });

  it('handles rates whose ratio has a huge numerator (per-sample taps)', () => {
    const out = resample(tone(1000, 44101, 0.5), 44101, 16000);
    expect(out.length).toBe(resampledLength(Math.round(44101 * 0.5), 44101, 16000));
    expect(Math.abs(levelDb(out, 0.5, 500))).toBeLessThanOrEqual(0.1);
  });

  it('gives the same samples in the SIMD kernel and the TypeScript loop (float rounding aside)', () => {
    const x = tone(1234, 44100, 0.3);
    const simd = resample(x, 44100, 16000);
    const plain = resample(x, 44100, 16000, { backend: 'ts' });
    expect(simd.length).toBe(plain.length);
    let worst = 0;
    for (let i = 0; i < simd.length; i++) worst = Math.max(worst, Math.abs((simd[i] as number) - (plain[i] as number)));
    expect(worst).toBeLessThan(1e-5);
  });

  it.each([
    [44100, 16000],
    [48000, 16000],
    [8000, 16000],
  ])('gives the same samples block by block as the TypeScript loop over a long input (%i → %i Hz)', (inRate, outRate) => {
    // Several kernel blocks (65,536 outputs each), with a click at each block edge.
    const x = tone(700, inRate, 10, 0.4);
    for (let at = 0; at < x.length; at += Math.floor((65536 * inRate) / outRate)) x[at] = 1;
    const simd = resample(x, inRate, outRate);
    const plain = resample(x, inRate, outRate, { backend: 'ts' });
    expect(simd.length).toBe(plain.length);
    let worst = 0;
    for (let i = 0; i < simd.length; i++) worst = Math.max(worst, Math.abs((simd[i] as number) - (plain[i] as number)));
    expect(worst).toBeLessThan(1e-5);
  });

  itNative('picks the native kernel when the module is built', () => {
    expect(resampleBackend()).toBe('native');
  });

  itNative.each([
    [44100, 16000],
    [48000, 16000],
    [8000, 16000],
  ])('rounds identically in the native and WebAssembly kernels across blocks (%i → %i Hz)', (inRate, outRate) => {
    const x = tone(700, inRate, 10, 0.4);
    for (let at = 0; at < x.length; at += 977) x[at] = at % 2 ? 1 : -1;
    expect(firstDifference(resample(x, inRate, outRate, { backend: 'native' }), resample(x, inRate, outRate, { backend: 'wasm' }))).toBeUndefined();
  });

  itNative('converts PCM16 on the way in with the same samples as decoding to floats first', () => {
    const pcm = Int16Array.from({ length: 44100 * 3 + 17 }, (_, i) => ((i * 2654435761) % 65536) - 32768);
    pcm[5] = -32768;
    pcm[6] = 32767;
    const floats = Float32Array.from(pcm, (v) => v / 32768);
    const fused = resamplePcm16(pcm, 44100, 16000) as Float32Array;
    expect(fused).toBeInstanceOf(Float32Array);
    expect(firstDifference(fused, resample(floats, 44100, 16000, { backend: 'wasm' }))).toBeUndefined();
    expect(resamplePcm16(pcm, 16000, 16000)).toBeUndefined();
  });

  it('refuses a kernel the rate pair has no table for', () => {
    expect(() => resample(tone(1000, 44101, 0.1), 44101, 16000, { backend: 'wasm' })).toThrow(/no coefficient table/);
  });

  it('uses a kernel binary that matches its WAT source', async () => {
    const { compileFir, generatedModule } = require('../../tools/build-wasm.js');
    const committed = readFileSync(join(__dirname, 'firKernel.generated.ts'), 'utf8');
    expect(generatedModule(await compileFir())).toBe(committed);
  });

  it('returns the input when the rates match', () => {
    const x = tone(440, 16000, 0.1);
    expect(resample(x, 16000, 16000)).toBe(x);
  });

  it('rejects non-integer rates', () => {
    expect(() => resample(new Float32Array(4), 44100.5, 16000)).toThrow(/positive integers/);
  });
});
