/** checkContracts on temp roots (released, stale, breaking, bumped, invalid) and on the repo's contracts/. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalSchema, checkContracts, formatJson, formatReport, main } from './check';
import type { JSONSchema } from './compat';
import { CONTRACTS, type Contract } from './registry';

const REPO = join(__dirname, '..', '..');
const roots: string[] = [];
const tempRoot = () => {
  const root = mkdtempSync(join(tmpdir(), 'readscore-contracts-'));
  roots.push(root);
  return root;
};
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
const readJson = (root: string, file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as JSONSchema;
const writeJson = (root: string, file: string, value: unknown) => {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), formatJson(value));
};

/** A made-up contract for version tests. */
const demo = (version: number, schema: JSONSchema): Contract => ({ name: 'demo', version, versionFrom: 'DEMO_VERSION', schema: () => schema });
const V1: JSONSchema = { type: 'object', properties: { id: { type: 'string' }, kind: { type: 'string', enum: ['a', 'b'] } }, required: ['id'], additionalProperties: false };

describe('checkContracts', () => {
  it("the repo's released contracts match the code", () => {
    const { results, ok } = checkContracts({ root: REPO });
    expect(results.map((r) => [r.name, r.status])).toEqual(CONTRACTS.map((c) => [c.name, 'ok']));
    expect(ok).toBe(true);
  });

  it("the repo's released files are written exactly as --write writes them", () => {
    for (const c of CONTRACTS) expect(readFileSync(join(REPO, `contracts/${c.name}/v${c.version}.json`), 'utf8')).toBe(formatJson(canonicalSchema(c.schema())));
  });

  it('fails on missing released files, writes them with --write, then passes', () => {
    const root = tempRoot();
    expect(checkContracts({ root })).toMatchObject({ ok: false, results: CONTRACTS.map((c) => ({ name: c.name, status: 'unreleased' })) });
    expect(checkContracts({ root, write: true })).toMatchObject({ ok: true, results: CONTRACTS.map((c) => ({ name: c.name, status: 'released' })) });
    expect(checkContracts({ root }).results.map((r) => r.status)).toEqual(CONTRACTS.map(() => 'ok'));
  });

  it('fails on a breaking change within a released major, names it and how to bump, and --write does not overwrite it', () => {
    const root = tempRoot();
    checkContracts({ root, write: true });
    const file = 'contracts/activity-result/v1.json';
    const released = readJson(root, file);
    // The released file allowed a verdict the code no longer produces: the code removed an enum value.
    const verdict = ((((released.properties as Record<string, JSONSchema>).phrases?.items as JSONSchema).properties as Record<string, JSONSchema>).items?.items as JSONSchema)
      .properties as Record<string, JSONSchema>;
    verdict.verdict = { type: 'string', enum: ['correct', 'accepted', 'substituted', 'omitted', 'unscored', 'skipped'] };
    writeJson(root, file, released);
    for (const write of [false, true]) {
      const { results, ok } = checkContracts({ root, write });
      expect(ok).toBe(false);
      const result = results.find((r) => r.name === 'activity-result');
      expect(result).toMatchObject({
        status: 'breaking',
        breaking: ['activity-result: phrases[].items[].verdict: enum value "skipped" removed'],
        notes: [
          'bump the major version of activity-result (write contracts/activity-result/v2.json with --write after bumping ACTIVITY_RESULT_VERSION in core/contracts/activityResult.ts)',
        ],
      });
      expect(results.filter((r) => r.name !== 'activity-result').every((r) => r.status === 'ok')).toBe(true);
      expect(readJson(root, file)).toEqual(released);
    }
  });

  it('passes additive changes but calls the released file stale; --write updates it in place', () => {
    const root = tempRoot();
    checkContracts({ root, write: true });
    const file = 'contracts/score-request/v1.json';
    const released = readJson(root, file);
    delete (released.properties as Record<string, unknown>).correlationId; // the code added an optional field since
    writeJson(root, file, released);
    const stale = checkContracts({ root, contracts: CONTRACTS.filter((c) => c.name === 'score-request') });
    expect(stale).toMatchObject({ ok: true, results: [{ status: 'stale', breaking: [], additive: ['score-request: correlationId: optional property added'] }] });
    expect(formatReport(stale.results)).toMatch(/contracts\/score-request\/v1\.json is stale: additive changes only; --write updates it/);
    expect(checkContracts({ root, write: true }).results.find((r) => r.name === 'score-request')?.status).toBe('updated');
    expect(checkContracts({ root }).ok).toBe(true);
  });

  it('a bumped major passes a breaking change: v2 is written next to v1', () => {
    const root = tempRoot();
    checkContracts({ root, write: true, contracts: [demo(1, V1)] });
    const v2: JSONSchema = { ...V1, properties: { id: { type: 'integer' } } };
    expect(checkContracts({ root, contracts: [demo(1, v2)] }).ok).toBe(false); // not bumped: breaking
    const unwritten = checkContracts({ root, contracts: [demo(2, v2)] });
    expect(unwritten).toMatchObject({ ok: false, results: [{ status: 'unreleased', file: 'contracts/demo/v2.json' }] });
    const bumped = checkContracts({ root, write: true, contracts: [demo(2, v2)] });
    expect(bumped.ok).toBe(true);
    expect(bumped.results[0]).toMatchObject({ status: 'released', notes: ['contracts/demo/v2.json written (major bump of demo from v1 to v2)'] });
    expect(bumped.results[0]?.breaking).toEqual(['demo (since v1): id: type changed from "string" to "integer"', 'demo (since v1): kind: property removed']);
    expect(readJson(root, 'contracts/demo/v1.json')).toEqual(V1);
    expect(readJson(root, 'contracts/demo/v2.json')).toEqual(v2);
    expect(checkContracts({ root, contracts: [demo(2, v2)] }).results[0]?.status).toBe('ok');
  });

  it('refuses released files newer than the code, and files that are not JSON', () => {
    const root = tempRoot();
    writeJson(root, 'contracts/demo/v3.json', V1);
    expect(checkContracts({ root, write: true, contracts: [demo(2, V1)] })).toMatchObject({ ok: false, results: [{ status: 'invalid' }] });
    writeFileSync(join(root, 'contracts/demo/v3.json'), '{ nope');
    expect(checkContracts({ root, contracts: [demo(3, V1)] }).results[0]).toMatchObject({ status: 'invalid', notes: [expect.stringMatching(/is not JSON/)] });
  });
});

