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
import { normalizeForModel, readModelFolder } from '../../core/model';
import type { Engine } from '../../core/pipeline/engine';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { projectRoot, resolveModelDir } from '../../engines/factory';
import { parseTritonConfig } from '../../engines/triton/config';
import { TritonEngine } from '../../engines/triton/tritonEngine';
import { median, percentile, printTable, runBenchmark, writeJson } from './report';

/** Ten 6 s phrases padded with 3 s of neighbours (as the pipeline sends them), speech-like noise. */
function activityBatch(rate: number, manifest: Parameters<typeof normalizeForModel>[1]): Float32Array[] {
  let seed = 11;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648) * 2 - 1;
  };
  return Array.from({ length: 10 }, (_, p) => {
    const seconds = 6 + (p === 0 || p === 9 ? 3 : 6);
    const x = Float32Array.from({ length: seconds * rate }, (_, i) => rand() * (Math.floor(i / 3000) % 3 ? 0.2 : 0.01));
    return normalizeForModel(x, manifest);
  });
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

async function time(engine: Engine, batch: Float32Array[], runs: number): Promise<number[]> {
  for (let i = 0; i < 3; i++) await engine.infer(batch);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await engine.infer(batch);
    t.push(performance.now() - s);
  }
  return t;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, runs: { type: 'string', default: '20' } } });
  const root = projectRoot();
  const modelDir = resolveModelDir(values.model);
  const runs = Number(values.runs);
  const model = readModelFolder(modelDir);
  const batch = activityBatch(model.manifest.sampleRate, model.manifest);
  const samples = batch.reduce((n, b) => n + b.length, 0);
  const server = await startServer(root, modelDir);
  try {
    const cpu = await CpuOnnxEngine.load(model, { intraOpThreads: 1 });
    const triton = await TritonEngine.load({ config: parseTritonConfig({ url: server.url, ca: { file: server.ca } }), model });
    // Interleave the two engines so machine noise hits both alike.
    const cpuTimes: number[] = [];
    const tritonTimes: number[] = [];
    for (let round = 0; round < 4; round++) {
      cpuTimes.push(...(await time(cpu, batch, Math.ceil(runs / 4))));
      tritonTimes.push(...(await time(triton, batch, Math.ceil(runs / 4))));
    }
    await cpu.close();
    await triton.close();
    const c = median(cpuTimes);
    const t = median(tritonTimes);
    const bytes = samples * 4;
    printTable(
      `Batched inference of one activity (10 phrases, ${(samples / model.manifest.sampleRate).toFixed(0)} s of padded audio, ${(bytes / 1e6).toFixed(1)} MB in), median of ${cpuTimes.length}`,
      ['path', 'median ms', 'p90 ms', 'vs CPU'],
      [
        ['CPU engine, in-process (baseline)', c.toFixed(1), percentile(cpuTimes, 90).toFixed(1), '1.00×'],
        ['Triton engine, gRPC + TLS on loopback', t.toFixed(1), percentile(tritonTimes, 90).toFixed(1), `${(t / c).toFixed(2)}×`],
        ['added overhead (target ≤ 5 ms)', (t - c).toFixed(1), '', ''],
      ],
    );
    writeJson(root, 'engines', {
      model: modelDir,
      inputBytes: bytes,
      runs: cpuTimes.length,
      cpuMs: cpuTimes,
      tritonMs: tritonTimes,
      medianCpuMs: c,
      medianTritonMs: t,
      overheadMs: t - c,
    });
  } finally {
    server.stop();
  }
}

runBenchmark('bench:engines', main);
