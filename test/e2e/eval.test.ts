/**
 * `readscore eval examples` on the bundled model reports exactly what the end-to-end test pins:
 * the false rejections and missed errors it counts are the known misses of known-misses.json, out
 * of the correctly read items and the errors that the examples' expected.json files label — derived
 * here from those files, never typed in. The trade-off row at the operating margin is scored from
 * replayed engine output and must give the same numbers as the operating point itself.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ErrorRates, EvaluationReport } from '../../core/evaluation';
import { wilsonInterval } from '../../core/evaluation';
import { loadDefaultCatalog } from '../../core/items';
import { main } from '../../handlers/cli/main';
import { EXAMPLES, type ExpectedActivity, exampleNames, int8Kernels, type KnownMisses, knownMissesHere } from './examples';
import knownFile from './known-misses.json';

const known = knownFile as KnownMisses;
/** This CPU's known misses (int8 verdicts depend on its integer kernels: examples.ts). */
const knownMisses = () => knownMissesHere(known, int8Kernels());

const ok = (verdict: string) => verdict === 'correct' || verdict === 'accepted';

/** The counts the e2e test implies, overall and per item kind: from expected.json and the known misses. */
function expectedCounts(kind?: 'name' | 'sound') {
  const catalog = loadDefaultCatalog();
  const of = (item: string) => kind === undefined || catalog.item(item).kind === kind;
  const labels = exampleNames().flatMap((name) => (JSON.parse(readFileSync(join(EXAMPLES, name, 'expected.json'), 'utf8')) as ExpectedActivity).phrases.flatMap((p) => p.items));
  const misses = knownMisses().filter((m) => of(m.item));
  return {
    read: labels.filter((l) => of(l.item) && ok(l.verdict)).length,
    errors: labels.filter((l) => of(l.item) && !ok(l.verdict)).length,
    rejected: misses.filter((m) => ok(m.expected) && !ok(m.actual)).length,
    missed: misses.filter((m) => !ok(m.expected) && ok(m.actual)).length,
  };
}

function expectRates(rates: ErrorRates, kind?: 'name' | 'sound'): void {
  const c = expectedCounts(kind);
  expect([rates.falseRejection.count, rates.falseRejection.total, rates.missedError.count, rates.missedError.total]).toEqual([c.rejected, c.read, c.missed, c.errors]);
  expect(rates.falseRejection.ci95).toEqual(wilsonInterval(c.rejected, c.read));
  expect(rates.missedError.ci95).toEqual(wilsonInterval(c.missed, c.errors));
}

describe('readscore eval examples on the bundled model', () => {
  let report: EvaluationReport;
  beforeAll(async () => {
    let out = '';
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    const e = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['eval', relative(process.cwd(), EXAMPLES) || '.', '--json'])).toBe(0);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    report = JSON.parse(out) as EvaluationReport;
  }, 180_000); // a hang guard: ten activities, eight second-look settings, on a loaded 2-core machine

  it('evaluates every example, on the model the known misses were made for', () => {
    expect(report.activities).toMatchObject({ found: exampleNames().length, evaluated: exampleNames().length, skipped: [], failed: [] });
    expect(report.modelSha256).toBe(known.sha256);
    expect(report.items.labelled).toBe(known.items);
    expect(report.unscored).toBe(0);
  });

  it('counts the known misses as its false rejections and missed errors, overall and per item type', () => {
    expectRates(report.overall);
    expectRates(report.byKind.name, 'name');
    expectRates(report.byKind.sound, 'sound');
  });

  it('lists each known miss in the confusions and against its item', () => {
    const misjudged = report.confusions.filter((c) => c.misjudged);
    expect(misjudged.reduce((n, c) => n + c.count, 0)).toBe(knownMisses().length);
    for (const miss of knownMisses()) {
      expect(misjudged.some((c) => c.item === miss.item && c.truth === miss.expected && c.verdict === miss.actual)).toBe(true);
      const item = report.byItem.find((r) => r.item === miss.item);
      expect((item?.falseRejection.count ?? 0) + (item?.missedError.count ?? 0)).toBeGreaterThan(0);
    }
  });

  it('scores the operating margin again from replayed engine output with the same result', () => {
    const operating = report.tradeOff.filter((p) => p.operating);
    expect(operating).toHaveLength(1);
    expect(operating[0]?.secondLook).toEqual(report.secondLook);
    expect([operating[0]?.falseRejection, operating[0]?.missedError, operating[0]?.byKind]).toEqual([report.overall.falseRejection, report.overall.missedError, report.byKind]);
    // The second look only turns errors into accepted items: off rejects at least as many as any margin.
    const off = report.tradeOff.find((p) => p.secondLook === false);
    for (const p of report.tradeOff) expect(p.falseRejection.count).toBeLessThanOrEqual(off?.falseRejection.count ?? 0);
  });
});
