import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../core/audio';
import type { EvaluationReport } from '../../core/evaluation';
import { DEFAULT_SECOND_LOOK_MARGIN } from '../../core/scoring';
import { runCli } from '../../test/hostile/cliHarness';
import { startCliTritonStandIn } from '../../test/support/cliTritonStandIn';
import { craftWave, framesForElements, writeTestModel } from '../../test/support/testModel';
import { axisMax, evaluationChart, xmlText } from './evalChart';

const model = writeTestModel();
const ID = (n: number) => `${n}`.padStart(32, 'E');

type Label = { item: string; verdict: string; heardAs?: string };

/** Writes an activity folder — phrases of [items, spoken elements] — with its labels when given. */
function writeActivity(root: string, name: string, phrases: [string[], string[]][], labels?: Label[][] | string, id = ID(1)): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const manifest = {
    activityId: id,
    phrases: phrases.map(([items, spoken], phraseIndex) => {
      writeFileSync(join(dir, `p${phraseIndex}.wav`), encodeWav(craftWave(framesForElements(spoken)), 16000, 'float32'));
      return { phraseIndex, items, audio: `p${phraseIndex}.wav` };
    }),
  };
  writeFileSync(join(dir, 'activity.json'), JSON.stringify(manifest));
  if (typeof labels === 'string') writeFileSync(join(dir, 'expected.json'), labels);
  else if (labels) writeFileSync(join(dir, 'expected.json'), JSON.stringify({ activityId: id, phrases: labels.map((items, phraseIndex) => ({ phraseIndex, items })) }));
  return dir;
}

const run = runCli;

