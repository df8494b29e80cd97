/**
 * The agent's day: today's follow-up tasks, one task with everything the call needs, and
 * recording the call's outcome through the follow-up workflow's Update.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { canViewTask, taskQueueScope, type Principal } from '../domain/access.js';
import { maskPhone } from '../domain/masking.js';
import { CHANNEL_PROBLEM, isChannel, type Channel } from '../domain/follow-up-plan.js';
import { openingLine } from '../domain/opening-line.js';
import { validateAnswers, type Question } from '../domain/questions.js';
import { daysSince, shanghaiDayBounds } from '../domain/schedule.js';
import {
  CONTACT_OUTCOMES,
  FEEDBACK_CATEGORIES,
  FEEDBACK_KINDS,
  allowedActions,
  contactRefusal,
  getFollowUpStateQuery,
  markUrgentSignal,
  recordContactUpdate,
  type ContactReply,
  type FollowUpState,
  type TaskAction,
  type TaskFacts,
  type TaskStatus,
} from '../workflows/follow-up/contracts.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, isServiceError, notFound, refusedUpdate, ServiceError, ValidationError } from './errors.js';
import { parseOrThrow } from './validation.js';


export interface TaskListItem {
  id: string;
  patientName: string;
  sex: string | null;
  age: number | null;
  departmentCode: string | null;
  diagnosis: string | null;
  procedure: string | null;
  dischargedAt: string;
  daysSinceDischarge: number;
  dueAt: string;
  overdue: boolean;
  urgent: boolean;
  status: TaskStatus;
  attempts: number;
  maxAttempts: number;
  channel: string;
  touchpointIndex: number;
  assignedToMe: boolean;
}

export interface TaskDetail extends TaskListItem {
  workflowId: string;
  /** What the viewer may do with it now (see allowedActions in the follow-up's contracts). */
  allowedActions: TaskAction[];
  encounterId: string;
  patientId: string;
  phoneMasked: string;
  departmentName: string;
  attendingDoctor: string | null;
  nurse: string | null;
  ward: string | null;
  openingLine: string;
  templateName: string;
  templateVersion: number;
  questions: Question[];
  answers: Record<string, unknown>;
  attemptsLog: { attempt: number; outcome: string; at: string; byPatient: boolean; note: string | null }[];
  /** What the patient wrote back (SMS replies, WeChat messages) that no rule took as an answer. */
  patientMessages: { body: string; at: string }[];
  assignedAgentName: string | null;
}

const markUrgentSchema = z.object({
  reason: z.string({ required_error: '请填写标红原因', invalid_type_error: '请填写标红原因' }).trim().min(2, '请填写标红原因').max(200, '标红原因最多 200 字'),
});

const contactSchema = z.object({
  outcome: z.enum(CONTACT_OUTCOMES, {
    errorMap: () => ({ message: '须为 completed、no_answer、wrong_number 或 refused' }),
  }),
  answers: z.record(z.union([z.number(), z.boolean(), z.string().max(500)])).optional(),
  note: z.string().trim().max(500, '最长 500 字').optional(),
  feedback: z
    .object({
      kind: z.enum(FEEDBACK_KINDS, { errorMap: () => ({ message: '反馈类型须为投诉、表扬或建议' }) }).optional(),
      category: z.enum(FEEDBACK_CATEGORIES, { errorMap: () => ({ message: '请选择反馈类别' }) }),
      description: z.string().trim().min(2, '请填写反馈内容').max(1000, '最长 1000 字'),
      subtag: z.string().trim().max(50).optional(),
      departmentCode: z.string().trim().max(32).optional(),
      reason: z.string().trim().max(500, '最长 500 字').optional(),
    })
    .refine((f) => !f.departmentCode || (f.reason && f.reason.length >= 2), { message: '指定其他科室时须填写原因', path: ['reason'] })
    .optional(),
});
export type ContactInput = z.infer<typeof contactSchema>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TaskRow {
  id: string;
  workflow_id: string;
  touchpoint_index: number;
  status: TaskStatus;
  due_at: Date;
  urgent: boolean;
  attempts: number;
  max_attempts: number;
  channel: string;
  department_code: string | null;
  assigned_agent_id: string | null;
  patient_id: string;
  name: string;
  sex: string | null;
  age: number | null;
  phone: string | null;
  his_encounter_id: string;
  diagnosis_name: string | null;
  procedure_name: string | null;
  attending_doctor: string | null;
  nurse: string | null;
  ward: string | null;
  discharged_at: Date;
}

