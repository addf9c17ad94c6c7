/**
 * `npm run policy`: the CI gate. Runs the Pulumi program under mocks for every `Pulumi.<stack>.yaml`
 * (or `--stack S`; or `--program file.ts#export`, a fixture program, with a stack's config), sends
 * every resource to the real policy pack over its Analyzer gRPC service, prints the violations by
 * stack, and exits 1 when any is mandatory (2 when the gate itself fails).
 *
 *   tsx policies/gate/run.ts [--root DIR] [--stack S] [--program path/to/module.ts#exportName] [--config pack-config.json]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../../infra/config';
import { type MockedStack, readStackFile, runMocked } from '../../infra/mock/harness';
import { mockStack, stackNames } from '../../infra/mock/preview';
import { analyzeMockedStack, type Violation } from './analyze';
import { RunningPack } from './pack';
import { environmentConfig, type PackConfig, readPackConfig } from './packConfig';

/** A program the gate can run instead of the stack (the bad-stack fixture). */
export type GateProgram = (opts: pulumi.ComponentResourceOptions, config: StackConfig) => Record<string, pulumi.Input<unknown>>;

/** What the gate analyzed and found for one stack. */
export interface StackReport {
  readonly title: string;
  readonly resources: number;
  readonly violations: readonly Violation[];
}

/** Loads `file.ts#export` (the export defaults to the file's default export). */
export function loadProgram(spec: string, cwd: string): GateProgram {
  const [file = '', name = 'default'] = spec.split('#');
  const mod = require(resolve(cwd, file)) as Record<string, unknown>;
  const program = mod[name];
  if (typeof program !== 'function') throw new Error(`--program ${spec}: ${file} has no exported function ${name}`);
  return program as GateProgram;
}

/** The report of one stack as text lines, mandatory violations first. */
export function formatReport(report: StackReport): string[] {
  const mandatory = report.violations.filter((v) => v.level === 'mandatory').length;
  const lines = [`== ${report.title}: ${report.resources} resources, ${report.violations.length} violations (${mandatory} mandatory)`];
  const ordered = [...report.violations.filter((v) => v.level === 'mandatory'), ...report.violations.filter((v) => v.level !== 'mandatory')];
  for (const v of ordered) {
    lines.push(`  ${v.level.padEnd(9)} ${v.policy}  ${v.resource}`);
    lines.push(...v.message.split('\n').map((l) => `            ${l}`));
  }
  return lines;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { root: { type: 'string' }, stack: { type: 'string' }, program: { type: 'string' }, config: { type: 'string' } } });
  const root = resolve(values.root ?? join(__dirname, '..', '..'));
  const packDir = join(__dirname, '..');
  const stacks = values.stack ? [values.stack] : values.program ? ['dev'] : stackNames(root);
  if (stacks.length === 0) throw new Error(`no Pulumi.<stack>.yaml in ${root}`);
  const override: PackConfig | undefined = values.config ? readPackConfig(resolve(values.config)) : undefined;
  const program = values.program ? loadProgram(values.program, process.cwd()) : undefined;

  const pack = await RunningPack.start(packDir);
  let failed = false;
  try {
    for (const stack of stacks) {
      const { config, raw } = readStackFile(root, stack);
      const mocked: MockedStack = program ? await runMocked(config, (opts) => program(opts, config)) : await mockStack(root, stack);
      const packConfig = override ?? environmentConfig(packDir, config.environment);
      const violations = await analyzeMockedStack(pack, mocked, packConfig, raw);
      const title = program ? `program ${values.program} (stack ${stack} config)` : `stack ${stack}`;
      process.stdout.write(`${formatReport({ title, resources: mocked.resources.length, violations }).join('\n')}\n`);
      failed ||= violations.some((v) => v.level === 'mandatory');
    }
  } finally {
    await pack.stop();
  }
  process.stdout.write(failed ? 'policy: mandatory violations — the change fails the gate\n' : 'policy: no mandatory violations\n');
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`policy: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
