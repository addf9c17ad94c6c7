/**
 * How the stack policies read CloudWatch metric alarms: the metrics an alarm watches (a plain
 * metric or each metric of a metric-math query) with their dimensions.
 */
import type { PolicyResource } from '@pulumi/policy';
import { resourcesOf } from './validation';
import { asArray, asRecord, asString } from './values';

/** A metric an alarm watches. */
export interface WatchedMetric {
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

function dimensionsOf(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(asRecord(value) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The metrics `alarm` watches. */
export function watchedMetrics(alarm: PolicyResource): WatchedMetric[] {
  const p = alarm.props as Record<string, unknown>;
  const metrics: WatchedMetric[] = [];
  if (p.metricName) metrics.push({ namespace: asString(p.namespace), metricName: asString(p.metricName), dimensions: dimensionsOf(p.dimensions) });
  for (const q of asArray(p.metricQueries)) {
    const m = asRecord(asRecord(q)?.metric);
    if (m) metrics.push({ namespace: asString(m.namespace), metricName: asString(m.metricName), dimensions: dimensionsOf(m.dimensions) });
  }
  return metrics;
}

/** The alarms of the stack that watch a metric matching `match`. */
export function alarmsWatching(resources: readonly PolicyResource[], match: (metric: WatchedMetric) => boolean): PolicyResource[] {
  return resourcesOf(resources, 'metricAlarm').filter((a) => watchedMetrics(a).some(match));
}
