/**
 * Reusable fixed-size buffers. Every fresh large Buffer counts as external memory to V8, which
 * answers a stream of them with full garbage collections; reusing a few keeps blob downloads from
 * spending a third of their time collecting.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly bufferSize: number,
    private readonly maxIdle: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize);
  }

  /** Only for buffers nothing references any more. */
  give(buffer: Buffer): void {
    if (this.free.length < this.maxIdle && buffer.length === this.bufferSize) this.free.push(buffer);
  }
}
