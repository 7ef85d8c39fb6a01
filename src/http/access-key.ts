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
  const digests = presentedDigests(presented);
  let match = false;
  for (const key of policy.keys) {
    const expected = sha256(Buffer.from(key, 'utf8'));
    for (const digest of digests) match = timingSafeEqual(digest, expected) || match;
  }
  return match ? { ok: true } : { ok: false, reason: 'access key invalid' };
}

/**
 * Node's HTTP parser turns each header byte into one character (latin1), so a non-ASCII key sent
 * as UTF-8 bytes arrives garbled: compare those bytes as well as the text. For ASCII keys both
 * are the same.
 */
function presentedDigests(presented: string): Buffer[] {
  const digests = [sha256(Buffer.from(presented, 'utf8'))];
  // Only text that could be such bytes: one character per byte, not all of it ASCII.
  if (/[\u0080-\u00ff]/.test(presented) && !/[^\u0000-\u00ff]/.test(presented)) {
    digests.push(sha256(Buffer.from(presented, 'latin1')));
  }
  return digests;
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** `Authorization: Bearer <key>` → key. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
}
