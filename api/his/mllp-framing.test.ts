import { describe, expect, it } from 'vitest';
import { frame, MllpFramer } from './mllp-framing.js';

const msg = (n: number) => Buffer.from(`MSH|^~\\&|HIS|H|FU|H|20261120||ADT^A03|C${n}|P|2.5`);
const texts = (frames: Buffer[]) => frames.map((f) => f.toString());

describe('MllpFramer', () => {
  it('splits two frames that arrive in one chunk', () => {
    const framer = new MllpFramer(1024);
    expect(texts(framer.push(Buffer.concat([frame(msg(1)), frame(msg(2))])).frames)).toEqual([msg(1).toString(), msg(2).toString()]);
    expect(framer.partial).toBe(false);
  });

  it('joins one frame that arrives byte by byte, FS and CR in different chunks, with stray CR/LF between frames', () => {
    const framer = new MllpFramer(1024);
    const bytes = Buffer.concat([Buffer.from('\r\n'), frame(msg(1)), Buffer.from('\n'), frame(msg(2))]);
    const out: Buffer[] = [];
    for (const byte of bytes) out.push(...framer.push(Buffer.from([byte])).frames);
    expect(texts(out)).toEqual([msg(1).toString(), msg(2).toString()]);
  });

  it('keeps the partial state across chunks and discards a frame restarted by a new VT', () => {
    const framer = new MllpFramer(1024);
    expect(framer.push(Buffer.from([0x0b, ...msg(1).subarray(0, 10)])).frames).toEqual([]);
    expect(framer.partial).toBe(true);
    expect(texts(framer.push(frame(msg(2))).frames)).toEqual([msg(2).toString()]);
  });

  it('reports a frame larger than the limit instead of buffering it', () => {
    const framer = new MllpFramer(100);
    const result = framer.push(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(60, 0x41)]));
    expect(result).toEqual({ frames: [] });
    expect(framer.push(Buffer.alloc(60, 0x41))).toEqual({ frames: [], error: 'frame_too_large' });
  });
});
