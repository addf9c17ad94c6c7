import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { encodeWav } from '../../core/audio';
import { ConfigError, ModelError } from '../../core/errors';
import { loadDefaultCatalog } from '../../core/items';
import { type ModelFolder, readModelFolder } from '../../core/model';
import { parseActivity } from '../../core/pipeline/activity';
import { EngineError } from '../../core/pipeline/engine';
import { scoreActivity } from '../../core/pipeline/score';
import { memoryAudio } from '../../test/support/memoryAudio';
import { craftWave, framesForElements, TEST_VOCAB, writeTestModel } from '../../test/support/testModel';
import { createTestCa } from '../../tools/triton/pki';
import { type LogitsFn, onnxLogits, STAND_IN_WINDOW_BYTES, type StandInServer, startStandIn } from '../../tools/triton/standIn';
import { CpuOnnxEngine } from '../cpuOnnx';
import { createEngine } from '../factory';
import { inferenceService, type ModelInferRequest, type ModelInferResponse, RequestBuffers, withRawField } from './client';
import { parseTritonConfig, type TritonConfigInput } from './config';
import { tritonConfigText, writeTritonRepository } from './modelRepository';
import { TritonEngine } from './tritonEngine';

const ca = createTestCa();
const serverTls = ca.server(['127.0.0.1', 'localhost']);
const model: ModelFolder = readModelFolder(writeTestModel());
const noSleep = async () => {};

let onnx: Awaited<ReturnType<typeof onnxLogits>>;
let server: StandInServer;
let cpu: CpuOnnxEngine;
beforeAll(async () => {
  onnx = await onnxLogits(model);
  server = await startStandIn({ model, logits: onnx.fn, tls: serverTls });
  cpu = await CpuOnnxEngine.load(model);
});
afterAll(async () => {
  await server.close();
  await onnx.release();
  await cpu.close();
});
afterEach(() => {
  Object.assign(server.behaviour, { serverReady: true, modelReady: true, metadata: undefined, inferFailures: [], inferDelayMs: 0, truncateOutputBytes: 0 });
});

function config(overrides: Partial<TritonConfigInput> = {}, port = server.port) {
  return parseTritonConfig({ url: `https://127.0.0.1:${port}`, ca: { pem: ca.caPem }, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, ...overrides });
}

const load = (overrides: Partial<TritonConfigInput> = {}, extra: Partial<Parameters<typeof TritonEngine.load>[0]> = {}, port?: number) =>
  TritonEngine.load({ config: config(overrides, port), model, sleep: noSleep, ...extra });

const ID = 'ABCDEF0123456789ABCDEF0123456789';
const catalog = loadDefaultCatalog();
const wav = (elements: string[]) => encodeWav(craftWave(framesForElements(elements)), 16000, 'float32');

describe('TritonEngine parity with the CPU engine (real gRPC over TLS, onnxruntime behind it)', () => {
  it('gives identical verdicts and logits within 1e-5 on the same activity', async () => {
    const triton = await load();
    try {
      const audio = memoryAudio({ p0: wav(['a', 'x', 'bi', 'si']), p1: wav(['dʌ', 'ɛf', 'ji']), p2: wav(['kyu', 'ɑɹ']) });
      const activity = parseActivity(
        {
          activityId: ID,
          phrases: [
            { phraseIndex: 0, items: ['a_letter', 'b_letter', 'c_letter'], audio: 'p0' },
            { phraseIndex: 1, items: ['d_sound', 'f_letter', 'g_letter', 'h_letter'], audio: 'p1' },
            { phraseIndex: 2, items: ['q_letter', 'r_letter'], audio: 'p2' },
          ],
        },
        catalog,
        'parity.json',
      );
      const viaTriton = await scoreActivity(activity, triton, audio);
      const viaCpu = await scoreActivity(activity, cpu, audio);
      expect(viaTriton.engine).toBe('triton');
      expect(viaCpu.engine).toBe('cpu-onnx');
      expect(viaTriton.phrases).toEqual(viaCpu.phrases);
      expect(server.requests).toHaveLength(1); // one batched ModelInfer for the activity

      const batch = [craftWave(framesForElements(['bi'])), craftWave(framesForElements(['dʌbʌlyu', 'o']))];
      const a = await triton.infer(batch);
      const b = await cpu.infer(batch);
      a.logits.forEach((l, i) => {
        const other = b.logits[i];
        expect(l.frames).toBe(other?.frames);
        let worst = 0;
        for (let k = 0; k < l.data.length; k++) worst = Math.max(worst, Math.abs((l.data[k] as number) - (other?.data[k] as number)));
        expect(worst).toBeLessThanOrEqual(1e-5);
      });
    } finally {
      await triton.close();
    }
  });
});

