/**
 * Feedback tickets: the department's inbox, the ticket page, and the department's actions, which
 * go to the ticket's workflow as Updates (refused with a reason when the state does not allow them).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { insertTicket } from '../db/tickets.js';
import { canViewTicket, speaksWithPatients, supervisesTickets, ticketScope, type Principal } from '../domain/access.js';
import { maskPhone } from '../domain/masking.js';
import {
  FEEDBACK_CATEGORIES,
  acceptTicketUpdate,
  addTicketNoteUpdate,
  allowedActions,
  getTicketStateQuery,
  rateTicketSignal,
  resolveTicketUpdate,
  ticketActionRefusal,
  ticketActor,
  ticketWorkflowId,
  transferTicketUpdate,
  type DepartmentAction,
  type TicketAction,
  type TicketState,
  type TicketStatus,
} from '../workflows/feedback-ticket/contracts.js';
import { isActiveTicket, TICKET_STATUS_LABELS } from '../workflows/feedback-ticket/labels.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, refusedUpdate, ServiceError, ValidationError } from './errors.js';
import { parseOrThrow } from './validation.js';
import { startTicketWorkflow } from './workflow-reconcile.js';
import { queueStaffMessages } from '../activities/channels/staff.js';
import { staffMessageStart } from '../workflows/staff-notify/contracts.js';
import { startOnce } from '../workflows/shared/start.js';
import { loadTicketContext } from './ticket-context.js';
import type { TicketContext } from '../domain/ticket-context.js';

export interface TicketListItem {
  id: string;
  number: string;
  category: string;
  subtag: string | null;
  description: string;
  urgent: boolean;
  departmentCode: string | null;
  departmentName: string | null;
  status: TicketStatus;
  receivedAt: string;
  slaDueAt: string;
  slaBreached: boolean;
  escalationLevel: number;
  rating: number | null;
  closedReason: string | null;
  patientName: string;
}

export interface TicketDetail extends TicketListItem {
  workflowId: string;
  /** What the viewer may do with it now (see allowedActions in the ticket's contracts). */
  allowedActions: TicketAction[];
  resolution: string | null;
  reopenCount: number;
  phoneMasked: string;
  sourceTaskId: string | null;
  createdByName: string | null;
  events: { at: string; kind: string; actorName: string | null; details: Record<string, unknown> }[];
  /** What the department needs to act: red-flag answers, the agent's note, the stay (ward, bed, discharging department). */
  context: TicketContext;
}

export interface TicketFilters {
  departmentCode?: string;
  category?: string;
  status?: TicketStatus;
  breached?: boolean;
  /** The follow-up task the ticket came from (what an agent's save just opened). */
  sourceTaskId?: string;
  limit?: number;
}

const chaseSchema = z.object({
  note: z.string({ required_error: '请填写督办意见', invalid_type_error: '请填写督办意见' }).trim().min(2, '请填写督办意见').max(500, '督办意见最多 500 字'),
});

/** A rating of 1–2 needs the patient's reason: it goes to the department with the reopened ticket. */
const ratingSchema = z
  .object({
    rating: z.coerce.number({ invalid_type_error: '请选择评分' }).int().min(1, '评分为 1–5').max(5, '评分为 1–5'),
    reason: z.string().trim().max(500, '原因最多 500 字').optional().transform((r) => r || undefined),
  })
  .refine((r) => r.rating > 2 || r.reason !== undefined, { path: ['reason'], message: '评分 1–2 时请记录患者不满意的原因' });

const actionSchemas: Record<DepartmentAction, z.ZodType> = {
  accept: z.object({}),
  note: z.object({ note: z.string().trim().min(1, '请填写进展说明').max(1000, '最长 1000 字') }),
  transfer: z.object({
    departmentCode: z.string().trim().min(1, '请选择科室'),
    reason: z.string().trim().min(2, '请填写转科原因').max(500, '最长 500 字'),
  }),
  resolve: z.object({ resolution: z.string().trim().min(2, '请填写处理结果').max(2000, '最长 2000 字') }),
};

