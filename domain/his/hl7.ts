/**
 * HL7 v2 ADT → the encounter event (domain/his/event.ts). Pure: no I/O, no clock; the ingest
 * pipeline stores the raw bytes, calls this, and the MLLP listener answers the ACK.
 *
 * Used (v2.3 – v2.8; MSH-12 is not consulted, fields are read where all of them agree):
 *   ADT^A03 discharge · ADT^A01 admit · ADT^A04 register (treated as admit)
 *   ADT^A11 cancel admit · ADT^A13 cancel discharge
 *   ADT^A08 / A28 / A31 update patient (person) information: new phone, address …
 * Every other message type or ADT event is `ignored` (AA, stored as ignored). A message that
 * can never be accepted as sent (a field missing or wrong) is refused with AR.
 * When MSH-9.2 is empty the trigger is taken from EVN-1 (v2.3 senders still fill it).
 *
 * Field choices (documented here because HIS differ):
 * - Encounter ID: the visit number from the configured fields in order (default PV1-19.1,
 *   then PID-18.1 patient account number, where some HIS put the visit), HIS_ID pattern.
 * - Patient ID (病案号): of the PID-3 repetitions, the one of type (CX-5) MR, else the first that is
 *   not an identity document; the ID number: the first of type NI/NNxxx/PPN/… or an 18-digit 身份证号
 *   with a valid check digit (sent untyped by many HIS), kept apart and always masked.
 * - Name: PID-5, the repetition with name type L (legal) if any, else the first non-empty one.
 *   Chinese HIS usually send the whole name in component 1 (`王秀英`); family^given are joined
 *   without a space when either part is CJK (`王^秀英` → 王秀英), with one otherwise
 *   (`WANG^XIUYING` → `WANG XIUYING`, family first as in Chinese usage).
 * - Birth date: PID-7 YYYYMMDD[…] → YYYY-MM-DD; a year or year-month only (legal HL7 precision)
 *   is dropped; anything else that is not a date is an error naming PID-7.
 * - Sex: PID-8 M/F/O/U; A (ambiguous) and N (not applicable) → U. Also GB/T 2261.1 codes
 *   1/2/0/9 and 男/女, which Chinese HIS send. Other values are dropped (sex is optional).
 * - Address: PID-11 state + city + street + other designation (Chinese order, no separators for
 *   CJK, consecutive duplicates such as 北京市^北京市 once). The zip code is left out.
 * - Phone: PID-13, per repetition: XTN-1, else XTN-12 (unformatted), else XTN-6 area code + XTN-7
 *   local number; spaces, dashes, dots and parentheses stripped; the first repetition that gives
 *   7–20 digits wins. Repetitions whose equipment type (XTN-3) is FX, BP, Internet or X.400 are
 *   skipped (fax, pager, e-mail). No usable number → no phone (it is optional).
 * - Department candidates, in order, de-duplicated: PV1-3.1 point of care, then the other
 *   location components of PV1-3 that carry a place (room, bed, facility, building, floor,
 *   description, comprehensive location; the coded flags PL-5 status, PL-6 location type and
 *   PL-11 assigning authority are skipped), then PV1-10 hospital service. Subcomponents: the first.
 *   A01/A03/A04 need at least one (error names PV1-3).
 * - Ward: PV1-3.1 as sent; room PV1-3.2 and bed PV1-3.3 (for a facilities complaint's where).
 * - Attending doctor: PV1-7 first repetition, family (2) + given (3), else component 1 unless
 *   it is only digits (an ID, not a name).
 * - Discharge time: PV1-45, else EVN-6 (event occurred), else EVN-2 (recorded); required for
 *   A03. Admission time: PV1-44 (optional). HL7 TS YYYYMMDD[HH[MM[SS[.S…]]]][±ZZZZ]; no offset
 *   means Asia/Shanghai local time (+08:00, no DST since 1991). Output: ISO 8601 with offset.
 *   `2026-11-20 10:30:00` (seen from HIS that format by hand) is accepted too.
 * - Diagnosis: first DG1, code DG1-3.1, name DG1-3.2, else DG1-4 description.
 * - Procedure: first PR1, PR1-3.2, else PR1-4 description.
 * - HL7 escape sequences (\F\ \S\ \T\ \R\ \E\ \.br\ \Xhh\) in text are decoded.
 * Finally the result is checked with the rules every format shares (`encounterProblem`), so every
 * route stores the same shapes; a failure names the HL7 field it came from.
 */
