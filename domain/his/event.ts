/**
 * The encounter event every HIS format maps to (HL7 v2, FHIR R4, JSON), and the one set of
 * field rules they all pass. Pure: the mappers in this folder produce these events, the apply
 * service (services/his-apply.ts) acts on them, and nothing else decides what a message means.
 */
// Pure-JS SHA-256: domain/ stays free of Node built-ins so any of it may run in the workflow sandbox.
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { z } from 'zod';

/**
 * An encounter as any HIS route delivers it, after mapping. The HIS department may come as
 * several codes (PV1-3 point of care, PV1-10 hospital service …): the first one that maps to a
 * department wins; the first one is kept as sent.
 */
export interface HisEncounter {
  encounterId: string;
  patient: HisPatient;
  departmentCodes: string[];
  /**
   * Department names as the sender wrote them (FHIR `display` texts), tried after the codes
   * against department names and HIS mappings; the first is kept when nothing matches.
   */
  departmentNames?: string[];
  diagnosis?: { code?: string; name?: string };
  procedure?: string;
  attendingDoctor?: string;
  nurse?: string;
  ward?: string;
  /** Room and bed the patient was discharged from (PV1-3.2 / PV1-3.3; FHIR location of type ro / bd). */
  room?: string;
  bed?: string;
  admittedAt?: string;
  dischargedAt?: string;
  /** Discharged as deceased: no follow-up, and the patient's other pending follow-ups end. */
  deceased?: boolean;
}

export interface HisPatient {
  id: string;
  name: string;
  sex?: 'M' | 'F' | 'O' | 'U';
  birthDate?: string;
  phone?: string;
  address?: string;
  /** Resident ID or another identity document (身份证号, passport): stored, always shown masked. */
  idNumber?: string;
}

/** New patient data (ADT^A08/A28/A31): what is given replaces what is stored. */
export type HisPatientUpdate = Partial<HisPatient> & { id: string };

/** What one HIS message asks for; the apply service has one branch per kind. */
export type HisEvent =
  | { kind: 'discharge'; encounter: HisEncounter & { dischargedAt: string } }
  | { kind: 'admit'; encounter: HisEncounter }
  | { kind: 'cancel'; encounterId: string; what: 'admission' | 'discharge' }
  | { kind: 'patient_update'; patient: HisPatientUpdate }
  /** Understood and of no use here (an event this system does not act on): acknowledged, stored as ignored. */
  | { kind: 'ignored'; reason: string };

/** The HIS encounter ID an event is about, if any. */
export function eventEncounterId(event: HisEvent): string | undefined {
  switch (event.kind) {
    case 'cancel':
      return event.encounterId;
    case 'discharge':
    case 'admit':
      return event.encounter.encounterId;
    default:
      return undefined;
  }
}

/** What an event is about, without names or phone numbers, for the inbox viewer. */
export function eventSummary(event: HisEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'discharge':
    case 'admit': {
      const e = event.encounter;
      return compact({
        kind: event.kind,
        encounterId: e.encounterId,
        patientId: e.patient.id,
        departmentCodes: e.departmentCodes,
        departmentNames: e.departmentNames,
        dischargedAt: e.dischargedAt,
        deceased: e.deceased,
      });
    }
    case 'cancel':
      return { kind: event.kind, encounterId: event.encounterId, what: event.what };
    case 'patient_update':
      return { kind: event.kind, patientId: event.patient.id, fields: Object.keys(event.patient).filter((k) => k !== 'id') };
    case 'ignored':
      return { kind: event.kind, reason: event.reason };
  }
}

/** Identifiers become part of workflow IDs and URLs: letters, digits and a few separators only. */
export const HIS_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const HIS_ID_RULE = '只能包含字母、数字和 . _ : -,最长 64 位';

/**
 * A key for an identifier of any length or alphabet (FHIR allows both): the value itself when
 * it fits HIS_ID, else `h-` and a SHA-256 digest of system and value, so the same identifier
 * always gives the same key (resends stay idempotent).
 */
