/**
 * The Rust half of the aligner benchmark: builds aligner/bench/native (the addon's aligner and the
 * previous system's `similar`-based Myers aligner in one binary), then per workload counts the
 * instructions of one pass of each under callgrind, times them (wall, noisy) and compares their
 * verdicts item by item.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlignInput, CostTable } from '../index';

/** Where Debian's librust-similar-dev puts the crate sources the bench crate builds from. */
export const DEBIAN_CARGO_REGISTRY = '/usr/share/cargo/registry';

/** The old and the new aligner on one workload, from one run of the bench binary per measure. */
export interface RustComparison {
  alignments: number;
  /** Instructions (callgrind Ir) of one pass over the workload, after a warm-up pass. */
  newInstructions: number;
  oldInstructions: number;
  /** Median wall ns per alignment outside valgrind (noisy on a shared machine). */
  newNs: number;
  oldNs: number;
  /** Items of all alignments, and those whose verdict (Match, Accept, Substitute, Delete) differs. */
  items: number;
  verdictDiffers: number;
  /** Items whose verdict or answering element differs. */
  verdictOrHeardDiffers: number;
  /** Alignments with at least one differing verdict. */
  phrasesDiffer: number;
  /** Alignments where the old path costs more than the optimum (it never costs less: checked). */
  oldCostlier: number;
  /** Summed path costs under the table (padding insertions free). */
  newCost: number;
  oldCost: number;
}

/** What the Rust half needs and this machine lacks, one line each (empty: all present). */
export function missingRustPrerequisites(): string[] {
  const missing: string[] = [];
  const runs = (command: string) => spawnSync(command, ['--version'], { encoding: 'utf8' }).status === 0;
  if (!runs('valgrind')) missing.push('valgrind not found on PATH (Debian: apt-get install valgrind); instruction counts need callgrind');
  if (!runs('cargo')) missing.push('cargo not found on PATH; the bench crate aligner/bench/native needs a Rust toolchain (>= 1.74)');
  if (similarVersions().length === 0) {
    missing.push(`the similar crate 2.2.x is not in ${DEBIAN_CARGO_REGISTRY} (Debian: apt-get install librust-similar-dev); the old aligner is built on it`);
  }
  return missing;
}

function similarVersions(): string[] {
  if (!existsSync(DEBIAN_CARGO_REGISTRY)) return [];
  return readdirSync(DEBIAN_CARGO_REGISTRY).filter((name) => /^similar-2\.2\.\d+$/.test(name));
}

/** Builds the bench binary (release, offline); returns its path and the similar version it used. */
export function buildRustBench(crateDir: string): { binary: string; similar: string } {
  // cwd = the crate, so its .cargo/config.toml (the Debian registry as the only source) applies.
  const build = spawnSync('cargo', ['build', '--release', '--offline', '--quiet'], { cwd: crateDir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`cargo build in ${crateDir} failed:\n${build.stderr}`);
  const lock = readFileSync(join(crateDir, 'Cargo.lock'), 'utf8');
  const similar = /name = "similar"\nversion = "([^"]+)"/.exec(lock)?.[1] ?? 'unknown';
  return { binary: join(crateDir, 'target', 'release', 'readscore-aligner-bench'), similar };
}

/** Writes the table in the bench binary's text format (JS number spelling round-trips exactly). */
export function writeTableText(file: string, table: CostTable): void {
  writeFileSync(file, `${table.items} ${table.elements} ${table.insert} ${table.delete}\n${table.sub.join(' ')}\n${table.kind.join(' ')}\n`);
}

/** Writes alignment inputs in the bench binary's text format. */
export function writeCasesText(file: string, inputs: readonly AlignInput[]): void {
  const lines = inputs.map((c) => `${c.freeLead ?? 0} ${c.freeTrail ?? 0} ${c.ref.length} ${c.ref.join(' ')} ${c.hyp.length} ${c.hyp.join(' ')}`);
  writeFileSync(file, `${inputs.length}\n${lines.join('\n')}\n`);
}

function runJson(command: string, args: string[], what: string): Record<string, number> {
  const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`${what} failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '');
}

/** Instructions of the measured pass of `which` (callgrind collects only inside its function). */
function countInstructions(binary: string, which: 'new' | 'old', tableFile: string, casesFile: string): number {
  const out = `${casesFile}.${which}.callgrind`;
  runJson(
    'valgrind',
    ['--tool=callgrind', `--toggle-collect=readscore_bench_${which}`, `--callgrind-out-file=${out}`, binary, 'count', which, tableFile, casesFile],
    `callgrind on the ${which} aligner (${casesFile})`,
  );
  const totals = /^totals: (\d+)/m.exec(readFileSync(out, 'utf8'))?.[1];
  if (totals === undefined) throw new Error(`no totals line in ${out}`);
  return Number(totals);
}

/** Median wall ns per alignment of `which`, over passes for about `budgetMs`. */
function timeAlignments(binary: string, which: 'new' | 'old', tableFile: string, casesFile: string, budgetMs: number): number {
  return runJson(binary, ['time', which, tableFile, casesFile, String(budgetMs)], `timing the ${which} aligner (${casesFile})`).nsPerAlignment as number;
}

/** Compares the old and new aligner on one workload already written to `casesFile`. */
export function compareInRust(binary: string, tableFile: string, casesFile: string, budgetMs: number): RustComparison {
  const agreement = runJson(binary, ['agree', tableFile, casesFile], `the bench binary on ${casesFile}`);
  return {
    alignments: agreement.alignments as number,
    newInstructions: countInstructions(binary, 'new', tableFile, casesFile),
    oldInstructions: countInstructions(binary, 'old', tableFile, casesFile),
    newNs: timeAlignments(binary, 'new', tableFile, casesFile, budgetMs),
    oldNs: timeAlignments(binary, 'old', tableFile, casesFile, budgetMs),
    items: agreement.items as number,
    verdictDiffers: agreement.verdictDiffers as number,
    verdictOrHeardDiffers: agreement.verdictOrHeardDiffers as number,
    phrasesDiffer: agreement.phrasesDiffer as number,
    oldCostlier: agreement.oldCostlier as number,
    newCost: agreement.newCost as number,
    oldCost: agreement.oldCost as number,
  };
}