import { Hl7Message, type Hl7Segment } from '@medplum/core';
import { decodeHl7 } from './hl7-charset.js';
import { compact, encounterProblem, HIS_ID, HIS_ID_RULE, HisMappingError, type HisEncounter, type HisEvent, type HisPatient } from './event.js';
import { joinAddressParts, joinName, normalizePhone, pickPatientIdentifiers } from './person.js';

/**
 * HL7 table 0357 error codes used in the ERR segment of the ACK.
 * 100 segment sequence error (segment missing), 101 required field missing, 102 data type
 * error, 200 unsupported message type, 201 unsupported event code, 207 application internal error.
 */
export type Hl7ErrorCode = 100 | 101 | 102 | 200 | 201 | 207;

export class Hl7MappingError extends HisMappingError {
  constructor(
    message: string,
    readonly segment?: string,
    readonly field?: number,
    readonly code: Hl7ErrorCode = segment === undefined ? 207 : field === undefined ? 100 : 102,
    /** The acknowledgment code the sender gets: the message will never be accepted as sent. */
    readonly ackCode: 'AE' | 'AR' = 'AR',
  ) {
    super(message, segment ? [{ field: field === undefined ? segment : `${segment}-${field}`, message }] : []);
    this.name = 'Hl7MappingError';
  }

  /** `PV1-45` style location, or the segment alone. */
  get location(): string | undefined {
    if (!this.segment) return undefined;
    return this.field === undefined ? this.segment : `${this.segment}-${this.field}`;
  }
}

const TRIGGERS = {
  A01: 'admit',
  A04: 'admit',
  A03: 'discharge',
  A11: 'cancel_admission',
  A13: 'cancel_discharge',
  A08: 'update_patient',
  A28: 'update_patient',
  A31: 'update_patient',
} as const;
type Trigger = keyof typeof TRIGGERS;

export const NOT_HL7 = '无法解析:不是 HL7 v2 消息(缺少 MSH 段)';

/** Where the visit (encounter) number may be, tried in order. */
export type VisitField = 'PV1-19' | 'PID-18';
export const VISIT_FIELDS: readonly VisitField[] = ['PV1-19', 'PID-18'];

export interface Hl7Options {
  /** Where the visit number is looked for, in order (default PV1-19, then PID-18 patient account number). */
  visitFields?: readonly VisitField[];
  /** Character sets tried, in order, when MSH-18 declares none (default UTF-8, then GB18030). */
  fallbackCharsets?: readonly string[];
}

/** The message's bytes as received → its event (decoded per MSH-18 first; see hl7-charset.ts). */
export function hl7EventFromBytes(bytes: Uint8Array, options: Hl7Options = {}): HisEvent {
  return hl7EventFromText(decodeHl7(bytes, options.fallbackCharsets).text, options);
}

/**
 * The message text → its event. A BOM or blank lines before MSH are forgiven; text that is not
 * HL7 at all is refused (AR).
 */
export function hl7EventFromText(text: string, options: Hl7Options = {}): HisEvent {
  const message = parseHl7(text);
  if (!message) throw new Hl7MappingError(NOT_HL7, 'MSH', undefined, 100);
  return hl7Event(message, options);
}

/** Parses text that starts (after a BOM or blank lines) with MSH; undefined for anything else. */
export function parseHl7(text: string): Hl7Message | undefined {
  const trimmed = text.replace(/^[\uFEFF\s]+/, '');
  if (!trimmed.startsWith('MSH')) return undefined;
  try {
    return Hl7Message.parse(trimmed.replace(/\r?\n/g, '\r').replace(/\r+$/, ''));
  } catch {
    return undefined;
  }
}

/**
 * The event an ADT message carries; throws Hl7MappingError (AR) naming the field at fault.
 * Message types and ADT events this system has no use for are `ignored` (acknowledged AA):
 * interface engines treat AE/AR as failures and would retry or stop their queue.
 */
