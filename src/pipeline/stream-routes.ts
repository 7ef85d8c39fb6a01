import type { StreamSettings } from '../http/common-attributes.js';
import type { Sink } from '../sink/sink.js';
import { tableNaming } from '../translate/target-name.js';
import { TargetTables } from './target-tables.js';

/** Where one delivery's records go: the sink of its schema and the target tables of its table map. */
export interface Route {
  readonly sink: Sink;
  readonly targets: TargetTables;
}

export type RouteResult = { readonly ok: true; readonly route: Route } | { readonly ok: false; readonly error: string };

/**
 * The route of each delivery stream's settings (X-Amz-Firehose-Common-Attributes), built once per
 * distinct settings and kept, so that each schema's claims and caches live as long as the service.
 * The number of distinct settings is bounded: they come from the streams' configuration, not
 * from records.
 */
export class StreamRoutes {
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly base: Route & { readonly tableMap: ReadonlyMap<string, string>; readonly deadLetterTable: string },
    /** A sink over the same connections, writing into another schema; absent: no schema but the configured one. */
    private readonly sinkFor: ((schema: string) => Sink) | undefined,
    private readonly maxRoutes = 100,
  ) {}

  route(settings: StreamSettings): RouteResult {
    if (settings.targetSchema === undefined && settings.tableMap === undefined) return { ok: true, route: this.base };
    const key = JSON.stringify([settings.targetSchema ?? null, settings.tableMap ? [...settings.tableMap] : null]);
    const known = this.routes.get(key);
    if (known) return { ok: true, route: known };
    if (settings.targetSchema !== undefined && this.sinkFor === undefined)
      return { ok: false, error: 'TARGET_SCHEMA: this sink writes only into its configured schema' };
    if (this.routes.size >= this.maxRoutes) return { ok: false, error: `more than ${this.maxRoutes} distinct TARGET_SCHEMA/TABLE_MAP settings: not served` };
    const sink = settings.targetSchema === undefined ? this.base.sink : this.sinkFor!(settings.targetSchema);
    const naming = tableNaming(settings.tableMap ?? this.base.tableMap, this.base.deadLetterTable);
    const route = {
      sink,
      targets: settings.tableMap === undefined && sink === this.base.sink ? this.base.targets : new TargetTables(naming, sink, this.base.targets.columnMap),
    };
    this.routes.set(key, route);
    return { ok: true, route };
  }
}
