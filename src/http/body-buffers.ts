const MiB = 1024 * 1024;

/**
 * Memory for request bodies, lent and taken back: a fresh buffer of a few megabytes costs the
 * kernel a page fault per 4 KiB on every delivery (copying a 3.8 MB body took about nine times as
 * long into a fresh buffer as into one used before). A buffer is given back once nothing reads it
 * (the body is decoded: what decoding hands on is copied off it). Only buffers it lent are taken
 * back, each once; it keeps at most `keep` of at most `largest` bytes each.
 */
export class BodyBuffers {
  private readonly free: ArrayBuffer[] = [];
  private readonly lent = new WeakSet<ArrayBuffer>();

  constructor(
    private readonly keep = 4,
    private readonly largest = 8 * MiB,
  ) {}

  /** `size` bytes of undefined contents. */
  lend(size: number): Buffer {
    if (size > this.largest) return Buffer.allocUnsafeSlow(size);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i]!.byteLength;
      if (length >= size && (best === -1 || length < this.free[best]!.byteLength)) best = i;
    }
    // Rounded up to a whole MiB, so that the next body, a little larger, fits too.
    const memory = best === -1 ? new ArrayBuffer(Math.min(this.largest, Math.ceil(size / MiB) * MiB)) : this.free.splice(best, 1)[0]!;
    this.lent.add(memory);
    return Buffer.from(memory, 0, size);
  }

  /** Takes back what `lend` gave (any view of it); anything else is left alone. */
  giveBack(buffer: Buffer): void {
    const memory = buffer.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.lent.delete(memory)) return;
    if (this.free.length < this.keep) this.free.push(memory);
  }
}