describe('the Triton stand-in', () => {
  it('advertises a 16 MiB HTTP/2 receive window, as Triton sizes its own (grpc-js servers keep 64 KiB)', async () => {
    const session = http2.connect(`https://127.0.0.1:${server.port}`, { ca: ca.caPem, servername: 'localhost' });
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('error', reject);
        session.once('connect', () => resolve());
      });
      // The server sends its settings when the session opens, so they are in before the ping's answer.
      await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
      expect(session.remoteSettings.initialWindowSize).toBe(STAND_IN_WINDOW_BYTES);
    } finally {
      session.close();
    }
  });
});

describe('pre-serialised ModelInfer requests (RequestBuffers)', () => {
  it('are byte for byte the protobuf serialisation of the same request, in a reused buffer', () => {
    const infer = inferenceService().service.ModelInfer as grpc.MethodDefinition<ModelInferRequest, ModelInferResponse>;
    const plain = withRawField(infer.requestSerialize, 7, 'raw_input_contents');
    const pool = new RequestBuffers();
    const make = (samples: number, id: string) => {
      const raw = Buffer.from(Float32Array.from({ length: samples }, (_, i) => i * 0.5 - 3).buffer);
      const request = { model_name: 'm', model_version: '1', id, inputs: [{ name: 'audio', datatype: 'FP32', shape: [1, samples] }], outputs: [{ name: 'logits' }] };
      const taken = pool.take(request, raw.length);
      raw.copy(taken.message, taken.rawAt);
      return { taken, want: plain({ ...request, raw_input_contents: [raw] }) };
    };
    const big = make(50_000, 'first');
    expect(big.taken.message.equals(big.want)).toBe(true);
    big.taken.release();
    // The smaller request reuses the bigger buffer: exactly its own bytes, nothing left over.
    const small = make(300, 'second');
    expect(small.taken.message.buffer).toBe(big.taken.message.buffer);
    expect(small.taken.message.equals(small.want)).toBe(true);
    small.taken.release();
    // Decodes as the request it is.
    const decoded = infer.requestDeserialize(small.want);
    expect(decoded).toMatchObject({ id: 'second', model_name: 'm' });
    expect(decoded.raw_input_contents[0]?.length).toBe(1200);
  });
});

describe('the stand-in statistics (Triton statistics extension)', () => {
  it('counts each ModelInfer and its model time, as Triton reports them', async () => {
    let runs = 0;
    const counting: LogitsFn = async (input, shape) => {
      runs++;
      return onnx.fn(input, shape);
    };
    const own = await startStandIn({ model, logits: counting, tls: serverTls });
    const triton = await load({}, {}, own.port);
    try {
      const before = await triton.serverStatistics();
      expect(before.inference_stats.success.count).toBe(0);
      await triton.infer([new Float32Array(16000), new Float32Array(8000)]);
      await triton.infer([new Float32Array(4000)]);
      const after = await triton.serverStatistics();
      expect(runs).toBe(2);
      expect(after).toMatchObject({ name: model.manifest.name, inference_count: 3, execution_count: 2 });
      const s = after.inference_stats;
      for (const stage of ['success', 'compute_input', 'compute_infer', 'compute_output'] as const) expect(s[stage].count).toBe(2);
      // The model's time is part of each request's, and both were measured (nanoseconds).
      expect(s.compute_infer.ns).toBeGreaterThan(0);
      expect(s.success.ns).toBeGreaterThanOrEqual(s.compute_input.ns + s.compute_infer.ns + s.compute_output.ns);
      expect(s.fail.count).toBe(0);
    } finally {
      await triton.close();
      await own.close();
    }
  });
});

