/** The dashboard widget helpers: validation, grid layout and the body CloudWatch reads. */
import * as pulumi from '@pulumi/pulumi';
import {
  DashboardWidgetError,
  dashboardBody,
  GRID_COLUMNS,
  layoutWidgets,
  metricWidget,
  type ResolvedWidget,
  renderDashboard,
  textWidget,
  type Widget,
} from '../../infra/dashboard';

/** Widgets whose dimension values are plain strings are already resolved. */
const resolved = (...widgets: Widget[]) => widgets as ResolvedWidget[];
const queueDepth = { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: 'readscore-dev-scoring' } };

describe('metricWidget', () => {
  it('applies the defaults: Average, 300 s, 8×6', () => {
    const widget = metricWidget({ title: 'Depth', metrics: [queueDepth] });
    expect(widget).toMatchObject({ type: 'metric', stat: 'Average', period: 300, w: 8, h: 6, view: 'timeSeries', stacked: false });
  });

  it.each([
    ['title', { title: ' ', metrics: [queueDepth] }],
    ['metrics', { title: 'x', metrics: [] }],
    ['period', { title: 'x', metrics: [queueDepth], period: 90 }],
    ['w', { title: 'x', metrics: [queueDepth], w: 25 }],
    ['h', { title: 'x', metrics: [queueDepth], h: 0 }],
    ['metrics[0].namespace', { title: 'x', metrics: [{ ...queueDepth, namespace: '' }] }],
    ['metrics[0].id', { title: 'x', metrics: [{ ...queueDepth, id: 'Bad' }] }],
    ['metrics[0].label', { title: 'x', metrics: [{ expression: 'SUM(METRICS())', label: '' }] }],
  ])('refuses a bad %s, naming it', (arg, args) => {
    expect(() => metricWidget(args)).toThrow(DashboardWidgetError);
    expect(() => metricWidget(args)).toThrow(new RegExp(`^${arg.replace(/[[\]]/g, '\\$&')}: `));
  });
});

describe('textWidget', () => {
  it('is full width by default and refuses empty markdown', () => {
    expect(textWidget('# ReadScore')).toEqual({ type: 'text', w: GRID_COLUMNS, h: 2, markdown: '# ReadScore' });
    expect(() => textWidget('  ')).toThrow(/^markdown: /);
  });
});

describe('layoutWidgets', () => {
  it('fills rows left to right and wraps below the tallest widget of the row', () => {
    const placed = layoutWidgets([
      { w: 24, h: 2 },
      { w: 8, h: 6 },
      { w: 8, h: 4 },
      { w: 8, h: 6 },
      { w: 12, h: 3 },
      { w: 13, h: 3 },
    ]);
    expect(placed.map(({ x, y }) => [x, y])).toEqual([
      [0, 0],
      [0, 2],
      [8, 2],
      [16, 2],
      [0, 8],
      [0, 11],
    ]);
  });

  it('never places a widget past column 24', () => {
    const placed = layoutWidgets(Array.from({ length: 20 }, (_, i) => ({ w: 1 + (i % 9), h: 1 + (i % 3) })));
    for (const p of placed) expect(p.x + p.w).toBeLessThanOrEqual(GRID_COLUMNS);
  });
});

describe('renderDashboard', () => {
  it('writes CloudWatch metric arrays with dimensions and per-metric options', () => {
    const body = renderDashboard(
      resolved(
        textWidget('## Queue', { h: 1 }),
        metricWidget({
          title: 'Depth',
          stat: 'Maximum',
          period: 60,
          metrics: [queueDepth, { ...queueDepth, stat: 'Sum', label: 'sum' }, { expression: 'SEARCH(x)', label: 'all', id: 'e1' }],
          annotations: [{ value: 1000, label: 'alarm' }],
        }),
      ),
      'us-east-1',
    );
    expect(body.widgets[0]).toEqual({ type: 'text', x: 0, y: 0, width: 24, height: 1, properties: { markdown: '## Queue' } });
    expect(body.widgets[1]).toMatchObject({
      type: 'metric',
      x: 0,
      y: 1,
      width: 8,
      height: 6,
      properties: {
        title: 'Depth',
        region: 'us-east-1',
        stat: 'Maximum',
        period: 60,
        metrics: [
          ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', 'readscore-dev-scoring'],
          ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', 'readscore-dev-scoring', { stat: 'Sum', label: 'sum' }],
          [{ expression: 'SEARCH(x)', label: 'all', id: 'e1' }],
        ],
        annotations: { horizontal: [{ value: 1000, label: 'alarm' }] },
      },
    });
  });

  it('refuses an empty region', () => {
    expect(() => renderDashboard(resolved(textWidget('x')), '')).toThrow(/^region: /);
  });
});

describe('dashboardBody', () => {
  it('resolves outputs inside metric dimensions and serialises the body', async () => {
    const widgets = [metricWidget({ title: 'Depth', metrics: [{ ...queueDepth, dimensions: { QueueName: pulumi.output('readscore-prod-scoring') } }] })];
    const json = await new Promise<string>((resolve) => dashboardBody(widgets, pulumi.output('eu-west-1')).apply(resolve));
    const body = JSON.parse(json) as { widgets: { properties: { region: string; metrics: unknown[][] } }[] };
    expect(body.widgets[0]?.properties.region).toBe('eu-west-1');
    expect(body.widgets[0]?.properties.metrics[0]).toEqual(['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', 'readscore-prod-scoring']);
  });
});
