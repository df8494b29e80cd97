/**
 * MLLP framing (HL7 v2 over TCP): each message travels as VT (0x0B) … FS (0x1C) CR (0x0D).
 * Pure: bytes in, complete frames out, whatever the TCP chunking — several frames in one chunk,
 * one frame over many chunks, the FS and its CR in different chunks. A frame that grows past
 * the limit is an error (the listener closes the connection) instead of being buffered whole.
 * Bytes between frames (stray CR/LF some senders add) are skipped.
 */
const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

export type FramerResult = { frames: Buffer[]; error?: 'frame_too_large' };

export class MllpFramer {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** The previous chunk ended with FS: its CR may open the next one. */
  private skipCr = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** True while a frame has begun and not ended (for the slow-sender timeout). */
  get partial(): boolean {
    return this.inFrame;
  }

  push(chunk: Buffer): FramerResult {
    const frames: Buffer[] = [];
    let at = 0;
    if (this.skipCr && chunk[0] === CR) at = 1;
    this.skipCr = false;
    while (at < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(VT, at);
        if (start < 0) break;
        this.inFrame = true;
        this.parts = [];
        this.size = 0;
        at = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, at);
      const piece = chunk.subarray(at, end < 0 ? chunk.length : end);
      // A VT inside a frame starts a new one: the sender gave up on the first (MLLP: discard it).
      const restart = piece.indexOf(VT);
      if (restart >= 0) {
        this.inFrame = false;
        at += restart;
        continue;
      }
      this.size += piece.length;
      if (this.size > this.maxFrameBytes) {
        this.reset();
        return { frames, error: 'frame_too_large' };
      }
      this.parts.push(Buffer.from(piece));
      if (end < 0) break;
      frames.push(Buffer.concat(this.parts));
      this.reset();
      at = end + 1;
      if (at === chunk.length) this.skipCr = true;
      else if (chunk[at] === CR) at++;
    }
    return { frames };
  }

  private reset() {
    this.parts = [];
    this.size = 0;
    this.inFrame = false;
  }
}

/** A message wrapped in its MLLP frame. */
export function frame(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([VT]), payload, Buffer.from([FS, CR])]);
}
