import { createHash, timingSafeEqual } from 'node:crypto';

export interface AccessPolicy {
  readonly keys: readonly string[];
  readonly allowUnauthenticated: boolean;
}

export type AccessDecision = { ok: true } | { ok: false; reason: string };

/**
 * Compares the presented key with every configured key (several, so that rotation can overlap)
 * in constant time: hashing first makes the lengths equal, and no comparison stops early.
 */
export function checkAccessKey(presented: string | undefined, policy: AccessPolicy): AccessDecision {
  if (policy.keys.length === 0) {
    return policy.allowUnauthenticated ? { ok: true } : { ok: false, reason: 'no ACCESS_KEY is configured on this service: writes are refused' };
  }
  if (presented === undefined || presented.length === 0) return { ok: false, reason: 'access key missing' };
  const digest = sha256(presented);
  let match = false;
  for (const key of policy.keys) match = timingSafeEqual(digest, sha256(key)) || match;
  return match ? { ok: true } : { ok: false, reason: 'access key invalid' };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `Authorization: Bearer <key>` → key. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
}
