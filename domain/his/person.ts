/** Names, addresses, phone numbers and identifiers as HIS formats spell them, made uniform. Pure. */
import { isCheckedResidentIdNumber } from '../masking.js';

/** Strips spaces, dashes, dots and parentheses; a number of 7–20 digits (optional leading +) or undefined. */
export function normalizePhone(value: string | undefined): string | undefined {
  const stripped = (value ?? '').replace(/[\s\-.()]/g, '');
  return /^\+?\d{7,20}$/.test(stripped) ? stripped : undefined;
}

const CJK = /[\u2E80-\u9FFF\uF900-\uFAFF\u{20000}-\u{3FFFF}]/u;

/** Family + given: no space when either is CJK (王 + 秀英), one space otherwise (WANG XIUYING). */
export function joinName(family: string | undefined, given: string | undefined): string {
  const parts = [family?.trim(), given?.trim()].filter((p): p is string => !!p);
  return joinParts(parts);
}

/** Address parts in the order given, empty ones and consecutive repeats (北京市 北京市) skipped. */
export function joinAddressParts(parts: (string | undefined)[]): string {
  const present = parts.filter((p): p is string => !!p);
  return joinParts(present.filter((p, i) => p !== present[i - 1]));
}

function joinParts(parts: string[]): string {
  return parts.some((p) => CJK.test(p)) ? parts.join('') : parts.join(' ');
}

/** One patient identifier as a HIS sends it: HL7 PID-3 (CX-1, CX-5) or a FHIR Patient.identifier. */
export interface PersonIdentifier {
  value: string;
  /** HL7 table 0203 identifier type (MR medical record, NI national ID, PPN passport …), upper case. */
  type?: string;
}

/** Identity-document types of HL7 table 0203: never a 病案号, always masked. NNxxx is a national ID of country xxx. */
const IDENTITY_DOCUMENT_TYPES = new Set(['NI', 'SS', 'PPN', 'DL', 'CZ', 'BC', 'PEN']);

export function isIdentityDocument(id: PersonIdentifier): boolean {
  const type = id.type ?? '';
  return IDENTITY_DOCUMENT_TYPES.has(type) || /^NN[A-Z]{3}$/.test(type) || isCheckedResidentIdNumber(id.value);
}

/**
 * Which identifier is the 病案号 (the patient key) and which is the ID number, when a HIS sends
 * several: the medical-record number (type MR) first, else the first one that is not an identity
 * document; only when nothing else is sent does an ID number serve as the key (it is then shown
 * masked: the pages mask a 病案号 that is a resident ID number). The ID number is the first identity document sent.
 */
export function pickPatientIdentifiers(ids: PersonIdentifier[]): { patientId?: PersonIdentifier; idNumber?: string } {
  const present = ids.filter((i) => i.value);
  const document = present.find(isIdentityDocument);
  const patientId = present.find((i) => i.type === 'MR') ?? present.find((i) => !isIdentityDocument(i)) ?? document;
  return { patientId, idNumber: document?.value };
}