export function hl7Event(message: Hl7Message, options: Hl7Options = {}): HisEvent {
  const msh = message.getSegment('MSH');
  if (!msh || message.getSegment(0) !== msh) throw new Hl7MappingError('不是 HL7 消息:缺少 MSH 段', 'MSH', undefined, 100);
  const read = reader(message);

  const type = read(msh, 9, 1).toUpperCase();
  let trigger = read(msh, 9, 2).toUpperCase();
  if (!trigger) trigger = read(message.getSegment('EVN'), 1, 1).toUpperCase();
  if (!type) throw new Hl7MappingError('MSH-9 消息类型缺失', 'MSH', 9, 101);
  if (type !== 'ADT' || !(trigger in TRIGGERS)) {
    const sent = [type, trigger].filter(Boolean).join('^');
    return { kind: 'ignored', reason: `随访系统不使用 ${sent} 消息` };
  }
  const what = TRIGGERS[trigger as Trigger];
  if (what === 'update_patient') return { kind: 'patient_update', patient: readPatient(message, read, false) };

  const pv1 = message.getSegment('PV1');
  if (!pv1) throw new Hl7MappingError('缺少 PV1 段(就诊信息)', 'PV1', undefined, 100);
  const encounterId = visitNumber(message, read, options.visitFields ?? VISIT_FIELDS);

  if (what === 'cancel_admission') return { kind: 'cancel', encounterId, what: 'admission' };
  if (what === 'cancel_discharge') return { kind: 'cancel', encounterId, what: 'discharge' };

  const encounter = readEncounter(message, read, pv1, encounterId);
  if (what === 'admit') {
    check(encounter, false);
    return { kind: 'admit', encounter };
  }

  const evn = message.getSegment('EVN');
  const dischargedAt =
    timeField(read, pv1, 'PV1', 45) ?? timeField(read, evn, 'EVN', 6) ?? timeField(read, evn, 'EVN', 2);
  if (!dischargedAt) throw new Hl7MappingError('PV1-45 出院时间缺失(EVN-6、EVN-2 也没有事件时间)', 'PV1', 45, 101);
  // PV1-36 discharge disposition 20 = expired (HL7 table 0112; 40–42 in UB-04 usage), or PID-30 death indicator.
  const deceased = EXPIRED_DISPOSITIONS.has(read(pv1, 36, 1)) || read(message.getSegment('PID'), 30, 1).toUpperCase() === 'Y';
  const discharge = { ...encounter, dischargedAt, ...(deceased ? { deceased: true } : {}) };
  check(discharge, true);
  return { kind: 'discharge', encounter: discharge };
}

/** The visit number from the first configured field that has one (PV1-19, then PID-18 by default). */
function visitNumber(message: Hl7Message, read: Read, fields: readonly VisitField[]): string {
  for (const field of fields) {
    const [name, number] = field.split('-') as ['PV1' | 'PID', string];
    const value = read(message.getSegment(name), Number(number), 1);
    if (!value) continue;
    if (!HIS_ID.test(value)) throw new Hl7MappingError(`${field} 就诊号「${value}」${HIS_ID_RULE}`, name, Number(number), 102);
    return value;
  }
  const [first] = fields[0]!.split('-') as ['PV1' | 'PID'];
  throw new Hl7MappingError(`就诊号缺失(${fields.join('、')} 都没有)`, first, Number(fields[0]!.split('-')[1]), 101);
}

const EXPIRED_DISPOSITIONS = new Set(['20', '40', '41', '42']);

type Read = (segment: Hl7Segment | undefined, field: number, component: number, repetition?: number) => string;

/** The patient in PID: ID always, name when `nameRequired` (an update may leave it out). */
function readPatient(message: Hl7Message, read: Read, nameRequired: true): HisPatient;
function readPatient(message: Hl7Message, read: Read, nameRequired: false): Partial<HisPatient> & { id: string };
function readPatient(message: Hl7Message, read: Read, nameRequired: boolean): Partial<HisPatient> & { id: string } {
  const pid = message.getSegment('PID');
  if (!pid) throw new Hl7MappingError('缺少 PID 段(患者信息)', 'PID', undefined, 100);

  const identifiers = [...Array(repetitions(pid, 3)).keys()].map((r) => ({ value: read(pid, 3, 1, r), type: read(pid, 3, 5, r).toUpperCase() || undefined }));
  const { patientId: chosen, idNumber } = pickPatientIdentifiers(identifiers);
  const patientId = chosen?.value ?? '';
  if (!patientId) throw new Hl7MappingError('PID-3 患者 ID 缺失', 'PID', 3, 101);
  if (!HIS_ID.test(patientId)) {
    throw new Hl7MappingError(`PID-3 患者 ID「${patientId}」${HIS_ID_RULE}`, 'PID', 3, 102);
  }

  const name = patientName(read, pid);
  if (!name && nameRequired) throw new Hl7MappingError('PID-5 患者姓名缺失', 'PID', 5, 101);

  return compact({
    id: patientId,
    name: name || undefined,
    sex: sexOf(read(pid, 8, 1)),
    birthDate: birthDate(read(pid, 7, 1)),
    phone: phoneOf(read, pid),
    address: addressOf(read, pid),
    idNumber,
  });
}

