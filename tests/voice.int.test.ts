/**
 * Telephony (issue 16) end to end on the real Temporal server and Postgres, through the Twilio
 * simulator (Calls API, ringing phones, TwiML, signed callbacks, a generated WAV recording):
 * click-to-call agent → patient with recording, unanswered calls as attempts, the recording kept
 * in our storage and played only to who may see the task (audited), the IVR keypress survey, and
 * the voice webhooks' signature and idempotency.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import type { Question } from '../domain/questions.js';
import { twilioSignature, type Simulators } from '../scripts/simulators/providers.js';
import { followUpWorkflowId, getFollowUpStateQuery } from '../workflows/follow-up/contracts.js';
import { PUBLIC_BASE_URL, setContactRules, startChannelStack, uniquePhone } from './support/channels.js';
import { createShortPlan, recentDaytime, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, signIn, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { uniq, type TestStack } from './support/stack.js';
import { CALL_RETENTION_SCHEDULE_ID, ensureCallRetentionSchedule } from '../worker/call-retention-schedule.js';
import { callRetentionStart } from '../workflows/call-retention/contracts.js';
import { createCallActivities } from '../activities/calls/ivr.js';
import { createCallService } from '../services/calls.js';
import { createAuditService } from '../services/audit.js';

let stack: TestStack;
let sims: Simulators;
let org: TestOrg;
let agentA: Principal;
let agentB: Principal;
let storage: string;
const agentPhoneA = `+8610${String(Date.now()).slice(-9)}`;
const agentPhoneB = `+8611${String(Date.now()).slice(-9)}`;
const AUTH_TOKEN = 'simulator-twilio-auth-token';

beforeAll(async () => {
  storage = mkdtempSync(join(tmpdir(), 'suifang-recordings-'));
  ({ stack, sims } = await startChannelStack({ env: { CALL_RECORDINGS_DIR: storage }, voice: { ringMs: 100, talkMs: 1200, gatherWaitMs: 100 } }));
  org = await createTestOrg(stack.sql);
  await setContactRules(stack.sql, org.deptA, {});
  const login = async (username: string) => (await stack.services.auth.login({ username, password: TEST_PASSWORD }, {})).user;
  agentA = await login(org.users.agentA.username);
  agentB = await login(org.users.agentB.username);
  await stack.sql`UPDATE users SET call_phone = ${agentPhoneA} WHERE id = ${agentA.id}`;
  await stack.sql`UPDATE users SET call_phone = ${agentPhoneB} WHERE id = ${agentB.id}`;
  sims.voice.behave(agentPhoneA, 'answer');
});
afterAll(async () => {
  await stack?.stop();
  rmSync(storage, { recursive: true, force: true });
});

/** A discharge into deptA whose one touchpoint (phone, or an SMS survey) is due at once. */
async function discharge(o: { channel?: 'phone' | 'sms'; maxAttempts?: number; retryAfterSeconds?: number; questions?: Question[] } = {}) {
  const keyword = `术式${uniq()}`;
  const dischargedAt = recentDaytime();
  const offsetSeconds = Math.ceil((Date.now() - dischargedAt.getTime()) / 1000) + 1;
  await createShortPlan(
    stack.sql,
    org.deptA,
    [{ offsetSeconds, channel: o.channel ?? 'phone', maxAttempts: o.maxAttempts ?? 3, retryAfterSeconds: o.retryAfterSeconds ?? 3600 }],
    { scenarioKind: 'procedure_keyword', scenarioValue: keyword, ...(o.questions ? { questions: o.questions } : {}) },
  );
  const phone = uniquePhone();
  const base = dischargeBody(org.deptA, { dischargedAt: dischargedAt.toISOString(), procedure: `${keyword}内固定术` });
  const body = { ...base, patient: { ...base.patient, phone, birthDate: '1990-05-01' } };
  await stack.services.discharges.ingestJson(JSON.stringify(body));
  const workflowId = followUpWorkflowId(body.encounterId);
  const task = await waitFor(
    async () => (await stack.sql<{ id: string; patient_id: string }[]>`SELECT id, patient_id FROM follow_up_tasks WHERE workflow_id = ${workflowId} AND status = 'open'`)[0],
    30_000,
    'open task',
  );
  return { phone: `+86${phone}`, nationalPhone: phone, workflowId, handle: stack.temporal.workflow.getHandle(workflowId), taskId: task.id, patientId: task.patient_id };
}

