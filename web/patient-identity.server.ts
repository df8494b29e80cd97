/**
 * The patient booking pages' identity step (/book, /book/mine): inside WeChat (or from the
 * Official Account's `?from=wechat` link) the page first goes through WeChat's silent web
 * authorization; afterwards, or in an ordinary browser, the verified patient of this browser (an
 * SMS code or WeChat identity in the last PATIENT_VERIFIED_MINUTES) or none. Rules live in
 * services/patient-identity.ts.
 */
import { redirect, type AppLoadContext } from '@remix-run/node';
import { WECHAT_OUTCOME_TEXT, type PatientProfile, type VerifiedPatient } from '../services/patient-identity.js';
import { maskPhone } from '../domain/masking.js';
import './load-context.js';

export interface PatientGate {
  verified: VerifiedPatient | null;
  /** What the page shows of the verified patient (masked). */
  shown: { via: 'sms' | 'wechat'; mobileMasked: string; profile: PatientProfile | null } | null;
  /** Why the page asks for an SMS code although the patient came from WeChat. */
  wechatNotice: string | null;
}

/** The identity of this request, or a redirect (thrown) to WeChat's authorization that comes back to this page. */
export async function patientGate(request: Request, context: AppLoadContext): Promise<PatientGate> {
  const identity = context.services.patientIdentity;
  if (identity.shouldAuthorize(request)) {
    const url = new URL(request.url);
    url.searchParams.delete('from');
    const { location, setCookie } = identity.startWechat(`${url.pathname}${url.search}`);
    throw redirect(location, { headers: { 'Set-Cookie': setCookie } });
  }
  const header = request.headers.get('cookie');
  const verified = identity.verified(header);
  const outcome = identity.wechatOutcome(header);
  return {
    verified,
    shown: verified ? { via: verified.via, mobileMasked: maskPhone(verified.mobile), profile: await identity.profile(verified) } : null,
    wechatNotice: !verified && outcome && outcome !== 'bound' ? WECHAT_OUTCOME_TEXT[outcome] : null,
  };
}

/** The verified patient of an action's request (no redirect). */
export function verifiedPatient(request: Request, context: AppLoadContext): VerifiedPatient | null {
  return context.services.patientIdentity.verified(request.headers.get('cookie'));
}
