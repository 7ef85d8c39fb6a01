/**
 * The tables (and other objects: a schema, a function) a sink has made sure of, each created
 * once per process and shared by the writes that need it at the same moment. A failed creation
 * is forgotten, so that the next delivery tries again; one that lost a race to another writer
 * (`isCreateRace`) counts as done. A table dropped while the sink runs (`isMissing`) is created
 * again once, and the statement run again.
 */
export class TableRegistry {
  private readonly ready = new Map<string, Promise<void>>();

  constructor(
    private readonly options: {
      readonly isMissing: (error: unknown) => boolean;
      readonly isCreateRace?: (error: unknown) => boolean;
      /** What must exist before anything else under `key` (PostgreSQL: the schema). */
      readonly before?: (key: string) => Promise<void>;
    },
  ) {}

  ensure(key: string, create: () => Promise<unknown>): Promise<void> {
    let pending = this.ready.get(key);
    if (!pending) {
      const before = this.options.before?.(key) ?? Promise.resolve();
      pending = before
        .then(() => create())
        .then(
          () => undefined,
          (error: unknown) => {
            if (this.options.isCreateRace?.(error)) return undefined;
            this.ready.delete(key);
            throw error;
          },
        );
      this.ready.set(key, pending);
    }
    return pending;
  }

  /** Runs a statement on the object `key`; when it was dropped meanwhile, creates it again and runs the statement once more. */
  async recreateOnMissing<T>(key: string, create: () => Promise<unknown>, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!this.options.isMissing(error)) throw error;
      this.ready.delete(key);
      await this.ensure(key, create);
      return run();
    }
  }
}
