/**
 * FHIR R4 ingest: POST an Encounter (Patient contained) or a Bundle with Encounter + Patient.
 * Mounted at /api/his/fhir; the HIS token rule of /api/his/discharges applies. Every request
 * that passes the token check goes through the ingest pipeline (services/discharges.ts): stored
 * raw first (source 'fhir'), mapped (domain/his/fhir.ts), applied; this route only answers.
 *
 *   202 {encounterId, workflowId}  discharge (also for a resend); {encounters: […]} for several stays
 *   202 {encounterId[, note]}      admission, cancellation, or a discharge too old to follow up
 *   200 {outcome: 'ignored'}       nothing to act on (an outpatient visit, a subscription handshake)
 * PUT /api/his/fhir/Encounter/<id> takes an R4 Subscription rest-hook notification with payload
 * (the server PUTs the resource to [endpoint]/[type]/[id]); a `history` Bundle posted to
 * /api/his/fhir is a notification of the R4 backport; what either only references (the
 * Encounter, its Patient) is read from the hospital's FHIR server (HIS_FHIR_BASE_URL).
 *   400 OperationOutcome           not JSON, not an Encounter/Bundle, or an element wrong/missing
 *                                  (issue.expression names it); the message is marked rejected
 *   401 OperationOutcome           token missing or wrong (nothing stored)
 *   413 / 415 OperationOutcome     body over 5 MB (not stored) / other Content-Type (rejected)
 *   503 OperationOutcome transient Temporal or the FHIR server unavailable: stored, processed again
 *                                  by the inbox reconciler; a resend is harmless (Retry-After)
 */
import { Hono, type Context } from 'hono';
import type { IngestOutcome } from '../../services/discharges.js';
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

/** 202 with the encounter (and its follow-up); several stays list each; 200 for a message with nothing to act on. */
function answer(c: Context, result: Extract<IngestOutcome, { status: 'done' }>): Response {
  const items = result.results.map(({ encounterId, workflowId, note }) => ({
    ...(encounterId ? { encounterId } : {}),
    ...(workflowId ? { workflowId } : {}),
    ...(note ? { note } : {}),
  }));
  if (result.outcome === 'ignored') return c.json({ outcome: 'ignored', note: items.map((i) => i.note).filter(Boolean).join(';') }, 200);
  return c.json(items.length === 1 ? items[0] : { encounters: items }, 202);
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

  /** Media type check, then the pipeline; the answer says how it ended. */
  async function ingest(c: Context, raw: string): Promise<Response> {
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    // An R4 rest-hook notification without payload is an empty POST, often without Content-Type.
    if (!MEDIA_TYPES.has(mediaType) && raw.trim() !== '') {
      const diagnostics = `Content-Type 须为 application/fhir+json 或 application/json,收到「${mediaType || '(无)'}」`;
      await discharges.reject((await discharges.receive('fhir', raw)).id, diagnostics);
      return outcome(c, 415, 'not-supported', diagnostics);
    }
    const result = await discharges.ingest('fhir', raw);
    switch (result.status) {
      case 'done':
        return answer(c, result);
      case 'retry':
        c.header('Retry-After', '30');
        return outcome(c, 503, 'transient', result.error.message);
      case 'rejected': {
        const err = result.error;
        return err instanceof FhirMappingError ? outcome(c, 400, err.code, err.message, err.expression) : outcome(c, 400, 'invalid', err.message);
      }
    }
  }

  // An Encounter, a Bundle with Encounters, or an R4 Subscription notification (a `history` Bundle).
  fhir.post('/', async (c) => ingest(c, await c.req.text()));

  // R4 Subscription rest-hook with payload: the server PUTs the resource to [endpoint]/Encounter/[id].
  fhir.put('/:type/:id', async (c) => {
    const raw = await c.req.text();
    const { type, id } = c.req.param();
    const resource = (() => {
      try {
        return JSON.parse(raw) as { resourceType?: unknown; id?: unknown };
      } catch {
        return undefined;
      }
    })();
    const mismatch =
      type !== 'Encounter'
        ? `只接受 Encounter 的订阅推送,收到 ${type}`
        : resource && (resource.resourceType !== type || (resource.id !== undefined && resource.id !== id))
          ? `请求体须为 id 为「${id}」的 Encounter`
          : undefined;
    if (mismatch) {
      await discharges.reject((await discharges.receive('fhir', raw)).id, mismatch);
      return outcome(c, 400, 'invalid', mismatch, 'resourceType');
    }
    return ingest(c, raw);
  });

  return fhir;
}
