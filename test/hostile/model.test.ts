/**
 * Hostile model folders whose checksum matches: a manifest that lies about the graph (frame stride),
 * a sample rate that would allocate gigabytes at warm-up, a graph that produces NaN, absurd thread
 * counts. Loading and `readscore model check` must refuse each with a ModelError or ConfigError
 * naming the file and the problem (CLI exit 2), before scoring anything.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ModelError } from '../../core/errors';
import { MAX_MANIFEST_BYTES, readModelFolder } from '../../core/model';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { BUNDLED_MODEL } from '../../engines/factory';
import { checkModel } from '../../handlers/cli/modelCheck';
import { buildOnnxModel } from '../support/onnxBuilder';
import { TEST_STRIDE, TEST_VOCAB, writeTestModel } from '../support/testModel';

/** Runs `model check` with stdout captured. */
async function modelCheck(dir: string, threads?: string): Promise<{ code?: number; error?: unknown; out: string }> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await checkModel(dir, threads), out };
  } catch (error) {
    return { error, out };
  } finally {
    spy.mockRestore();
  }
}

describe('a manifest whose frameStride contradicts the graph (checksum matching)', () => {
  it.each([160, 400, 640])('frameStride %i for a stride-320 graph fails loading and model check', async (frameStride) => {
    const dir = writeTestModel({ frameStride });
    const load = CpuOnnxEngine.load(readModelFolder(dir));
    await expect(load).rejects.toBeInstanceOf(ModelError);
    await expect(CpuOnnxEngine.load(readModelFolder(dir))).rejects.toMatchObject({ code: 'stride-mismatch' });
    await expect(CpuOnnxEngine.load(readModelFolder(dir))).rejects.toThrow(
      new RegExp(`manifest\\.json: the model gives 50 more frames for 16000 more samples \\(320\\.0 samples per frame\\), but manifest\\.json says frameStride ${frameStride}`),
    );
    const check = await modelCheck(dir);
    expect(check.error).toBeInstanceOf(ModelError);
    expect((check.error as ModelError).code).toBe('stride-mismatch');
    expect(check.out).not.toMatch(/model check passed/);
  });

  it('the true stride passes model check', async () => {
    const check = await modelCheck(writeTestModel());
    expect(check.code).toBe(0);
    expect(check.out).toMatch(/frame stride\)\n[\s\S]*model check passed/);
  });

  it('says whether int8 weights give the same sums on every CPU, and warns (still passing) where they do not', async () => {
    const bundled = await modelCheck(join(__dirname, '..', '..', BUNDLED_MODEL));
    expect(bundled.code).toBe(0);
    expect(bundled.out).toMatch(/\n {2}int8 convolution weights \(12 int8, 12 depthwise int8, 1 uint8\), no weight pair over the AVX2 cap: integer sums exact on every CPU\n/);
    const plain = await modelCheck(join(__dirname, '..', '..', 'models', 'letters-ctc-1.7.1'));
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/\n {2}warning: int8 convolution weights .* whose sums depend on the CPU: [1-9]\d* of \d+ weight pairs in 13 layers/);
    expect(plain.out).toMatch(/model check passed/);
  });
});

describe('a manifest sample rate outside 8–48 kHz is refused before anything is allocated from it', () => {
  it.each([1e9, 100, 96000])('sampleRate %d', (sampleRate) => {
    const dir = writeTestModel({ sampleRate });
    expect(() => readModelFolder(dir)).toThrow(ModelError);
    expect(() => readModelFolder(dir)).toThrow(/manifest\.json: invalid model manifest: sampleRate Number must be/);
  });
});

describe('a graph that produces NaN', () => {
  it('fails loading with non-finite-output', async () => {
    const vocab = TEST_VOCAB.length;
    const weights = new Float32Array(vocab * TEST_STRIDE);
    for (let v = 0; v < vocab; v++) weights[v * TEST_STRIDE + v] = 1;
    // The frame-picker graph followed by Log: a negative sample becomes a NaN logit.
    const onnx = buildOnnxModel({
      nodes: [
        { op: 'Unsqueeze', inputs: ['waveform', 'axes'], outputs: ['x3'] },
        { op: 'Conv', inputs: ['x3', 'w'], outputs: ['conv'], attributes: { kernel_shape: [TEST_STRIDE], strides: [TEST_STRIDE] } },
        { op: 'Transpose', inputs: ['conv'], outputs: ['t'], attributes: { perm: [0, 2, 1] } },
        { op: 'Log', inputs: ['t'], outputs: ['logits'] },
      ],
      initializers: [
        { name: 'axes', dims: [1], type: 'int64', values: [1] },
        { name: 'w', dims: [vocab, 1, TEST_STRIDE], type: 'float32', values: weights },
      ],
      inputs: [{ name: 'waveform', shape: ['batch', 'samples'] }],
      outputs: [{ name: 'logits', shape: ['batch', 'frames', vocab] }],
    });
    const dir = writeTestModel();
    writeFileSync(join(dir, 'model.onnx'), onnx);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, sha256: createHash('sha256').update(onnx).digest('hex') }));
    await expect(CpuOnnxEngine.load(readModelFolder(dir))).rejects.toMatchObject({ code: 'non-finite-output' });
    await expect(CpuOnnxEngine.load(readModelFolder(dir))).rejects.toThrow(/the model produced (NaN|-Infinity) on a \d+-sample probe/);
  });
});

