/**
 * Telephony (issue 16): click-to-call from a task or a ticket (the agent's own phone rings first,
 * then Twilio dials the patient, so the full number is never shown), the call's progress from
 * Twilio's signed callbacks (a patient who does not answer counts as a follow-up attempt through
 * the workflow's signal), the recording downloaded into the project's storage and played only to
 * users who may see the task (every play audited), the reveal-number fallback without telephony,
 * and the automated keypress survey call (IVR) under the contact rules.
 *
 * Callbacks are idempotent: each effect is a conditional update of the call's row (set once), and
 * the workflow ignores a call event it has already taken.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import twilio from 'twilio';
import { contactClockOf, type Env } from '../config/env.js';
import type { Sql } from '../db/client.js';
import { e164 } from '../activities/channels/settings.js';
import { CallRefusedError, createTwilioVoice, type VoiceAdapter } from '../activities/channels/twilio-voice.js';
import { canViewTask, canViewTicket, handlesTickets, speaksWithPatients, type Principal } from '../domain/access.js';
import { DEFAULT_CONTACT_RULES, type ContactRules } from '../domain/contact-rules.js';
import type { Question } from '../domain/questions.js';
import { agentLegUnanswered, countsAsAttempt, decideIvrCallOn, ivrKeypress, IVR_MAX_PROMPTS, patientLegOutcome, type CallOutcome, type IvrDecision } from '../domain/voice.js';
import { callEventSignal, contactRefusal, surveyAnsweredSignal, switchToPhoneSignal, type CallEvent, type TaskFacts } from '../workflows/follow-up/contracts.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ServiceError } from './errors.js';

export type CallEnvKey =
  | 'PUBLIC_BASE_URL'
  | 'TELEPHONY'
  | 'TWILIO_ACCOUNT_SID'
  | 'TWILIO_AUTH_TOKEN'
  | 'TWILIO_FROM_NUMBER'
  | 'TWILIO_API_BASE_URL'
  | 'REVEAL_NUMBER_WITHOUT_TELEPHONY'
  | 'CALL_RECORDINGS_DIR'
  | 'CALL_RECORDING_RETENTION_DAYS'
  | 'CALL_RECORDING_NOTICE'
  | 'DATA_DIR'
  | 'CONTACT_DAY_SECONDS'
  | 'CONTACT_CLOCK_ORIGIN';

/** A call as the task and ticket pages show it (no phone numbers). */
export interface CallView {
  id: string;
  kind: 'agent' | 'ivr';
  status: string;
  outcome: CallOutcome | null;
  durationSeconds: number | null;
  hasRecording: boolean;
  recordingDurationSeconds: number | null;
  recordingDeleted: boolean;
  ivrDigits: string | null;
  agentName: string | null;
  createdAt: string;
}

interface CallRow {
  id: string;
  kind: 'agent' | 'ivr';
  task_id: string | null;
  ticket_id: string | null;
  patient_id: string;
  agent_id: string | null;
  provider_call_sid: string | null;
  patient_call_sid: string | null;
  status: string;
  outcome: CallOutcome | null;
  duration_seconds: number | null;
  recording_sid: string | null;
  recording_duration_seconds: number | null;
  recording_path: string | null;
  recording_deleted_at: Date | null;
  ivr_digits: string | null;
  ivr_prompts: number;
  created_at: Date;
}

