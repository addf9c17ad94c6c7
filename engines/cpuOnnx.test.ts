import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../core/errors';
import { readModelFolder } from '../core/model';
import { craftWave, TEST_VOCAB, writeTestModel } from '../test/support/testModel';
import { CpuOnnxEngine } from './cpuOnnx';
import { createEngine } from './factory';

describe('CpuOnnxEngine', () => {
  const dir = writeTestModel();
  let engine: CpuOnnxEngine;
  beforeAll(async () => {
    engine = await CpuOnnxEngine.load(readModelFolder(dir), { intraOpThreads: 1 });
  });
  afterAll(() => engine.close());

  it('returns the logits the crafted waveform encodes', async () => {
    const [logits] = await engine.logits([craftWave(['_', 'b', 'i'])]);
    expect(logits?.frames).toBe(3);
    expect(logits?.vocab).toBe(TEST_VOCAB.length);
    expect(logits?.data[1 * TEST_VOCAB.length + TEST_VOCAB.indexOf('b')]).toBe(10);
  });

  it('runs each waveform of a batch alone: a short one beside a long one gets its own logits', async () => {
    const short = craftWave(['a', 'a']);
    const long = craftWave(['_', 's', 'i', '_', '_', 'b', 'i', '_']);
    const [alone] = await engine.logits([short]);
    const [s, l] = await engine.logits([short, long]);
    expect(s?.frames).toBe(2);
    expect(l?.frames).toBe(8);
    expect(Array.from(s?.data ?? [])).toEqual(Array.from(alone?.data ?? []));
  });

  it('gives a waveform the frames the model gives it (no padding completes a last partial frame); an empty one none', async () => {
    const [a, empty, b] = await engine.logits([new Float32Array(330), new Float32Array(0), new Float32Array(640 * 2)]);
    expect(a?.frames).toBe(1);
    expect(empty).toEqual({ data: new Float32Array(0), frames: 0, vocab: TEST_VOCAB.length });
    expect(b?.frames).toBe(4);
    await expect(engine.logits([new Float32Array(0)])).rejects.toMatchObject({ code: 'empty-input' });
  });

  it('describes itself', () => {
    expect(engine.describe()).toMatchObject({ kind: 'cpu-onnx', model: 'frame-picker@0.0.1', details: { intraOpThreads: 1 } });
  });
});

describe('model folder checks at load', () => {
  const expectModelError = async (dir: string, code: string, message: RegExp) => {
    const load = async () => CpuOnnxEngine.load(readModelFolder(dir));
    await expect(load()).rejects.toBeInstanceOf(ModelError);
    await expect(load()).rejects.toMatchObject({ code });
    await expect(load()).rejects.toThrow(message);
  };

  it('fails on a wrong sha256', async () => {
    const dir = writeTestModel({ sha256: 'a'.repeat(64) });
    await expectModelError(dir, 'checksum-mismatch', /model\.onnx: sha256 is [0-9a-f]{64} but manifest\.json says a{64}/);
  });

  it('fails when the vocabulary size differs from the graph output', async () => {
    const dir = writeTestModel({ vocabulary: TEST_VOCAB.slice(0, -1) });
    await expectModelError(dir, 'vocab-mismatch', /outputs 38 classes but manifest\.json lists 37 vocabulary tokens/);
  });

  it('fails when the input name is not in the graph', async () => {
    const dir = writeTestModel({ input: { name: 'input_values' } });
    await expectModelError(dir, 'graph-mismatch', /manifest input "input_values" is not a graph input \(graph has: waveform\)/);
  });

  it('fails on a manifest that violates the schema', async () => {
    const dir = writeTestModel({ blank: '<blank>' });
    await expectModelError(dir, 'bad-manifest', /blank "<blank>" is not in the vocabulary/);
  });

  it('fails on malformed manifest JSON', async () => {
    const dir = writeTestModel();
    writeFileSync(join(dir, 'manifest.json'), '{"format": ');
    await expectModelError(dir, 'bad-manifest', /manifest\.json: malformed JSON/);
  });

  it('fails on a model file onnxruntime cannot parse', async () => {
    const dir = writeTestModel();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const junk = Buffer.from('not an onnx model');
    writeFileSync(join(dir, 'model.onnx'), junk);
    manifest.sha256 = require('node:crypto').createHash('sha256').update(junk).digest('hex');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expectModelError(dir, 'bad-model', /onnxruntime cannot load the model/);
  });
});

describe('createEngine', () => {
  it('loads the CPU engine from a model folder', async () => {
    const engine = await createEngine({ kind: 'cpu', modelDir: writeTestModel() });
    expect(engine.describe().kind).toBe('cpu-onnx');
    await engine.close();
  });

  it('rejects an unknown engine kind', async () => {
    await expect(createEngine({ kind: 'gpu' as 'cpu' })).rejects.toThrow(/unknown engine "gpu"/);
  });
});