export function createTaskService({ sql, temporal, audit }: { sql: Sql; temporal: Client; audit: AuditService }) {
  const facts = (task: Pick<TaskRow, 'status' | 'department_code' | 'assigned_agent_id'>): TaskFacts => ({
    status: task.status,
    departmentCode: task.department_code,
    assignedAgentId: task.assigned_agent_id,
  });
  const mayView = (user: Principal, task: TaskRow) => canViewTask(user, facts(task));

  const toItem = (r: TaskRow, user: Principal, now: Date): TaskListItem => ({
    id: r.id,
    patientName: r.name,
    sex: r.sex,
    age: r.age,
    departmentCode: r.department_code,
    diagnosis: r.diagnosis_name,
    procedure: r.procedure_name,
    dischargedAt: r.discharged_at.toISOString(),
    daysSinceDischarge: daysSince(r.discharged_at, now),
    dueAt: r.due_at.toISOString(),
    overdue: r.status === 'open' && r.due_at < shanghaiDayBounds(now).start,
    urgent: r.urgent,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    channel: r.channel,
    touchpointIndex: r.touchpoint_index,
    assignedToMe: r.assigned_agent_id === user.id,
  });

  /** The task row, read by the application (`sql`) or under a user's row-level policies (`asUser`). */
  async function load(taskId: string, db: Sql | TransactionSql = sql): Promise<TaskRow | undefined> {
    if (!UUID.test(taskId)) return undefined;
    const [row] = await db<TaskRow[]>`
      SELECT t.id, t.workflow_id, t.touchpoint_index, t.status, t.due_at, t.urgent, t.attempts, t.max_attempts, t.channel,
             t.department_code, t.assigned_agent_id, p.id AS patient_id, p.name, p.sex, p.phone,
             date_part('year', age(p.birth_date))::int AS age, e.his_encounter_id, e.diagnosis_name, e.procedure_name,
             e.attending_doctor, e.nurse, e.ward, e.discharged_at
      FROM follow_up_tasks t JOIN patients p ON p.id = t.patient_id JOIN encounters e ON e.id = t.encounter_id
      WHERE t.id = ${taskId}`;
    return row;
  }

  /** The rows of an agent's queue (open work due by tonight, or what was finished today), in call order. */
  async function queueRows(
    user: Principal,
    { status, now, limit, channel, except }: { status: TaskStatus; now: Date; limit: number; channel?: Channel; except?: string },
  ) {
    const scope = taskQueueScope(user);
    if (!scope) throw forbidden('今日任务仅供客服使用');
    const { start, end } = shanghaiDayBounds(now);
    const mine =
      scope === 'own'
        ? sql`(t.assigned_agent_id = ${user.id} OR (t.assigned_agent_id IS NULL AND t.department_code = ${user.departmentCode}))`
        : sql`TRUE`;
    // Open work is what is due by tonight; finished work is what was finished today.
    const inScope = sql`((t.status = 'open' AND t.due_at < ${end}) OR (t.status <> 'open' AND t.updated_at >= ${start}))`;
    const rows = await asUser(sql, user, (tx) => tx<TaskRow[]>`
      SELECT t.id, t.workflow_id, t.touchpoint_index, t.status, t.due_at, t.urgent, t.attempts, t.max_attempts, t.channel,
             t.department_code, t.assigned_agent_id, p.id AS patient_id, p.name, p.sex, NULL AS phone,
             date_part('year', age(p.birth_date))::int AS age, e.his_encounter_id, e.diagnosis_name, e.procedure_name,
             e.attending_doctor, e.nurse, e.ward, e.discharged_at
      FROM follow_up_tasks t JOIN patients p ON p.id = t.patient_id JOIN encounters e ON e.id = t.encounter_id
      WHERE ${mine} AND ${inScope} AND t.status = ${status} ${channel ? sql`AND t.channel = ${channel}` : sql``} ${except ? sql`AND t.id <> ${except}` : sql``}
      ORDER BY t.urgent DESC, t.due_at ASC, t.id
      LIMIT ${Math.min(limit, 500)}`);
    return { rows, mine, inScope, start };
  }

  /**
   * Today's work for an agent: open tasks due today or overdue, urgent first, then by due time
   * (optionally other statuses handled today), and the counts per status. Not audited: `today` is
   * the view.
   */
  async function queue(
    user: Principal,
    options: Parameters<typeof queueRows>[1],
  ): Promise<{ items: TaskListItem[]; patientIds: string[]; counts: Record<TaskStatus, number> & { overdue: number; urgent: number } }> {
    const { now } = options;
    const { rows, mine, inScope, start } = await queueRows(user, options);
    const [counts] = await sql<(Record<TaskStatus, number> & { overdue: number; urgent: number })[]>`
      SELECT count(*) FILTER (WHERE t.status = 'open')::int AS open,
             count(*) FILTER (WHERE t.status = 'completed')::int AS completed,
             count(*) FILTER (WHERE t.status = 'unreachable')::int AS unreachable,
             count(*) FILTER (WHERE t.status = 'refused')::int AS refused,
             count(*) FILTER (WHERE t.status = 'cancelled')::int AS cancelled,
             count(*) FILTER (WHERE t.status = 'open' AND t.due_at < ${start})::int AS overdue,
             count(*) FILTER (WHERE t.status = 'open' AND t.urgent)::int AS urgent
      FROM follow_up_tasks t WHERE ${mine} AND ${inScope}`;
    return { items: rows.map((r) => toItem(r, user, now)), patientIds: rows.map((r) => r.patient_id), counts: counts! };
  }

  const service = {
    /**
     * Today's work for an agent: open tasks due today or overdue, urgent first, then by due
     * time (optionally other statuses handled today), and the counts per status.
     */
    async today(
      user: Principal,
      {
        status = 'open',
        now = new Date(),
        limit = 200,
        channel,
        meta = {},
      }: { status?: TaskStatus; now?: Date; limit?: number; channel?: unknown; meta?: RequestMeta } = {},
    ): Promise<{ items: TaskListItem[]; counts: Record<TaskStatus, number> & { overdue: number; urgent: number } }> {
      // Only the calls to make (电话), say, when survey tasks still waiting for the patient's reply fill the list.
      if (channel !== undefined && !isChannel(channel)) throw new ValidationError([{ field: 'channel', message: CHANNEL_PROBLEM }]);
      const result = await queue(user, { status, now, limit, ...(channel ? { channel } : {}) }).catch(async (err: unknown) => {
        if (isServiceError(err) && err.status === 403) await audit.listDenied(user, 'task_list', meta);
        throw err;
      });
      await audit.listed(user, 'task_list', result.patientIds, meta, { status });
      return { items: result.items, counts: result.counts };
    },

    /** One task with the patient's context, the pinned questions and the call history (audited as a patient view). */
    async get(user: Principal, taskId: string, meta: RequestMeta, now = new Date()): Promise<TaskDetail> {
      const found = await load(taskId);
      if (!found) throw notFound('任务不存在');
      // What is shown is read under the user's row-level policies too: the same rule, enforced twice.
      const row = mayView(user, found) ? await asUser(sql, user, (tx) => load(taskId, tx)) : undefined;
      if (!row) {
        await audit.record({ actor: user, action: 'task.view_denied', entityType: 'task', entityId: taskId, patientId: found.patient_id }, meta);
        throw forbidden('该任务不属于您');
      }
      const [template] = await sql<{ name: string; version: number; questions: Question[] }[]>`
        SELECT q.name, q.version, q.questions FROM question_templates q JOIN follow_up_tasks t ON t.template_id = q.id
        WHERE t.id = ${taskId}`;
      const [department] = row.department_code
        ? await sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${row.department_code}`
        : [];
      const [agent] = row.assigned_agent_id
        ? await sql<{ display_name: string }[]>`SELECT display_name FROM users WHERE id = ${row.assigned_agent_id}`
        : [];
      const answers = await sql<{ question_id: string; value: unknown }[]>`
        SELECT question_id, value FROM task_answers WHERE task_id = ${taskId}`;
      const attempts = await sql<{ attempt: number; outcome: string; at: Date; by_patient: boolean; note: string | null }[]>`
        SELECT attempt, outcome, at, by_patient, note FROM task_attempts WHERE task_id = ${taskId} ORDER BY attempt`;
      const inbound = await sql<{ body: string; received_at: Date }[]>`
        SELECT body, received_at FROM patient_inbound_messages WHERE task_id = ${taskId} AND handled_as = 'message' ORDER BY received_at`;
      await audit.record({ actor: user, action: 'patient.view', entityType: 'task', entityId: taskId, patientId: row.patient_id }, meta);
      const item = toItem(row, user, now);
      const departmentName = department?.name ?? '未分配科室';
      return {
        ...item,
        workflowId: row.workflow_id,
        allowedActions: allowedActions(facts(row), user),
        encounterId: row.his_encounter_id,
        patientId: row.patient_id,
        phoneMasked: maskPhone(row.phone),
        departmentName,
        attendingDoctor: row.attending_doctor,
        nurse: row.nurse,
        ward: row.ward,
        openingLine: openingLine({
          patientName: row.name,
          sex: (row.sex as 'M' | 'F' | 'O' | 'U' | null) ?? null,
          age: row.age,
          departmentName,
          agentName: user.displayName,
          daysSinceDischarge: item.daysSinceDischarge,
        }),
        templateName: template?.name ?? '',
        templateVersion: template?.version ?? 0,
        questions: template?.questions ?? [],
        answers: Object.fromEntries(answers.map((a) => [a.question_id, a.value])),
        attemptsLog: attempts.map((a) => ({ attempt: a.attempt, outcome: a.outcome, at: a.at.toISOString(), byPatient: a.by_patient, note: a.note })),
        patientMessages: inbound.map((m) => ({ body: m.body, at: m.received_at.toISOString() })),
        assignedAgentName: agent?.display_name ?? null,
      };
    },

    /**
     * Records a call through the workflow's Update: the workflow validates against its own state
     * (a finished task is refused with the reason). Returns the workflow's reply and the next task.
     */
    async recordContact(user: Principal, taskId: string, input: unknown, meta: RequestMeta): Promise<ContactReply & { nextTaskId: string | null }> {
      const contact = parseOrThrow(contactSchema, input);
      const row = await load(taskId);
      if (!row) throw notFound('任务不存在');
      // The task row leads the workflow's state (it is written first): a task it shows ended, the workflow would refuse.
      const refused = contactRefusal(facts(row), user);
      if (refused) throw refused.forbidden ? forbidden(refused.message) : new ServiceError(409, 'task_closed', refused.message);
      if (contact.feedback?.departmentCode) {
        const [target] = await sql`SELECT 1 FROM departments WHERE code = ${contact.feedback.departmentCode}`;
        if (!target) throw new ValidationError([{ field: 'feedback.departmentCode', message: '科室不存在' }]);
      }
      if (contact.outcome === 'completed') {
        // Answers are checked here too, so the form gets 400 with the question named; the workflow's validator stays the last word.
        const [template] = await sql<{ questions: Question[] }[]>`
          SELECT q.questions FROM question_templates q JOIN follow_up_tasks t ON t.template_id = q.id WHERE t.id = ${taskId}`;
        const problems = validateAnswers(template?.questions ?? [], contact.answers ?? {});
        if (problems.length) throw new ValidationError(problems);
      }
      let reply: ContactReply;
      try {
        reply = await temporal.workflow.getHandle(row.workflow_id).executeUpdate(recordContactUpdate, {
          args: [{ taskId, ...contact, actorId: user.id }],
        });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw refusedUpdate('task_closed', err);
        if (err instanceof WorkflowNotFoundError) throw new ServiceError(409, 'task_closed', '该随访流程已结束');
        throw err;
      }
      await audit.record(
        { actor: user, action: 'task.contact', entityType: 'task', entityId: taskId, patientId: row.patient_id, details: { outcome: contact.outcome, redFlags: reply.redFlags } },
        meta,
      );
      // The next call to make: one row, without the list's counts (this runs after every call).
      const { rows } = await queueRows(user, { status: 'open', now: new Date(), limit: 1, except: taskId });
      return { ...reply, nextTaskId: rows[0]?.id ?? null };
    },

    /**
     * 标红: the agent who may record the call marks the open task urgent, with a reason. The row is
     * marked at once (urgent tasks sort first for every agent of the department), the workflow's
     * state and its Urgent search attribute follow by signal, and the mark is audited.
     */
    async markUrgent(user: Principal, taskId: string, input: unknown, meta: RequestMeta): Promise<void> {
      const { reason } = parseOrThrow(markUrgentSchema, input ?? {});
      const row = await load(taskId);
      if (!row) throw notFound('任务不存在');
      const refused = contactRefusal(facts(row), user);
      if (refused) throw refused.forbidden ? forbidden(refused.message) : new ServiceError(409, 'task_closed', refused.message);
      await sql`UPDATE follow_up_tasks SET urgent = true, updated_at = now() WHERE id = ${taskId} AND status = 'open'`;
      await temporal.workflow.getHandle(row.workflow_id).signal(markUrgentSignal, { taskId, reason });
      await audit.record({ actor: user, action: 'task.mark_urgent', entityType: 'task', entityId: taskId, patientId: row.patient_id, details: { reason } }, meta);
    },

    /** The workflow's live state (touchpoints, next wake-up, history) for the detail page. */
    async followUpState(user: Principal, taskId: string): Promise<FollowUpState> {
      const row = await load(taskId);
      if (!row) throw notFound('任务不存在');
      if (!mayView(user, row)) throw forbidden('该任务不属于您');
      return temporal.workflow.getHandle(row.workflow_id).query(getFollowUpStateQuery);
    },
  };
  return service;
}

export type TaskService = ReturnType<typeof createTaskService>;
