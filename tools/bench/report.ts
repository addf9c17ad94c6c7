/** Shared helpers of the benchmark scripts: statistics, a printed table, a JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The p-th percentile (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/** Prints rows as an aligned table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c] ?? 0) : v.padStart(widths[c] ?? 0))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.slice(1).map(line).join('\n')}\n`);
}

/** Writes `bench-results/<name>.json` with the date and machine in front of `figures`, and says so. */
export function writeJson(root: string, name: string, figures: object): string {
  const dir = join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const machine = { date: new Date().toISOString(), node: process.version, cores: cpus().length, cpu: cpus()[0]?.model };
  writeFileSync(path, `${JSON.stringify({ ...machine, ...figures }, null, 2)}\n`);
  process.stdout.write(`\nwrote ${path}\n`);
  return path;
}

/** Runs a benchmark's main function; a failure is printed and sets exit code 1. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().catch((error) => {
    process.stderr.write(`${name} failed: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
}

/** Lambda pricing the cost lines assume (x86, us-east-1, on-demand, 2026 list price). */
export const LAMBDA_PRICE = { perGbSecond: 0.0000166667, perMillionRequests: 0.2 } as const;

/**
 * The Lambda cost of 1,000 activities implied by a measured duration per activity at a memory
 * size, with the formula that gives it (printed next to the figure, so it can be redone).
 */
export function lambdaCostPer1000(msPerActivity: number, memoryMb: number): { usd: number; formula: string } {
  const gbSeconds = (msPerActivity / 1000) * (memoryMb / 1024);
  const usd = 1000 * (gbSeconds * LAMBDA_PRICE.perGbSecond + LAMBDA_PRICE.perMillionRequests / 1e6);
  const formula = `1000 × (${(msPerActivity / 1000).toFixed(3)} s × ${(memoryMb / 1024).toFixed(3)} GB × $${LAMBDA_PRICE.perGbSecond}/GB-s + $${LAMBDA_PRICE.perMillionRequests}/1M requests)`;
  return { usd, formula };
}
