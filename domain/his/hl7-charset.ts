/**
 * HL7 v2 bytes → text, per the character set the message declares in MSH-18 (HL7 table 0211).
 * Pure. The platform's TextDecoder (full ICU in Node 20) decodes every set listed here, and in
 * `fatal` mode it refuses bytes that are not valid in the set, which iconv-lite cannot: its
 * decoders replace them silently, and a name full of replacement characters must never be
 * stored as if it were right (AR instead).
 *
 * MSH is ASCII in every set a HIS uses (GB18030, ISO-2022-JP, …), so MSH-18 is read from the
 * first segment's bytes before anything is decoded. MSH-18 may repeat: the first repetition is
 * the default set, further ones are alternates switched with ISO 2022 escapes (Japanese SS-MIX2
 * sends `~ISO IR87`); an ISO 2022 set anywhere means the ISO-2022-JP decoder, which handles
 * the ASCII default too. Without MSH-18, the configured sets are tried in order (default UTF-8,
 * then GB18030, what Chinese HIS send undeclared).
 */
import { Hl7MappingError } from './hl7.js';

/** HL7 table 0211 values (spaces, dashes and underscores ignored, any case) → WHATWG encoding label. */
const CHARSETS: Record<string, string> = {
  ASCII: 'ascii',
  UNICODE: 'utf-8',
  UNICODEUTF8: 'utf-8',
  UTF8: 'utf-8',
  '8859/1': 'iso-8859-1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  GB180302000: 'gb18030',
  GB18030: 'gb18030',
  GBK: 'gbk',
  GB2312: 'gbk',
  CP936: 'gbk',
  ISOIR14: 'iso-2022-jp',
  ISOIR87: 'iso-2022-jp',
  ISOIR159: 'iso-2022-jp',
  ISO2022JP: 'iso-2022-jp',
  ISO20221994: 'iso-2022-jp',
  SHIFTJIS: 'shift_jis',
  SJIS: 'shift_jis',
  EUCJP: 'euc-jp',
  BIG5: 'big5',
  KSX1001: 'euc-kr',
};

export interface DecodedHl7 {
  text: string;
  /** The encoding label used (`utf-8`, `gb18030`, `iso-2022-jp` …). */
  charset: string;
  /** MSH-18 as sent, if the message declared one. */
  declared?: string;
}

const normalize = (value: string) => value.toUpperCase().replace(/[\s_-]/g, '');

/** MSH-18 (and MSH-20, the alternate character set handling scheme) from the first segment's bytes. */
export function declaredCharset(bytes: Uint8Array): { msh18?: string; msh20?: string } {
  const start = indexOfMsh(bytes);
  if (start < 0) return {};
  let end = start;
  while (end < bytes.length && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
  const msh = Buffer.from(bytes.subarray(start, end)).toString('latin1');
  const fields = msh.split(msh[3] ?? '|');
  // fields[0] is "MSH" and MSH-1 is the separator itself, so MSH-n is fields[n - 1].
  const msh18 = fields[17]?.trim();
  const msh20 = fields[19]?.trim();
  return { ...(msh18 ? { msh18 } : {}), ...(msh20 ? { msh20 } : {}) };
}

function indexOfMsh(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length && i < 16; i++) {
    if (bytes[i] === 0x4d && bytes[i + 1] === 0x53 && bytes[i + 2] === 0x48) return i;
  }
  return -1;
}

/** The encoding MSH-18 names, or an error naming the value when no decoder exists for it. */
export function encodingOf(msh18: string, msh20?: string): string {
  const sets = msh18.split(/[~^]/).map((s) => s.trim()).filter(Boolean).map(normalize);
  if (msh20 && normalize(msh20).startsWith('ISO2022')) return 'iso-2022-jp';
  const labels = sets.map((s) => CHARSETS[s]);
  if (labels.includes('iso-2022-jp')) return 'iso-2022-jp';
  const unknown = sets.find((s) => !CHARSETS[s]);
  if (unknown !== undefined || labels.length === 0) {
    throw new Hl7MappingError(`MSH-18 字符集「${msh18}」不受支持(支持 UNICODE UTF-8、GB 18030-2000、GBK、ISO IR87/ISO 2022、8859/n、ASCII 等)`, 'MSH', 18, 102, 'AR');
  }
  return labels[0]!;
}

/**
 * Decodes an HL7 message's bytes. Throws Hl7MappingError (AR) when the bytes are not valid in
 * the declared set, or — undeclared — in any of `fallbacks`.
 */
export function decodeHl7(bytes: Uint8Array, fallbacks: readonly string[] = ['utf-8', 'gb18030']): DecodedHl7 {
  const { msh18, msh20 } = declaredCharset(bytes);
  if (msh18 || msh20) {
    const charset = encodingOf(msh18 ?? '', msh20);
    const text = strictDecode(bytes, charset);
    if (text === undefined) {
      throw new Hl7MappingError(`消息中有不属于 MSH-18 声明字符集「${msh18 ?? msh20}」(${charset})的字节,无法正确读取`, 'MSH', 18, 102, 'AR');
    }
    return { text, charset, declared: msh18 ?? msh20 };
  }
  for (const charset of fallbacks) {
    const text = strictDecode(bytes, charset);
    if (text !== undefined) return { text, charset };
  }
  throw new Hl7MappingError(
    `消息未在 MSH-18 声明字符集,且不是有效的 ${fallbacks.join(' 或 ').toUpperCase()} 文本;请在 MSH-18 声明所用字符集`,
    'MSH',
    18,
    102,
    'AR',
  );
}

function strictDecode(bytes: Uint8Array, charset: string): string | undefined {
  // TextDecoder treats "ascii" as windows-1252: check the 7-bit range ourselves.
  if (charset === 'ascii') return bytes.every((b) => b < 0x80) ? Buffer.from(bytes).toString('latin1') : undefined;
  try {
    return new TextDecoder(charset, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A readable rendering of bytes that could not be decoded (for the inbox; never mapped). */
export function lossyText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}
