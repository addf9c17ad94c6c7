/** Test model folders and crafted waveforms for the frame-picker model. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultCatalog } from '../../core/items';
import type { ModelManifest } from '../../core/model';
import { framePickerModel } from './onnxBuilder';

/** The test vocabulary: blank, separator, then the catalog alphabet. */
export const TEST_VOCAB = ['<pad>', '|', ...loadDefaultCatalog().alphabet];
export const TEST_STRIDE = 320;

/** The manifest of the test model (no normalisation, so crafted samples are the logits). */
export function testManifest(onnx: Uint8Array, overrides: Partial<ModelManifest> = {}): ModelManifest {
  return {
    format: 'readscore-model/1',
    name: 'frame-picker',
    version: '0.0.1',
    sha256: createHash('sha256').update(onnx).digest('hex'),
    sampleRate: 16000,
    input: { name: 'waveform' },
    output: { name: 'logits' },
    vocabulary: TEST_VOCAB,
    blank: '<pad>',
    separator: '|',
    frameStride: TEST_STRIDE,
    normalization: 'none',
    ...overrides,
  };
}

/** Writes a frame-picker model folder into a new temp dir and returns its path. */
export function writeTestModel(overrides: Partial<ModelManifest> = {}, dir = mkdtempSync(join(tmpdir(), 'readscore-model-'))): string {
  mkdirSync(dir, { recursive: true });
  const onnx = framePickerModel(TEST_VOCAB.length, TEST_STRIDE);
  writeFileSync(join(dir, 'model.onnx'), onnx);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(testManifest(onnx, overrides), null, 1));
  return dir;
}

/**
 * A waveform whose frame-picker logits put `high` on the given token of each frame. Tokens are
 * vocabulary strings; `_` is shorthand for the blank.
 */
export function craftWave(frames: readonly string[], high = 10): Float32Array {
  const wave = new Float32Array(frames.length * TEST_STRIDE);
  frames.forEach((token, f) => {
    const v = TEST_VOCAB.indexOf(token === '_' ? '<pad>' : token);
    if (v < 0) throw new Error(`craftWave: "${token}" is not in the test vocabulary`);
    wave[f * TEST_STRIDE + v] = high;
  });
  return wave;
}

/** Frames for a spoken sequence: each element's symbols for 2 frames, blanks and a separator between. */
export function framesForElements(elements: readonly string[], gap = 3): string[] {
  const frames: string[] = Array(gap).fill('_');
  elements.forEach((element, i) => {
    if (i > 0) frames.push('_', '|', '_');
    for (const symbol of Array.from(element)) frames.push(symbol, symbol, '_');
  });
  for (let i = 0; i < gap; i++) frames.push('_');
  return frames;
}
