import type { Context } from 'hono';
import type { Metrics } from '../metrics/create-metrics.js';
import { emptyTally as emptyOutcomeTally, TALLY_KEYS, type OutcomeTally } from '../outcome/outcomes.js';
import type { Sink } from '../sink/sink.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { LastError, ServiceStatus } from './service-status.js';

/** Records by outcome, and the values kept aside in applied ones. */
export interface Tally extends OutcomeTally {
  diverted: number;
}
export interface TableStatus extends Tally {
  /** Change time of the newest change applied to the table. */
  newestChangeAt: string | null;
}

/** RUNNING: accepting, database answers; DEGRADED: database does not answer; STOPPING: draining. */
export type ServiceState = 'RUNNING' | 'DEGRADED' | 'STOPPING';

export interface StatusBody {
  state: ServiceState;
  startedAt: string;
  uptimeSeconds: number;
  sink: { kind: string; reachable: boolean };
  deliveries: { inFlight: number; maxInFlight: number };
  records: Tally;
  tables: Record<string, TableStatus>;
  lastError: LastError | null;
}

const KEYS: Readonly<Record<string, keyof Tally>> = TALLY_KEYS;
const emptyTally = (): Tally => ({ ...emptyOutcomeTally(), diverted: 0 });

/**
 * GET /status, in the spirit of Kafka Connect's connector status. Counts come from the metrics
 * themselves, so that /status and /metrics never disagree.
 */
export function statusHandler(deps: { sink: Sink; gate: DeliveryGate; metrics: Metrics; status: ServiceStatus }) {
  return async (c: Context): Promise<Response> => {
    const reachable = await deps.sink.ping().catch(() => false);
    const records = emptyTally();
    const tables: Record<string, TableStatus> = {};
    for (const { labels, value } of (await deps.metrics.records.get()).values) {
      const key = KEYS[String(labels.outcome)];
      if (!key) continue;
      records[key] += value;
      const table = String(labels.table ?? '');
      if (table === '') continue;
      tables[table] ??= { ...emptyTally(), newestChangeAt: null };
      tables[table][key] += value;
    }
    // Diverted values (not records) come from their own counter.
    for (const { labels, value } of (await deps.metrics.valuesDiverted.get()).values) {
      records.diverted += value;
      const table = String(labels.table ?? '');
      if (table === '') continue;
      tables[table] ??= { ...emptyTally(), newestChangeAt: null };
      tables[table].diverted += value;
    }
    for (const { labels, value } of (await deps.metrics.newestChange.get()).values) {
      const table = tables[String(labels.table)];
      if (table) table.newestChangeAt = new Date(value * 1000).toISOString();
    }
    const body: StatusBody = {
      state: !deps.gate.accepting ? 'STOPPING' : reachable ? 'RUNNING' : 'DEGRADED',
      startedAt: deps.status.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - deps.status.startedAt.getTime()) / 1000),
      sink: { kind: deps.sink.kind, reachable },
      deliveries: { inFlight: deps.gate.inFlight, maxInFlight: deps.gate.maxInFlight },
      records,
      tables,
      lastError: deps.status.lastError,
    };
    return c.json(body);
  };
}
