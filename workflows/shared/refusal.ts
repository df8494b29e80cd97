/**
 * A refused Update crosses to the caller as data: the reason in words, a type naming the kind of
 * refusal, and, where input fields are at fault, the `{ field, message }` list in the failure's
 * details, so the portal marks the fields without reading the message.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Problem } from '../../domain/questions.js';

/** An input field at fault and why (the shape the domain validators report). */
export type FieldProblem = Problem;

export interface Refusal {
  type: string | undefined;
  message: string;
  problems: FieldProblem[];
}

/** The failure a validator or handler throws to refuse an Update (never retried). */
export function refuse(type: string, message: string, problems: FieldProblem[] = []): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: problems.length ? [{ problems }] : [] });
}

/** The refusal inside a failed Update's cause (client side), or null when the cause is something else. */
export function refusalOf(cause: unknown): Refusal | null {
  if (!(cause instanceof ApplicationFailure)) return null;
  const [detail] = cause.details ?? [];
  const problems = (detail as { problems?: unknown } | undefined)?.problems;
  return {
    type: cause.type ?? undefined,
    message: cause.message,
    problems: Array.isArray(problems) ? problems.filter(isProblem) : [],
  };
}

function isProblem(value: unknown): value is FieldProblem {
  const p = value as Partial<FieldProblem> | null;
  return typeof p === 'object' && p !== null && typeof p.field === 'string' && typeof p.message === 'string';
}
