/**
 * Typed CloudWatch dashboard widgets: the Observability component describes each graph as data
 * (metric references, stat, period, size) and `dashboardBody` places them on the 24-column grid and
 * serialises the body, so no hand-written JSON drifts from the metrics the code emits.
 */
import * as pulumi from '@pulumi/pulumi';

/** Width of the CloudWatch dashboard grid, in columns. */
export const GRID_COLUMNS = 24;

/** One metric on a graph. Dimension values may be outputs (a queue's name, a function's name). */
export interface MetricRef {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Overrides the widget's stat for this metric (`p95`, `Sum`, ...). */
  readonly stat?: string;
  readonly label?: string;
  /** Id for metric math; CloudWatch ids start with a lower-case letter. */
  readonly id?: string;
  /** false: fetched for an expression but not drawn. */
  readonly visible?: boolean;
}

/** A metric math or SEARCH expression on a graph (e.g. every `Reason` of `ReadScore/Jobs Failed`). */
export interface ExpressionRef {
  readonly expression: pulumi.Input<string>;
  readonly label: string;
  readonly id?: string;
}

/** What a graph draws: metrics and expressions. */
export type SeriesRef = MetricRef | ExpressionRef;

/** A horizontal line on a graph (a threshold or a limit). */
export interface HorizontalAnnotation {
  readonly value: number;
  readonly label: string;
}

/** Arguments of {@link metricWidget}. */
export interface MetricWidgetArgs {
  readonly title: string;
  readonly metrics: readonly SeriesRef[];
  /** Default stat of the widget's metrics; `Average` when omitted. */
  readonly stat?: string;
  /** Seconds: 1, 5, 10, 30 or a multiple of 60; 300 when omitted. */
  readonly period?: number;
  /** Columns (1..24); 8 when omitted. */
  readonly w?: number;
  /** Rows; 6 when omitted. */
  readonly h?: number;
  readonly view?: 'timeSeries' | 'singleValue';
  readonly stacked?: boolean;
  readonly annotations?: readonly HorizontalAnnotation[];
  readonly yAxisMin?: number;
}

/** A metric widget before layout. */
export interface MetricWidget {
  readonly type: 'metric';
  readonly w: number;
  readonly h: number;
  readonly title: string;
  readonly metrics: readonly SeriesRef[];
  readonly stat: string;
  readonly period: number;
  readonly view: 'timeSeries' | 'singleValue';
  readonly stacked: boolean;
  readonly annotations: readonly HorizontalAnnotation[];
  readonly yAxisMin?: number;
}

/** A markdown widget before layout; a full-width one is a section heading. */
export interface TextWidget {
  readonly type: 'text';
  readonly w: number;
  readonly h: number;
  readonly markdown: string;
}

/** Any widget the helpers build. */
export type Widget = MetricWidget | TextWidget;

/** A widget with its place on the grid. */
export type PlacedWidget<W extends { w: number; h: number } = Widget> = W & { readonly x: number; readonly y: number };

/** An invalid widget argument; `arg` names it. */
export class DashboardWidgetError extends Error {
  constructor(
    readonly arg: string,
    message: string,
  ) {
    super(`${arg}: ${message}`);
    this.name = 'DashboardWidgetError';
  }
}

function checkSize(w: number, h: number): void {
  if (!Number.isInteger(w) || w < 1 || w > GRID_COLUMNS) throw new DashboardWidgetError('w', `must be an integer 1..${GRID_COLUMNS}, got ${w}`);
  if (!Number.isInteger(h) || h < 1 || h > 1000) throw new DashboardWidgetError('h', `must be an integer 1..1000, got ${h}`);
}

function isExpression(series: SeriesRef): series is ExpressionRef {
  return 'expression' in series;
}

