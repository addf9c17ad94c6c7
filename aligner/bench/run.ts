/**
 * `npm run bench:aligner`: the aligner against the previous system's, pure Rust to pure Rust —
 * instructions per alignment under callgrind of the addon's aligner and of the old `similar`-based
 * Myers aligner (aligner/bench/native), and how often their verdicts differ — plus node wall time
 * of the native module and the TypeScript fallback, on the committed inputs in aligner/bench/data.
 * Prints the tables and writes JSON. Needs valgrind, cargo and Debian's librust-similar-dev; without
 * them it says which is missing and exits 1.
 *
 *   node dist/aligner/bench/run.js [--out bench-results/aligner.json] [--quick]
 *   node dist/aligner/bench/run.js --input phrases.jsonl   # the same on a JSONL file of {ref, hyp}
 *
 * `--input` lines are {"ref": [...], "hyp": [...], "freeLead"?: n, "freeTrail"?: n} where ref/hyp
 * hold either ids (numbers, item ids / element ids of data/table.json) or names (strings from
 * its itemNames / elementNames).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { printTable } from '../../tools/bench/report';
import { type AlignInput, type CostTable, createAligner, nativeStatus, type PhraseAligner } from '../index';
import { buildRustBench, compareInRust, missingRustPrerequisites, type RustComparison, writeCasesText, writeTableText } from './rustBaseline';

interface BenchTable extends CostTable {
  itemNames: string[];
  elementNames: string[];
}

/** A workload: the Rust comparison and the node wall times of the same inputs. */
interface Row {
  scenario: string;
  description: string;
  rust: RustComparison;
  /** µs per alignment through align() (median of timed passes); null without the native module. */
  nativeUs: number | null;
  tsUs: number;
}

/** The aligner/bench folder of the source tree, beside this file (tsx) or from dist/aligner/bench. */
function benchDir(): string {
  const candidates = [__dirname, join(__dirname, '..', '..', '..', 'aligner', 'bench')];
  const found = candidates.find((d) => existsSync(join(d, 'data', 'table.json')) && existsSync(join(d, 'native', 'Cargo.toml')));
  if (found === undefined) throw new Error(`benchmark data and crate not found in ${candidates.join(' or ')}`);
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
const count = (v: number): string => Math.round(v).toLocaleString('en-US');
const percent = (part: number, whole: number): string => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(2)} %`);

/** Runs the Rust comparison on `inputs` and checks that the bench binary's aligner is the node module's. */
function compare(binary: string, tableFile: string, work: string, name: string, inputs: readonly AlignInput[], node: PhraseAligner, budgetMs: number): RustComparison {
  const casesFile = join(work, `${name}.txt`);
  writeCasesText(casesFile, inputs);
  const rust = compareInRust(binary, tableFile, casesFile, budgetMs);
  const nodeCost = node.alignBatch(inputs).reduce((sum, r) => sum + r.cost, 0);
  if (nodeCost !== rust.newCost) {
    throw new Error(`${name}: the bench binary's aligner costs ${rust.newCost} in total, the ${node.backend} module ${nodeCost}; they should be the same code`);
  }
  return rust;
}

function printRows(rows: readonly Row[]): void {
  printTable(
    'Rust: instructions per alignment (callgrind Ir, one pass after a warm-up pass; exact), wall ns per alignment (median; noisy), verdicts compared item by item',
    ['scenario', 'alignments', 'new Ir', 'old Ir', 'Ir new/old', 'new ns', 'old ns', 'ns new/old', 'items', 'verdict differs', 'phrases differ', 'old costlier', 'cost new/old'],
    rows.map(({ scenario, rust: r }) => [
      scenario,
      r.alignments,
      count(r.newInstructions / r.alignments),
      count(r.oldInstructions / r.alignments),
      (r.newInstructions / r.oldInstructions).toFixed(2),
      fmt(r.newNs),
      fmt(r.oldNs),
      (r.newNs / r.oldNs).toFixed(2),
      r.items,
      `${r.verdictDiffers} (${percent(r.verdictDiffers, r.items)})`,
      `${r.phrasesDiffer} (${percent(r.phrasesDiffer, r.alignments)})`,
      r.oldCostlier,
      `${fmt(r.newCost)} / ${fmt(r.oldCost)}`,
    ]),
  );
}

