/**
 * The JSON discharge (POST /api/his/discharges) → the encounter event. Pure; the shape is
 * `dischargeSchema` (one department code, a discharge time with offset).
 */
import { dischargeSchema, HisMappingError, type HisEvent } from './event.js';

/** Throws HisMappingError listing every field at fault (`patient.name`, `dischargedAt`, or `(body)`). */
export function jsonEvent(body: unknown): HisEvent {
  const result = dischargeSchema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
      message: issue.message,
    }));
    throw new HisMappingError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
  const { department, ...d } = result.data;
  return { kind: 'discharge', encounter: { ...d, departmentCodes: [department] } };
}

/** Parses the body text first: text that is not JSON names `(body)`. */
export function jsonEventFromText(text: string): HisEvent {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HisMappingError('(body): 不是有效的 JSON', [{ field: '(body)', message: '不是有效的 JSON' }]);
  }
  return jsonEvent(body);
}
