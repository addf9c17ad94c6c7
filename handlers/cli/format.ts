/** Human-readable rendering of activity results for the terminal. */
import type { ActivityResult, PhraseResult, Totals } from '../../core/scoring/types';
import { printable } from './printable';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
const sec = (ms: number | undefined) => (ms === undefined ? '' : (ms / 1000).toFixed(2));

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => Array.from(r[c] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((cell, c) => cell + ' '.repeat((widths[c] ?? 0) - Array.from(cell).length)).join('  ')}`.trimEnd()).join('\n');
}

/** One line of totals. */
export function formatTotals(t: Totals): string {
  const parts = [
    `${t.items} items`,
    `${t.correct} correct (${t.accepted} accepted)`,
    `${t.errors} errors (${t.substituted} substituted, ${t.omitted} omitted)`,
    `${t.inserted} inserted`,
    `accuracy ${pct(t.accuracy)}`,
  ];
  return parts.join(', ');
}

function formatPhrase(p: PhraseResult): string {
  const lines = [
    `Phrase ${p.phraseIndex}${p.status === 'unscored' ? `  UNSCORED: ${printable(p.reason?.message ?? '')} [${printable(p.reason?.code ?? '')}]` : `  heard: ${p.heard || '(nothing)'}${p.context.length ? `  [padding: ${p.context.join(' ')}]` : ''}`}`,
  ];
  if (p.status === 'scored') {
    const rows = [['#', 'item', 'expected', 'heard', 'verdict', 'conf', 'time (s)']];
    for (const v of p.items) {
      const time = v.startMs === undefined ? '' : `${sec(v.startMs)}–${sec(v.endMs)}${v.inPadding ? ' (padding)' : ''}`;
      rows.push([String(v.position), v.item, v.expected.join('/'), v.heard ?? '-', v.verdict, v.confidence.toFixed(2), time]);
    }
    lines.push(table(rows));
    for (const ins of p.inserted) lines.push(`  inserted: ${ins.element} before item ${ins.position} (${sec(ins.startMs)}–${sec(ins.endMs)} s, conf ${ins.confidence.toFixed(2)})`);
    for (const u of p.unparsed) lines.push(`  unparsed token: ${u.token} (${sec(u.startMs)}–${sec(u.endMs)} s)`);
  }
  for (const w of p.warnings) lines.push(`  warning: ${printable(w)}`);
  return lines.join('\n');
}

/** The per-phrase tables and the summary of one activity (file names and manifest text printed escaped). */
export function formatActivity(r: ActivityResult, source: string): string {
  const head = `Activity ${r.activityId}${r.storyId ? ` (story ${printable(r.storyId)})` : ''}  ${printable(source)}\n  engine ${r.engine}, model ${r.model}, aligner ${r.aligner}, ${r.timings.total.toFixed(0)} ms`;
  const summary = `Summary: ${formatTotals(r.totals)}; ${r.totals.phrases - r.totals.unscoredPhrases}/${r.totals.phrases} phrases scored (${r.status})`;
  return [head, ...r.phrases.map(formatPhrase), summary].join('\n');
}
