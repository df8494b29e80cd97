/**
 * FHIR R4 ingest: POST an Encounter (Patient contained) or a Bundle with Encounter + Patient.
 * Mounted at /api/his/fhir; the HIS token rule of /api/his/discharges applies. Every request
 * that passes the token check goes through the ingest pipeline (services/discharges.ts): stored
 * raw first (source 'fhir'), mapped (domain/his/fhir.ts), applied; this route only answers.
 *
 *   202 {encounterId, workflowId}  discharge (also for a resend)
 *   202 {encounterId}              admission, or cancellation
 *   400 OperationOutcome           not JSON, not an Encounter/Bundle, or an element wrong/missing
 *                                  (issue.expression names it); the message is marked rejected
 *   401 OperationOutcome           token missing or wrong (nothing stored)
 *   413 / 415 OperationOutcome     body over 5 MB (not stored) / other Content-Type (rejected)
 *   503 OperationOutcome transient Temporal unavailable: stored, resend later (Retry-After)
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import type { Services } from '../../services/index.js';
import { isServiceError } from '../../services/errors.js';
import { FhirMappingError } from '../../domain/his/fhir.js';
import { requireHisToken } from './his-auth.js';

const MEDIA_TYPES = new Set(['application/fhir+json', 'application/json']);
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export function outcome(
  c: Context,
  status: ContentfulStatusCode,
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression?: string,
): Response {
  const body: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: status >= 500 && code !== 'transient' ? 'fatal' : 'error', code, diagnostics, ...(expression ? { expression: [expression] } : {}) }],
  };
  return c.body(JSON.stringify(body), status, { 'Content-Type': 'application/fhir+json; charset=utf-8' });
}

export function createFhirRoutes(services: Pick<Services, 'env' | 'discharges'>) {
  const fhir = new Hono();
  const { discharges } = services;

  fhir.onError((err, c) => {
    if (isServiceError(err)) {
      const code = err.status === 401 ? 'login' : err.status === 403 ? 'forbidden' : err.status === 503 ? 'transient' : 'processing';
      return outcome(c, err.status, code, err.message);
    }
    console.error('[fhir] unexpected error', err);
    return outcome(c, 500, 'exception', '服务器内部错误');
  });

  fhir.use('*', requireHisToken(services.env.HIS_API_TOKEN));
  fhir.use(
    '*',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => outcome(c, 413, 'too-costly', `请求体超过 ${MAX_BODY_BYTES / 1024 / 1024} MB`) }),
  );

  fhir.post('/', async (c) => {
    const raw = await c.req.text();
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!MEDIA_TYPES.has(mediaType)) {
      const diagnostics = `Content-Type 须为 application/fhir+json 或 application/json,收到「${mediaType || '(无)'}」`;
      await discharges.reject((await discharges.receive('fhir', raw)).id, diagnostics);
      return outcome(c, 415, 'not-supported', diagnostics);
    }
    const result = await discharges.ingest('fhir', raw);
    switch (result.status) {
      case 'done': {
        const { encounterId, workflowId } = result.results[0]!;
        return c.json(workflowId ? { encounterId, workflowId } : { encounterId }, 202);
      }
      case 'retry':
        c.header('Retry-After', '30');
        return outcome(c, 503, 'transient', result.error.message);
      case 'rejected': {
        const err = result.error;
        return err instanceof FhirMappingError ? outcome(c, 400, err.code, err.message, err.expression) : outcome(c, 400, 'invalid', err.message);
      }
    }
  });

  return fhir;
}
