import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRIC_DEFINITIONS, type MetricDefinition, type MetricKey } from './metric-definitions.js';

type LabelsOf<D> = D extends MetricDefinition<never, infer L> ? L : never;
type InstanceOf<D> =
  D extends MetricDefinition<'counter', infer L>
    ? Counter<L>
    : D extends MetricDefinition<'gauge', infer L>
      ? Gauge<L>
      : D extends MetricDefinition<'histogram', infer L>
        ? Histogram<L>
        : never;

/** One instance per metric of METRIC_DEFINITIONS, all in `registry`. */
export type Metrics = { readonly [K in MetricKey]: InstanceOf<(typeof METRIC_DEFINITIONS)[K]> } & {
  readonly registry: Registry;
};
export type MetricLabels<K extends MetricKey> = LabelsOf<(typeof METRIC_DEFINITIONS)[K]>;

/**
 * A registry of its own, with Node's process metrics: one per app, so that tests can build many
 * apps in one process without their counts mixing.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const instances: Record<string, unknown> = { registry };
  for (const [key, definition] of Object.entries(METRIC_DEFINITIONS) as [MetricKey, MetricDefinition][]) {
    const common = { name: definition.name, help: definition.help, labelNames: [...definition.labelNames], registers: [registry] };
    if (definition.kind === 'counter') {
      const counter = new Counter(common);
      for (const labels of definition.initial ?? []) counter.inc(labels, 0);
      instances[key] = counter;
    } else if (definition.kind === 'gauge') {
      instances[key] = new Gauge(common);
    } else {
      instances[key] = new Histogram({ ...common, buckets: [...(definition.buckets ?? [])] });
    }
  }
  return instances as Metrics;
}