describe('formatJson', () => {
  it('writes Biome-formatted JSON: objects expanded, short primitive arrays inline, long ones one a line', () => {
    const long = Array.from({ length: 30 }, (_, i) => `item${i}`);
    expect(formatJson({ a: ['x', 'y'], b: {}, c: [], d: [{ e: 1 }], f: long })).toBe(
      `{\n  "a": ["x", "y"],\n  "b": {},\n  "c": [],\n  "d": [\n    {\n      "e": 1\n    }\n  ],\n  "f": [\n${long.map((s) => `    "${s}"`).join(',\n')}\n  ]\n}\n`,
    );
  });

  it('orders keywords stably and keeps property order', () => {
    const schema = canonicalSchema({ required: ['b'], properties: { z: { type: 'string', description: 'z' }, b: { type: 'number' } }, type: 'object', $schema: 's' });
    expect(Object.keys(schema)).toEqual(['$schema', 'type', 'properties', 'required']);
    expect(Object.keys(schema.properties as object)).toEqual(['z', 'b']);
    expect(Object.keys((schema.properties as Record<string, object>).z ?? {})).toEqual(['description', 'type']);
  });
});

describe('main (the CLI)', () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  });
  afterEach(() => jest.restoreAllMocks());

  it('prints a table and exits 0 on the repo, 1 where files are missing, 2 on a bad argument', () => {
    expect(main(['--root', REPO])).toBe(0);
    expect(out.join('')).toMatch(/^contract +version +status\nscore-request +v1 +ok\n/);
    expect(main(['--root', tempRoot()])).toBe(1);
    expect(out.join('')).toMatch(/contracts:check failed: score-request, activity-result/);
    expect(main(['--bogus'])).toBe(2);
  });
});
