/** A service error of an admin form as field messages (and a summary), for the form to show next to each field. */
import { isServiceError, type FieldProblem } from '../../../services/errors.js';

export interface FormFailure {
  ok: false;
  errors: Record<string, string>;
  message: string;
  values: Record<string, string>;
}

/** 400/404/409 become a failure the form shows; anything else is rethrown (the error boundary shows it). */
export function formFailure(err: unknown, values: Record<string, string>): { failure: FormFailure; status: number } {
  if (!isServiceError(err) || ![400, 404, 409].includes(err.status)) {
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
  const problems = (err.details?.problems ?? []) as FieldProblem[];
  const errors: Record<string, string> = {};
  for (const p of problems) errors[p.field] = errors[p.field] ? `${errors[p.field]}；${p.message}` : p.message;
  // Field problems stand next to their fields; the summary only counts them (no internal field names).
  const message = problems.length > 0 && Object.keys(errors).length > 0 ? `请修正下面标出的 ${problems.length} 处问题` : err.message;
  return { failure: { ok: false, errors, message, values }, status: err.status };
}

/** The string fields of a submitted form. */
export function formValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === 'string') values[key] = value;
  return values;
}
