/**
 * Aligner benchmark: µs per alignment (median of repeated timed passes) for the native module,
 * the TypeScript fallback and the previous system's Myers diff + pairing (baseline), on the
 * committed inputs in aligner/bench/data. Prints a table and writes JSON.
 *
 *   node dist/aligner/bench/run.js [--out bench-results/aligner.json] [--quick]
 *   node dist/aligner/bench/run.js --input phrases.jsonl   # score a JSONL file of {ref, hyp}
 *
 * `--input` lines are {"ref": [...], "hyp": [...], "freeLead"?: n, "freeTrail"?: n} where ref/hyp
 * hold either ids (numbers, item ids / element ids of data/table.json) or names (strings from
 * its itemNames / elementNames).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type AlignInput, type Alignment, type CostTable, createAligner, nativeStatus } from '../index';
import { baselineAlign } from './baseline';

interface BenchTable extends CostTable {
  itemNames: string[];
  elementNames: string[];
}

/** The data folder beside this file (tsx) or in the source tree (compiled to dist/aligner/bench). */
function dataDir(): string {
  const candidates = [join(__dirname, 'data'), join(__dirname, '..', '..', '..', 'aligner', 'bench', 'data')];
  const found = candidates.find((d) => existsSync(join(d, 'table.json')));
  if (found === undefined) throw new Error(`benchmark data not found in ${candidates.join(' or ')}`);
  return found;
}

function loadTable(dir: string): BenchTable {
  const raw = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8'));
  return { ...raw, sub: Float64Array.from(raw.sub), kind: Uint8Array.from(raw.kind) };
}

function loadCases(dir: string, name: string): { description: string; inputs: AlignInput[] } {
  const raw = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  return {
    description: raw.description,
    inputs: raw.cases.map((c: { ref: number[]; hyp: number[]; freeLead?: number; freeTrail?: number }) => ({
      ref: Uint32Array.from(c.ref),
      hyp: Uint32Array.from(c.hyp),
      freeLead: c.freeLead ?? 0,
      freeTrail: c.freeTrail ?? 0,
    })),
  };
}

/** Median µs per alignment over timed passes of the whole case list (after warm-up). */
function timePerAlignment(inputs: readonly AlignInput[], fn: (input: AlignInput) => unknown, budgetMs: number): number {
  const pass = (): number => {
    const t0 = process.hrtime.bigint();
    for (const input of inputs) fn(input);
    return Number(process.hrtime.bigint() - t0) / 1e3 / inputs.length;
  };
  const warmEnd = Date.now() + budgetMs / 4;
  do pass();
  while (Date.now() < warmEnd);
  const samples: number[] = [];
  const end = Date.now() + budgetMs;
  while (samples.length < 7 || (Date.now() < end && samples.length < 2001)) samples.push(pass());
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1] as number;
}

/** Median ms of whole-batch calls. */
function timeBatch(run: () => unknown, budgetMs: number): number {
  run();
  const samples: number[] = [];
  const end = Date.now() + budgetMs;
  while (samples.length < 5 || (Date.now() < end && samples.length < 200)) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1] as number;
}

function args(argv: string[]): { out: string; input?: string; quick: boolean } {
  const out = { out: 'bench-results/aligner.json', input: undefined as string | undefined, quick: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--out') out.out = argv[++k] ?? out.out;
    else if (a === '--input') out.input = argv[++k];
    else if (a === '--quick') out.quick = true;
    else throw new Error(`unknown argument ${a}; use --out FILE, --input FILE.jsonl, --quick`);
  }
  return out;
}

function parseInputFile(file: string, table: BenchTable): AlignInput[] {
  const itemIds = new Map(table.itemNames.map((n, k) => [n, k]));
  const elementIds = new Map(table.elementNames.map((n, k) => [n, k]));
  const toIds = (values: unknown, names: Map<string, number>, what: string, line: number): Uint32Array => {
    if (!Array.isArray(values)) throw new Error(`${file}:${line}: ${what} must be an array`);
    return Uint32Array.from(values, (v) => {
      if (typeof v === 'number') return v;
      const id = names.get(String(v));
      if (id === undefined) throw new Error(`${file}:${line}: unknown ${what} name ${JSON.stringify(v)}`);
      return id;
    });
  };
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((text, k) => ({ text: text.trim(), line: k + 1 }))
    .filter(({ text }) => text.length > 0)
    .map(({ text, line }) => {
      const row = JSON.parse(text);
      return {
        ref: toIds(row.ref, itemIds, 'ref', line),
        hyp: toIds(row.hyp, elementIds, 'hyp', line),
        freeLead: row.freeLead ?? 0,
        freeTrail: row.freeTrail ?? 0,
      };
    });
}