const openSchema = z.object({
  sourceKey: z.string().min(1).max(200),
  patientId: z.string().uuid('患者不存在'),
  category: z.enum(FEEDBACK_CATEGORIES, { errorMap: () => ({ message: '请选择反馈类别' }) }),
  subtag: z.string().trim().max(50).optional(),
  description: z.string().trim().min(2, '请填写反馈内容').max(1000, '最长 1000 字'),
  departmentCode: z.string().trim().max(32).optional(),
  receivedAt: z.string().datetime({ offset: true }).optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TicketRow {
  id: string;
  number: string;
  category: string;
  subtag: string | null;
  description: string;
  urgent: boolean;
  department_code: string | null;
  department_name: string | null;
  status: TicketStatus;
  received_at: Date;
  sla_due_at: Date;
  sla_breached: boolean;
  escalation_level: number;
  rating: number | null;
  closed_reason: string | null;
  patient_name: string;
  patient_id: string;
  created_by: string | null;
  workflow_pending: boolean;
}

const toItem = (r: TicketRow): TicketListItem => ({
  id: r.id,
  number: r.number,
  category: r.category,
  subtag: r.subtag,
  description: r.description,
  urgent: r.urgent,
  departmentCode: r.department_code,
  departmentName: r.department_name,
  status: r.status,
  receivedAt: r.received_at.toISOString(),
  slaDueAt: r.sla_due_at.toISOString(),
  slaBreached: r.sla_breached,
  escalationLevel: r.escalation_level,
  rating: r.rating,
  closedReason: r.closed_reason,
  patientName: r.patient_name,
});

/** A ticket whose workflow cannot be found: not started yet (Temporal was down; retry soon) or ended. */
const notStartedOrClosed = (row: { workflow_pending: boolean }) =>
  row.workflow_pending
    ? new ServiceError(503, 'ticket_workflow_pending', '工单已保存,处理流程正在启动,请稍后再试')
    : new ServiceError(409, 'ticket_closed', '该工单流程已结束');

/** The ticket's source follow-up task, as `canViewTicket` weighs it (department null when the task has none). */
interface SourceTaskFacts {
  source_task_department: string | null;
  source_task_agent: string | null;
}

type LoadedTicket = TicketRow &
  Partial<SourceTaskFacts> & {
    resolution: string | null;
    reopen_count: number;
    phone: string | null;
    source_task_id: string | null;
    feedback_id: string | null;
    patient_id: string;
    created_by_name: string | null;
  };

export function createTicketService({
  sql,
  temporal,
  audit,
  taskQueue,
  staffDispatch = false,
}: {
  sql: Sql;
  temporal: Client;
  audit: AuditService;
  taskQueue: string;
  /** SMS/WeChat providers are configured: staff notices written here go out by phone too (staffMessageWorkflow). */
  staffDispatch?: boolean;
}) {
  const mayView = (user: Principal, t: Pick<TicketRow, 'department_code' | 'created_by'> & Partial<SourceTaskFacts>) =>
    canViewTicket(user, {
      departmentCode: t.department_code,
      createdBy: t.created_by,
      sourceTask: t.source_task_department === undefined ? null : { departmentCode: t.source_task_department, assignedAgentId: t.source_task_agent ?? null },
    });

  /** The ticket row, read by the application (`sql`) or under a user's row-level policies (`asUser`). */
  async function load(
    ticketId: string,
    db: Sql | TransactionSql = sql,
  ): Promise<LoadedTicket | undefined> {
    if (!UUID.test(ticketId)) return undefined;
    // The follow-up task it came from decides for an agent too (a red flag raised from their own call).
    const [row] = await db<LoadedTicket[]>`
      SELECT t.*, d.name AS department_name, p.name AS patient_name, p.phone, u.display_name AS created_by_name,
             st.department_code AS source_task_department, st.assigned_agent_id AS source_task_agent
      FROM tickets t JOIN patients p ON p.id = t.patient_id
      LEFT JOIN departments d ON d.code = t.department_code LEFT JOIN users u ON u.id = t.created_by
      LEFT JOIN follow_up_tasks st ON st.id = t.source_task_id
      WHERE t.id = ${ticketId}`;
    if (row && row.source_task_id === null) delete (row as Partial<SourceTaskFacts>).source_task_department;
    return row;
  }

  return {
    /** Open tickets first (overdue, then by deadline), then the rest, newest first. */
    async list(user: Principal, filters: TicketFilters = {}, meta: RequestMeta = {}): Promise<TicketListItem[]> {
      const visible = ticketScope(user);
      let scope;
      if (visible === null) {
        await audit.listDenied(user, 'ticket_list', meta);
        throw forbidden();
      } else if (visible.kind === 'all') {
        scope = filters.departmentCode ? sql`t.department_code = ${filters.departmentCode}` : sql`TRUE`;
      } else if (visible.kind === 'department') {
        if (filters.departmentCode && filters.departmentCode !== visible.departmentCode) {
          await audit.listDenied(user, 'ticket_list', meta, { departmentCode: filters.departmentCode });
          throw forbidden('只能查看本科室的工单');
        }
        scope = sql`t.department_code = ${visible.departmentCode}`;
      } else {
        scope = sql`t.created_by = ${visible.userId}`;
      }
      const rows = await asUser(sql, user, (tx) => tx<TicketRow[]>`
        SELECT t.*, d.name AS department_name, p.name AS patient_name
        FROM tickets t JOIN patients p ON p.id = t.patient_id LEFT JOIN departments d ON d.code = t.department_code
        WHERE ${scope}
          AND ${filters.category ? sql`t.category = ${filters.category}` : sql`TRUE`}
          AND ${filters.status ? sql`t.status = ${filters.status}` : sql`TRUE`}
          AND ${filters.breached === undefined ? sql`TRUE` : sql`t.sla_breached = ${filters.breached}`}
          AND ${filters.sourceTaskId && UUID.test(filters.sourceTaskId) ? sql`t.source_task_id = ${filters.sourceTaskId}` : filters.sourceTaskId ? sql`FALSE` : sql`TRUE`}
        ORDER BY (t.status IN ('open', 'in_progress')) DESC,
                 (t.status IN ('open', 'in_progress') AND (t.sla_breached OR t.sla_due_at < now())) DESC, t.urgent DESC,
                 CASE WHEN t.status IN ('open', 'in_progress') THEN t.sla_due_at END ASC NULLS LAST,
                 t.received_at DESC
        LIMIT ${Math.min(filters.limit ?? 200, 500)}`);
      await audit.listed(user, 'ticket_list', rows.map((r) => r.patient_id), meta, { filters });
      return rows.map(toItem);
    },

    async get(user: Principal, ticketId: string, meta: RequestMeta): Promise<TicketDetail> {
      const found = await load(ticketId);
      if (!found) throw notFound('工单不存在');
      // Shown as read under the user's row-level policies: the service's rule, enforced by Postgres too.
      const row = mayView(user, found) ? await asUser(sql, user, (tx) => load(ticketId, tx)) : undefined;
      if (!row) {
        await audit.record({ actor: user, action: 'ticket.view_denied', entityType: 'ticket', entityId: ticketId, patientId: found.patient_id }, meta);
        throw forbidden('该工单不属于您的科室');
      }
      const events = await sql<{ at: Date; kind: string; display_name: string | null; details: Record<string, unknown> }[]>`
        SELECT e.at, e.kind, u.display_name, e.details FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
        WHERE e.ticket_id = ${ticketId} ORDER BY e.at, e.id`;
      const context = await loadTicketContext(sql, { category: row.category, source_task_id: row.source_task_id, feedback_id: row.feedback_id });
      await audit.record({ actor: user, action: 'ticket.view', entityType: 'ticket', entityId: ticketId, patientId: row.patient_id }, meta);
      return {
        ...toItem(row),
        workflowId: ticketWorkflowId(row.number),
        allowedActions: allowedActions({ status: row.status, departmentCode: row.department_code, createdBy: row.created_by }, user),
        resolution: row.resolution,
        reopenCount: row.reopen_count,
        phoneMasked: maskPhone(row.phone),
        sourceTaskId: row.source_task_id,
        createdByName: row.created_by_name,
        events: events.map((e) => ({ at: e.at.toISOString(), kind: e.kind, actorName: e.display_name, details: e.details })),
        context,
      };
    },

    /** A department action (accept, note, transfer, resolve) through the ticket workflow's Update. */
    async act(user: Principal, ticketId: string, action: DepartmentAction, input: unknown, meta: RequestMeta): Promise<TicketState> {
      const schema = Object.hasOwn(actionSchemas, action) ? actionSchemas[action] : undefined;
      if (!schema) throw new ServiceError(400, 'invalid_input', `未知操作 ${String(action)}`);
      const row = await load(ticketId);
      if (!row) throw notFound('工单不存在');
      const actor = ticketActor(user, action);
      if (!actor) throw forbidden('只有科室人员可以处理工单');
      if (!mayView(user, row)) throw forbidden('该工单不属于您的科室');
      const body = parseOrThrow(schema, input ?? {});
      if (action === 'transfer') {
        const [target] = await sql`SELECT 1 FROM departments WHERE code = ${(body as { departmentCode: string }).departmentCode}`;
        if (!target) throw new ServiceError(400, 'invalid_input', 'departmentCode: 科室不存在', { problems: [{ field: 'departmentCode', message: '科室不存在' }] });
      }
      // The stored row leads the workflow's state (it is written first): what it refuses, the workflow would.
      const refused = ticketActionRefusal({ status: row.status, departmentCode: row.department_code }, action, actor);
      if (refused) throw new ServiceError(409, 'ticket_action_refused', refused);
      const handle = temporal.workflow.getHandle(ticketWorkflowId(row.number));
      let state: TicketState;
      try {
        switch (action) {
          case 'accept':
            state = await handle.executeUpdate(acceptTicketUpdate, { args: [actor] });
            break;
          case 'note':
            state = await handle.executeUpdate(addTicketNoteUpdate, { args: [{ ...actor, ...(body as { note: string }) }] });
            break;
          case 'transfer':
            state = await handle.executeUpdate(transferTicketUpdate, { args: [{ ...actor, ...(body as { departmentCode: string; reason: string }) }] });
            break;
          case 'resolve':
            state = await handle.executeUpdate(resolveTicketUpdate, { args: [{ ...actor, ...(body as { resolution: string }) }] });
            break;
        }
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw refusedUpdate('ticket_action_refused', err);
        if (err instanceof WorkflowNotFoundError) throw notStartedOrClosed(row);
        throw err;
      }
      await audit.record({ actor: user, action: `ticket.${action}`, entityType: 'ticket', entityId: ticketId, patientId: row.patient_id }, meta);
      return state;
    },

    /**
     * The patient's rating (1–5) of a resolved ticket, taken by an agent on the phone. A rating of
     * 1–2 reopens the ticket, so the agent asks why and the reason is put on the ticket's timeline
     * for the department (before the signal, so the reopened ticket already carries it).
     */
    async recordRating(user: Principal, ticketId: string, input: { rating: unknown; reason?: unknown }, meta: RequestMeta): Promise<void> {
      const { rating: score, reason } = parseOrThrow(ratingSchema, input);
      const row = await load(ticketId);
      if (!row) throw notFound('工单不存在');
      if (!mayView(user, row) || !speaksWithPatients(user.role)) throw forbidden('只有客服可以记录患者评价');
      if (row.status !== 'resolved') throw new ServiceError(409, 'ticket_not_resolved', '工单尚未解决,不能评价');
      if (reason) {
        await sql`INSERT INTO ticket_events (ticket_id, step, kind, actor_id, details)
                  VALUES (${ticketId}, ${`rating-reason-${row.reopen_count}`}, 'rating_reason', ${user.id}, ${sql.json({ rating: score, reason })})
                  ON CONFLICT (ticket_id, step) DO NOTHING`;
      }
      await temporal.workflow.getHandle(ticketWorkflowId(row.number)).signal(rateTicketSignal, { rating: score, via: 'agent', actorId: user.id });
      await audit.record({ actor: user, action: 'ticket.rating', entityType: 'ticket', entityId: ticketId, patientId: row.patient_id, details: { rating: score } }, meta);
    },

    /**
     * 督办: management presses an active ticket's department with a note. The note stays on the
     * ticket's timeline and reaches the department head, in the portal and (where SMS/WeChat is
     * configured) on the phone through the staff message dispatcher, as the workflows' notices do;
     * the ticket's workflow is not involved.
     */
    async chase(user: Principal, ticketId: string, input: unknown, meta: RequestMeta): Promise<void> {
      if (!supervisesTickets(user.role)) throw forbidden('只有管理层可以督办工单');
      const { note } = parseOrThrow(chaseSchema, input ?? {});
      const row = await load(ticketId);
      if (!row) throw notFound('工单不存在');
      if (!isActiveTicket(row.status)) throw new ServiceError(409, 'ticket_action_refused', `工单${TICKET_STATUS_LABELS[row.status]},无需督办`);
      const step = `chase:${crypto.randomUUID()}`;
      const dedupeKey = `ticket-${row.number}:${step}`;
      await sql.begin(async (tx) => {
        await tx`INSERT INTO ticket_events (ticket_id, step, kind, actor_id, details)
                 VALUES (${ticketId}, ${step}, 'chased', ${user.id}, ${tx.json({ note })})`;
        await tx`INSERT INTO staff_notifications (dedupe_key, department_code, audience, ticket_id, body)
                 VALUES (${dedupeKey}, ${row.department_code}, 'dept_head', ${ticketId},
                         ${`督办:工单 ${row.number}(${user.displayName}):${note}`})`;
      });
      if (staffDispatch) {
        for (const { id } of await queueStaffMessages(sql, { notificationDedupeKey: dedupeKey })) {
          await startOnce(temporal, taskQueue, staffMessageStart({ staffMessageId: id }));
        }
      }
      await audit.record({ actor: user, action: 'ticket.chase', entityType: 'ticket', entityId: ticketId, patientId: row.patient_id, details: { note } }, meta);
    },

    /** Live state from the workflow (next deadline), for the ticket page. */
    async liveState(user: Principal, ticketId: string): Promise<TicketState | null> {
      const row = await load(ticketId);
      if (!row) throw notFound('工单不存在');
      if (!mayView(user, row)) throw forbidden('该工单不属于您的科室');
      try {
        return await temporal.workflow.getHandle(ticketWorkflowId(row.number)).query(getTicketStateQuery);
      } catch {
        return null;
      }
    },

    /**
     * A complaint taken directly (an incoming call, the front desk), outside a follow-up: the
     * ticket row and its workflow. Idempotent per `sourceKey`.
     */
    async open(
      user: Principal,
      input: { sourceKey: string; patientId: string; category: string; subtag?: string; description: string; departmentCode?: string; receivedAt?: string },
      meta: RequestMeta,
    ): Promise<{ ticketId: string; number: string; workflowPending: boolean }> {
      if (!speaksWithPatients(user.role)) throw forbidden('只有客服可以登记投诉');
      const body = parseOrThrow(openSchema, input);
      if (body.departmentCode && (await sql`SELECT 1 FROM departments WHERE code = ${body.departmentCode}`).length === 0) {
        throw new ValidationError([{ field: 'departmentCode', message: '科室不存在' }]);
      }
      const ticket = await insertTicket(sql, { ...body, createdBy: user.id, workflowPending: true });
      // Stored is accepted: when Temporal cannot be reached, the reconciler starts the workflow later.
      const workflowPending = await startTicketWorkflow({ sql, temporal, taskQueue }, ticket).then(
        () => false,
        () => true,
      );
      await audit.record({ actor: user, action: 'ticket.open', entityType: 'ticket', entityId: ticket.ticketId, patientId: body.patientId }, meta);
      return { ...ticket, workflowPending };
    },

    async subtags(): Promise<{ category: string; label: string }[]> {
      return sql<{ category: string; label: string }[]>`SELECT category, label FROM feedback_subtags WHERE active ORDER BY category, id`;
    },
  };
}

export type TicketService = ReturnType<typeof createTicketService>;
