import { countedObservations, type CountedObservations } from '../metrics/counted-observations.js';
import type { Metrics } from '../metrics/create-metrics.js';
import type { DeliveryDetail } from './apply-records.js';

export type DeliveryRecorder = (detail: DeliveryDetail, nowMs?: number) => void;

/**
 * Folds each applied delivery into the metrics: records by table, operation and outcome; the
 * replication lag of each applied change; the newest applied change time per table.
 */
export function deliveryRecorder(metrics: Metrics): DeliveryRecorder {
  // The gauge only moves forward: an older redelivery must not make a table look behind.
  const newestByTable = new Map<string, number>();
  return (detail, nowMs = Date.now()) => {
    const counts = new Map<string, { table: string; operation: string; outcome: string; n: number }>();
    // Per table once per delivery, not per record: the lag's observations, counted, and the newest change.
    const byTable = new Map<string, { lag: CountedObservations; newest: number }>();
    const nowSeconds = nowMs / 1000;
    // Fates come in runs of one table, operation and outcome: a run's entry is looked up once.
    let entry: { table: string; operation: string; outcome: string; n: number } | undefined;
    let perTable: { lag: CountedObservations; newest: number } | undefined;
    let perTableName: string | undefined;
    for (const fate of detail.fates) {
      const table = fate.table ?? '';
      const operation = fate.operation ?? '';
      if (entry === undefined || entry.table !== table || entry.operation !== operation || entry.outcome !== fate.outcome) {
        const slot = `${table}\u0000${operation}\u0000${fate.outcome}`;
        entry = counts.get(slot);
        if (entry === undefined) counts.set(slot, (entry = { table, operation, outcome: fate.outcome, n: 0 }));
      }
      entry.n++;
      if (fate.outcome !== 'applied' || fate.version <= 0) continue;
      const changedAt = fate.version / 1e6;
      if (perTable === undefined || perTableName !== table) {
        perTable = byTable.get(table);
        if (perTable === undefined) byTable.set(table, (perTable = { lag: countedObservations(metrics.replicationLag, { table }), newest: 0 }));
        perTableName = table;
      }
      // Clocks differ a little between AWS and here: a change "from the future" has no lag.
      perTable.lag.observe(Math.max(0, nowSeconds - changedAt));
      if (changedAt > perTable.newest) perTable.newest = changedAt;
    }
    for (const [table, { lag, newest }] of byTable) {
      lag.flush();
      if (newest > (newestByTable.get(table) ?? 0)) {
        newestByTable.set(table, newest);
        metrics.newestChange.set({ table }, newest);
      }
    }
    for (const { table, operation, outcome, n } of counts.values()) metrics.records.inc({ table, operation, outcome }, n);
    // Diverted values are values, not records: they have a counter of their own, so that every
    // cdc_records_total series adds up to the records received.
    for (const { table, reason, n } of detail.diverted) metrics.valuesDiverted.inc({ table, reason }, n);
  };
}
