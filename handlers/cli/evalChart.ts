/**
 * The evaluation chart (eval.svg), drawn by hand so no plotting library is needed: the second-look
 * trade-off curve (false rejection against missed error, one point per margin, the operating point
 * ringed) and, at the operating point, both rates per item type with their 95 % intervals.
 */
import type { ErrorRates, EvaluationReport, Rate, TradeOffPoint } from '../../core/evaluation';
import { formatSetting } from './evalFormat';

const WIDTH = 980;
const HEIGHT = 460;
const FR_COLOUR = '#1f77b4';
const ME_COLOUR = '#d95f02';
const OPERATING_COLOUR = '#c00000';

/**
 * Text content or attribute value with XML's special characters escaped, and the characters XML 1.0
 * does not allow at all (most control characters, e.g. from a folder name) replaced by U+FFFD.
 */
export function xmlText(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being removed
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
      .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
  );
}

const NICE = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1];

/** The smallest round axis maximum above `v` (at least 5 %). */
export function axisMax(v: number): number {
  return NICE.find((n) => n >= Math.max(v * 1.08, 0.05)) ?? 1;
}

const num = (x: number) => (Math.round(x * 10) / 10).toString();
const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)} %`;

interface Frame {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs ? ` ${attrs}` : ''}>${xmlText(s)}</text>`;
}

/** Axis lines, gridlines and tick labels of a percentage axis (vertical, and horizontal when `xMax` is given). */
function axes(f: Frame, yMax: number, yLabel: string, xMax?: number, xLabel?: string): string[] {
  const out = [`<rect x="${f.x}" y="${f.y}" width="${f.w}" height="${f.h}" fill="#ffffff" stroke="#999999"/>`];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const y = f.y + f.h - (f.h * i) / 5;
    if (i > 0 && i < 5) out.push(`<line x1="${f.x}" y1="${num(y)}" x2="${f.x + f.w}" y2="${num(y)}" stroke="#e5e5e5"/>`);
    out.push(text(f.x - 6, y + 4, pct(v), 'text-anchor="end" font-size="11"'));
  }
  if (xMax !== undefined) {
    for (let i = 0; i <= 5; i++) {
      const v = (xMax * i) / 5;
      const x = f.x + (f.w * i) / 5;
      if (i > 0 && i < 5) out.push(`<line x1="${num(x)}" y1="${f.y}" x2="${num(x)}" y2="${f.y + f.h}" stroke="#e5e5e5"/>`);
      out.push(text(x, f.y + f.h + 16, pct(v), 'text-anchor="middle" font-size="11"'));
    }
  }
  if (xLabel) out.push(text(f.x + f.w / 2, f.y + f.h + 36, xLabel, 'text-anchor="middle" font-size="13"'));
  const cy = f.y + f.h / 2;
  out.push(text(f.x - 48, cy, yLabel, `text-anchor="middle" font-size="13" transform="rotate(-90 ${f.x - 48} ${num(cy)})"`));
  return out;
}