describe('TritonEngine with a fake-logits server', () => {
  it('decodes chosen logits through the Triton path (b <blank> b stays two elements)', async () => {
    const frames = ['_', 'b', '_', 'b', '_', '|', 'a'];
    const fake: LogitsFn = async (_input, shape) => {
      const v = TEST_VOCAB.length;
      const data = new Float32Array(shape[0] * frames.length * v);
      for (let n = 0; n < shape[0]; n++) {
        frames.forEach((t, f) => {
          data[(n * frames.length + f) * v + TEST_VOCAB.indexOf(t === '_' ? '<pad>' : t)] = 9;
        });
      }
      return { data, dims: [shape[0], frames.length, v] };
    };
    const fakeServer = await startStandIn({ model, logits: fake, tls: serverTls });
    const triton = await load({}, {}, fakeServer.port);
    try {
      const result = await scoreActivity(
        parseActivity({ activityId: ID, phrases: [{ phraseIndex: 0, items: ['b_sound', 'b_sound', 'a_letter'], audio: 'p' }] }, catalog, 'x'),
        triton,
        memoryAudio({ p: encodeWav(new Float32Array(frames.length * 320), 16000, 'float32') }),
        { padSec: 0 },
      );
      expect(result.phrases[0]?.items.map((v) => `${v.verdict}:${v.heard}`)).toEqual(['correct:b', 'correct:b', 'correct:a']);
    } finally {
      await triton.close();
      await fakeServer.close();
    }
  });
});