interface TaskRow {
  id: string;
  workflow_id: string;
  status: TaskFacts['status'];
  department_code: string | null;
  assigned_agent_id: string | null;
  patient_id: string;
  phone: string | null;
  template_id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SAY = { language: 'cmn-CN' } as const;
const HANG_UP = () => {
  const r = new twilio.twiml.VoiceResponse();
  r.hangup();
  return r.toString();
};

export function createCallService({
  sql,
  temporal,
  audit,
  env,
  voice: givenVoice,
}: {
  sql: Sql;
  temporal: Client;
  audit: AuditService;
  env: Pick<Env, CallEnvKey>;
  /** Default: Twilio Voice from the TWILIO_* settings, when TELEPHONY=twilio and they are set. */
  voice?: VoiceAdapter | null;
}) {
  const voice =
    givenVoice !== undefined
      ? givenVoice
      : env.TELEPHONY === 'twilio' && env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM_NUMBER
        ? createTwilioVoice({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM_NUMBER, apiBaseUrl: env.TWILIO_API_BASE_URL })
        : null;
  const storageDir = resolve(env.CALL_RECORDINGS_DIR ?? join(env.DATA_DIR, 'call-recordings'));
  const base = env.PUBLIC_BASE_URL.replace(/\/$/, '');
  /** Quiet hours and caps of the keypress survey call are counted on this day (CONTACT_DAY_SECONDS). */
  const contactClock = contactClockOf(env);
  const hook = (path: '' | '/status' | '/recording' | '/gather', query: Record<string, string>) =>
    `${base}/api/webhooks/twilio/voice${path}?${new URLSearchParams(query).toString()}`;

  async function loadTask(taskId: string): Promise<TaskRow | undefined> {
    if (!UUID.test(taskId)) return undefined;
    const [row] = await sql<TaskRow[]>`
      SELECT t.id, t.workflow_id, t.status, t.department_code, t.assigned_agent_id, t.patient_id, p.phone, t.template_id
      FROM follow_up_tasks t JOIN patients p ON p.id = t.patient_id WHERE t.id = ${taskId}`;
    return row;
  }
  const taskFacts = (t: TaskRow): TaskFacts => ({ status: t.status, departmentCode: t.department_code, assignedAgentId: t.assigned_agent_id });

  async function loadCall(callId: string | undefined): Promise<CallRow | undefined> {
    if (!callId || !UUID.test(callId)) return undefined;
    const [row] = await sql<CallRow[]>`SELECT * FROM calls WHERE id = ${callId}`;
    return row;
  }

  /** May `user` see what belongs to this call (its task, or its ticket)? The same rules as those pages. */
  async function mayViewCall(user: Principal, call: CallRow): Promise<boolean> {
    if (call.task_id) {
      const task = await loadTask(call.task_id);
      return !!task && canViewTask(user, taskFacts(task));
    }
    const [ticket] = await sql<{ department_code: string | null; created_by: string | null }[]>`
      SELECT department_code, created_by FROM tickets WHERE id = ${call.ticket_id}`;
    return !!ticket && canViewTicket(user, { departmentCode: ticket.department_code, createdBy: ticket.created_by });
  }

  async function signalTask(call: Pick<CallRow, 'task_id'>, event: Omit<CallEvent, 'taskId'>): Promise<void> {
    if (!call.task_id) return;
    const [task] = await sql<{ workflow_id: string }[]>`SELECT workflow_id FROM follow_up_tasks WHERE id = ${call.task_id}`;
    if (!task) return;
    try {
      await temporal.workflow.getHandle(task.workflow_id).signal(callEventSignal, { taskId: call.task_id, ...event });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  const view = (c: CallRow & { agent_name?: string | null }): CallView => ({
    id: c.id,
    kind: c.kind,
    status: c.status,
    outcome: c.outcome,
    durationSeconds: c.duration_seconds,
    hasRecording: c.recording_path !== null && c.recording_deleted_at === null,
    recordingDurationSeconds: c.recording_duration_seconds,
    recordingDeleted: c.recording_deleted_at !== null,
    ivrDigits: c.ivr_digits,
    agentName: c.agent_name ?? null,
    createdAt: c.created_at.toISOString(),
  });

  function requireTelephony(): VoiceAdapter {
    if (!voice) throw new ServiceError(409, 'telephony_off', '未接入电话系统,无法一键拨号');
    return voice;
  }

  async function agentPhone(user: Principal): Promise<string> {
    const [u] = await sql<{ call_phone: string | null }[]>`SELECT call_phone FROM users WHERE id = ${user.id}`;
    if (!u?.call_phone) throw new ServiceError(409, 'no_agent_phone', '尚未配置您的坐席电话(分机),请联系管理员');
    return u.call_phone;
  }

  /** Places the agent → patient call: the agent's phone first, the TwiML then dials the patient. */
  async function placeAgentCall(user: Principal, target: { taskId?: string; ticketId?: string; patientId: string; phone: string | null }, meta: RequestMeta) {
    const adapter = requireTelephony();
    if (!target.phone) throw new ServiceError(409, 'no_phone', '患者没有登记电话');
    const to = await agentPhone(user);
    const [call] = await sql<{ id: string }[]>`
      INSERT INTO calls (kind, task_id, ticket_id, patient_id, agent_id)
      VALUES ('agent', ${target.taskId ?? null}, ${target.ticketId ?? null}, ${target.patientId}, ${user.id}) RETURNING id`;
    const callId = call!.id;
    try {
      const { callSid } = await adapter.placeCall({ to, url: hook('', { call: callId, leg: 'agent' }), statusCallback: hook('/status', { call: callId, leg: 'agent' }) });
      // A callback may have stored the SID already (Twilio can call back before answering the create).
      await sql`UPDATE calls SET provider_call_sid = ${callSid}, status = CASE WHEN status = 'queued' THEN 'initiated' ELSE status END, updated_at = now()
                WHERE id = ${callId} AND (provider_call_sid IS NULL OR provider_call_sid = ${callSid})`;
    } catch (err) {
      await sql`UPDATE calls SET status = 'failed', outcome = 'failed', updated_at = now() WHERE id = ${callId}`;
      if (err instanceof CallRefusedError) throw new ServiceError(409, 'call_refused', `呼叫被电话系统拒绝(${err.code})`);
      throw new ServiceError(503, 'telephony_unavailable', '电话系统暂时不可用,请稍后重试');
    }
    await audit.record(
      {
        actor: user,
        action: 'call.place',
        entityType: target.taskId ? 'task' : 'ticket',
        entityId: (target.taskId ?? target.ticketId)!,
        patientId: target.patientId,
        details: { callId },
      },
      meta,
    );
    if (target.taskId) await signalTask({ task_id: target.taskId }, { callId, event: 'placed', actorId: user.id });
    return { callId };
  }

  async function rulesFor(departmentCode: string | null): Promise<ContactRules> {
    const [r] = await sql<ContactRules[]>`
      SELECT to_char(quiet_start, 'HH24:MI:SS') AS "quietStart", to_char(quiet_end, 'HH24:MI:SS') AS "quietEnd",
             max_per_day AS "maxPerDay", max_per_week AS "maxPerWeek", sms_max_age AS "smsMaxAge",
             link_unanswered_seconds AS "linkUnansweredSeconds", delivery_wait_seconds AS "deliveryWaitSeconds",
             survey_link_ttl_seconds AS "surveyLinkTtlSeconds"
      FROM contact_rules WHERE department_code = ${departmentCode} OR department_code IS NULL
      ORDER BY department_code NULLS LAST LIMIT 1`;
    return r ?? DEFAULT_CONTACT_RULES;
  }

  /** The IVR's one question: the task's rating question (the survey must be a single rating). */
  async function ivrQuestion(task: Pick<TaskRow, 'template_id'>): Promise<Question | null> {
    const [t] = await sql<{ questions: Question[] }[]>`SELECT questions FROM question_templates WHERE id = ${task.template_id}`;
    const questions = t?.questions ?? [];
    return questions.length === 1 && questions[0]!.type === 'rating' ? questions[0]! : null;
  }

  function gatherTwiml(callId: string, question: Question, prompt: number): string {
    const r = new twilio.twiml.VoiceResponse();
    if (prompt === 1) r.say(SAY, '您好,这里是医院随访中心。');
    const g = r.gather({ input: ['dtmf'], numDigits: 1, timeout: 6, action: hook('/gather', { call: callId }), method: 'POST' });
    g.say(SAY, `${question.text}请按 1 到 5 打分,5 分最满意。需要人工服务请按 0。`);
    // No keypress: the question once more, then goodbye.
    if (prompt < IVR_MAX_PROMPTS) r.redirect({ method: 'POST' }, hook('', { call: callId, leg: 'ivr', prompt: String(prompt + 1) }));
    else r.say(SAY, '没有收到您的按键,感谢您的接听,再见。');
    return r.toString();
  }

  return {
    /** What the call button may do in this deployment. */
    settings: () => ({ telephony: voice !== null, revealAllowed: voice === null && env.REVEAL_NUMBER_WITHOUT_TELEPHONY }),

    /** 拨打 on a task: the agent who may record it. */
    async callForTask(user: Principal, taskId: string, meta: RequestMeta = {}): Promise<{ callId: string }> {
      const task = await loadTask(taskId);
      if (!task) throw notFound('任务不存在');
      const refused = contactRefusal(taskFacts(task), user);
      if (refused) throw refused.forbidden ? forbidden(refused.message) : new ServiceError(409, 'task_closed', refused.message);
      return placeAgentCall(user, { taskId, patientId: task.patient_id, phone: task.phone }, meta);
    },

    /** 回电 on a ticket: the department (or an agent) that may see the ticket calls the patient back. */
    async callForTicket(user: Principal, ticketId: string, meta: RequestMeta = {}): Promise<{ callId: string }> {
      if (!UUID.test(ticketId)) throw notFound('工单不存在');
      const [ticket] = await sql<{ id: string; patient_id: string; phone: string | null; department_code: string | null; created_by: string | null; status: string }[]>`
        SELECT k.id, k.patient_id, p.phone, k.department_code, k.created_by, k.status
        FROM tickets k JOIN patients p ON p.id = k.patient_id WHERE k.id = ${ticketId}`;
      if (!ticket) throw notFound('工单不存在');
      if (!(handlesTickets(user.role) || speaksWithPatients(user.role)) || !canViewTicket(user, { departmentCode: ticket.department_code, createdBy: ticket.created_by })) {
        throw forbidden('该工单不属于您的科室');
      }
      return placeAgentCall(user, { ticketId, patientId: ticket.patient_id, phone: ticket.phone }, meta);
    },

    /** The calls of a task, newest first (for the task page). */
    async forTask(user: Principal, taskId: string): Promise<CallView[]> {
      const task = await loadTask(taskId);
      if (!task) throw notFound('任务不存在');
      if (!canViewTask(user, taskFacts(task))) throw forbidden('该任务不属于您');
      const rows = await sql<(CallRow & { agent_name: string | null })[]>`
        SELECT c.*, u.display_name AS agent_name FROM calls c LEFT JOIN users u ON u.id = c.agent_id
        WHERE c.task_id = ${taskId} ORDER BY c.created_at DESC LIMIT 20`;
      return rows.map(view);
    },

    /** The calls of a ticket, newest first (for the ticket page); the caller has already been allowed to see the ticket. */
    async forTicket(user: Principal, ticketId: string): Promise<CallView[]> {
      if (!UUID.test(ticketId)) return [];
      const rows = await sql<(CallRow & { agent_name: string | null })[]>`
        SELECT c.*, u.display_name AS agent_name FROM calls c LEFT JOIN users u ON u.id = c.agent_id
        WHERE c.ticket_id = ${ticketId} ORDER BY c.created_at DESC LIMIT 20`;
      const first = rows[0];
      if (first && !(await mayViewCall(user, first))) throw forbidden('该工单不属于您的科室');
      return rows.map(view);
    },

    /** One call (the call button polls it while the call goes on). */
    async get(user: Principal, callId: string): Promise<CallView> {
      const call = await loadCall(callId);
      if (!call) throw notFound('通话不存在');
      if (!(await mayViewCall(user, call))) throw forbidden('该通话不属于您可查看的任务');
      return view(call);
    },

    /** The recording's audio, for users who may see the call's task or ticket; every play (and refusal) is audited. */
    async recording(user: Principal, callId: string, meta: RequestMeta = {}): Promise<{ body: Buffer; contentType: string }> {
      const call = await loadCall(callId);
      if (!call) throw notFound('通话不存在');
      const entity = call.task_id ? { entityType: 'task', entityId: call.task_id } : { entityType: 'ticket', entityId: call.ticket_id! };
      if (!(await mayViewCall(user, call))) {
        await audit.record({ actor: user, action: 'call.recording_denied', ...entity, patientId: call.patient_id, details: { callId } }, meta);
        throw forbidden('您无权收听该录音');
      }
      if (!call.recording_path || call.recording_deleted_at) throw notFound(call.recording_deleted_at ? '录音已超过保存期限并已删除' : '该通话没有录音');
      const body = await readFile(join(storageDir, call.recording_path));
      await audit.record({ actor: user, action: 'call.recording_play', ...entity, patientId: call.patient_id, details: { callId, recordingSid: call.recording_sid } }, meta);
      return { body, contentType: 'audio/wav' };
    },

    /**
     * Without telephony (per-deployment setting), the agent assigned to the task may see the number
     * for this call; audited like the admin's 查看完整信息. With telephony on it is never shown.
     */
    async revealPhone(user: Principal, taskId: string, meta: RequestMeta = {}): Promise<{ phone: string }> {
      if (voice) throw forbidden('已接入电话系统,请使用一键拨号');
      if (!env.REVEAL_NUMBER_WITHOUT_TELEPHONY) throw forbidden('本院未开启显示号码');
      const task = await loadTask(taskId);
      if (!task) throw notFound('任务不存在');
      const refused = contactRefusal(taskFacts(task), user);
      if (refused || task.assigned_agent_id !== user.id) throw forbidden('只有该任务的负责客服可以查看号码');
      if (!task.phone) throw new ServiceError(409, 'no_phone', '患者没有登记电话');
      await audit.record({ actor: user, action: 'patient.reveal_phone', entityType: 'task', entityId: taskId, patientId: task.patient_id, details: { field: 'phone' } }, meta);
      return { phone: task.phone };
    },

    // ------------------------------------------------------------ Twilio's callbacks (signature already checked)

    /** TwiML for a leg of a call: the agent's leg dials the patient; the patient hears the notice; the IVR asks its question. */
    async twiml(query: { call?: string; leg?: string; prompt?: string }, params: Record<string, string>): Promise<string> {
      const call = await loadCall(query.call);
      if (!call || (call.provider_call_sid && params.CallSid && call.provider_call_sid !== params.CallSid && call.patient_call_sid !== params.CallSid && query.leg !== 'patient')) {
        console.warn('[voice] TwiML asked for an unknown call', { callSid: params.CallSid });
        return HANG_UP();
      }
      if (query.leg === 'patient') {
        const r = new twilio.twiml.VoiceResponse();
        if (env.CALL_RECORDING_NOTICE) r.say(SAY, env.CALL_RECORDING_NOTICE);
        return r.toString();
      }
      if (query.leg === 'dial-done') return HANG_UP();
      if (call.kind === 'ivr') {
        const task = call.task_id ? await loadTask(call.task_id) : undefined;
        const question = task && task.status === 'open' ? await ivrQuestion(task) : null;
        if (!question) return HANG_UP();
        const prompt = Math.min(Math.max(Number(query.prompt ?? 1) || 1, 1), IVR_MAX_PROMPTS);
        await sql`UPDATE calls SET ivr_prompts = GREATEST(ivr_prompts, ${prompt}), updated_at = now() WHERE id = ${call.id}`;
        return gatherTwiml(call.id, question, prompt);
      }
      const [patient] = await sql<{ phone: string | null }[]>`SELECT phone FROM patients WHERE id = ${call.patient_id}`;
      if (!patient?.phone || call.outcome) return HANG_UP();
      const r = new twilio.twiml.VoiceResponse();
      r.say(SAY, '正在为您接通患者,请稍候。');
      const dial = r.dial({
        callerId: env.TWILIO_FROM_NUMBER,
        timeout: 30,
        record: 'record-from-answer-dual',
        recordingStatusCallback: hook('/recording', { call: call.id }),
        recordingStatusCallbackMethod: 'POST',
        recordingStatusCallbackEvent: ['completed'],
        action: hook('', { call: call.id, leg: 'dial-done' }),
        method: 'POST',
      });
      dial.number(
        {
          url: hook('', { call: call.id, leg: 'patient' }),
          method: 'POST',
          statusCallback: hook('/status', { call: call.id, leg: 'patient' }),
          statusCallbackMethod: 'POST',
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        },
        e164(patient.phone),
      );
      return r.toString();
    },

    /**
     * A call status callback (leg `agent`: the agent's phone, or the IVR call to the patient; leg
     * `patient`: the dialled patient). Settles the outcome once; a patient who did not answer counts as an attempt.
     */
    async statusCallback(query: { call?: string; leg?: string }, p: Record<string, string>): Promise<'applied' | 'unknown'> {
      const call = await loadCall(query.call);
      const callSid = p.CallSid ?? '';
      const status = p.CallStatus ?? '';
      const patientLeg = query.leg === 'patient' || call?.kind === 'ivr';
      const sidColumn = query.leg === 'patient' ? 'patient_call_sid' : 'provider_call_sid';
      const knownSid = call ? call[sidColumn] : null;
      if (!call || !callSid || (knownSid && knownSid !== callSid)) {
        console.warn('[voice] status callback about an unknown call', { callSid, status });
        return 'unknown';
      }
      const duration = p.CallDuration !== undefined && /^\d+$/.test(p.CallDuration) ? Number(p.CallDuration) : null;
      // The leg's SID (first callback), the latest status, the duration when it ends. The agent's leg
      // speaks for the call only until the patient is dialled, and when the whole call ends.
      const agentStatus = status === 'in-progress' ? 'dialing' : status === 'ringing' || status === 'initiated' ? 'agent_ringing' : status;
      const newStatus = patientLeg ? status : call.patient_call_sid && !['completed', 'failed', 'canceled'].includes(status) ? call.status : agentStatus;
      await sql`
        UPDATE calls SET ${sql(sidColumn)} = ${callSid}, status = ${newStatus},
               duration_seconds = ${patientLeg && duration !== null ? duration : call.duration_seconds}, updated_at = now()
        WHERE id = ${call.id}`;
      let outcome: CallOutcome | null = null;
      if (patientLeg) outcome = patientLegOutcome(status);
      else if (agentLegUnanswered(status)) outcome = 'agent_unreachable';
      if (!outcome) return 'applied';
      const [settled] = await sql<{ outcome: CallOutcome }[]>`
        UPDATE calls SET outcome = coalesce(outcome, ${outcome}), updated_at = now() WHERE id = ${call.id} RETURNING outcome`;
      // The stored outcome is the one that counts; a repeat of it signals again and the workflow ignores the repeat.
      if (settled?.outcome !== outcome) return 'applied';
      if (outcome === 'answered') await signalTask(call, { callId: call.id, event: 'answered' });
      else if (countsAsAttempt(outcome)) {
        await signalTask(call, { callId: call.id, event: 'unanswered', outcome: outcome as 'no_answer' | 'busy' | 'failed', ...(call.agent_id ? { actorId: call.agent_id } : {}) });
      }
      return 'applied';
    },

    /** The recording callback: the file is downloaded into the project's storage and kept against the call. */
    async recordingCallback(query: { call?: string }, p: Record<string, string>): Promise<'applied' | 'duplicate' | 'unknown' | 'ignored'> {
      const call = await loadCall(query.call);
      const sid = p.RecordingSid ?? '';
      if (!call || !sid || (p.CallSid && p.CallSid !== call.provider_call_sid && p.CallSid !== call.patient_call_sid)) {
        console.warn('[voice] recording callback about an unknown call', { callSid: p.CallSid, recordingSid: sid });
        return 'unknown';
      }
      if ((p.RecordingStatus ?? 'completed') !== 'completed') return 'ignored';
      if (call.recording_sid === sid) return 'duplicate';
      if (call.recording_sid) {
        console.warn('[voice] a second recording for a call; the first is kept', { callId: call.id, recordingSid: sid });
        return 'ignored';
      }
      const audio = await requireTelephony().downloadRecording(sid);
      const now = new Date();
      const path = `${now.toISOString().slice(0, 7)}/${call.id}-${sid}.wav`;
      await mkdir(dirname(join(storageDir, path)), { recursive: true });
      await writeFile(join(storageDir, path), audio);
      const duration = /^\d+$/.test(p.RecordingDuration ?? '') ? Number(p.RecordingDuration) : null;
      const [stored] = await sql`
        UPDATE calls SET recording_sid = ${sid}, recording_duration_seconds = ${duration}, recording_path = ${path},
               recording_bytes = ${audio.length}, recorded_at = now(), updated_at = now()
        WHERE id = ${call.id} AND recording_sid IS NULL RETURNING id`;
      if (!stored) return 'duplicate';
      await signalTask(call, { callId: call.id, event: 'recorded', recordingSid: sid, ...(duration !== null ? { durationSeconds: duration } : {}) });
      return 'applied';
    },

    /** The IVR's keypress: 1–5 is the survey's answer, 0 hands the task to the agents, anything else asks again. */
    async gather(query: { call?: string }, p: Record<string, string>): Promise<string> {
      const call = await loadCall(query.call);
      if (!call || call.kind !== 'ivr' || (call.provider_call_sid && p.CallSid && p.CallSid !== call.provider_call_sid)) {
        console.warn('[voice] keypress for an unknown call', { callSid: p.CallSid });
        return HANG_UP();
      }
      const key = ivrKeypress(p.Digits);
      const r = new twilio.twiml.VoiceResponse();
      if (key.kind === 'invalid') {
        r.redirect({ method: 'POST' }, hook('', { call: call.id, leg: 'ivr', prompt: String(Math.min(call.ivr_prompts + 1, IVR_MAX_PROMPTS)) }));
        return r.toString();
      }
      // One keypress per call takes effect (a resent callback finds it set).
      const [first] = await sql<{ id: string }[]>`UPDATE calls SET ivr_digits = ${p.Digits!.trim()}, updated_at = now() WHERE id = ${call.id} AND ivr_digits IS NULL RETURNING id`;
      const task = call.task_id ? await loadTask(call.task_id) : undefined;
      if (first && task) {
        const handle = temporal.workflow.getHandle(task.workflow_id);
        if (key.kind === 'answer') {
          const question = await ivrQuestion(task);
          if (question) await handle.signal(surveyAnsweredSignal, { taskId: task.id, outcome: 'completed', answers: { [question.id]: key.value }, note: '患者电话按键回复' });
        } else {
          await handle.signal(switchToPhoneSignal, { taskId: task.id, reason: 'ivr_transfer' });
        }
      }
      r.say(SAY, key.kind === 'answer' ? '已记录您的评分,感谢您的配合,再见。' : '已为您转接人工,客服稍后将给您回电,再见。');
      r.hangup();
      return r.toString();
    },

    /**
     * The automated keypress survey call for an open task whose survey is one rating question, if
     * the contact rules allow it now (opt-out, quiet hours, daily/weekly caps as for messages).
     */
    async startIvrSurvey(taskId: string, now = new Date()): Promise<IvrDecision & { callId?: string }> {
      const adapter = requireTelephony();
      const task = await loadTask(taskId);
      if (!task || task.status !== 'open') throw notFound('任务不存在或已结束');
      if (!(await ivrQuestion(task))) throw new ServiceError(409, 'not_ivr_survey', '语音按键回访只用于单题评分问卷');
      const [patient] = await sql<{ opted_out_at: Date | null }[]>`SELECT opted_out_at FROM patients WHERE id = ${task.patient_id}`;
      const sends = await sql<{ at: Date }[]>`
        SELECT sent_at AS at FROM outbound_messages WHERE patient_id = ${task.patient_id} AND sent_at > ${new Date(now.getTime() - 7 * 86_400_000)}
          AND (step = 'greeting' OR body LIKE 'survey:%')
        UNION ALL SELECT created_at AS at FROM calls WHERE patient_id = ${task.patient_id} AND kind = 'ivr' AND created_at > ${new Date(now.getTime() - 7 * 86_400_000)}`;
      const decision = decideIvrCallOn(
        contactClock,
        { optedOut: patient?.opted_out_at != null, hasPhone: !!task.phone, recentAutomatedContacts: sends.map((s) => s.at) },
        await rulesFor(task.department_code),
        now,
      );
      if (decision.action !== 'call') return decision;
      const [call] = await sql<{ id: string }[]>`INSERT INTO calls (kind, task_id, patient_id) VALUES ('ivr', ${taskId}, ${task.patient_id}) RETURNING id`;
      const callId = call!.id;
      const { callSid } = await adapter.placeCall({ to: e164(task.phone!), url: hook('', { call: callId, leg: 'ivr' }), statusCallback: hook('/status', { call: callId, leg: 'ivr' }), timeLimitSeconds: 180 });
      await sql`UPDATE calls SET provider_call_sid = ${callSid}, updated_at = now() WHERE id = ${callId} AND (provider_call_sid IS NULL OR provider_call_sid = ${callSid})`;
      await signalTask({ task_id: taskId }, { callId, event: 'placed' });
      return { ...decision, callId };
    },

    /** Deletes recordings older than the retention (CALL_RECORDING_RETENTION_DAYS); the row keeps that it was deleted. */
    async purgeExpiredRecordings(now = new Date()): Promise<number> {
      const cutoff = new Date(now.getTime() - env.CALL_RECORDING_RETENTION_DAYS * 86_400_000);
      const expired = await sql<{ id: string; recording_path: string }[]>`
        SELECT id, recording_path FROM calls WHERE recording_path IS NOT NULL AND recording_deleted_at IS NULL AND recorded_at < ${cutoff}`;
      for (const r of expired) {
        await rm(join(storageDir, r.recording_path), { force: true });
        await sql`UPDATE calls SET recording_deleted_at = now() WHERE id = ${r.id}`;
      }
      return expired.length;
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