/** A small XML well-formedness check: balanced tags, one root, no stray `<` or `&`, no control characters. */
function expectWellFormedSvg(svg: string): void {
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none is there
  expect(body).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  const stack: string[] = [];
  let roots = 0;
  let last = 0;
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const between = body.slice(last, m.index);
    expect(between).not.toMatch(/[<>]/);
    expect(between.replace(/&(amp|lt|gt|quot|apos);/g, '')).not.toMatch(/&/);
    last = (m.index as number) + m[0].length;
    const [, close, name, , selfClosing] = m;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name as string);
    } else if (stack.length === 0) roots++;
  }
  expect(body.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  expect(body.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
}

describe('readscore eval', () => {
  const root = mkdtempSync(join(tmpdir(), 'readscore-eval-'));
  // Scored: a, b, c correct (and x inserted); d correct, e omitted.
  const PHRASES: [string[], string[]][] = [
    [
      ['a_letter', 'b_letter', 'c_letter'],
      ['a', 'x', 'bi', 'si'],
    ],
    [['d_sound', 'e_letter'], ['dʌ']],
  ];
  // Said: c was misread as "ki" (the scorer misses that error); e was read (the scorer rejects it).
  const LABELS: Label[][] = [
    [
      { item: 'a_letter', verdict: 'correct' },
      { item: 'b_letter', verdict: 'correct' },
      { item: 'c_letter', verdict: 'substituted', heardAs: 'ki' },
    ],
    [
      { item: 'd_sound', verdict: 'correct' },
      { item: 'e_letter', verdict: 'correct' },
    ],
  ];
  const labelled = join(root, 'set');
  writeActivity(labelled, 'one', PHRASES, LABELS);

  it('measures false rejections and missed errors with intervals, per type, with confusions and the trade-off (--json)', async () => {
    const { code, out } = await run('eval', labelled, '--model', model, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as EvaluationReport;
    expect(report).toMatchObject({
      format: 'readscore-eval/1',
      model: 'frame-picker@0.0.1',
      secondLook: { margin: DEFAULT_SECOND_LOOK_MARGIN },
      items: { labelled: 5, unlabelled: 0 },
    });
    expect(report.activities).toEqual({ found: 1, evaluated: 1, skipped: [], failed: [] });
    expect(report.overall.falseRejection).toMatchObject({ count: 1, total: 4, rate: 0.25 });
    expect(report.overall.falseRejection.ci95?.low).toBeCloseTo(0.0456, 4);
    expect(report.overall.falseRejection.ci95?.high).toBeCloseTo(0.6994, 4);
    expect(report.overall.missedError).toMatchObject({ count: 1, total: 1, rate: 1 });
    expect(report.byKind.name).toMatchObject({ falseRejection: { count: 1, total: 3 }, missedError: { count: 1, total: 1 } });
    expect(report.byKind.sound).toMatchObject({ falseRejection: { count: 0, total: 1 }, missedError: { count: 0, total: 0, rate: null, ci95: null } });
    expect(report.byItem.map((r) => r.item)).toEqual(['a_letter', 'b_letter', 'c_letter', 'd_sound', 'e_letter']);
    expect(report.confusions).toEqual([
      { item: 'c_letter', truth: 'substituted', said: 'ki', verdict: 'correct', heard: 'si', count: 1, misjudged: true },
      { item: 'e_letter', truth: 'correct', verdict: 'omitted', count: 1, misjudged: true },
    ]);
    expect(report.tradeOff.map((p) => [p.secondLook, p.operating])).toEqual([
      [false, false],
      ...[0, 1, 2, 3, 4, 6, 8].map((margin) => [{ margin }, margin === DEFAULT_SECOND_LOOK_MARGIN]),
    ]);
    const operating = report.tradeOff.find((p) => p.operating);
    expect([operating?.falseRejection, operating?.missedError]).toEqual([report.overall.falseRejection, report.overall.missedError]);
  });

  it('measures the same through the Triton engine as on the CPU engine', async () => {
    const triton = await startCliTritonStandIn(model);
    try {
      const cpu = await run('eval', labelled, '--model', model, '--json');
      const viaTriton = await run('eval', labelled, '--model', model, '--json', '--engine', 'triton', '--triton-url', triton.url, '--ca', triton.caFile);
      expect([cpu.code, viaTriton.code]).toEqual([0, 0]);
      const measured = (out: string) => {
        const { overall, byKind, byItem, confusions, tradeOff, items, activities } = JSON.parse(out) as EvaluationReport;
        return { overall, byKind, byItem, confusions, tradeOff, items, activities };
      };
      expect(measured(viaTriton.out)).toEqual(measured(cpu.out));
      expect((JSON.parse(viaTriton.out) as { engine: string }).engine).toBe('triton');
    } finally {
      await triton.close();
    }
  });

  it('prints the tables, and --out writes eval.json and a well-formed eval.svg', async () => {
    const outDir = join(root, 'report');
    const { code, out, err } = await run('eval', labelled, '--model', model, '--out', outDir);
    expect(code).toBe(0);
    expect(out).toMatch(/Evaluation of frame-picker@0\.0\.1 on .*set: 1 of 1 activities, 5 labelled items/);
    expect(out).toMatch(/all items\s+1\/4 = 25\.0 % \(4\.6–69\.9 %\)\s+1\/1 = 100\.0 % \(20\.7–100\.0 %\)/);
    expect(out).toMatch(/letter sounds\s+0\/1 = 0\.0 % \(0\.0–79\.3 %\)\s+0\/0 \(n\/a\)/);
    expect(out).toMatch(/1\s+c_letter\s+ki\s+si\s+correct\s+missed error/);
    expect(out).toMatch(/1\s+e_letter\s+e_letter as written\s+\(nothing\)\s+omitted\s+false rejection/);
    expect(out).toMatch(new RegExp(`margin ${DEFAULT_SECOND_LOOK_MARGIN}\\s+1/4 .*← operating point`));
    expect(out).toMatch(/^\s+off\s+1\/4/m);
    expect(err).toContain(`wrote ${join(outDir, 'eval.json')}`);
    const report = JSON.parse(readFileSync(join(outDir, 'eval.json'), 'utf8')) as EvaluationReport;
    expect(report.overall.falseRejection.count).toBe(1);
    const svg = readFileSync(join(outDir, 'eval.svg'), 'utf8');
    expectWellFormedSvg(svg);
    expect(svg).toContain(`operating point: margin ${DEFAULT_SECOND_LOOK_MARGIN}`);
  });

  it('takes --margins and --no-second-look, and refuses a bad margin list (exit 2)', async () => {
    const some = JSON.parse((await run('eval', labelled, '--model', model, '--json', '--margins', '2, 1')).out) as EvaluationReport;
    expect(some.tradeOff.map((p) => p.secondLook)).toEqual([false, ...[...new Set([1, 2, DEFAULT_SECOND_LOOK_MARGIN])].sort((a, b) => a - b).map((margin) => ({ margin }))]);
    const off = JSON.parse((await run('eval', labelled, '--model', model, '--json', '--no-second-look', '--margins', '1')).out) as EvaluationReport;
    expect(off.secondLook).toBe(false);
    expect(off.tradeOff.map((p) => [p.secondLook, p.operating])).toEqual([
      [false, true],
      [{ margin: 1 }, false],
    ]);
    const bad = await run('eval', labelled, '--model', model, '--margins', '1,x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--margins: a comma-separated list of second-look margins: expected a number from 0 to 100, got "x" \[bad-flag\]/);
    expect((await run('eval', labelled, '--model', model, '--margins', '101')).code).toBe(2);
  });

  it('reports and skips an activity without expected.json, counting it (exit 0)', async () => {
    const dir = join(root, 'partly');
    writeActivity(dir, 'labelled', PHRASES, LABELS);
    writeActivity(dir, 'unlabelled', PHRASES, undefined, ID(2));
    const { code, out, err } = await run('eval', dir, '--model', model, '--json');
    expect(code).toBe(0);
    expect(err).toMatch(/unlabelled\/activity\.json: no expected\.json beside it; activity skipped/);
    const report = JSON.parse(out) as EvaluationReport;
    expect(report.activities.found).toBe(2);
    expect(report.activities.evaluated).toBe(1);
    expect(report.activities.skipped).toEqual([{ manifest: expect.stringMatching(/unlabelled\/activity\.json$/), reason: 'no expected.json beside it' }]);
    expect(report.items.labelled).toBe(5);
    const text = await run('eval', dir, '--model', model);
    expect(text.out).toMatch(/1 of 2 activities/);
    expect(text.out).toMatch(/skipped .*unlabelled\/activity\.json: no expected\.json beside it/);
  });

  it('refuses labels naming an item the activity lacks, naming the file (exit 2), and still evaluates the rest', async () => {
    const dir = join(root, 'mismatch');
    writeActivity(dir, 'good', PHRASES, LABELS);
    const wrong = LABELS.map((p) => p.map((l) => (l.item === 'b_letter' ? { ...l, item: 'q_letter' } : l)));
    writeActivity(dir, 'wrong', PHRASES, wrong, ID(3));
    const { code, out, err } = await run('eval', dir, '--model', model, '--json');
    expect(code).toBe(2);
    expect(err).toMatch(/wrong\/expected\.json: labels q_letter as item 1 of phrase 0, where the activity has b_letter \[labels-mismatch\]/);
    const report = JSON.parse(out) as EvaluationReport;
    expect(report.activities.evaluated).toBe(1);
    expect(report.activities.failed).toEqual([
      { manifest: expect.stringMatching(/wrong\/activity\.json$/), reason: expect.stringMatching(/labels-mismatch/), code: 'labels-mismatch' },
    ]);
  });

  it('refuses malformed labels and an unscorable manifest (exit 2)', async () => {
    const dir = join(root, 'bad');
    writeActivity(dir, 'good', PHRASES, LABELS);
    writeActivity(dir, 'malformed', PHRASES, '{"phrases": [', ID(4));
    const unknown = writeActivity(dir, 'unknown', [[['zz_sound'], ['a']]], [[{ item: 'zz_sound', verdict: 'correct' }]], ID(5));
    expect(unknown).toMatch(/unknown$/);
    const { code, out, err } = await run('eval', dir, '--model', model, '--json');
    expect(code).toBe(2);
    expect(err).toMatch(/malformed\/expected\.json: malformed JSON .*\[malformed-labels\]/);
    expect(err).toMatch(/unknown item "zz_sound"/);
    expect((JSON.parse(out) as EvaluationReport).activities.failed.map((f) => f.code)).toEqual(['malformed-labels', 'unknown-item']);
  });

  it('exits 2 when nothing is labelled, before loading the engine', async () => {
    const dir = join(root, 'none');
    writeActivity(dir, 'a', PHRASES);
    const { code, err } = await run('eval', dir, '--model', join(root, 'no-such-model'));
    expect(code).toBe(2);
    expect(err).toMatch(/none: nothing to evaluate: no activity has an expected\.json beside its manifest \(1 activities found\) \[no-labels\]/);
    expect((await run('eval', join(root, 'missing-folder'), '--model', model)).err).toMatch(/missing-folder: no such file or folder/);
  });
});

describe('evaluationChart', () => {
  it('escapes text and drops characters XML does not allow', () => {
    expect(xmlText(`a<b & "c" 'd'>\u0001`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\ufffd');
  });

  it('picks a round axis maximum above the largest value', () => {
    expect([axisMax(0), axisMax(0.03), axisMax(0.058), axisMax(0.2), axisMax(0.95)]).toEqual([0.05, 0.05, 0.1, 0.25, 1]);
  });

  it('draws a chart with nothing measured, and names a hostile target safely', () => {
    const none = { count: 0, total: 0, rate: null, ci95: null };
    const rates = { items: 0, falseRejection: none, missedError: none };
    const report: EvaluationReport = {
      format: 'readscore-eval/1',
      target: 'x<&>\u0007',
      model: 'm@1',
      modelSha256: '',
      engine: 'cpu-onnx',
      catalog: 'c@1',
      scoringPolicies: ['practice'],
      secondLook: false,
      activities: { found: 1, evaluated: 1, skipped: [], failed: [] },
      items: { labelled: 0, unlabelled: 3 },
      overall: rates,
      byKind: { name: rates, sound: rates },
      byItem: [],
      confusions: [],
      unscored: 0,
      tradeOff: [{ secondLook: false, operating: true, ...rates, byKind: { name: rates, sound: rates } }],
    };
    const svg = evaluationChart(report);
    expectWellFormedSvg(svg);
    expect(svg).toContain('nothing measured');
    expect(svg).toContain('x&lt;&amp;&gt;\ufffd');
  });
});