/** The trade-off curve: one point per second-look setting, points that coincide labelled together. */
function tradeOffPanel(points: readonly TradeOffPoint[], f: Frame): string[] {
  const measured = points.filter((p) => p.falseRejection.rate !== null && p.missedError.rate !== null);
  const xMax = axisMax(Math.max(0, ...measured.map((p) => p.falseRejection.rate as number)));
  const yMax = axisMax(Math.max(0, ...measured.map((p) => p.missedError.rate as number)));
  const at = (p: TradeOffPoint) => ({
    x: f.x + ((p.falseRejection.rate as number) / xMax) * f.w,
    y: f.y + f.h - ((p.missedError.rate as number) / yMax) * f.h,
  });
  const out = [
    text(f.x, f.y - 14, 'Second-look trade-off (one point per margin, nats)', 'font-size="14" font-weight="bold"'),
    ...axes(f, yMax, 'missed-error rate', xMax, 'false rejection rate'),
  ];
  if (measured.length === 0) return [...out, text(f.x + f.w / 2, f.y + f.h / 2, 'nothing measured', 'text-anchor="middle" font-size="13"')];
  out.push(`<polyline fill="none" stroke="${FR_COLOUR}" stroke-width="1.5" points="${measured.map((p) => `${num(at(p).x)},${num(at(p).y)}`).join(' ')}"/>`);
  const groups = new Map<string, TradeOffPoint[]>();
  for (const p of measured) {
    const { x, y } = at(p);
    const key = `${num(x)},${num(y)}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const group of groups.values()) {
    const { x, y } = at(group[0] as TradeOffPoint);
    const label = group.map((p) => (p.secondLook === false ? 'off' : String(p.secondLook.margin))).join(', ');
    out.push(`<circle cx="${num(x)}" cy="${num(y)}" r="4" fill="${FR_COLOUR}"/>`);
    // Slanted, so the labels of neighbouring points do not run into each other.
    const [lx, ly] = [x + 5, y - 9];
    out.push(text(lx, ly, label, `font-size="11" transform="rotate(-40 ${num(lx)} ${num(ly)})"`));
  }
  const operating = measured.find((p) => p.operating);
  if (operating) {
    const { x, y } = at(operating);
    out.push(`<circle cx="${num(x)}" cy="${num(y)}" r="9" fill="none" stroke="${OPERATING_COLOUR}" stroke-width="2"/>`);
    // Described in a legend (a label beside the point would cover others or the axis).
    const [gx, gy] = [f.x + f.w - 200, f.y + 18];
    const rates = `${pct(operating.falseRejection.rate as number)} / ${pct(operating.missedError.rate as number)}`;
    out.push(`<circle cx="${gx}" cy="${gy - 4}" r="6" fill="none" stroke="${OPERATING_COLOUR}" stroke-width="2"/>`);
    out.push(text(gx + 12, gy, `operating point: ${formatSetting(operating.secondLook)}`, `font-size="12" fill="${OPERATING_COLOUR}"`));
    out.push(text(gx + 12, gy + 15, `(${rates})`, `font-size="11" fill="${OPERATING_COLOUR}"`));
  }
  out.push(text(f.x + f.w / 2, f.y + f.h + 54, 'point labels: second-look margin in nats; off = no second look', 'text-anchor="middle" font-size="11" fill="#555555"'));
  return out;
}

/** Bars of both rates per item type, each with its 95 % interval and its count. */
function kindPanel(report: EvaluationReport, f: Frame): string[] {
  const groups: [string, ErrorRates][] = [
    ['letter names', report.byKind.name],
    ['letter sounds', report.byKind.sound],
    ['all items', report.overall],
  ];
  const highs = groups.flatMap(([, r]) => [r.falseRejection, r.missedError]).map((r) => r.ci95?.high ?? 0);
  const yMax = axisMax(Math.max(0, ...highs));
  const y = (v: number) => f.y + f.h - (Math.min(v, yMax) / yMax) * f.h;
  const out = [
    text(f.x, f.y - 14, `At the operating point (second look ${formatSetting(report.secondLook)})`, 'font-size="14" font-weight="bold"'),
    ...axes(f, yMax, 'rate (95 % Wilson interval)'),
  ];
  const groupW = f.w / groups.length;
  const barW = Math.min(40, groupW / 3);
  groups.forEach(([label, rates], g) => {
    const centre = f.x + groupW * (g + 0.5);
    out.push(text(centre, f.y + f.h + 16, label, 'text-anchor="middle" font-size="12"'));
    ([rates.falseRejection, rates.missedError] as Rate[]).forEach((r, b) => {
      const x = centre + (b === 0 ? -barW - 2 : 2);
      const colour = b === 0 ? FR_COLOUR : ME_COLOUR;
      const mid = x + barW / 2;
      if (r.rate === null || r.ci95 === null) {
        out.push(text(mid, f.y + f.h - 6, 'n/a', 'text-anchor="middle" font-size="10"'));
        return;
      }
      out.push(`<rect x="${num(x)}" y="${num(y(r.rate))}" width="${num(barW)}" height="${num(f.y + f.h - y(r.rate))}" fill="${colour}" fill-opacity="0.8"/>`);
      const [lo, hi] = [y(r.ci95.low), y(r.ci95.high)];
      out.push(`<path d="M${num(mid)} ${num(lo)}V${num(hi)}M${num(mid - 5)} ${num(lo)}h10M${num(mid - 5)} ${num(hi)}h10" stroke="#333333" fill="none"/>`);
      out.push(text(mid, hi - 16, pct(r.rate), 'text-anchor="middle" font-size="10"'));
      out.push(text(mid, hi - 5, `${r.count}/${r.total}`, 'text-anchor="middle" font-size="10" fill="#555555"'));
    });
  });
  const lx = f.x + f.w - 150;
  out.push(`<rect x="${lx}" y="${f.y + 8}" width="10" height="10" fill="${FR_COLOUR}"/>`, text(lx + 14, f.y + 17, 'false rejection', 'font-size="11"'));
  out.push(`<rect x="${lx}" y="${f.y + 24}" width="10" height="10" fill="${ME_COLOUR}"/>`, text(lx + 14, f.y + 33, 'missed error', 'font-size="11"'));
  return out;
}

/** The chart of `report` as a standalone SVG document. */
export function evaluationChart(report: EvaluationReport): string {
  const title = `ReadScore evaluation of ${report.model}: ${report.activities.evaluated} activities, ${report.items.labelled} labelled items (${report.target})`;
  const body = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fafafa"/>`,
    text(20, 26, title, 'font-size="15"'),
    ...tradeOffPanel(report.tradeOff, { x: 80, y: 80, w: 360, h: 300 }),
    ...kindPanel(report, { x: 580, y: 80, w: 370, h: 300 }),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${xmlText(title)}</title>`,
    ...body.map((line) => `  ${line}`),
    '</svg>',
    '',
  ].join('\n');
}
