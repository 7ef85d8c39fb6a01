/** The one thing the PostgreSQL sink needs from a driver: run a statement, get rows back. */
export interface SqlExecutor {
  query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}
