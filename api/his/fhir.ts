/**
 * FHIR R4 ingest: POST an Encounter (Patient contained) or a Bundle with Encounter + Patient.
 * Mounted at /api/his/fhir; the HIS token rule of /api/his/discharges applies. Every request
 * that passes the token check is stored raw first (source 'fhir'), then mapped
 * (`encounterAction`), then handed to the discharge service.
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
import { encounterAction, FhirMappingError, type FhirAction } from './fhir-encounter.js';
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
    const inboxId = await discharges.receive('fhir', raw);
    const refuse = async (status: ContentfulStatusCode, code: OperationOutcomeIssue['code'], diagnostics: string, expression?: string) => {
      await discharges.reject(inboxId, new Error(expression && !diagnostics.startsWith(expression) ? `${expression}: ${diagnostics}` : diagnostics));
      return outcome(c, status, code, diagnostics, expression);
    };

    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!MEDIA_TYPES.has(mediaType)) {
      return refuse(415, 'not-supported', `Content-Type 须为 application/fhir+json 或 application/json,收到「${mediaType || '(无)'}」`);
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return refuse(400, 'structure', '不是有效的 JSON');
    }
    let action: FhirAction;
    try {
      action = encounterAction(body, new Date());
    } catch (err) {
      if (err instanceof FhirMappingError) return refuse(400, err.code, err.message, err.expression);
      throw err;
    }

    try {
      switch (action.kind) {
        case 'discharge': {
          const { encounterId, workflowId } = await discharges.discharge(inboxId, action.encounter);
          return c.json({ encounterId, workflowId }, 202);
        }
        case 'admit':
          await discharges.admit(inboxId, action.encounter);
          return c.json({ encounterId: action.encounter.encounterId }, 202);
        case 'cancel':
          await discharges.cancelEncounter(inboxId, action.encounterId, action.what);
          return c.json({ encounterId: action.encounterId }, 202);
      }
    } catch (err) {
      if (isServiceError(err) && err.status === 503) {
        c.header('Retry-After', '30');
        return outcome(c, 503, 'transient', err.message);
      }
      throw err;
    }
  });

  return fhir;
}
