import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { EmbeddedDatabaseError } from './data-dir-lock.js';

// PostgreSQL frontend/backend protocol 3.0: https://www.postgresql.org/docs/current/protocol-message-formats.html
const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
/** Messages after which the backend answers ReadyForQuery: a unit of work ends there. */
const UNIT_ENDS = new Set(['Q', 'S', 'F']);
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface WireServerOptions {
  readonly port: number;
  readonly host: string;
  /** A client holding the database (inside a transaction, or between Parse and Sync) and silent this long is disconnected. */
  readonly idleHoldMs?: number;
  readonly maxConnections?: number;
  readonly onClientError?: (error: Error) => void;
}

export interface WireServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol, so that psql, Grafana or any
 * PostgreSQL client can read what the service writes. PGlite has a single session, shared with
 * the sink: each client's unit of work (a simple query, an extended-protocol sequence up to Sync, a
 * whole transaction) holds PGlite's query lock, so the sink's own statements never land inside a
 * client's transaction or between its Parse and Sync; they wait their turn. A client that holds the
 * lock and goes silent is cut off after `idleHoldMs`; a client leaving is rolled back and its
 * session settings discarded, so nothing it did outlives it.
 */
export async function serveWireProtocol(db: PGlite, options: WireServerOptions): Promise<WireServer> {
  const connections = new Set<WireConnection>();
  const server: Server = createServer((socket) => {
    if (connections.size >= (options.maxConnections ?? 16)) {
      socket.end(errorResponse('53300', 'too many connections to the embedded database'));
      return;
    }
    const connection = new WireConnection(db, socket, options.idleHoldMs ?? 10_000, options.onClientError);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(portError(error, options)));
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', (error) => options.onClientError?.(error));
  const address = server.address() as AddressInfo;
  return {
    host: options.host,
    port: address.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((c) => c.end()));
      await closed;
    },
  };
}

function portError(error: NodeJS.ErrnoException, options: WireServerOptions): Error {
  const where = `${options.host}:${options.port}`;
  if (error.code === 'EADDRINUSE') {
    return new EmbeddedDatabaseError(
      'EMBEDDED_SQL_PORT_IN_USE',
      `EMBEDDED_SQL_PORT ${options.port}: ${where} is already in use; pick another port or stop what listens there`,
      { cause: error },
    );
  }
  return new EmbeddedDatabaseError(
    'EMBEDDED_SQL_PORT_UNAVAILABLE',
    `EMBEDDED_SQL_PORT ${options.port}: cannot listen on ${where} (${error.code ?? error.message})`,
    { cause: error },
  );
}

/** Takes PGlite's query lock and keeps it until `release` is called. */
function takeLock(db: PGlite): Promise<() => void> {
  return new Promise((acquired) => {
    void db.runExclusive(() => new Promise<void>((release) => acquired(release)));
  });
}

class WireConnection {
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;
  #closed = false;
  #used = false;
  #release: (() => void) | undefined;
  #idle: NodeJS.Timeout | undefined;
  #work: Promise<void> = Promise.resolve();
  readonly #ended: Promise<void>;