const callRow = (id: string) =>
  stack.sql<{ status: string; outcome: string | null; recording_sid: string | null; recording_path: string | null; recording_duration_seconds: number | null; duration_seconds: number | null; ivr_digits: string | null }[]>`
    SELECT status, outcome, recording_sid, recording_path, recording_duration_seconds, duration_seconds, ivr_digits FROM calls WHERE id = ${id}`.then((r) => r[0]!);
const taskRow = (id: string) =>
  stack.sql<{ status: string; attempts: number; channel: string }[]>`SELECT status, attempts, channel FROM follow_up_tasks WHERE id = ${id}`.then((r) => r[0]!);

/** Posts form parameters to a voice webhook as Twilio would (signed for PUBLIC_BASE_URL), or with a given signature. */
function postVoice(path: string, params: Record<string, string>, signature?: string) {
  const url = `${PUBLIC_BASE_URL}/api/webhooks/twilio/voice${path}`;
  return stack.app.request(`/api/webhooks/twilio/voice${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature ?? twilioSignature(AUTH_TOKEN, url, params) },
    body: new URLSearchParams(params).toString(),
  });
}

let answered: { callId: string; taskId: string; workflowId: string; recordingSid: string; patientPhone: string };

describe('click-to-call', () => {
  it('rings the agent first, then the patient (who hears the recording notice), records the call and keeps the file in our storage', async () => {
    const d = await discharge();
    sims.voice.behave(d.phone, 'answer');
    const { callId } = await stack.services.calls.callForTask(agentA, d.taskId, {});
    const call = await waitFor(async () => {
      const row = await callRow(callId);
      return row.recording_path && row.status === 'completed' ? row : undefined;
    }, 30_000, 'recorded call');
    expect(call).toMatchObject({ outcome: 'answered' });
    expect(call.recording_sid).toMatch(/^RE[0-9a-f]{32}$/);
    expect(call.duration_seconds).toBeGreaterThanOrEqual(1);
    expect(call.recording_duration_seconds).toBeGreaterThanOrEqual(1);

    // The legs as the simulator played them: the agent's phone first, then the patient dialled from its TwiML.
    const agentLeg = sims.voice.calls.find((c) => c.to === agentPhoneA && c.recordingSid === call.recording_sid)!;
    expect(agentLeg).toBeDefined();
    expect(agentLeg.parentSid).toBeNull();
    const patientLeg = sims.voice.calls.find((c) => c.parentSid === agentLeg.sid)!;
    expect(patientLeg.to).toBe(d.phone);
    expect(patientLeg.heard.join('')).toContain('本次通话将被录音');
    expect(Date.parse(agentLeg.at)).toBeLessThanOrEqual(Date.parse(patientLeg.at));

    const file = readFileSync(join(storage, call.recording_path!));
    expect(file.subarray(0, 4).toString()).toBe('RIFF');
    expect(file.subarray(8, 12).toString()).toBe('WAVE');

    // Answered: the task stays open for the agent to record the answers.
    expect(await taskRow(d.taskId)).toMatchObject({ status: 'open', attempts: 0 });
    // The workflow's history has the call and its recording by IDs, never the number.
    const state = await waitFor(async () => {
      const s = await d.handle.query(getFollowUpStateQuery);
      return s.history.some((h) => h.event.includes('录音已保存')) ? s : undefined;
    }, 10_000, 'recording in the history');
    const history = JSON.stringify(state.history);
    expect(history).toContain(callId);
    expect(history).toContain(call.recording_sid!);
    expect(history).not.toContain(d.nationalPhone);
    answered = { callId, taskId: d.taskId, workflowId: d.workflowId, recordingSid: call.recording_sid!, patientPhone: d.nationalPhone };
  });

  it('never shows the agent the number: the task API has it masked only', async () => {
    const cookie = await signIn(stack.app, org.users.agentA.username);
    const res = await stack.app.request(`/api/tasks/${answered.taskId}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain(answered.patientPhone);
    // With telephony on, revealing the number is refused.
    expect((await stack.app.request(`/api/tasks/${answered.taskId}/reveal-phone`, { method: 'POST', headers: { cookie } })).status).toBe(403);
  });

  it('plays the recording to the agent of the task (audited every time), refuses an agent of another department (403, audited)', async () => {
    const cookieA = await signIn(stack.app, org.users.agentA.username);
    const cookieB = await signIn(stack.app, org.users.agentB.username);
    for (let i = 0; i < 2; i++) {
      const res = await stack.app.request(`/api/calls/${answered.callId}/recording`, { headers: { cookie: cookieA } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/wav');
      expect(Buffer.from(await res.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    }
    const denied = await stack.app.request(`/api/calls/${answered.callId}/recording`, { headers: { cookie: cookieB } });
    expect(denied.status).toBe(403);
    const audits = await stack.sql<{ action: string; actor_id: string }[]>`
      SELECT action, actor_id FROM audit_log WHERE action LIKE 'call.recording%' AND details->>'callId' = ${answered.callId} ORDER BY id`;
    expect(audits.map((a) => a.action)).toEqual(['call.recording_play', 'call.recording_play', 'call.recording_denied']);
    expect(audits[0]!.actor_id).toBe(agentA.id);
    expect(audits[2]!.actor_id).toBe(agentB.id);
    // Nor may the other department's agent place a call on the task.
    await expect(stack.services.calls.callForTask(agentB, answered.taskId, {})).rejects.toMatchObject({ status: 403 });
  });

  it('counts a call the patient does not answer (or is busy for) as an attempt, and the task moves on after the last one', async () => {
    const d = await discharge({ maxAttempts: 2, retryAfterSeconds: 1 });
    sims.voice.behave(d.phone, 'no-answer');
    const first = await stack.services.calls.callForTask(agentA, d.taskId, {});
    await waitFor(async () => ((await taskRow(d.taskId)).attempts === 1 ? true : undefined), 30_000, 'first attempt');
    expect(await taskRow(d.taskId)).toMatchObject({ status: 'open' });
    expect(await callRow(first.callId)).toMatchObject({ outcome: 'no_answer' });
    sims.voice.behave(d.phone, 'busy');
    const second = await stack.services.calls.callForTask(agentA, d.taskId, {});
    await waitFor(async () => ((await taskRow(d.taskId)).status === 'unreachable' ? true : undefined), 30_000, 'task unreachable after the last attempt');
    expect(await callRow(second.callId)).toMatchObject({ outcome: 'busy' });
    expect(await taskRow(d.taskId)).toMatchObject({ attempts: 2 });
    const attempts = await stack.sql<{ outcome: string; note: string }[]>`SELECT outcome, note FROM task_attempts WHERE task_id = ${d.taskId} ORDER BY attempt`;
    expect(attempts.map((a) => a.outcome)).toEqual(['no_answer', 'no_answer']);
    expect(attempts[1]!.note).toContain('忙线');
    const state = await waitFor(async () => {
      const s = await d.handle.query(getFollowUpStateQuery);
      return s.status === 'unreachable' ? s : undefined;
    }, 20_000, 'follow-up ended');
    expect(state.touchpoints[0]).toMatchObject({ status: 'unreachable', attempts: 2 });
  });
});

describe('calling back from a ticket', () => {
  it('lets the department call the patient back (same legs, recording), heard by the department, not by another', async () => {
    const d = await discharge();
    sims.voice.behave(d.phone, 'answer');
    const login = async (username: string) => (await stack.services.auth.login({ username, password: TEST_PASSWORD }, {})).user;
    const headA = await login(org.users.headA.username);
    const staffB = await login(org.users.staffB.username);
    const headPhone = `+8613${String(Date.now()).slice(-9)}`;
    await stack.sql`UPDATE users SET call_phone = ${headPhone} WHERE id = ${headA.id}`;
    sims.voice.behave(headPhone, 'answer');
    const ticket = await stack.services.tickets.open(agentA, { sourceKey: `call:${uniq()}`, patientId: d.patientId, category: 'service_attitude', description: '护士态度生硬', departmentCode: org.deptA }, {});
    await expect(stack.services.calls.callForTicket(staffB, ticket.ticketId, {})).rejects.toMatchObject({ status: 403 });
    const { callId } = await stack.services.calls.callForTicket(headA, ticket.ticketId, {});
    await waitFor(async () => ((await callRow(callId)).recording_path ? true : undefined), 30_000, 'ticket call recorded');
    const patientLeg = sims.voice.calls.find((c) => c.to === d.phone && c.parentSid)!;
    expect(sims.voice.calls.find((c) => c.sid === patientLeg.parentSid)!.to).toBe(headPhone);
    expect((await stack.services.calls.recording(headA, callId, {})).body.subarray(0, 4).toString()).toBe('RIFF');
    await expect(stack.services.calls.recording(staffB, callId, {})).rejects.toMatchObject({ status: 403 });
    expect((await stack.services.calls.forTicket(headA, ticket.ticketId)).map((c) => c.id)).toEqual([callId]);
  });
});

describe('voice webhooks', () => {
  it('refuse forged requests (403) on every URL, with no effect', async () => {
    const d = await discharge();
    sims.voice.behave(d.phone, 'manual');
    const { callId } = await stack.services.calls.callForTask(agentA, d.taskId, {});
    const child = await waitFor(async () => sims.voice.calls.find((c) => c.to === d.phone && c.waitingFor === 'pickup'), 20_000, 'patient ringing');
    const params = { AccountSid: 'AC00000000000000000000000000000sim', CallSid: child.sid, CallStatus: 'no-answer', RecordingSid: `RE${'0'.repeat(32)}`, Digits: '4' };
    for (const path of [`?call=${callId}&leg=agent`, `/status?call=${callId}&leg=patient`, `/recording?call=${callId}`, `/gather?call=${callId}`]) {
      expect((await postVoice(path, params, 'Zm9yZ2Vk')).status).toBe(403);
      expect((await postVoice(path, params, '')).status).toBe(403);
    }
    // Signed for another URL (another deployment, or the query changed): also forged.
    const elsewhere = twilioSignature(AUTH_TOKEN, `${PUBLIC_BASE_URL}/api/webhooks/twilio/voice/status?call=${callId}&leg=agent`, params);
    expect((await postVoice(`/status?call=${callId}&leg=patient`, params, elsewhere)).status).toBe(403);
    expect(await callRow(callId)).toMatchObject({ outcome: null, recording_sid: null });
    expect(await taskRow(d.taskId)).toMatchObject({ attempts: 0 });

    // The same signed callback twice: one attempt. The simulator's own later "busy" changes nothing either.
    const signed = { AccountSid: params.AccountSid, CallSid: child.sid, CallStatus: 'no-answer', CallDuration: '0', CallbackSource: 'call-progress-events', SequenceNumber: '2', ParentCallSid: child.parentSid! };
    expect((await postVoice(`/status?call=${callId}&leg=patient`, signed)).status).toBe(204);
    expect((await postVoice(`/status?call=${callId}&leg=patient`, signed)).status).toBe(204);
    await waitFor(async () => ((await taskRow(d.taskId)).attempts === 1 ? true : undefined), 20_000, 'one attempt');
    expect(sims.voice.reject(child.sid)).toBe(true);
    await waitFor(async () => ((await callRow(callId)).status === 'completed' ? true : undefined), 20_000, 'call over');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await taskRow(d.taskId)).toMatchObject({ attempts: 1, status: 'open' });
    expect(await stack.sql`SELECT 1 FROM task_attempts WHERE task_id = ${d.taskId}`).toHaveLength(1);
  });

  it('take a resent recording callback once (one file, one history entry)', async () => {
    const params = {
      AccountSid: 'AC00000000000000000000000000000sim',
      CallSid: sims.voice.calls.find((c) => c.recordingSid === answered.recordingSid)!.sid,
      RecordingSid: answered.recordingSid,
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000sim/Recordings/${answered.recordingSid}`,
      RecordingStatus: 'completed',
      RecordingDuration: '1',
      RecordingChannels: '2',
      RecordingSource: 'DialVerb',
    };
    expect((await postVoice(`/recording?call=${answered.callId}`, params)).status).toBe(204);
    expect((await postVoice(`/recording?call=${answered.callId}`, params)).status).toBe(204);
    const state = await stack.temporal.workflow.getHandle(answered.workflowId).query(getFollowUpStateQuery);
    expect(state.history.filter((h) => h.event.includes('录音已保存'))).toHaveLength(1);
  });

  it("answer 2xx (logged) for a correctly signed callback about an unknown call: Twilio's own status callback body", async () => {
    const sample = Object.fromEntries(new URLSearchParams(readFileSync(new URL('./fixtures/providers/twilio/voice-status-completed.form', import.meta.url), 'utf8')));
    expect(sample).toMatchObject({ CallStatus: 'completed', CallbackSource: 'call-progress-events', CallDuration: '49' });
    const unknown = crypto.randomUUID();
    expect((await postVoice(`/status?call=${unknown}&leg=agent`, sample)).status).toBe(204);
    expect((await postVoice('/status', sample)).status).toBe(204);
    expect((await postVoice(`/recording?call=${unknown}`, { ...sample, RecordingSid: `RE${'1'.repeat(32)}`, RecordingStatus: 'completed' })).status).toBe(204);
    const twiml = await postVoice(`?call=${unknown}`, sample);
    expect(twiml.status).toBe(200);
    expect(await twiml.text()).toContain('<Hangup/>');
    expect(await stack.sql`SELECT 1 FROM calls WHERE provider_call_sid = ${sample.CallSid!}`).toHaveLength(0);
  });
});

describe('IVR keypress survey', () => {
  const rating = [{ id: 'satisfaction', text: '您对这次住院的总体满意度如何?', type: 'rating' as const }];

  it('reads the question in Mandarin, repeats it once on no input, and stores a keypress 4 as the survey answer', async () => {
    const d = await discharge({ channel: 'sms', questions: rating });
    sims.voice.behave(d.phone, 'answer');
    sims.voice.queueKeys(d.phone, '', '4');
    const started = await stack.services.calls.startIvrSurvey(d.taskId);
    expect(started.action).toBe('call');
    await waitFor(async () => ((await taskRow(d.taskId)).status === 'completed' ? true : undefined), 30_000, 'task completed by the keypress');
    const [answer] = await stack.sql<{ value: unknown }[]>`SELECT value FROM task_answers WHERE task_id = ${d.taskId} AND question_id = 'satisfaction'`;
    expect(answer!.value).toBe(4);
    const [attempt] = await stack.sql<{ by_patient: boolean }[]>`SELECT by_patient FROM task_attempts WHERE task_id = ${d.taskId}`;
    expect(attempt!.by_patient).toBe(true);
    const leg = sims.voice.calls.find((c) => c.to === d.phone && c.pressed.includes('4'))!;
    expect(leg.heard.filter((h) => h.includes('满意度')).length).toBe(2);
    expect(await callRow(started.callId!)).toMatchObject({ ivr_digits: '4' });
  });

  it('calls on its own when the SMS link went unopened past the rule\'s limit: keypress 4 is the answer, no agent involved', async () => {
    await setContactRules(stack.sql, org.deptA, { linkUnansweredSeconds: 2 });
    try {
      const d = await discharge({ channel: 'sms', questions: rating });
      sims.voice.behave(d.phone, 'answer');
      sims.voice.queueKeys(d.phone, '4');
      // The outbox sends the link by SMS (no WeChat), nobody opens it, the dispatcher places the IVR call.
      await waitFor(async () => ((await taskRow(d.taskId)).status === 'completed' ? true : undefined), 60_000, 'task completed by the automated call');
      const calls = await stack.sql<{ id: string; kind: string; ivr_digits: string | null }[]>`SELECT id, kind, ivr_digits FROM calls WHERE task_id = ${d.taskId}`;
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ kind: 'ivr', ivr_digits: '4' });
      const [answer] = await stack.sql<{ value: unknown }[]>`SELECT value FROM task_answers WHERE task_id = ${d.taskId} AND question_id = 'satisfaction'`;
      expect(answer!.value).toBe(4);
      const [sms] = await stack.sql<{ sent_channel: string }[]>`SELECT sent_channel FROM outbound_messages WHERE body = ${`survey:${d.taskId}`}`;
      expect(sms!.sent_channel).toBe('sms');
      // No agent: the task never went to the call list, and nobody recorded the contact.
      expect(await taskRow(d.taskId)).toMatchObject({ channel: 'sms' });
      const attempts = await stack.sql<{ by_patient: boolean; by_user: string | null }[]>`SELECT by_patient, by_user FROM task_attempts WHERE task_id = ${d.taskId}`;
      expect(attempts.length).toBeGreaterThan(0);
      expect(attempts.every((a) => a.by_patient && a.by_user === null)).toBe(true);
      expect(sims.voice.calls.filter((c) => c.to === d.phone)).toHaveLength(1);
    } finally {
      await setContactRules(stack.sql, org.deptA, {});
    }
  });

  it('hands the task to the agents\' queue on "0"', async () => {
    const d = await discharge({ channel: 'sms', questions: rating });
    sims.voice.behave(d.phone, 'answer');
    sims.voice.queueKeys(d.phone, '0');
    await stack.services.calls.startIvrSurvey(d.taskId);
    await waitFor(async () => ((await taskRow(d.taskId)).channel === 'phone' ? true : undefined), 30_000, 'task moved to phone');
    expect(await taskRow(d.taskId)).toMatchObject({ status: 'open' });
    const state = await d.handle.query(getFollowUpStateQuery);
    expect(state.history.some((h) => h.detail?.includes('按 0 转人工'))).toBe(true);
  });

  it('follows the contact rules: no call to an opted-out patient, none in the quiet hours', async () => {
    const d = await discharge({ channel: 'sms', questions: rating });
    const before = sims.voice.calls.length;
    await stack.sql`UPDATE patients SET opted_out_at = now(), opted_out_via = 'test' WHERE id = ${d.patientId}`;
    expect(await stack.services.calls.startIvrSurvey(d.taskId)).toEqual({ action: 'skip', reason: 'opted_out' });
    const shanghai = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 19);
    await stack.sql`UPDATE patients SET opted_out_at = NULL WHERE id = ${d.patientId}`;
    await setContactRules(stack.sql, org.deptA, { quietStart: shanghai(Date.now() - 60_000), quietEnd: shanghai(Date.now() + 3_600_000) });
    try {
      const open = await taskRow(d.taskId);
      if (open.status === 'open') expect(await stack.services.calls.startIvrSurvey(d.taskId)).toMatchObject({ action: 'wait', reason: 'quiet_hours' });
    } finally {
      await setContactRules(stack.sql, org.deptA, {});
    }
    expect(sims.voice.calls.filter((c) => c.to === d.phone)).toHaveLength(0);
    expect(sims.voice.calls.length).toBeGreaterThanOrEqual(before);
  });
});

describe('reveal-number fallback', () => {
  // The same deployment's database and Temporal, with telephony off and the reveal setting as configured.
  const withoutTelephony = (reveal: boolean) =>
    createCallService({ sql: stack.appSql, temporal: stack.temporal, audit: createAuditService({ sql: stack.appSql }), env: { ...stack.env, TELEPHONY: 'off', REVEAL_NUMBER_WITHOUT_TELEPHONY: reveal }, voice: null });

  it('without telephony shows the number to the task\'s assigned agent only, audited like the unmask', async () => {
    const d = await discharge();
    const [task] = await stack.sql<{ assigned_agent_id: string | null }[]>`SELECT assigned_agent_id FROM follow_up_tasks WHERE id = ${d.taskId}`;
    expect(task!.assigned_agent_id).toBe(agentA.id);
    const calls = withoutTelephony(true);
    expect(calls.settings()).toEqual({ telephony: false, revealAllowed: true });
    expect(await calls.revealPhone(agentA, d.taskId, { ip: '10.0.0.9' })).toEqual({ phone: d.nationalPhone });
    const audited = await stack.sql<{ actor_id: string; entity_type: string; entity_id: string; patient_id: string | null; details: { field: string } }[]>`
      SELECT actor_id, entity_type, entity_id, patient_id, details FROM audit_log WHERE action = 'patient.reveal_phone' AND entity_id = ${d.taskId}`;
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actor_id: agentA.id, entity_type: 'task', patient_id: d.patientId, details: { field: 'phone' } });
    // Another agent (not assigned, another department) is refused, and nothing more is written.
    await expect(calls.revealPhone(agentB, d.taskId, {})).rejects.toMatchObject({ status: 403 });
    // The setting off: refused even to the assigned agent.
    await expect(withoutTelephony(false).revealPhone(agentA, d.taskId, {})).rejects.toMatchObject({ status: 403 });
    const [{ n } = { n: -1 }] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'patient.reveal_phone' AND entity_id = ${d.taskId}`;
    expect(n).toBe(1);
  });

  it('with telephony on never shows the number (403), even to the assigned agent and with the setting on', async () => {
    const d = await discharge();
    const on = createCallService({ sql: stack.appSql, temporal: stack.temporal, audit: createAuditService({ sql: stack.appSql }), env: { ...stack.env, REVEAL_NUMBER_WITHOUT_TELEPHONY: true } });
    expect(on.settings()).toEqual({ telephony: true, revealAllowed: false });
    await expect(on.revealPhone(agentA, d.taskId, {})).rejects.toMatchObject({ status: 403 });
    const res = await stack.app.request(`/api/tasks/${d.taskId}/reveal-phone`, { method: 'POST', headers: { cookie: await signIn(stack.app, org.users.agentA.username) } });
    expect(res.status).toBe(403);
    const [{ n } = { n: -1 }] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'patient.reveal_phone' AND entity_id = ${d.taskId}`;
    expect(n).toBe(0);
  });
});

describe('recording retention', () => {
  it('deletes recordings past the retention and says so', async () => {
    await stack.sql`UPDATE calls SET recorded_at = now() - interval '400 days' WHERE id = ${answered.callId}`;
    const [row] = await stack.sql<{ recording_path: string }[]>`SELECT recording_path FROM calls WHERE id = ${answered.callId}`;
    expect(await stack.services.calls.purgeExpiredRecordings()).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(storage, row!.recording_path))).toBe(false);
    await expect(stack.services.calls.recording(agentA, answered.callId, {})).rejects.toMatchObject({ status: 404 });
  });
  it('runs daily as a Temporal Schedule whose workflow\'s activity deletes the expired recordings', async () => {
    await ensureCallRetentionSchedule(stack.temporal, { taskQueue: stack.taskQueue });
    const described = await stack.temporal.schedule.getHandle(CALL_RETENTION_SCHEDULE_ID).describe();
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'callRecordingRetentionWorkflow' });
    await stack.temporal.schedule.getHandle(CALL_RETENTION_SCHEDULE_ID).delete();

    // A recording older than the retention goes, through the workflow's activity; a recent one stays.
    const d = await discharge();
    sims.voice.behave(d.phone, 'answer');
    const { callId } = await stack.services.calls.callForTask(agentA, d.taskId, {});
    await waitFor(async () => (await callRow(callId)).recording_path ?? undefined, 30_000, 'another recording');
    await stack.sql`UPDATE calls SET recorded_at = now() - interval '400 days' WHERE id = ${callId}`;
    const [old] = await stack.sql<{ recording_path: string }[]>`SELECT recording_path FROM calls WHERE id = ${callId}`;
    const recent = await stack.sql<{ recording_path: string }[]>`
      SELECT recording_path FROM calls WHERE recording_path IS NOT NULL AND recording_deleted_at IS NULL AND id <> ${callId}`;
    const start = callRetentionStart(`call-retention-test-${uniq()}`);
    const result = await stack.temporal.workflow.execute(start.workflowType, { ...start.options, taskQueue: stack.taskQueue });
    expect(result).toEqual({ deleted: 1 });
    expect(existsSync(join(storage, old!.recording_path))).toBe(false);
    expect(recent.every((r) => existsSync(join(storage, r.recording_path)))).toBe(true);
    const [gone] = await stack.sql<{ recording_deleted_at: Date | null }[]>`SELECT recording_deleted_at FROM calls WHERE id = ${callId}`;
    expect(gone!.recording_deleted_at).not.toBeNull();
    // Nothing left to delete: a second run (or the activity without telephony) deletes none.
    expect(await createCallActivities({ sql: stack.sql, calls: stack.services.calls }).purgeExpiredCallRecordings()).toEqual({ deleted: 0 });
    expect(await createCallActivities({ sql: stack.sql }).purgeExpiredCallRecordings()).toEqual({ deleted: 0 });
  });

});
