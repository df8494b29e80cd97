/**
 * A raw HIS message with its personal data masked, for the admin inbox viewer. Pure.
 *
 * HL7 v2: the person segments (PID, NK1, GT1, IN1, IN2) keep their structure (separators) and
 * the fields that identify nothing personal (set IDs, the first patient identifier, sex,
 * relationship); every other field shows its first character and stars, phone numbers as
 * `138****1234`. JSON and FHIR: names, phones, addresses, birth dates and identifiers of
 * persons (JSON `patient`, FHIR Patient / RelatedPerson / Person) are masked the same way.
 * Text that is neither (what could not be parsed) has its long digit runs (ID, phone and
 * insurance numbers) masked wherever they appear.
 */
import { maskAddress, maskName, maskPhone } from '../masking.js';

/** HL7 person segments and the fields kept readable in each (1-based). */
const HL7_PERSON_SEGMENTS: Record<string, Set<number>> = {
  PID: new Set([1, 8]),
  NK1: new Set([1, 3]),
  GT1: new Set([1]),
  IN1: new Set([1, 2, 3]),
  IN2: new Set([1]),
};
const PERSON_RESOURCES = new Set(['Patient', 'RelatedPerson', 'Person']);

export function maskRawMessage(source: 'hl7' | 'fhir' | 'json', raw: string): string {
  if (source === 'hl7') return raw.replace(/^[\uFEFF\s]+/, '').startsWith('MSH') ? maskHl7(raw) : maskDigitRuns(raw);
  try {
    return JSON.stringify(maskJson(JSON.parse(raw), source === 'json'), null, 2);
  } catch {
    return maskDigitRuns(raw);
  }
}

function maskHl7(raw: string): string {
  const segments = raw.split(/\r\n|\r|\n/);
  const separator = segments[0]?.startsWith('MSH') ? (segments[0][3] ?? '|') : '|';
  const components = segments[0]?.startsWith('MSH') ? (segments[0].slice(4, 8) || '^~\\&') : '^~\\&';
  const structure = new RegExp(`[${[...components].map((c) => `\\${c}`).join('')}]`);
  return segments
    .map((segment) => {
      const keep = HL7_PERSON_SEGMENTS[segment.slice(0, 3)];
      if (!keep) return segment;
      return segment
        .split(separator)
        .map((field, index) => {
          if (index === 0 || keep.has(index)) return field;
          // PID-3: the first identifier (the HIS patient ID) stays; further ones (ID card, insurance) do not.
          if (segment.startsWith('PID') && index === 3) {
            const [first, ...rest] = field.split(components[1] ?? '~');
            return [first, ...rest.map((r) => maskParts(r, structure))].join(components[1] ?? '~');
          }
          return maskParts(field, structure);
        })
        .join(separator);
    })
    .join('\r');
}

/** Masks each part between HL7 separators, keeping the separators. */
function maskParts(field: string, structure: RegExp): string {
  const parts = field.split(new RegExp(`(${structure.source})`));
  return parts.map((part) => (structure.test(part) && part.length === 1 ? part : maskText(part))).join('');
}

/** A phone as `138****1234`; other text keeps its first character. */
function maskText(text: string): string {
  if (!text.trim()) return text;
  if (/^\+?[\d\s()-]{7,20}$/.test(text)) return maskPhone(text);
  const chars = [...text];
  return chars[0] + chars.slice(1).map((c) => (/\s/.test(c) ? c : '*')).join('');
}

function maskJson(value: unknown, plainDischarge: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => maskJson(v, false));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  if (plainDischarge && typeof o.patient === 'object' && o.patient !== null) {
    return { ...o, patient: maskPerson(o.patient as Record<string, unknown>) };
  }
  if (typeof o.resourceType === 'string' && PERSON_RESOURCES.has(o.resourceType)) return maskPerson(o);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, maskJson(v, false)]));
}

/** The person fields of a JSON patient or a FHIR person resource. */
function maskPerson(person: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...person };
  for (const [key, value] of Object.entries(person)) {
    if (key === 'name') out.name = typeof value === 'string' ? maskName(value, 'surname') : deepMask(value);
    else if (key === 'phone') out.phone = maskPhone(String(value));
    else if (key === 'address') out.address = typeof value === 'string' ? maskAddress(value) : deepMask(value);
    else if (key === 'birthDate' && typeof value === 'string') out.birthDate = `${value.slice(0, 4)}-**-**`;
    else if (key === 'telecom' || key === 'identifier' || key === 'contact') out[key] = deepMask(value);
  }
  return out;
}

/** Every string value inside (codes and systems of a FHIR element stay: they are not personal). */
function deepMask(value: unknown): unknown {
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map(deepMask);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === 'system' || k === 'use' || k === 'type' || k === 'period' ? v : deepMask(v)]),
  );
}

/** Runs of 7 or more digits (phone, ID card, insurance numbers) keep their first 3 and last 2 digits. */
function maskDigitRuns(text: string): string {
  return text.replace(/\d{7,}/g, (run) => `${run.slice(0, 3)}${'*'.repeat(run.length - 5)}${run.slice(-2)}`);
}
