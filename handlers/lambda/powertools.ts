/**
 * The Logger and Metrics ports over Powertools for AWS Lambda: JSON log lines that carry the
 * correlation id, and CloudWatch EMF metrics in the domain brief's namespaces.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { LogFields, Logger, Metrics, MetricUnit as PortUnit } from '../../core/ports';

/** The service name on every log line and metric. */
export const SERVICE_NAME = 'readscore';

/** The namespace prefix: metrics land in `ReadScore/Activity`, `ReadScore/Inference`, ... */
export const METRICS_NAMESPACE_PREFIX = 'ReadScore/';

/** A Powertools logger behind the Logger port; `withCorrelation` scopes the id to one record. */
export class LambdaLogger implements Logger {
  readonly powertools: PowertoolsLogger;

  constructor(powertools?: PowertoolsLogger) {
    this.powertools = powertools ?? new PowertoolsLogger({ serviceName: SERVICE_NAME });
  }

  debug(message: string, fields?: LogFields): void {
    this.powertools.debug(message, { ...fields });
  }
  info(message: string, fields?: LogFields): void {
    this.powertools.info(message, { ...fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.powertools.warn(message, { ...fields });
  }
  error(message: string, fields?: LogFields): void {
    this.powertools.error(message, { ...fields });
  }

  /** Runs `fn` with `correlationId` on every line it logs. */
  async withCorrelation<T>(correlationId: string, fn: () => Promise<T>): Promise<T> {
    this.powertools.appendKeys({ correlationId });
    try {
      return await fn();
    } finally {
      this.powertools.removeKeys(['correlationId']);
    }
  }
}

const UNITS: Record<PortUnit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Milliseconds: MetricUnit.Milliseconds,
  Count: MetricUnit.Count,
  Percent: MetricUnit.Percent,
  Bytes: MetricUnit.Bytes,
};

/** The Metrics port over one Powertools Metrics instance per namespace; `publish()` flushes them all. */
export class LambdaMetrics implements Metrics {
  private readonly byNamespace = new Map<string, PowertoolsMetrics>();
  private readonly pending = new Set<string>();
  private coldStartSent = false;

  add(namespace: string, name: string, unit: PortUnit, value: number, dimensions?: Readonly<Record<string, string>>): void {
    if (!Number.isFinite(value)) return;
    const metrics = this.namespace(namespace);
    if (dimensions && Object.keys(dimensions).length) {
      const single = metrics.singleMetric();
      for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
      single.addMetric(name, UNITS[unit], value);
      return;
    }
    metrics.addMetric(name, UNITS[unit], value);
    this.pending.add(namespace);
  }

  /** Counts the container's first invocation once as `Jobs/ColdStart` (later calls do nothing). */
  coldStart(): void {
    if (this.coldStartSent) return;
    this.coldStartSent = true;
    this.add('Jobs', 'ColdStart', 'Count', 1);
  }

  /** Writes every stored metric (call at the end of each invocation). */
  publish(): void {
    for (const namespace of this.pending) this.byNamespace.get(namespace)?.publishStoredMetrics();
    this.pending.clear();
  }

  private namespace(name: string): PowertoolsMetrics {
    let metrics = this.byNamespace.get(name);
    if (!metrics) {
      metrics = new PowertoolsMetrics({ namespace: `${METRICS_NAMESPACE_PREFIX}${name}`, serviceName: SERVICE_NAME });
      this.byNamespace.set(name, metrics);
    }
    return metrics;
  }
}
