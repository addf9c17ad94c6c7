/** Metrics port: CloudWatch EMF through Powertools in Lambda; nothing in the CLI. */

/** Units the core reports in (a subset of CloudWatch's). */
export type MetricUnit = 'Milliseconds' | 'Count' | 'Percent' | 'Bytes';

/**
 * Records metrics in the domain brief's namespaces (Activity, Inference, Alignment, Decoder, Jobs).
 * `dimensions` are optional extra dimensions of that one data point (e.g. the unscored reason).
 */
export interface Metrics {
  add(namespace: string, name: string, unit: MetricUnit, value: number, dimensions?: Readonly<Record<string, string>>): void;
}

/** Metrics that go nowhere. */
export const noMetrics: Metrics = { add: () => {} };
