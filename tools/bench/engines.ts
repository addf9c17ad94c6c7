/**
 * `npm run bench:engines`: warm latency of one 60 s activity's batched inference through the Triton
 * path (a stand-in server in another process, TLS on loopback, onnxruntime behind it) against the
 * CPU engine in-process, and the overhead the Triton path adds (serialise + TLS + gRPC + server
 * bookkeeping). Prints a table, writes bench-results/engines.json. Options: --model DIR, --runs N.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { padWithNeighbours } from '../../core/audio';
import { type ModelManifest, readModelFolder } from '../../core/model';
import type { Engine } from '../../core/pipeline/engine';
import { type ModelWindow, modelWindows, windowInput } from '../../core/pipeline/modelWindows';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { projectRoot, resolveModelDir } from '../../engines/factory';
import type { ModelStatistics } from '../../engines/triton/client';
import { parseTritonConfig } from '../../engines/triton/config';
import { TritonEngine } from '../../engines/triton/tritonEngine';
import { median, printTable, runBenchmark, writeJson } from './report';

/**
 * One activity's batch as the pipeline sends it: ten 6 s phrases of speech-like noise, padded with
 * 3 s of their neighbours, cut to the model windows (each phrase's own audio plus the model's
 * context, core/pipeline/modelWindows.ts); `whole` sends each padded phrase whole instead (the
 * pipeline's way before contextSec, and for a model without it).
 */
function activityBatch(manifest: ModelManifest, whole: boolean): Float32Array[] {
  let seed = 11;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648) * 2 - 1;
  };
  const rate = manifest.sampleRate;
  const phrases = Array.from({ length: 10 }, () => Float32Array.from({ length: 6 * rate }, (_, i) => rand() * (Math.floor(i / 3000) % 3 ? 0.2 : 0.01)));
  const padded = padWithNeighbours(phrases, 3 * rate);
  const windows = modelWindows(padded, whole ? { ...manifest, contextSec: undefined } : manifest);
  return windows.map((w) => windowInput(w as ModelWindow, manifest));
}

async function startServer(root: string, modelDir: string): Promise<{ url: string; ca: string; stop: () => void }> {
  const out = mkdtempSync(join(tmpdir(), 'readscore-triton-bench-'));
  const child = spawn(process.execPath, [join(root, 'dist', 'tools', 'triton', 'dev.js'), '--port', '0', '--model', modelDir, '--out', out], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = /at (https:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m?.[1]) resolve({ url: m[1], ca: join(out, 'ca.pem'), stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`stand-in exited ${code}`)));
  });
}

/** What the server reports per call (Triton's statistics extension): its whole request and the model's run in it. */
interface ServerCall {
  requestMs: number;
  modelMs: number;
}

/**
 * Wall ms of each call, and this process's CPU ms of each (all its threads: for the Triton engine,
 * the client's own cost). With `statistics`, the server's statistics are read before and after each
 * call (outside the timed part) and the difference goes to `server`.
 */
