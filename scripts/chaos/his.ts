/**
 * The chaos run's hospital information system: discharges as JSON over HTTP and as HL7 v2 ADT^A03
 * over MLLP, each resent until the platform confirms it (HTTP 202, HL7 AA), as a HIS interface
 * engine does. What it saw on the way is tallied: the platform may answer a retryable error
 * (HTTP 503, HL7 AE) or drop the connection (a process killed mid-request), nothing else.
 */
import type { DemoDischarge } from '../demo-data.js';
import { sendMllpFrame } from '../lib/mllp-client.js';
import { sleep } from '../lib/wait.js';

export type Via = 'json' | 'hl7';

export interface Delivery {
  encounterId: string;
  via: Via;
  accepted: boolean;
  attempts: number;
  /** Why the HIS stopped: a rejection (400 / AR) or the deadline. */
  failure?: string;
}

/** What the HIS saw, by answer: `HTTP 202`, `HTTP 503`, `HL7 AE`, `connection: …`. */
export const seen = new Map<string, number>();
const note = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

export function jsonDischarge(d: DemoDischarge): string {
  return JSON.stringify(d);
}

/** HL7 TS in UTC with its offset (the listener reads offsets; without one it assumes Asia/Shanghai). */
const hl7Time = (iso: string) => `${new Date(iso).toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;

export function hl7Discharge(d: DemoDischarge, controlId: string): string {
  const pv1 = Array<string>(46).fill('');
  Object.assign(pv1, { 0: 'PV1', 1: '1', 2: 'I', 3: `${d.department}^301^12`, 7: `D0457^${d.attendingDoctor}`, 10: d.department, 19: d.encounterId, 45: hl7Time(d.dischargedAt) });
  return [
    `MSH|^~\\&|HIS|CHAOS|SUIFANG|CHAOS|${hl7Time(new Date().toISOString())}||ADT^A03^ADT_A03|${controlId}|P|2.5|||AL|NE||UNICODE UTF-8`,
    `EVN|A03|${hl7Time(d.dischargedAt)}`,
    `PID|1||${d.patient.id}^^^CHAOS^PI||${d.patient.name}||${d.patient.birthDate.replace(/-/g, '')}|${d.patient.sex}|||${d.patient.address}||${d.patient.phone}^PRN^PH`,
    pv1.join('|'),
    `DG1|1|I10|${d.diagnosis.code}^${d.diagnosis.name}^I10`,
  ].join('\r');
}

const errorName = (err: unknown) => {
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  return e.cause?.code ?? e.code ?? e.message ?? String(err);
};

/** One try: 'accepted', 'retry' or 'rejected: …'. */
async function tryJson(httpUrl: string, body: string): Promise<string> {
  try {
    const res = await fetch(`${httpUrl}/api/his/discharges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    note(`HTTP ${res.status}`);
    if (res.status === 202) return 'accepted';
    if (res.status === 400) return `rejected: ${text}`;
    return 'retry';
  } catch (err) {
    note(`connection: ${errorName(err)}`);
    return 'retry';
  }
}

async function tryHl7(mllpPort: number, message: string): Promise<string> {
  try {
    const ack = await sendMllpFrame(mllpPort, message, { timeoutMs: 30_000 });
    const code = /(?:^|\r)MSA\|([A-Z]{2})/.exec(ack)?.[1] ?? '??';
    note(`HL7 ${code}`);
    if (code === 'AA') return 'accepted';
    if (code === 'AR') return `rejected: ${ack}`;
    return 'retry';
  } catch (err) {
    note(`connection: ${errorName(err)}`);
    return 'retry';
  }
}

/** Sends one discharge until it is confirmed, rejected, or `deadline` (epoch ms) passes. */
export async function deliver(
  target: { httpUrl: string; mllpPort: number },
  d: DemoDischarge,
  via: Via,
  deadline: number,
): Promise<Delivery> {
  // The same bytes on every resend, as a HIS resends a message (HL7 keeps its control id).
  const payload = via === 'json' ? jsonDischarge(d) : hl7Discharge(d, `C${d.encounterId}`);
  for (let attempts = 1; ; attempts++) {
    const outcome = via === 'json' ? await tryJson(target.httpUrl, payload) : await tryHl7(target.mllpPort, payload);
    if (outcome === 'accepted') return { encounterId: d.encounterId, via, accepted: true, attempts };
    if (outcome.startsWith('rejected')) return { encounterId: d.encounterId, via, accepted: false, attempts, failure: outcome };
    if (Date.now() > deadline) return { encounterId: d.encounterId, via, accepted: false, attempts, failure: 'deadline passed' };
    await sleep(Math.min(500 * attempts, 5000));
  }
}
