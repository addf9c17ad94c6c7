/**
 * `npm run preview:mock [-- --stack prod]`: runs the Pulumi program under mocks for each
 * `Pulumi.<stack>.yaml` (or the one named) and prints the resource tree and a count by type, so a
 * reviewer can read what `pulumi up` would create without a Pulumi CLI or AWS account.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createStack } from '../stack';
import { type MockedStack, type RecordedResource, readStackFile, runMocked } from './harness';

/** The stacks with a `Pulumi.<stack>.yaml` in `root`. */
export function stackNames(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => Boolean(s))
    .sort();
}

/** Runs one stack file's program under mocks. */
export async function mockStack(root: string, stack: string): Promise<MockedStack> {
  const { config } = readStackFile(root, stack);
  return runMocked(config, (opts) => createStack(config, opts));
}

/** The resource tree as indented lines (`type name`), children under their component. */
export function resourceTree(resources: readonly RecordedResource[]): string[] {
  const key = (r: RecordedResource) => `${r.type}::${r.name}`;
  const children = new Map<string | undefined, RecordedResource[]>();
  const known = new Set(resources.map(key));
  for (const r of resources) {
    const parent = r.parent && known.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${'  '.repeat(depth)}${r.type}  ${r.name}`);
      walk(key(r), depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

/** Resources counted by type, sorted by type. */
export function countByType(resources: readonly RecordedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stack: { type: 'string' } } });
  const root = join(__dirname, '..', '..');
  const stacks = values.stack ? [values.stack] : stackNames(root);
  for (const stack of stacks) {
    const mocked = await mockStack(root, stack);
    process.stdout.write(`\n== stack ${stack} (readscore:engine ${mocked.config.engine}): ${mocked.resources.length} resources\n`);
    process.stdout.write(`${resourceTree(mocked.resources).join('\n')}\n\nby type:\n`);
    for (const [type, n] of Object.entries(countByType(mocked.resources))) process.stdout.write(`  ${String(n).padStart(3)}  ${type}\n`);
    process.stdout.write(
      `\noutputs:\n${Object.entries(mocked.outputs)
        .map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join('\n')}\n`,
    );
  }
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`preview:mock: ${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 2;
  });
}
