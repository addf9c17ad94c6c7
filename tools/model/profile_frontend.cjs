// Times session.run of one or more letters-ctc graphs on the same batch of real example audio and
// breaks each graph's time down by ONNX op type (onnxruntime's own profiler), so that a front-end
// change can be judged by what it costs, not by what it should cost.
//
//   node tools/model/profile_frontend.cjs [options] <model.onnx> [<model.onnx> ...]
//     --batch 10 --seconds 11   batch of B rows of S s: the examples' WAVs end to end, cut in rows
//     --runs 20 --warmup 3      timed session.run calls per model (rounds interleave the models, so
//                               load from other processes falls on all of them alike)
//     --threads 1               intraOpNumThreads; otherwise the CPU engine's session options
//                               (engines/cpuOnnx.ts: sequential, all graph optimisations, no arena)
//     --arena                   with onnxruntime's CPU memory arena (the engine runs without)
//     --profile-runs 5          runs of a separate profiling session per model (0: no op breakdown)
//     --nodes 0                 also list the N slowest nodes of each profile
//     --json <file>             also write the figures as JSON
//   With no model: `npm run bench:model` (after `npm run build`) — the model folder of --baseline
//   [models/letters-ctc-1.7.2, the bundled model before 1.7.3] against the bundled model, written
//   to bench-results/model.json.
//
// Prints, per model, the median / min / mean ms of session.run and each op type's share of the
// profiled kernel time; with two or more models, each one's median relative to the first.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ort = require('onnxruntime-node');

const SR = 16000;
const REPO = path.resolve(__dirname, '..', '..');