function readEncounter(message: Hl7Message, read: Read, pv1: Hl7Segment, encounterId: string): HisEncounter {
  const patient = readPatient(message, read, true);

  const departmentCodes = departmentCandidates(read, pv1);
  if (departmentCodes.length === 0) {
    throw new Hl7MappingError('PV1-3 病区/科室缺失(PV1-10 也没有)', 'PV1', 3, 101);
  }

  const dg1 = message.getSegment('DG1');
  const diagnosisCode = read(dg1, 3, 1);
  const diagnosisName = read(dg1, 3, 2) || read(dg1, 4, 1);
  const pr1 = message.getSegment('PR1');

  return compact({
    encounterId,
    patient,
    departmentCodes,
    diagnosis: diagnosisCode || diagnosisName ? compact({ code: diagnosisCode || undefined, name: diagnosisName || undefined }) : undefined,
    procedure: read(pr1, 3, 2) || read(pr1, 4, 1) || undefined,
    attendingDoctor: doctorName(read, pv1),
    ward: read(pv1, 3, 1) || undefined,
    room: read(pv1, 3, 2) || undefined,
    bed: read(pv1, 3, 3) || undefined,
    admittedAt: timeField(read, pv1, 'PV1', 44),
  }) as HisEncounter;
}

function patientName(read: Read, pid: Hl7Segment): string {
  const count = repetitions(pid, 5);
  const order = [...Array(count).keys()];
  const legal = order.find((r) => read(pid, 5, 7, r).toUpperCase() === 'L');
  if (legal !== undefined) order.unshift(legal);
  for (const r of order) {
    const family = read(pid, 5, 1, r);
    const given = read(pid, 5, 2, r);
    const name = joinName(family, given);
    if (name) return name;
  }
  return '';
}

function doctorName(read: Read, pv1: Hl7Segment): string | undefined {
  const name = joinName(read(pv1, 7, 2), read(pv1, 7, 3));
  if (name) return name;
  const first = read(pv1, 7, 1);
  return first && !/^\d+$/.test(first) ? first : undefined;
}

/** PL components that name a place; 5 (status), 6 (location type) and 11 (authority) are codes. */
const PLACE_COMPONENTS = [1, 2, 3, 4, 7, 8, 9, 10];

function departmentCandidates(read: Read, pv1: Hl7Segment): string[] {
  const codes = [...PLACE_COMPONENTS.map((c) => read(pv1, 3, c)), read(pv1, 10, 1)];
  return [...new Set(codes.filter(Boolean))];
}

export function sexOf(value: string): 'M' | 'F' | 'O' | 'U' | undefined {
  const v = value.trim().toUpperCase();
  if (v === 'M' || v === 'F' || v === 'O' || v === 'U') return v;
  if (v === 'A' || v === 'N') return 'U';
  // GB/T 2261.1 (1 男, 2 女, 0 未知, 9 未说明) and the characters themselves.
  if (v === '1' || v === '男') return 'M';
  if (v === '2' || v === '女') return 'F';
  if (v === '0' || v === '9') return 'U';
  return undefined;
}

function birthDate(value: string): string | undefined {
  if (!value) return undefined;
  if (/^\d{4}(\d{2})?$/.test(value)) return undefined; // year or year-month precision only
  const iso = hl7TimeToIso(value);
  if (!iso) throw new Hl7MappingError(`PID-7 出生日期「${value}」不是有效日期(YYYYMMDD)`, 'PID', 7, 102);
  return iso.slice(0, 10);
}

function addressOf(read: Read, pid: Hl7Segment): string | undefined {
  // street (1), other designation (2), city (3), state (4): Chinese order is state, city, street, other.
  return joinAddressParts([read(pid, 11, 4), read(pid, 11, 3), read(pid, 11, 1), read(pid, 11, 2)]) || undefined;
}

const NOT_A_PHONE = new Set(['FX', 'BP', 'INTERNET', 'X.400']);

function phoneOf(read: Read, pid: Hl7Segment): string | undefined {
  for (let r = 0; r < repetitions(pid, 13); r++) {
    if (NOT_A_PHONE.has(read(pid, 13, 3, r).toUpperCase())) continue;
    const candidates = [read(pid, 13, 1, r), read(pid, 13, 12, r), read(pid, 13, 6, r) + read(pid, 13, 7, r)];
    for (const candidate of candidates) {
      const phone = normalizePhone(candidate);
      if (phone) return phone;
    }
  }
  return undefined;
}

const TS =
  /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?([+-]\d{4})?$/;