  constructor(
    private readonly db: PGlite,
    private readonly socket: Socket,
    private readonly idleHoldMs: number,
    private readonly onError: ((error: Error) => void) | undefined,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#work = this.#work.then(() => this.#drain());
    });
    socket.on('error', (error) => this.onError?.(error));
    this.#ended = new Promise((resolve) => {
      socket.once('close', () => {
        this.#closed = true;
        clearTimeout(this.#idle);
        this.#work = this.#work.then(() => this.#cleanUp()).then(resolve, resolve);
      });
    });
  }

  /** Disconnects the client (on shutdown) and waits until the database is left clean. */
  end(): Promise<void> {
    this.socket.destroy();
    return this.#ended;
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const message = this.#next();
      if (message === null) return;
      await this.#handle(message.kind, message.bytes);
    }
  }

  /** The next whole message in the buffer, or null until more bytes arrive. */
  #next(): { kind: string; bytes: Buffer } | null {
    const headerBytes = this.#started ? 5 : 8;
    if (this.#buffer.length < headerBytes) return null;
    const length = this.#started ? 1 + this.#buffer.readInt32BE(1) : this.#buffer.readInt32BE(0);
    if (length < headerBytes - 1 || length > MAX_MESSAGE_BYTES) {
      this.socket.destroy();
      return null;
    }
    if (this.#buffer.length < length) return null;
    const bytes = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    if (this.#started) return { kind: String.fromCharCode(bytes[0]!), bytes };
    const code = bytes.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) return { kind: 'encryption', bytes };
    if (code === CANCEL_REQUEST) return { kind: 'cancel', bytes };
    if (code !== PROTOCOL_3) return { kind: 'unsupported', bytes };
    this.#started = true;
    return { kind: 'startup', bytes };
  }

  async #handle(kind: string, bytes: Buffer): Promise<void> {
    if (kind === 'encryption') return void this.socket.write('N'); // no TLS: on loopback by default
    if (kind === 'cancel' || kind === 'X') return void this.socket.end(); // PGlite cannot cancel a query
    if (kind === 'unsupported') return this.#refuse('08P01', 'unsupported frontend protocol');
    if (this.#release === undefined) this.#release = await takeLock(this.db);
    clearTimeout(this.#idle);
    if (this.#closed) return; // the lock is given back by #cleanUp
    this.#used = true;
    let answer: Uint8Array;
    try {
      answer = await this.db.execProtocolRaw(bytes);
    } catch (error) {
      this.onError?.(error as Error);
      this.socket.destroy();
      return;
    }
    if (answer.length > 0 && !this.socket.destroyed) this.socket.write(answer);
    if ((kind === 'startup' || UNIT_ENDS.has(kind)) && !this.db.isInTransaction()) {
      this.#release();
      this.#release = undefined;
    } else {
      // Holding the database between messages: the sink waits meanwhile, so not for long.
      this.#idle = setTimeout(
        () =>
          this.#refuse(
            '25P03',
            `the embedded database was held idle for ${this.idleHoldMs} ms (inside a transaction, or before Sync): disconnected so that the service can write`,
          ),
        this.idleHoldMs,
      );
    }
  }

  /**
   * Says why, then closes at once: ending politely would wait for the client to close its side,
   * and until the socket closes, the lock it holds (and so the sink's writes) would wait too.
   */
  #refuse(code: string, text: string): void {
    this.socket.write(errorResponse(code, text), () => this.socket.destroy());
    setTimeout(() => this.socket.destroy(), 1000).unref(); // a client that does not read
  }

  /** Leaves the shared session as the client found it: no open transaction, no settings, no prepared statements. */
  async #cleanUp(): Promise<void> {
    if (!this.#used) {
      // Gone while waiting for the lock, before running anything: give it back untouched.
      this.#release?.();
      this.#release = undefined;
      return;
    }
    this.#release ??= await takeLock(this.db);
    try {
      await this.db.execProtocolRaw(SYNC);
      if (this.db.isInTransaction()) await this.db.execProtocolRaw(simpleQuery('ROLLBACK'));
      await this.db.execProtocolRaw(simpleQuery('DISCARD ALL'));
    } catch (error) {
      this.onError?.(error as Error);
    } finally {
      this.#release();
      this.#release = undefined;
    }
  }
}

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

function simpleQuery(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`);
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0);
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** An ErrorResponse, for the few refusals made here rather than by PGlite. */
function errorResponse(code: string, text: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${text}\0\0`);
  const message = Buffer.alloc(5 + fields.length);
  message.write('E', 0);
  message.writeInt32BE(4 + fields.length, 1);
  fields.copy(message, 5);
  return message;
}
