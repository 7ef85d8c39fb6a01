import type { ColumnMap } from '../config/column-map.js';
import type { Config } from '../config/config.js';
import { SinkError, type ClaimResult, type Sink } from '../sink/sink.js';
import { claimOrder, nameFamily, tableNaming, targetPlan, type Target, type TableNaming, type TargetOf } from '../translate/target-name.js';

export type Resolved = { readonly ok: true; readonly targetOf: TargetOf } | { readonly ok: false; readonly error: SinkError };

/**
 * The target table of every source table, claimed in the database before anything is written
 * (README, "The tables"): names that no other source table holds keep today's names, a name
 * another one holds is not shared but the next candidate is claimed, and a source table left
 * with none is refused with a reason (its records dead-lettered). A claim is for good, so each
 * source table is resolved once per process; refusals are asked again next time.
 */
export class TargetTables {
  private readonly known = new Map<string, Target>();
  /** For a sink without claims: held in this process only. */
  private readonly local = new Map<string, string>();

  constructor(
    private readonly naming: TableNaming,
    private readonly sink: Sink,
    /** COLUMN_MAP: the typed columns of each target table. */
    readonly columnMap: ColumnMap = new Map(),
  ) {}

  async resolve(sources: Iterable<string>): Promise<Resolved> {
    // New source tables claim one after the other, in an order every instance shares.
    const fresh = [...new Set(sources)].filter((s) => this.known.get(s)?.ok !== true).sort(claimOrder);
    const targets = new Map<string, Target>();
    for (const source of fresh) {
      const target = await this.resolveOne(source);
      if (target instanceof SinkError) return { ok: false, error: target };
      const columns = target.ok ? this.columnMap.get(target.table) : undefined;
      targets.set(source, target.ok && columns ? { ...target, columns } : target);
      if (target.ok) this.known.set(source, targets.get(source)!);
    }
    return { ok: true, targetOf: (source) => targets.get(source) ?? this.known.get(source)! };
  }

  private async resolveOne(source: string): Promise<Target | SinkError> {
    const plan = targetPlan(source, this.naming);
    if (plan.mapped) return { ok: true, table: plan.table };
    const taken = [...plan.skipped];
    for (const candidate of plan.candidates) {
      const claim = await this.claim(nameFamily(candidate), source);
      if (!claim.ok) return claim.error;
      if (claim.heldBy === null) return { ok: true, table: candidate };
      taken.push(`${candidate} holds ${claim.heldBy}`);
    }
    const suggestion = `${plan.candidates[0] ?? 'table'}_2`.slice(-54);
    return {
      ok: false,
      error: `DynamoDB table ${JSON.stringify(source)} has no target table of its own: ${taken.join('; ')}. Name one with TABLE_MAP (for example TABLE_MAP='${source}=${suggestion}')`,
    };
  }

  private claim(names: readonly string[], source: string): Promise<ClaimResult> {
    if (this.sink.claimNames) return this.sink.claimNames(names, source);
    const holder = names.map((n) => this.local.get(n)).find((s) => s !== undefined && s !== source);
    if (holder === undefined) for (const n of names) this.local.set(n, source);
    return Promise.resolve({ ok: true, heldBy: holder === undefined ? null : `DynamoDB table ${JSON.stringify(holder)}` });
  }
}

/** The target tables of the configuration (TABLE_MAP, the internal tables, COLUMN_MAP), claimed through `sink`. */
export function targetTables(config: Pick<Config, 'tableMap' | 'sink' | 'columnMap'>, sink: Sink): TargetTables {
  return new TargetTables(tableNaming(config.tableMap, config.sink.deadLetterTable), sink, config.columnMap);
}