const fmt = (v: number | null): string => (v === null ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function main(): void {
  const opts = args(process.argv.slice(2));
  const dir = dataDir();
  const table = loadTable(dir);
  const status = nativeStatus();
  const native = status.available ? createAligner(table, { backend: 'native' }) : undefined;
  const ts = createAligner(table, { backend: 'ts' });
  const base = (input: AlignInput): Alignment => baselineAlign(table, input.ref, input.hyp);
  const budget = opts.quick ? 300 : 2000;
  console.log(`native: ${status.available ? status.path : `unavailable (${status.reason})`}`);
  console.log(`node ${process.version}, ${availableParallelism()} cpus`);

  if (opts.input !== undefined) {
    const inputs = parseInputFile(resolve(opts.input), table);
    const aligner = native ?? ts;
    const results = aligner.alignBatch(inputs);
    const row = {
      file: opts.input,
      alignments: inputs.length,
      nativeUs: native ? timePerAlignment(inputs, (i) => native.align(i), budget) : null,
      tsUs: timePerAlignment(inputs, (i) => ts.align(i), budget),
      baselineUs: timePerAlignment(inputs, base, budget),
      totalCost: results.reduce((sum, r) => sum + r.cost, 0),
    };
    console.log(`${row.alignments} alignments from ${row.file} (${aligner.backend}): total cost ${row.totalCost}`);
    console.log(`µs per alignment: native ${fmt(row.nativeUs)}, ts ${fmt(row.tsUs)}, baseline ${fmt(row.baselineUs)}`);
    writeJson(opts.out, {
      kind: 'input',
      ...row,
      paths: results.map((r) => ({ cost: r.cost, ops: Array.from(r.ops), refIndex: Array.from(r.refIndex), hypIndex: Array.from(r.hypIndex) })),
    });
    return;
  }

  const rows: Array<{ scenario: string; description: string; alignments: number; nativeUs: number | null; tsUs: number; baselineUs: number }> = [];
  for (const scenario of ['phrase', 'activity', 'long', 'identical']) {
    const { description, inputs } = loadCases(dir, scenario);
    rows.push({
      scenario,
      description,
      alignments: inputs.length,
      nativeUs: native ? timePerAlignment(inputs, (i) => native.align(i), budget) : null,
      tsUs: timePerAlignment(inputs, (i) => ts.align(i), budget),
      baselineUs: timePerAlignment(inputs, base, budget),
    });
  }
  {
    // The same activities through alignBatch (one call, threads): how scoring code should call it.
    const { inputs } = loadCases(dir, 'activity');
    const per = (run: () => unknown): number => (timeBatch(run, budget) * 1e3) / inputs.length;
    rows.push({
      scenario: 'activity/batch',
      description: 'the activity inputs through alignBatch (one call for all 200)',
      alignments: inputs.length,
      nativeUs: native ? per(() => native.alignBatch(inputs)) : null,
      tsUs: per(() => ts.alignBatch(inputs)),
      baselineUs: per(() => inputs.map(base)),
    });
  }
  const batch = loadCases(dir, 'batch');
  const batchRow = {
    scenario: 'batch',
    description: batch.description,
    phrases: batch.inputs.length,
    nativeMs: native ? timeBatch(() => native.alignBatch(batch.inputs), budget) : null,
    tsMs: timeBatch(() => ts.alignBatch(batch.inputs), budget),
    baselineMs: timeBatch(() => batch.inputs.map(base), budget),
  };

  console.log('\nscenario        alignments   native µs      ts µs   baseline µs   base/native   ts/native');
  for (const r of rows) {
    const vsBase = r.nativeUs ? r.baselineUs / r.nativeUs : null;
    const vsTs = r.nativeUs ? r.tsUs / r.nativeUs : null;
    console.log(
      `${r.scenario.padEnd(15)} ${String(r.alignments).padStart(10)} ${fmt(r.nativeUs).padStart(11)} ${fmt(r.tsUs).padStart(10)} ${fmt(r.baselineUs).padStart(13)} ${fmt(vsBase).padStart(13)} ${fmt(vsTs).padStart(11)}`,
    );
  }
  console.log(
    `batch           ${String(batchRow.phrases).padStart(10)} ${`${fmt(batchRow.nativeMs)} ms`.padStart(11)} ${`${fmt(batchRow.tsMs)} ms`.padStart(10)} ${`${fmt(batchRow.baselineMs)} ms`.padStart(13)}`,
  );

  const get = (s: string) => rows.find((r) => r.scenario === s);
  const activity = get('activity');
  const long = get('long');
  const targets = native
    ? [
        { target: 'native >= 1.3x faster than baseline on activity', met: (activity?.baselineUs ?? 0) / (activity?.nativeUs ?? 1) >= 1.3 },
        { target: 'native <= 2.5x baseline time on long', met: (long?.nativeUs ?? Infinity) <= 2.5 * (long?.baselineUs ?? 0) },
        { target: 'native >= 3x TS on activity', met: (activity?.tsUs ?? 0) / (activity?.nativeUs ?? 1) >= 3 },
        { target: 'native >= 3x TS on long', met: (long?.tsUs ?? 0) / (long?.nativeUs ?? 1) >= 3 },
        { target: 'batch of 10,000 phrases <= 50 ms', met: (batchRow.nativeMs ?? Infinity) <= 50 },
      ]
    : [];
  console.log('');
  for (const t of targets) console.log(`${t.met ? 'met    ' : 'MISSED '} ${t.target}`);
  writeJson(opts.out, { kind: 'scenarios', node: process.version, cpus: availableParallelism(), native: status, rows, batch: batchRow, targets });
}

function writeJson(file: string, body: unknown): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

main();