export function hisKey(value: string, system = ''): string {
  if (HIS_ID.test(value)) return value;
  return `h-${bytesToHex(sha256(utf8ToBytes(`${system}|${value}`))).slice(0, 40)}`;
}

/**
 * A code short enough for the HIS department mapping (32 characters): longer ones keep their
 * start, readable for the admin, and end in a digest of the whole.
 */
export function shortCode(value: string, max = 32): string {
  if ([...value].length <= max) return value;
  const digest = bytesToHex(sha256(utf8ToBytes(value))).slice(0, 8);
  return `${[...value].slice(0, max - 9).join('')}~${digest}`;
}

const trimmed = (max: number) => z.string().trim().min(1, '不能为空').max(max, `最长 ${max} 个字符`);
const optionalText = (max: number) => z.string().trim().max(max, `最长 ${max} 个字符`).optional();
const hisId = z.string({ required_error: '必填' }).trim().regex(HIS_ID, HIS_ID_RULE);

/**
 * The HIS department an encounter is kept under while no department matches: its first code,
 * else its first name (shortened to what the mapping takes), so an admin maps it once.
 */
export function hisDepartmentKey(e: Pick<HisEncounter, 'departmentCodes' | 'departmentNames'>): string {
  const name = e.departmentNames?.[0];
  return e.departmentCodes[0] ?? (name ? shortCode(name) : '');
}

/** A discharge as the JSON route takes it; the other formats are checked against the same rules. */
export const dischargeSchema = z.object({
  encounterId: hisId,
  patient: z.object(
    {
      id: hisId,
      name: trimmed(64),
      sex: z.enum(['M', 'F', 'O', 'U'], { errorMap: () => ({ message: '须为 M、F、O 或 U' }) }).optional(),
      birthDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式须为 YYYY-MM-DD')
        .refine((d) => !Number.isNaN(Date.parse(d)), '不是有效日期')
        .optional(),
      phone: z
        .string()
        .trim()
        .regex(/^\+?[\d\s()-]{7,20}$/, '不是有效的电话号码')
        .optional(),
      address: optionalText(200),
      idNumber: optionalText(32),
    },
    { required_error: '必填' },
  ),
  department: trimmed(32),
  diagnosis: z.object({ code: optionalText(32), name: optionalText(200) }).optional(),
  procedure: optionalText(200),
  attendingDoctor: optionalText(64),
  /** Where the patient lay (HL7 PV1-3.1–3 point of care, room, bed): a facilities complaint is sent there. */
  ward: optionalText(100),
  room: optionalText(100),
  bed: optionalText(100),
  dischargedAt: z
    .string({ required_error: '必填' })
    .datetime({ offset: true, message: '须为带时区的 ISO 8601 时间,如 2026-11-20T10:30:00+08:00' }),
});

export type DischargeInput = z.infer<typeof dischargeSchema>;

const admitSchema = dischargeSchema.omit({ dischargedAt: true });

export interface FieldProblem {
  /** The property of the event (`patient.name`, `dischargedAt`); each format names its own field from it. */
  path: string;
  message: string;
}

/** The first rule an HL7 or FHIR encounter breaks (lengths, formats), or undefined. */
export function encounterProblem(e: HisEncounter, withDischarge: boolean): FieldProblem | undefined {
  const candidate = { ...e, department: hisDepartmentKey(e) };
  const result = withDischarge ? dischargeSchema.safeParse(candidate) : admitSchema.safeParse(candidate);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  return { path: issue.path.join('.'), message: issue.message };
}

/**
 * A message that can never be accepted as sent (a field missing or wrong). Each format's
 * mapper throws its own subclass, which names the field the way that format does.
 */
export class HisMappingError extends Error {
  constructor(
    message: string,
    /** Every field at fault, in the format's own naming (`PV1-45`, `Encounter.period.end`, `dischargedAt`). */
    readonly problems: { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'HisMappingError';
  }
}

/** Drops undefined properties, so optional fields stay absent rather than `undefined`. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