async function time(
  engine: Engine,
  batch: Float32Array[],
  runs: number,
  cpu: number[] = [],
  statistics?: () => Promise<ModelStatistics>,
  server: ServerCall[] = [],
): Promise<number[]> {
  for (let i = 0; i < 3; i++) await engine.infer(batch);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const before = statistics && (await statistics()).inference_stats;
    const c = process.cpuUsage();
    const s = performance.now();
    await engine.infer(batch);
    t.push(performance.now() - s);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    if (before && statistics) {
      const after = (await statistics()).inference_stats;
      server.push({ requestMs: (after.success.ns - before.success.ns) / 1e6, modelMs: (after.compute_infer.ns - before.compute_infer.ns) / 1e6 });
    }
  }
  return t;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, runs: { type: 'string', default: '20' } } });
  const root = projectRoot();
  const modelDir = resolveModelDir(values.model);
  const runs = Number(values.runs);
  const model = readModelFolder(modelDir);
  const batch = activityBatch(model.manifest, false);
  const wholeBatch = activityBatch(model.manifest, true);
  const samplesOf = (b: Float32Array[]) => b.reduce((n, x) => n + x.length, 0);
  const server = await startServer(root, modelDir);
  try {
    const cpu = await CpuOnnxEngine.load(model, { intraOpThreads: 1 });
    const triton = await TritonEngine.load({ config: parseTritonConfig({ url: server.url, ca: { file: server.ca } }), model });
    // Interleave the engines and batches so machine noise hits all alike.
    const times = { cpu: [] as number[], triton: [] as number[], cpuWhole: [] as number[], tritonWhole: [] as number[] };
    const clientCpu = { windows: [] as number[], whole: [] as number[] };
    const calls = { windows: [] as ServerCall[], whole: [] as ServerCall[] };
    const statistics = () => triton.serverStatistics();
    for (let round = 0; round < 4; round++) {
      times.cpu.push(...(await time(cpu, batch, Math.ceil(runs / 4))));
      times.triton.push(...(await time(triton, batch, Math.ceil(runs / 4), clientCpu.windows, statistics, calls.windows)));
      times.cpuWhole.push(...(await time(cpu, wholeBatch, Math.ceil(runs / 4))));
      times.tritonWhole.push(...(await time(triton, wholeBatch, Math.ceil(runs / 4), clientCpu.whole, statistics, calls.whole)));
    }
    // Per Triton call: its wall time less the model's run as the server timed it (the same call),
    // split into the server's own handling and the client plus the wire.
    const beyondModel = (walls: number[], calls: ServerCall[]) => walls.map((w, i) => w - (calls[i] as ServerCall).modelMs);
    const clientAndWire = (walls: number[], calls: ServerCall[]) => walls.map((w, i) => w - (calls[i] as ServerCall).requestMs);
    const serverOther = (calls: ServerCall[]) => calls.map((c) => c.requestMs - c.modelMs);
    // Bytes on the wire per activity: the request's raw input and the response's raw logits
    // (TLS records and gRPC/HTTP2 framing add a few per cent on top).
    const logits = await cpu.infer(batch);
    const wholeLogits = await cpu.infer(wholeBatch);
    await cpu.close();
    await triton.close();
    const m = (x: number[]) => median(x);
    const vocab = model.manifest.vocabulary.length;
    const longest = (b: Float32Array[]) => Math.max(...b.map((x) => x.length));
    const wire = (b: Float32Array[], out: typeof logits) => ({
      requestBytes: b.length * longest(b) * 4,
      responseBytes: b.length * Math.max(...out.logits.map((l) => l.frames)) * vocab * 4,
    });
    const onWire = wire(batch, logits);
    const onWireWhole = wire(wholeBatch, wholeLogits);
    const mb = (n: number) => (n / 1e6).toFixed(2);
    printTable(
      `Batched inference of one activity (10 phrases of 6 s, 3 s padding): model windows ${(samplesOf(batch) / model.manifest.sampleRate).toFixed(0)} s of audio vs whole padded phrases ${(samplesOf(wholeBatch) / model.manifest.sampleRate).toFixed(0)} s; median of ${times.cpu.length}`,
      ['path', 'windows ms', 'whole padding ms', 'ratio', 'bytes on the wire (windows / whole)'],
      [
        ['CPU engine, in-process (baseline)', m(times.cpu).toFixed(1), m(times.cpuWhole).toFixed(1), `${(m(times.cpuWhole) / m(times.cpu)).toFixed(2)}×`, ''],
        [
          'Triton engine, gRPC + TLS on loopback',
          m(times.triton).toFixed(1),
          m(times.tritonWhole).toFixed(1),
          `${(m(times.tritonWhole) / m(times.triton)).toFixed(2)}×`,
          `${mb(onWire.requestBytes + onWire.responseBytes)} MB / ${mb(onWireWhole.requestBytes + onWireWhole.responseBytes)} MB`,
        ],
        ['Triton path overhead (target ≤ 10 ms)', (m(times.triton) - m(times.cpu)).toFixed(1), (m(times.tritonWhole) - m(times.cpuWhole)).toFixed(1), '', ''],
        ['  of which client CPU (serialise, TLS, parse)', m(clientCpu.windows).toFixed(1), m(clientCpu.whole).toFixed(1), '', ''],
        [
          "Triton call beyond the server's model run (same calls)",
          m(beyondModel(times.triton, calls.windows)).toFixed(1),
          m(beyondModel(times.tritonWhole, calls.whole)).toFixed(1),
          '',
          '',
        ],
        [
          '  client and wire (call − server request time)',
          m(clientAndWire(times.triton, calls.windows)).toFixed(1),
          m(clientAndWire(times.tritonWhole, calls.whole)).toFixed(1),
          '',
          '',
        ],
        ['  server handling besides the model (stand-in)', m(serverOther(calls.windows)).toFixed(1), m(serverOther(calls.whole)).toFixed(1), '', ''],
        ["server's model run (compute_infer)", m(calls.windows.map((c) => c.modelMs)).toFixed(1), m(calls.whole.map((c) => c.modelMs)).toFixed(1), '', ''],
      ],
    );
    process.stdout.write(
      "Server times are the stand-in's statistics (Triton's statistics extension: request from the handler's start, compute_infer = session.run); its gRPC decoding of the request is in 'client and wire'. Triton's C++ server is not measured here.\n",
    );
    writeJson(root, 'engines', {
      model: modelDir,
      runs: times.cpu.length,
      windows: {
        samples: samplesOf(batch),
        ...onWire,
        medianCpuMs: m(times.cpu),
        medianTritonMs: m(times.triton),
        overheadMs: m(times.triton) - m(times.cpu),
        medianClientCpuMs: m(clientCpu.windows),
        medianBeyondModelMs: m(beyondModel(times.triton, calls.windows)),
        medianClientAndWireMs: m(clientAndWire(times.triton, calls.windows)),
        medianServerOtherMs: m(serverOther(calls.windows)),
        medianServerModelMs: m(calls.windows.map((c) => c.modelMs)),
      },
      wholePadding: {
        samples: samplesOf(wholeBatch),
        ...onWireWhole,
        medianCpuMs: m(times.cpuWhole),
        medianTritonMs: m(times.tritonWhole),
        overheadMs: m(times.tritonWhole) - m(times.cpuWhole),
        medianClientCpuMs: m(clientCpu.whole),
        medianBeyondModelMs: m(beyondModel(times.tritonWhole, calls.whole)),
        medianClientAndWireMs: m(clientAndWire(times.tritonWhole, calls.whole)),
        medianServerOtherMs: m(serverOther(calls.whole)),
        medianServerModelMs: m(calls.whole.map((c) => c.modelMs)),
      },
      serverCalls: calls,
      timesMs: times,
    });
  } finally {
    server.stop();
  }
}

runBenchmark('bench:engines', main);
