/**
 * What the registration desk typed into its one check-in box (预约号或身份证号): a mainland resident
 * ID card number (18 digits, the last may be X; or the old 15 digits) is looked up as the patient's
 * ID number, anything else as an appointment number (AP…, as booking issues them). Spaces are
 * ignored and letters compared in upper case, so a number read aloud or an ID typed with a small x
 * both match.
 */
export type DeskLookup = { by: 'number'; number: string } | { by: 'idNumber'; idNumber: string };

const RESIDENT_ID = /^(\d{17}[\dX]|\d{15})$/;

/** The lookup the desk asked for, or null when the box was empty. */
export function readDeskLookup(text: unknown): DeskLookup | null {
  const value = typeof text === 'string' ? text.replace(/\s+/g, '').toUpperCase() : '';
  if (!value) return null;
  return RESIDENT_ID.test(value) ? { by: 'idNumber', idNumber: value } : { by: 'number', number: value };
}
