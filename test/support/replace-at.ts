/** Walks down objects following `picks` (each an index into the keys) and replaces the value reached. */
export function replaceAt(root: Record<string, unknown>, picks: readonly number[], value: unknown): void {
  let node: Record<string, unknown> = root;
  for (const [depth, pick] of picks.entries()) {
    const keys = Object.keys(node);
    if (keys.length === 0) return;
    const key = keys[pick % keys.length]!;
    const child = node[key];
    if (depth === picks.length - 1 || typeof child !== 'object' || child === null) {
      if (value === undefined) delete node[key];
      else node[key] = value;
      return;
    }
    node = child as Record<string, unknown>;
  }
}