describe('thread counts', () => {
  it('model check --threads above 64 is a ConfigError naming the flag', async () => {
    const check = await modelCheck(writeTestModel(), '65');
    expect(check.error).toBeInstanceOf(ConfigError);
    expect((check.error as ConfigError).message).toBe('--threads: expected an integer from 1 to 64, got "65"');
  });

  it('the engine refuses 1,000,000 threads before creating a session', async () => {
    await expect(CpuOnnxEngine.load(readModelFolder(writeTestModel()), { intraOpThreads: 1_000_000 })).rejects.toThrow(/intraOpThreads: must be an integer from 1 to 64/);
  });
});

describe('the model folder reader reads regular files of bounded size only (whoever calls it: CLI, Lambda, tools)', () => {
  const refused = (dir: string) => {
    try {
      readModelFolder(dir);
    } catch (error) {
      return error as ModelError;
    }
    throw new Error('readModelFolder accepted the folder');
  };

  it('a FIFO as manifest.json or model.onnx is refused without being opened (no hang)', () => {
    for (const name of ['manifest.json', 'model.onnx']) {
      const dir = writeTestModel();
      rmSync(join(dir, name));
      execFileSync('mkfifo', [join(dir, name)]);
      const error = refused(dir);
      expect(error).toBeInstanceOf(ModelError);
      expect(error.code).toBe('not-a-file');
      expect(error.message).toMatch(new RegExp(`${name.replace('.', '\\.')}: cannot read the model( manifest)?: is a FIFO \\(named pipe\\), not a regular file$`));
    }
  });

  it('model.onnx linked to /dev/zero is refused, not read forever', () => {
    const dir = writeTestModel();
    rmSync(join(dir, 'model.onnx'));
    symlinkSync('/dev/zero', join(dir, 'model.onnx'));
    expect(refused(dir)).toMatchObject({ code: 'not-a-file', message: expect.stringMatching(/model\.onnx: cannot read the model: is a character device, not a regular file$/) });
  });

  it(`a manifest.json above ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB is refused before it is read`, () => {
    const dir = writeTestModel();
    writeFileSync(join(dir, 'manifest.json'), `{"pad":"${'x'.repeat(MAX_MANIFEST_BYTES)}"}`);
    expect(refused(dir)).toMatchObject({
      code: 'too-large',
      message: expect.stringMatching(/manifest\.json: cannot read the model manifest: the file is 1\.0 MiB; the largest file read is 1\.0 MiB$/),
    });
  });

  it('a missing manifest keeps its code and says so', () => {
    const dir = writeTestModel();
    rmSync(join(dir, 'manifest.json'));
    expect(refused(dir)).toMatchObject({ code: 'missing-manifest', message: expect.stringMatching(/manifest\.json: cannot read the model manifest: not found$/) });
  });
});

describe('a manifest contextSec smaller than the receptive field (the bundled model reaches about 0.9 s)', () => {
  const withContext = (contextSec: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'model-ctx-'));
    const bundled = join(__dirname, '..', '..', BUNDLED_MODEL);
    copyFileSync(join(bundled, 'model.onnx'), join(dir, 'model.onnx'));
    const manifest = JSON.parse(readFileSync(join(bundled, 'manifest.json'), 'utf8'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, contextSec }));
    return dir;
  };

  it('0.3 s fails loading with context-mismatch, naming the measured reach', async () => {
    await expect(CpuOnnxEngine.load(readModelFolder(withContext(0.3)))).rejects.toMatchObject({
      code: 'context-mismatch',
      message: expect.stringMatching(/manifest\.json: a change at one sample moves logits \d+ ms away, but manifest\.json says contextSec 0\.3 \(raise it to at least 0\.\d\)$/),
    });
  });

  it('the bundled 1.0 s loads', async () => {
    const engine = await CpuOnnxEngine.load(readModelFolder(withContext(1)));
    await engine.close();
  });
});
