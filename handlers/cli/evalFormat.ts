/** The terminal rendering of an evaluation report: the rates, per type and per item, the confusions, the trade-off table. */
import type { Confusion, ErrorRates, EvaluationReport, Rate, SecondLookSetting } from '../../core/evaluation';
import { printable } from './printable';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** `6/175 = 3.4 % (1.6–7.3 %)`, or `0/0` when nothing was measured. */
export function formatRate(r: Rate): string {
  if (r.rate === null || r.ci95 === null) return `${r.count}/${r.total} (n/a)`;
  return `${r.count}/${r.total} = ${pct(r.rate)} (${(r.ci95.low * 100).toFixed(1)}–${pct(r.ci95.high)})`;
}

/** `margin 4` or `off`. */
export const formatSetting = (s: SecondLookSetting) => (s === false ? 'off' : `margin ${s.margin}`);

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => Array.from(r[c] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((cell, c) => cell + ' '.repeat((widths[c] ?? 0) - Array.from(cell).length)).join('  ')}`.trimEnd()).join('\n');
}

const RATE_HEADER = ['false rejections (95 % CI)', 'missed errors (95 % CI)'];
const rateCells = (r: ErrorRates) => [formatRate(r.falseRejection), formatRate(r.missedError)];

function said(c: Confusion): string {
  if (c.truth === 'omitted') return '(nothing)';
  if (c.truth === 'substituted') return c.said ?? '(something else)';
  return `${c.item} as written`;
}

/** The whole report as text. */
export function formatEvaluation(report: EvaluationReport): string {
  const { activities: a } = report;
  const misjudged = report.byItem.filter((r) => r.falseRejection.count > 0 || r.missedError.count > 0);
  const lines = [
    `Evaluation of ${report.model} on ${printable(report.target)}: ${a.evaluated} of ${a.found} activities, ${report.items.labelled} labelled items` +
      ` (engine ${report.engine}, catalog ${report.catalog}, policy ${report.scoringPolicies.join('/')}, second look ${formatSetting(report.secondLook)})`,
    'False rejection: a correctly read item judged substituted/omitted. Missed error: a substituted/omitted item judged correct/accepted.',
    '',
    table([
      ['', ...RATE_HEADER],
      ['all items', ...rateCells(report.overall)],
      ['letter names', ...rateCells(report.byKind.name)],
      ['letter sounds', ...rateCells(report.byKind.sound)],
    ]),
    '',
    ...(misjudged.length
      ? [
          `Per item, the ${misjudged.length} of ${report.byItem.length} items with a false rejection or a missed error (every item: --json, eval.json):`,
          table([['item', ...RATE_HEADER], ...misjudged.map((r) => [r.item, ...rateCells(r)])]),
        ]
      : [`Per item: none of the ${report.byItem.length} items has a false rejection or a missed error.`]),
    '',
    report.confusions.length ? 'Confusions (what was said → what the scorer heard):' : 'Confusions: none (the scorer heard what was said for every item).',
  ];
  if (report.confusions.length) {
    lines.push(
      table([
        ['count', 'item', 'said', 'heard', 'judged', ''],
        ...report.confusions.map((c) => [
          String(c.count),
          c.item,
          said(c),
          c.heard ?? '(nothing)',
          c.verdict,
          c.misjudged ? (judgedOk(c) ? 'missed error' : 'false rejection') : '',
        ]),
      ]),
    );
  }
  lines.push(
    '',
    'Trade-off over second-look margins (nats; a larger margin accepts more: fewer false rejections, more missed errors):',
    table([
      ['second look', ...RATE_HEADER, 'names: rejected / missed', 'sounds: rejected / missed', ''],
      ...report.tradeOff.map((p) => [
        formatSetting(p.secondLook),
        ...rateCells(p),
        `${p.byKind.name.falseRejection.count} / ${p.byKind.name.missedError.count}`,
        `${p.byKind.sound.falseRejection.count} / ${p.byKind.sound.missedError.count}`,
        p.operating ? '← operating point' : '',
      ]),
    ]),
  );
  if (report.unscored) lines.push('', `${report.unscored} labelled items were not judged (their phrase was unscored) and are not counted.`);
  if (report.items.unlabelled) lines.push('', `${report.items.unlabelled} items of the evaluated activities have no label and are not counted.`);
  if (a.skipped.length || a.failed.length) lines.push('');
  for (const s of a.skipped) lines.push(`skipped ${printable(s.manifest)}: ${printable(s.reason)}`);
  for (const f of a.failed) lines.push(`not evaluated ${printable(f.manifest)}: ${printable(f.reason)}`);
  return lines.join('\n');
}

const judgedOk = (c: Confusion) => c.verdict === 'correct' || c.verdict === 'accepted';
