import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelError } from '../errors';
import { framesFor, parseManifest, readModelFolder } from './manifest';
import { normalizeForModel } from './preprocess';

const valid = {
  format: 'readscore-model/1',
  name: 'm',
  version: '1',
  sha256: 'f'.repeat(64),
  sampleRate: 16000,
  input: { name: 'x' },
  output: { name: 'y' },
  vocabulary: ['<pad>', '|', 'a'],
  blank: '<pad>',
  separator: '|',
  frameStride: 320,
  normalization: 'zero-mean-unit-variance',
};

describe('parseManifest', () => {
  it('accepts a valid manifest', () => expect(parseManifest(valid, 'm.json').name).toBe('m'));
  it.each([
    ['an unknown format', { format: 'other/2' }, /format Invalid literal value/],
    ['a short checksum', { sha256: 'abc' }, /sha256 must be 64 lower-case hex/],
    ['duplicate tokens', { vocabulary: ['<pad>', '|', 'a', 'a'] }, /vocabulary has duplicate tokens/],
    ['a separator outside the vocabulary', { separator: ' ' }, /separator " " is not in the vocabulary/],
    ['an unknown normalisation', { normalization: 'peak' }, /normalization Invalid enum value/],
    ['a sample rate of 1e9 (warm-up would allocate gigabytes)', { sampleRate: 1e9 }, /sampleRate Number must be less than or equal to 48000/],
    ['a sample rate below 8 kHz', { sampleRate: 4000 }, /sampleRate Number must be greater than or equal to 8000/],
    ['a frame over 100 ms', { frameStride: 16000 }, /frameStride 16000 samples is a frame over 100 ms at 16000 Hz/],
  ])('rejects %s, naming the file', (_, change, message) => {
    expect(() => parseManifest({ ...valid, ...change }, 'm.json')).toThrow(message);
    expect(() => parseManifest({ ...valid, ...change }, 'm.json')).toThrow(/^m\.json: invalid model manifest/);
  });
});

describe('readModelFolder', () => {
  it('names the missing manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-'));
    expect(() => readModelFolder(dir)).toThrow(ModelError);
    expect(() => readModelFolder(dir)).toThrow(/manifest\.json: cannot read the model manifest: not found$/);
  });

  it('names the missing model file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(valid));
    expect(() => readModelFolder(dir)).toThrow(/model\.onnx: cannot read the model: not found$/);
  });
});

describe('framesFor', () => {
  it('counts a partial last frame', () => {
    expect(framesFor(320, { frameStride: 320 })).toBe(1);
    expect(framesFor(321, { frameStride: 320 })).toBe(2);
  });
});

describe('normalizeForModel', () => {
  it('gives zero mean and unit variance', () => {
    const out = normalizeForModel(Float32Array.from([1, 2, 3, 4]), { normalization: 'zero-mean-unit-variance' });
    const mean = out.reduce((a, b) => a + b, 0) / 4;
    const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
    expect(mean).toBeCloseTo(0, 6);
    expect(variance).toBeCloseTo(1, 5);
  });

  it('normalises the parts of a padded phrase as one waveform', () => {
    const whole = normalizeForModel(Float32Array.from([1, 2, 3, 4, 5]), { normalization: 'zero-mean-unit-variance' });
    const parts = normalizeForModel([Float32Array.from([1, 2]), Float32Array.from([]), Float32Array.from([3, 4, 5])], { normalization: 'zero-mean-unit-variance' });
    expect(Array.from(parts)).toEqual(Array.from(whole));
    expect(Array.from(normalizeForModel([Float32Array.from([1]), Float32Array.from([2])], { normalization: 'none' }))).toEqual([1, 2]);
  });

  it('leaves silence at zero instead of dividing by zero', () => {
    expect(Array.from(normalizeForModel(new Float32Array(3), { normalization: 'zero-mean-unit-variance' }))).toEqual([0, 0, 0]);
  });

  it('copies the input unchanged for "none" and never modifies the input', () => {
    const input = Float32Array.from([0.5, -0.5]);
    const out = normalizeForModel(input, { normalization: 'none' });
    expect(Array.from(out)).toEqual([0.5, -0.5]);
    expect(out).not.toBe(input);
  });
});