function main(): void {
  const opts = args(process.argv.slice(2));
  const missing = missingRustPrerequisites();
  if (missing.length > 0) {
    process.stderr.write(`bench:aligner: cannot compare with the old aligner, nothing measured:\n${missing.map((m) => `  - ${m}\n`).join('')}`);
    process.exitCode = 1;
    return;
  }
  const bench = benchDir();
  const data = join(bench, 'data');
  const table = loadTable(data);
  const { binary, similar } = buildRustBench(join(bench, 'native'));
  const status = nativeStatus();
  const native = status.available ? createAligner(table, { backend: 'native' }) : undefined;
  const ts = createAligner(table, { backend: 'ts' });
  const budget = opts.quick ? 300 : 2000;
  const work = mkdtempSync(join(tmpdir(), 'readscore-aligner-bench-'));
  const tableFile = join(work, 'table.txt');
  writeTableText(tableFile, table);
  const machine = { date: new Date().toISOString(), node: process.version, cores: cpus().length, cpu: cpus()[0]?.model, similar, native: status };
  console.log(`native module: ${status.available ? status.path : `unavailable (${status.reason})`}; old aligner: similar ${similar} (Myers)`);
  console.log(`node ${process.version}, ${cpus().length} cpus`);
  try {
    const workloads =
      opts.input !== undefined
        ? [{ scenario: 'input', description: opts.input, inputs: parseInputFile(resolve(opts.input), table) }]
        : ['phrase', 'activity', 'long', 'identical', 'batch'].map((scenario) => ({ scenario, ...loadCases(data, scenario) }));
    const rows: Row[] = workloads.map(({ scenario, description, inputs }) => ({
      scenario,
      description,
      rust: compare(binary, tableFile, work, scenario, inputs, native ?? ts, budget),
      nativeUs: native ? timePerAlignment(inputs, (i) => native.align(i), budget) : null,
      tsUs: timePerAlignment(inputs, (i) => ts.align(i), budget),
    }));
    printRows(rows);

    const batches = workloads
      .filter(({ scenario }) => scenario === 'activity' || scenario === 'batch' || scenario === 'input')
      .map(({ scenario, inputs }) => ({
        scenario,
        alignments: inputs.length,
        nativeMs: native ? timeBatch(() => native.alignBatch(inputs), budget) : null,
        tsMs: timeBatch(() => ts.alignBatch(inputs), budget),
      }));
    printTable(
      'node wall time (noisy on a shared machine): native module vs TypeScript fallback',
      ['scenario', 'native µs/align', 'ts µs/align', 'ts/native'],
      rows.map((r) => [r.scenario, fmt(r.nativeUs), fmt(r.tsUs), r.nativeUs ? fmt(r.tsUs / r.nativeUs) : '-']),
    );
    printTable(
      'node wall time of one alignBatch call over the whole scenario',
      ['scenario', 'alignments', 'native ms', 'ts ms', 'ts/native'],
      batches.map((b) => [b.scenario, b.alignments, fmt(b.nativeMs), fmt(b.tsMs), b.nativeMs ? fmt(b.tsMs / b.nativeMs) : '-']),
    );

    const get = (s: string) => rows.find((r) => r.scenario === s);
    const activity = get('activity');
    const long = get('long');
    const batch = batches.find((b) => b.scenario === 'batch');
    const targets =
      activity && long && batch
        ? [
            { target: 'new aligner >= 1.3x fewer instructions than the old one on activity', met: activity.rust.oldInstructions >= 1.3 * activity.rust.newInstructions },
            { target: 'new aligner <= 2.5x the old one’s instructions on long', met: long.rust.newInstructions <= 2.5 * long.rust.oldInstructions },
            ...(native
              ? [
                  { target: 'native >= 3x TS wall time on activity', met: activity.tsUs >= 3 * (activity.nativeUs ?? Infinity) },
                  { target: 'native >= 3x TS wall time on long', met: long.tsUs >= 3 * (long.nativeUs ?? Infinity) },
                  { target: 'native alignBatch of 10,000 phrases <= 50 ms', met: (batch.nativeMs ?? Infinity) <= 50 },
                ]
              : []),
          ]
        : [];
    if (targets.length > 0) console.log('');
    for (const t of targets) console.log(`${t.met ? 'met    ' : 'MISSED '} ${t.target}`);
    // With --input, the paths too: what the new aligner makes of the user's phrases.
    const paths =
      opts.input === undefined
        ? undefined
        : (native ?? ts)
            .alignBatch(workloads[0]?.inputs ?? [])
            .map((r) => ({ cost: r.cost, ops: Array.from(r.ops), refIndex: Array.from(r.refIndex), hypIndex: Array.from(r.hypIndex) }));
    writeJson(opts.out, { kind: opts.input === undefined ? 'scenarios' : 'input', ...machine, rows, batches, targets, ...(paths ? { paths } : {}) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function writeJson(file: string, body: unknown): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`bench:aligner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