/** A graph of metrics (and expressions) with one default stat and period. */
export function metricWidget(args: MetricWidgetArgs): MetricWidget {
  const { title, metrics, stat = 'Average', period = 300, w = 8, h = 6, view = 'timeSeries', stacked = false, annotations = [] } = args;
  if (!title.trim()) throw new DashboardWidgetError('title', 'must not be empty');
  if (metrics.length === 0) throw new DashboardWidgetError('metrics', `widget "${title}" needs at least one metric`);
  if (metrics.length > 100) throw new DashboardWidgetError('metrics', `widget "${title}" has ${metrics.length} series; CloudWatch draws at most 100`);
  if (![1, 5, 10, 30].includes(period) && !(Number.isInteger(period) && period > 0 && period % 60 === 0))
    throw new DashboardWidgetError('period', `must be 1, 5, 10, 30 or a multiple of 60 seconds, got ${period}`);
  if (!stat.trim()) throw new DashboardWidgetError('stat', 'must not be empty');
  checkSize(w, h);
  metrics.forEach((series, i) => {
    if (isExpression(series)) {
      if (!series.label.trim()) throw new DashboardWidgetError(`metrics[${i}].label`, 'an expression needs a label');
    } else {
      if (!series.namespace.trim()) throw new DashboardWidgetError(`metrics[${i}].namespace`, 'must not be empty');
      if (!series.name.trim()) throw new DashboardWidgetError(`metrics[${i}].name`, 'must not be empty');
    }
    if (series.id !== undefined && !/^[a-z][a-zA-Z0-9_]*$/.test(series.id))
      throw new DashboardWidgetError(`metrics[${i}].id`, `must start with a lower-case letter, got "${series.id}"`);
  });
  return { type: 'metric', w, h, title, metrics, stat, period, view, stacked, annotations, ...(args.yAxisMin !== undefined ? { yAxisMin: args.yAxisMin } : {}) };
}

/** Markdown text; full width and two rows unless told otherwise. */
export function textWidget(markdown: string, size: { w?: number; h?: number } = {}): TextWidget {
  const { w = GRID_COLUMNS, h = 2 } = size;
  if (!markdown.trim()) throw new DashboardWidgetError('markdown', 'must not be empty');
  checkSize(w, h);
  return { type: 'text', w, h, markdown };
}

/**
 * Places widgets left to right in rows of 24 columns: a widget that does not fit the rest of the
 * row starts the next one, below the tallest widget of the row it leaves.
 */
export function layoutWidgets<W extends { readonly w: number; readonly h: number }>(widgets: readonly W[]): PlacedWidget<W>[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return widgets.map((widget) => {
    checkSize(widget.w, widget.h);
    if (x + widget.w > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...widget, x, y };
    x += widget.w;
    rowHeight = Math.max(rowHeight, widget.h);
    return placed;
  });
}

/** A widget whose inputs are resolved (what `pulumi.output` makes of it). */
export type ResolvedWidget = pulumi.Unwrap<Widget>;

function renderSeries(series: pulumi.Unwrap<SeriesRef>): unknown[] {
  if ('expression' in series) return [{ expression: series.expression, label: series.label, ...(series.id ? { id: series.id } : {}) }];
  const options = {
    ...(series.stat ? { stat: series.stat } : {}),
    ...(series.label ? { label: series.label } : {}),
    ...(series.id ? { id: series.id } : {}),
    ...(series.visible === false ? { visible: false } : {}),
  };
  const dimensions = Object.entries(series.dimensions ?? {}).flat();
  return [series.namespace, series.name, ...dimensions, ...(Object.keys(options).length ? [options] : [])];
}

/** The dashboard body (as an object) of laid-out, resolved widgets, in CloudWatch's dashboard-body structure. */
export function renderDashboard(widgets: readonly ResolvedWidget[], region: string): { widgets: Record<string, unknown>[] } {
  if (!region) throw new DashboardWidgetError('region', 'must not be empty');
  return {
    widgets: layoutWidgets(widgets).map((widget) => {
      const place = { x: widget.x, y: widget.y, width: widget.w, height: widget.h };
      if (widget.type === 'text') return { type: 'text', ...place, properties: { markdown: widget.markdown } };
      return {
        type: 'metric',
        ...place,
        properties: {
          title: widget.title,
          region,
          view: widget.view,
          stacked: widget.stacked,
          stat: widget.stat,
          period: widget.period,
          metrics: widget.metrics.map(renderSeries),
          ...(widget.annotations.length ? { annotations: { horizontal: widget.annotations.map((a) => ({ value: a.value, label: a.label })) } } : {}),
          ...(widget.yAxisMin !== undefined ? { yAxis: { left: { min: widget.yAxisMin } } } : {}),
        },
      };
    }),
  };
}

/** The `dashboardBody` of an `aws.cloudwatch.Dashboard`: widgets laid out on the grid, outputs resolved, serialised. */
export function dashboardBody(widgets: readonly Widget[], region: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify(pulumi.all([pulumi.output(widgets), region]).apply(([resolved, r]) => renderDashboard(resolved as ResolvedWidget[], r)));
}