/**
 * HL7 TS/DTM → ISO 8601 with offset; no offset = Asia/Shanghai (+08:00). Undefined when the
 * value is not a valid time. `2026-11-20 10:30[:00]` is accepted as well.
 */
export function hl7TimeToIso(value: string): string | undefined {
  let v = value.trim();
  const loose = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (loose) v = loose.slice(1).filter(Boolean).join('');
  const m = TS.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, tz] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let offset = '+08:00';
  if (tz) {
    const oh = Number(tz.slice(1, 3));
    const om = Number(tz.slice(3, 5));
    if (oh > 14 || om > 59) return undefined;
    offset = `${tz[0]}${tz.slice(1, 3)}:${tz.slice(3, 5)}`;
  }
  const fraction = frac ? `.${frac.padEnd(3, '0').slice(0, 3)}` : '';
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offset}`;
}

function timeField(read: Read, segment: Hl7Segment | undefined, name: string, field: number): string | undefined {
  const value = read(segment, field, 1);
  if (!value) return undefined;
  const iso = hl7TimeToIso(value);
  if (!iso) {
    throw new Hl7MappingError(`${name}-${field} 时间「${value}」格式不对,应为 YYYYMMDDHHMM[SS][+ZZZZ]`, name, field, 102);
  }
  return iso;
}

/** Where each checked property came from, for errors. */
const FIELD_OF: Record<string, [string, number]> = {
  encounterId: ['PV1', 19],
  'patient.id': ['PID', 3],
  'patient.name': ['PID', 5],
  'patient.sex': ['PID', 8],
  'patient.birthDate': ['PID', 7],
  'patient.phone': ['PID', 13],
  'patient.address': ['PID', 11],
  department: ['PV1', 3],
  'diagnosis.code': ['DG1', 3],
  'diagnosis.name': ['DG1', 3],
  procedure: ['PR1', 3],
  attendingDoctor: ['PV1', 7],
  dischargedAt: ['PV1', 45],
};

/** The rules every format shares (lengths, formats), for what HL7 delivers. */
function check(e: HisEncounter, withDischarge: boolean) {
  const problem = encounterProblem(e, withDischarge);
  if (!problem) return;
  const [segment, field] = FIELD_OF[problem.path] ?? [undefined, undefined];
  throw new Hl7MappingError(`${segment ? `${segment}-${field}` : problem.path}: ${problem.message}`, segment, field, 102);
}

function repetitions(segment: Hl7Segment, field: number): number {
  return segment.getField(field)?.components.length ?? 0;
}

/** Reads field.component (1-based), first subcomponent, HL7 escapes decoded, trimmed; '' when absent. */
function reader(message: Hl7Message): Read {
  const ctx = message.context;
  const esc = escapeRegExp(ctx.escapeCharacter);
  const sequence = new RegExp(`${esc}(F|S|T|R|E|H|N|\\.br|X[0-9A-Fa-f]+)${esc}`, 'g');
  const decode = (text: string) =>
    text.includes(ctx.escapeCharacter)
      ? text.replace(sequence, (_, code: string) => {
          switch (code) {
            case 'F':
              return ctx.fieldSeparator;
            case 'S':
              return ctx.componentSeparator;
            case 'T':
              return ctx.subcomponentSeparator;
            case 'R':
              return ctx.repetitionSeparator;
            case 'E':
              return ctx.escapeCharacter;
            case '.br':
              return ' ';
            case 'H':
            case 'N':
              return '';
            default:
              return Buffer.from(code.slice(1), 'hex').toString('utf8');
          }
        })
      : text;
  return (segment, field, component, repetition = 0) => {
    const raw = segment?.getField(field)?.components[repetition]?.[component - 1] ?? '';
    const first = raw.split(ctx.subcomponentSeparator)[0] ?? '';
    return decode(first).trim();
  };
}

/** Escapes text for use inside an HL7 field (ACK texts, ERR). */
export function hl7Escape(text: string, ctx: Hl7Message['context']): string {
  const e = ctx.escapeCharacter;
  let out = '';
  for (const ch of text.replace(/[\r\n]+/g, ' ')) {
    if (ch === e) out += `${e}E${e}`;
    else if (ch === ctx.fieldSeparator) out += `${e}F${e}`;
    else if (ch === ctx.componentSeparator) out += `${e}S${e}`;
    else if (ch === ctx.subcomponentSeparator) out += `${e}T${e}`;
    else if (ch === ctx.repetitionSeparator) out += `${e}R${e}`;
    else out += ch;
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
