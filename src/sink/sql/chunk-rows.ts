/**
 * Splits rows into chunks of at most `maxRows` rows and about `maxBytes` of payload, so that one
 * statement never grows past what the database accepts as a parameter. Keeps order.
 */
export function chunkRows<Row>(rows: readonly Row[], sizeOf: (row: Row) => number, maxRows: number, maxBytes: number): Row[][] {
  const chunks: Row[][] = [];
  let current: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
