/**
 * `contracts:check`: compares every contract's current JSON Schema with its released file
 * `contracts/<name>/v<major>.json` and fails on a breaking change unless the major was bumped.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffSchemas, type JSONSchema, jsonEqual } from './compat';
import { CONTRACTS, type Contract } from './registry';

/**
 * What the check found for one contract:
 * - `ok`: the released file matches the code;
 * - `stale`: only additive changes (allowed; `--write` updates the released file in place);
 * - `updated`: additive changes, written by `--write`;
 * - `breaking`: breaking changes within a released major (fails);
 * - `unreleased`: no file for the current major yet, a new contract or a bumped major (fails until `--write`);
 * - `released`: the file of a new contract or a bumped major, written by `--write`;
 * - `invalid`: the released files do not fit the code (unreadable JSON, a newer major than the code's).
 */
export type ContractStatus = 'ok' | 'stale' | 'updated' | 'breaking' | 'unreleased' | 'released' | 'invalid';

/** The outcome for one contract. */
export interface ContractResult {
  readonly name: string;
  readonly version: number;
  /** The released file of the current major, relative to the root. */
  readonly file: string;
  readonly status: ContractStatus;
  /** Breaking changes against the released file (for a bump: against the previous major, for information). */
  readonly breaking: readonly string[];
  readonly additive: readonly string[];
  /** What to do about it. */
  readonly notes: readonly string[];
}

const FAILING: ReadonlySet<ContractStatus> = new Set(['breaking', 'unreleased', 'invalid']);

/** Options of {@link checkContracts}. */
export interface CheckOptions {
  /** The folder holding `contracts/`. */
  readonly root: string;
  /** Write new and additively changed released files (never over a breaking change). */
  readonly write?: boolean;
  /** Defaults to every contract of the registry. */
  readonly contracts?: readonly Contract[];
}

/** Checks (and with `write`, releases) every contract; `ok` is false when any must fail the build. */
export function checkContracts(options: CheckOptions): { results: ContractResult[]; ok: boolean } {
  const results = (options.contracts ?? CONTRACTS).map((c) => checkOne(c, options.root, options.write ?? false));
  return { results, ok: results.every((r) => !FAILING.has(r.status)) };
}

function checkOne(contract: Contract, root: string, write: boolean): ContractResult {
  const { name, version } = contract;
  const file = `contracts/${name}/v${version}.json`;
  const base = { name, version, file };
  const current = canonicalSchema(contract.schema());
  const dir = join(root, 'contracts', name);
  const majors = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => /^v([0-9]+)\.json$/.exec(f)?.[1])
        .filter((m): m is string => m !== undefined)
        .map(Number)
        .sort((a, b) => a - b)
    : [];
  const newer = majors.filter((m) => m > version);
  if (newer.length > 0) {
    return {
      ...base,
      status: 'invalid',
      breaking: [],
      additive: [],
      notes: [`contracts/${name}/v${newer.at(-1)}.json is newer than the code's version ${version} (${contract.versionFrom})`],
    };
  }
  const release = () => writeFileSync(join(root, file), formatJson(current));

  if (majors.includes(version)) {
    let released: JSONSchema;
    try {
      released = JSON.parse(readFileSync(join(root, file), 'utf8')) as JSONSchema;
    } catch (error) {
      return { ...base, status: 'invalid', breaking: [], additive: [], notes: [`${file} is not JSON (${(error as Error).message})`] };
    }
    const diff = diffSchemas(released, current, name);
    if (diff.breaking.length > 0) {
      return {
        ...base,
        status: 'breaking',
        ...diff,
        notes: [`bump the major version of ${name} (write contracts/${name}/v${version + 1}.json with --write after bumping ${contract.versionFrom})`],
      };
    }
    if (jsonEqual(released, current)) return { ...base, status: 'ok', ...diff, notes: [] };
    const additive = diff.additive.length > 0 ? diff.additive : [`${name}: (root): reordered (no change in meaning)`];
    if (write) {
      release();
      return { ...base, status: 'updated', breaking: [], additive, notes: [`${file} updated in place (additive changes)`] };
    }
    return { ...base, status: 'stale', breaking: [], additive, notes: [`${file} is stale: additive changes only; --write updates it`] };
  }

  const previous = majors.at(-1);
  const sincePrevious = previous === undefined ? { breaking: [], additive: [] } : readPrevious(root, name, previous, current);
  const what = previous === undefined ? `new contract ${name}` : `major bump of ${name} from v${previous} to v${version}`;
  if (write) {
    mkdirSync(dir, { recursive: true });
    release();
    return { ...base, status: 'released', ...sincePrevious, notes: [`${file} written (${what})`] };
  }
  return { ...base, status: 'unreleased', ...sincePrevious, notes: [`${file} is missing (${what}): run contracts:check --write and commit it`] };
}