function parseArgs(argv) {
  const opts = { batch: 10, seconds: 11, runs: 20, warmup: 3, threads: 1, profileRuns: 5, nodes: 0, arena: false, json: null, baseline: 'models/letters-ctc-1.7.2', models: [] };
  const numeric = {
    '--batch': 'batch',
    '--seconds': 'seconds',
    '--runs': 'runs',
    '--warmup': 'warmup',
    '--threads': 'threads',
    '--profile-runs': 'profileRuns',
    '--nodes': 'nodes',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in numeric) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number, got ${argv[i]}`);
      opts[numeric[a]] = v;
    } else if (a === '--arena') {
      opts.arena = true;
    } else if (a === '--baseline') {
      opts.baseline = argv[++i];
    } else if (a === '--json') {
      opts.json = argv[++i];
    } else if (a.startsWith('--')) {
      throw new Error(`unknown option ${a}`);
    } else {
      opts.models.push(a);
    }
  }
  if (opts.models.length === 0) {
    // `npm run bench:model`: the bundled model against the baseline, into bench-results/model.json.
    const bundled = require(path.join(REPO, 'dist', 'engines', 'factory.js')).BUNDLED_MODEL;
    opts.models = [path.join(REPO, opts.baseline, 'model.onnx'), path.join(REPO, bundled, 'model.onnx')];
    if (!opts.json) {
      fs.mkdirSync(path.join(REPO, 'bench-results'), { recursive: true });
      opts.json = path.join(REPO, 'bench-results', 'model.json');
    }
  }
  return opts;
}

/** PCM16 mono samples of a canonical 44-byte-header WAV (what make_examples.py writes), as floats. */
function readWav(file) {
  const buf = fs.readFileSync(file);
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'data') {
      const n = Math.floor(Math.min(size, buf.length - off - 8) / 2);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(off + 8 + 2 * i);
      return out;
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** B rows of S seconds cut from all example WAVs end to end, each normalised as the pipeline does
 * (zero mean, unit variance). */
function exampleBatch(batch, seconds) {
  const dir = path.join(REPO, 'examples');
  const files = fs
    .readdirSync(dir)
    .filter((d) => fs.statSync(path.join(dir, d)).isDirectory())
    .sort()
    .flatMap((d) =>
      fs
        .readdirSync(path.join(dir, d))
        .filter((f) => /^p\d+\.wav$/.test(f))
        .sort()
        .map((f) => path.join(dir, d, f)),
    );
  const n = Math.round(seconds * SR);
  const need = batch * n;
  const stream = new Float32Array(need);
  let filled = 0;
  for (let k = 0; filled < need; k++) {
    if (k === files.length && filled === 0) throw new Error('examples/ holds no audio');
    const s = readWav(files[k % files.length]);
    const take = Math.min(s.length, need - filled);
    stream.set(s.subarray(0, take), filled);
    filled += take;
  }
  for (let b = 0; b < batch; b++) {
    const row = stream.subarray(b * n, (b + 1) * n);
    let mean = 0;
    for (const v of row) mean += v;
    mean /= n;
    let varSum = 0;
    for (const v of row) varSum += (v - mean) ** 2;
    const sd = Math.sqrt(varSum / n) || 1;
    for (let i = 0; i < n; i++) row[i] = (row[i] - mean) / sd;
  }
  return new ort.Tensor('float32', stream, [batch, n]);
}

/** The CPU engine's session options (engines/cpuOnnx.ts), memory arena off unless --arena. */
function sessionOptions(opts, extra = {}) {
  return {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: opts.arena,
    logSeverityLevel: 3,
    ...extra,
  };
}

function summary(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { median: round(median), min: round(s[0]), mean: round(mean), runs: s.length };
}

function round(x, d = 2) {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** Op-type totals from onnxruntime's profile: kernel time of every node, summed by op type. */
async function opBreakdown(model, feeds, opts) {
  const runs = opts.profileRuns;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  try {
    const session = await ort.InferenceSession.create(model, sessionOptions(opts, { enableProfiling: true, profileFilePrefix: path.join(dir, 'p') }));
    await session.run(feeds); // first run allocates; keep it out of the totals below
    for (let i = 0; i < runs; i++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`${model}: onnxruntime wrote no profile`);
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    // model_run events delimit runs; drop the kernels of the first (warm-up) one
    const runEvents = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
    const firstEnd = runEvents.length ? runEvents[0].ts + runEvents[0].dur : 0;
    const byOp = new Map();
    const byNode = new Map();
    let total = 0;
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts <= firstEnd) continue;
      const op = e.args?.op_name ?? '?';
      byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
      const node = `${op} ${e.name.replace(/_kernel_time$/, '')}`;
      byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
      total += e.dur;
    }
    const ops = [...byOp.entries()].sort((a, b) => b[1] - a[1]).map(([op, us]) => ({ op, msPerRun: round(us / 1000 / runs), share: round((100 * us) / total, 1) }));
    const nodes = [...byNode.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, opts.nodes)
      .map(([node, us]) => ({ node, msPerRun: round(us / 1000 / runs), share: round((100 * us) / total, 1) }));
    return { kernelMsPerRun: round(total / 1000 / runs), ops, nodes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const input = exampleBatch(opts.batch, opts.seconds);
  const sessions = [];
  for (const m of opts.models) {
    const s = await ort.InferenceSession.create(m, sessionOptions(opts));
    sessions.push({ model: m, session: s, feeds: { [s.inputNames[0]]: input }, ms: [] });
  }
  for (const s of sessions) for (let i = 0; i < opts.warmup; i++) await s.session.run(s.feeds);
  for (let r = 0; r < opts.runs; r++) {
    for (const s of sessions) {
      const t0 = process.hrtime.bigint();
      await s.session.run(s.feeds);
      s.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const report = {
    onnxruntimeNode: require('onnxruntime-node/package.json').version,
    batch: opts.batch,
    seconds: opts.seconds,
    threads: opts.threads,
    arena: opts.arena,
    models: [],
  };
  for (const s of sessions) {
    const entry = { model: path.relative(process.cwd(), s.model), sessionRunMs: summary(s.ms), sizeMB: round(fs.statSync(s.model).size / 1e6, 3) };
    if (opts.profileRuns > 0) entry.profile = await opBreakdown(s.model, s.feeds, opts);
    report.models.push(entry);
    await s.session.release();
  }
  const base = report.models[0].sessionRunMs.median;
  for (const m of report.models) m.medianVsFirst = round(m.sessionRunMs.median / base, 3);

  for (const m of report.models) {
    const t = m.sessionRunMs;
    console.log(
      `${m.model} (${m.sizeMB} MB): session.run median ${t.median} ms, min ${t.min}, mean ${t.mean} ` +
        `(${t.runs} runs, ${opts.batch} x ${opts.seconds} s, ${opts.threads} thread) = ${m.medianVsFirst} x first`,
    );
    if (m.profile) {
      console.log(`  profiled kernel time ${m.profile.kernelMsPerRun} ms/run`);
      for (const o of m.profile.ops) console.log(`  ${o.op.padEnd(22)} ${String(o.msPerRun).padStart(9)} ms ${String(o.share).padStart(6)} %`);
      if (m.profile.nodes.length) console.log('  slowest nodes:');
      for (const o of m.profile.nodes) console.log(`    ${o.node.padEnd(60)} ${String(o.msPerRun).padStart(9)} ms ${String(o.share).padStart(6)} %`);
    }
  }
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify(report, null, 1)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
