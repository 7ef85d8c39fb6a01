import type { Hono } from 'hono';

/**
 * A known path asked with a method it does not serve answers 405 with `Allow` (RFC 9110 §15.5.6),
 * not 404: the path is right, the method is not. Called once every route is registered.
 */
export function answerWrongMethods(app: Hono): void {
  const allowed = new Map<string, Set<string>>();
  for (const { path, method } of app.routes) {
    if (method === 'ALL') continue;
    let methods = allowed.get(path);
    if (!methods) allowed.set(path, (methods = new Set()));
    methods.add(method);
    // Hono answers HEAD with the GET handler.
    if (method === 'GET') methods.add('HEAD');
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].sort().join(', ');
    app.all(path, (c) => c.json({ error: `${c.req.method} is not served on ${path}; use ${allow}` }, 405, { Allow: allow }));
  }
}