function readPrevious(root: string, name: string, major: number, current: JSONSchema): { breaking: string[]; additive: string[] } {
  try {
    const released = JSON.parse(readFileSync(join(root, 'contracts', name, `v${major}.json`), 'utf8')) as JSONSchema;
    return diffSchemas(released, current, `${name} (since v${major})`);
  } catch {
    return { breaking: [], additive: [] };
  }
}

/** JSON Schema keywords in the order they are written; others follow alphabetically. */
const KEYWORD_ORDER = [
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'format',
  'pattern',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'anyOf',
  'oneOf',
];

/**
 * A schema with its keywords in a stable order ({@link KEYWORD_ORDER}); property names keep
 * their declaration order (it is the contract's field order, e.g. the Parquet column order).
 */
export function canonicalSchema(schema: JSONSchema): JSONSchema {
  return canonical(schema, false) as JSONSchema;
}

function canonical(value: unknown, propertyMap: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, false));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (!propertyMap) {
    const rank = (k: string) => (KEYWORD_ORDER.includes(k) ? KEYWORD_ORDER.indexOf(k) : KEYWORD_ORDER.length);
    entries.sort(([a], [b]) => rank(a) - rank(b) || (rank(a) === KEYWORD_ORDER.length ? a.localeCompare(b) : 0));
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v, !propertyMap && (k === 'properties' || k === 'definitions'))]));
}

const LINE_WIDTH = 180;

/**
 * Pretty JSON as Biome formats it (2 spaces, width 180, trailing newline): objects one key a
 * line, arrays without objects on one line when they fit, else one element a line.
 */
export function formatJson(value: unknown): string {
  return `${format(value, '', 0)}\n`;
}

/** `used`: characters already on the line before the value, plus the comma after it. */
function format(value: unknown, indent: string, used: number): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (!value.some(hasObject)) {
      const flat = `[${value.map((v) => format(v, '', 0)).join(', ')}]`;
      if (used + flat.length <= LINE_WIDTH) return flat;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((v, i) => inner + format(v, inner, inner.length + (i < value.length - 1 ? 1 : 0))).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const lines = entries.map(([k, v], i) => {
      const head = `${inner}${JSON.stringify(k)}: `;
      return head + format(v, inner, head.length + (i < entries.length - 1 ? 1 : 0));
    });
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function hasObject(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasObject);
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

/** The report printed by the CLI: a table, then every change and what to do. */
export function formatReport(results: readonly ContractResult[]): string {
  const width = Math.max('contract'.length, ...results.map((r) => r.name.length));
  const lines = [`${'contract'.padEnd(width)}  version  status`];
  for (const r of results) lines.push(`${r.name.padEnd(width)}  ${`v${r.version}`.padEnd(7)}  ${r.status}`);
  for (const r of results) {
    if (r.status === 'ok') continue;
    lines.push('');
    for (const m of r.breaking) lines.push(`  BREAKING ${m}`);
    for (const m of r.additive) lines.push(`  additive ${m}`);
    for (const m of r.notes) lines.push(`  → ${m}`);
  }
  return lines.join('\n');
}

/** CLI: `contracts:check [--write] [--root DIR]`; exits 1 when a contract fails. */
export function main(argv: readonly string[]): number {
  let root = process.cwd();
  let write = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--write') write = true;
    else if (arg === '--root' && argv[i + 1] !== undefined) root = argv[++i] as string;
    else {
      process.stderr.write(`usage: contracts:check [--write] [--root DIR] (unknown argument ${arg})\n`);
      return 2;
    }
  }
  const { results, ok } = checkContracts({ root, write });
  process.stdout.write(`${formatReport(results)}\n`);
  if (!ok)
    process.stdout.write(
      `\ncontracts:check failed: ${results
        .filter((r) => FAILING.has(r.status))
        .map((r) => r.name)
        .join(', ')}\n`,
    );
  return ok ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
