// kinesalite ships no types; the tests use only its server factory.
declare module 'kinesalite' {
  import type { Server } from 'node:http';
  function kinesalite(options?: { createStreamMs?: number; deleteStreamMs?: number; updateStreamMs?: number; shardLimit?: number; path?: string }): Server;
  export default kinesalite;
}