describe('TritonEngine refusals and faults', () => {
  it('refuses http:// and plaintext URLs at config parse, saying HTTPS is required', async () => {
    for (const url of ['http://127.0.0.1:8001', 'grpc://triton:8001']) {
      expect(() => parseTritonConfig({ url, ca: { pem: ca.caPem } })).toThrow(ConfigError);
      expect(() => parseTritonConfig({ url, ca: { pem: ca.caPem } })).toThrow(/HTTPS is required/);
    }
    await expect(createEngine({ kind: 'triton', triton: { url: 'http://127.0.0.1:1', ca: { pem: ca.caPem } } })).rejects.toThrow(/HTTPS is required/);
    expect(parseTritonConfig({ url: 'grpcs://triton.internal', ca: { file: 'ca.pem' } }).target).toBe('triton.internal:443');
  });

  it('reads the CA bundle from a Secrets Manager secret through the injected reader', async () => {
    const asked: string[] = [];
    const secrets = {
      read: async (id: string) => {
        asked.push(id);
        return ca.caPem;
      },
    };
    const engine = await load({ ca: { secret: 'readscore/triton-ca' } }, { secrets });
    expect(asked).toEqual(['readscore/triton-ca']);
    await engine.close();
    await expect(load({ ca: { secret: 'readscore/triton-ca' } })).rejects.toThrow(/readscore\/triton-ca: the CA bundle is in Secrets Manager but no secret reader was configured/);
  });

  it('requires a CA bundle', () => {
    expect(() => parseTritonConfig({ url: 'https://x:1' } as TritonConfigInput)).toThrow(/a CA bundle is required/);
  });

  it('rejects a server certificate from an untrusted CA as configuration, in one line', async () => {
    const other = createTestCa('Some other CA');
    const attempt = load({ ca: { pem: other.caPem } });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({
      code: 'untrusted-certificate',
      message: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+: the server certificate is not signed by the CA bundle given \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); check --ca$/),
    });
  });

  it('rejects a server certificate for another host name', async () => {
    const wrongHost = await startStandIn({ model, logits: onnx.fn, tls: ca.server(['triton.other.example']) });
    try {
      await expect(load({}, {}, wrongHost.port)).rejects.toMatchObject({
        code: 'wrong-host-name',
        message: expect.stringMatching(/the server certificate is for DNS:triton\.other\.example, not 127\.0\.0\.1$/),
      });
    } finally {
      await wrongHost.close();
    }
  });

  it('fails to start when the server is not ready', async () => {
    server.behaviour.serverReady = false;
    await expect(load()).rejects.toMatchObject({ code: 'server-not-ready', message: expect.stringMatching(/Triton at https:\/\/127\.0\.0\.1:\d+ is not ready/) });
  });

  it('fails to start when the model is not ready', async () => {
    server.behaviour.modelReady = false;
    await expect(load()).rejects.toMatchObject({ code: 'model-not-ready', message: expect.stringMatching(/model frame-picker version 1 is not ready/) });
  });

  it('fails to start when the served model does not match the manifest', async () => {
    server.behaviour.metadata = (m) => ({ ...m, outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, -1, 37] }] });
    const attempt = load();
    await expect(attempt).rejects.toBeInstanceOf(ModelError);
    await expect(load()).rejects.toThrow(/output "logits" has 37 classes but the manifest lists 38 vocabulary tokens/);
  });

  it('retries UNAVAILABLE and then succeeds', async () => {
    const triton = await load();
    try {
      server.behaviour.inferFailures = [grpc.status.UNAVAILABLE];
      const result = await triton.infer([craftWave(['b', 'i'])]);
      expect(result.servedBy).toBe('triton');
      expect(triton.stats.retries).toBe(1);
    } finally {
      await triton.close();
    }
  });

  it('retries DEADLINE_EXCEEDED, then fails with an error', async () => {
    const triton = await load({ deadlineMs: 500 });
    try {
      server.behaviour.inferDelayMs = 1500;
      await expect(triton.infer([craftWave(['b'])])).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/ModelInfer failed after 3 attempt\(s\): DEADLINE_EXCEEDED/),
      });
    } finally {
      await triton.close();
    }
  });

  it('does not retry a non-retryable status', async () => {
    const triton = await load();
    try {
      server.behaviour.inferFailures = [grpc.status.INVALID_ARGUMENT, grpc.status.INVALID_ARGUMENT];
      await expect(triton.infer([craftWave(['b'])])).rejects.toThrow(/ModelInfer failed after 1 attempt\(s\): INVALID_ARGUMENT/);
    } finally {
      await triton.close();
    }
  });

  it('treats a response of the wrong byte length as an error, not logits', async () => {
    const triton = await load();
    try {
      server.behaviour.truncateOutputBytes = 4;
      await expect(triton.infer([craftWave(['b', 'i'])])).rejects.toMatchObject({
        code: 'malformed-response',
        message: expect.stringMatching(/holds \d+ bytes; shape \[1,2,38\] of FP32 needs 304/),
      });
    } finally {
      await triton.close();
    }
  });

  it('opens the breaker after N failures and falls back to the CPU engine when enabled', async () => {
    let now = 0;
    const triton = await load({ breaker: { failureThreshold: 2, resetAfterMs: 1000 }, fallbackToCpu: true }, { fallback: cpu, now: () => now });
    const wave = [craftWave(['s', 'i'])];
    server.behaviour.inferFailures = [grpc.status.INTERNAL, grpc.status.INTERNAL];
    await expect(triton.infer(wave)).rejects.toBeInstanceOf(EngineError); // 1st failure: breaker still closed
    const second = await triton.infer(wave); // 2nd failure opens it: served by the CPU fallback
    expect(second.servedBy).toBe('cpu-onnx (triton fallback)');
    const before = server.requests.length;
    const third = await triton.infer(wave); // open: the server is not called at all
    expect(third.servedBy).toBe('cpu-onnx (triton fallback)');
    expect(server.requests.length).toBe(before);
    expect(triton.describe().details).toMatchObject({ breaker: 'open', fallbacks: 2, failures: 2 });
    now = 1500; // half-open: one trial goes to the server and closes the breaker
    expect((await triton.infer(wave)).servedBy).toBe('triton');
    expect(triton.describe().details.breaker).toBe('closed');
    expect(third.logits).toEqual((await cpu.infer(wave)).logits);
  });

  it('fails fast while the breaker is open when fallback is off', async () => {
    const triton = await load({ breaker: { failureThreshold: 1, resetAfterMs: 60_000 } });
    try {
      server.behaviour.inferFailures = [grpc.status.INTERNAL];
      await expect(triton.infer([craftWave(['b'])])).rejects.toMatchObject({ code: 'unavailable' });
      await expect(triton.infer([craftWave(['b'])])).rejects.toMatchObject({ code: 'breaker-open' });
    } finally {
      await triton.close();
    }
  });

  it('shows a fallback in the activity result', async () => {
    const triton = await load({ breaker: { failureThreshold: 1, resetAfterMs: 60_000 }, fallbackToCpu: true }, { fallback: cpu });
    server.behaviour.inferFailures = [grpc.status.INTERNAL];
    const result = await scoreActivity(
      parseActivity({ activityId: ID, phrases: [{ phraseIndex: 0, items: ['b_letter'], audio: 'p' }] }, catalog, 'x'),
      triton,
      memoryAudio({ p: wav(['bi']) }),
    );
    expect(result.engine).toBe('cpu-onnx (triton fallback)');
    expect(result.phrases[0]?.items[0]?.verdict).toBe('correct');
  });

  it('speaks mTLS when the server requires a client certificate', async () => {
    const mtls = await startStandIn({ model, logits: onnx.fn, tls: { ...serverTls, clientCa: ca.caPem } });
    const dir = mkdtempSync(join(tmpdir(), 'mtls-'));
    const client = ca.client('readscore-lambda');
    writeFileSync(join(dir, 'client.pem'), client.cert);
    writeFileSync(join(dir, 'client.key'), client.key);
    try {
      await expect(load({}, {}, mtls.port)).rejects.toMatchObject({ code: 'client-certificate-required' });
      const engine = await load({ clientCert: { certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client.key') } }, {}, mtls.port);
      expect((await engine.infer([craftWave(['b'])])).servedBy).toBe('triton');
      await engine.close();
    } finally {
      await mtls.close();
    }
  });
});

describe('Triton model repository', () => {
  it('writes config.pbtxt for onnxruntime with variable batch and length, dynamic batching and GPU instances', () => {
    expect(tritonConfigText({ ...model.manifest, servingVersion: 3 }, { maxBatchSize: 16, preferredBatchSizes: [4, 8], maxQueueDelayMicroseconds: 2000, instanceCount: 2 })).toBe(
      `# Generated by \`readscore triton-repo\` from frame-picker@0.0.1.
name: "frame-picker"
platform: "onnxruntime_onnx"
max_batch_size: 16
version_policy: { specific: { versions: [ 3 ] } }
input [
  {
    name: "waveform"
    data_type: TYPE_FP32
    dims: [ -1 ]
  }
]
output [
  {
    name: "logits"
    data_type: TYPE_FP32
    dims: [ -1, 38 ]
  }
]
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 2000
}
instance_group [
  {
    count: 2
    kind: KIND_GPU
  }
]
`,
    );
  });

  it('lays out <name>/<version>/model.onnx beside config.pbtxt', () => {
    const out = mkdtempSync(join(tmpdir(), 'repo-'));
    const written = writeTritonRepository(model, out);
    expect(written.model).toBe(join(out, 'frame-picker', '1', 'model.onnx'));
    expect(readFileSync(written.model)).toEqual(Buffer.from(model.onnx));
    expect(readFileSync(written.config, 'utf8')).toMatch(/preferred_batch_size: \[ 8, 16 \]\n {2}max_queue_delay_microseconds: 5000/);
  });

  it('rejects preferred sizes above the max batch size', () => {
    expect(() => tritonConfigText(model.manifest, { maxBatchSize: 8, preferredBatchSizes: [16] })).toThrow(/preferredBatchSizes: 16 must be an integer in 1\.\.8/);
  });
});
