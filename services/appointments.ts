/**
 * Outpatient appointments: booking (prepaid, within the slot's appointment quota, refused while
 * the patient is blacklisted for no-shows), cancellation and check-in (Updates to the appointment's
 * workflow, refused with a reason), and the admin's early lift of a no-show blacklist (audited).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { administers, type Principal } from '../domain/access.js';
import {
  appointmentWorkflowId,
  cancelAppointmentUpdate,
  checkInUpdate,
  liftBlacklistUpdate,
  noShowLedgerWorkflowId,
  type AppointmentState,
  type NoShowLedgerState,
} from '../workflows/appointment/contracts.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, refusedUpdate, ServiceError, ValidationError } from './errors.js';
import { maskPhone } from '../domain/masking.js';
import { startAppointmentWorkflow } from './workflow-reconcile.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface BookingResult {
  appointmentId: string;
  number: string;
  workflowId: string;
  /** Stored, but its workflow starts only once Temporal is reachable again (by the reconciler). */
  workflowPending: boolean;
}

/** Asia/Shanghai wall time for messages. */
const localTime = (d: Date) => d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });

export function createAppointmentService({ sql, temporal, audit, taskQueue }: { sql: Sql; temporal: Client; audit: AuditService; taskQueue: string }) {
  async function appointmentRow(appointmentId: string) {
    if (!UUID.test(appointmentId)) return undefined;
    const [row] = await sql<{ id: string; number: string; workflow_id: string; patient_id: string; workflow_pending: boolean }[]>`
      SELECT id, number, workflow_id, patient_id, workflow_pending FROM appointments WHERE id = ${appointmentId}`;
    return row;
  }

  /** Runs an Update on the appointment's workflow; a refusal becomes a 409 with its reason. */
  async function update(appointmentId: string, run: (workflowId: string) => Promise<AppointmentState>): Promise<AppointmentState> {
    const row = await appointmentRow(appointmentId);
    if (!row) throw notFound('预约不存在');
    try {
      return await run(row.workflow_id);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw refusedUpdate('appointment_action_refused', err);
      if (err instanceof WorkflowNotFoundError) {
        if (row.workflow_pending) throw new ServiceError(503, 'appointment_workflow_pending', '预约已保存,处理流程正在启动,请稍后再试');
        throw new ServiceError(409, 'appointment_closed', '该预约已结束');
      }
      throw err;
    }
  }

  return {
    async book(
      patientId: string,
      sessionId: string,
      slotIndex: number,
      payment: { prepaid: boolean; prepaymentRef?: string | null },
    ): Promise<BookingResult> {
      if (!UUID.test(patientId)) throw notFound('患者不存在');
      if (!UUID.test(sessionId)) throw notFound('门诊不存在');
      if (!Number.isInteger(slotIndex) || slotIndex < 0) throw new ValidationError([{ field: 'slotIndex', message: '请选择预约时段' }]);
      if (!payment.prepaid || !payment.prepaymentRef?.trim()) {
        throw new ServiceError(400, 'prepayment_required', '预约须先完成预缴费(缺少预缴费凭证)');
      }
      const [blocked] = await sql<{ blacklisted_until: Date }[]>`
        SELECT blacklisted_until FROM noshow_ledger WHERE patient_id = ${patientId} AND blacklisted_until > now()`;
      if (blocked) {
        throw new ServiceError(409, 'patient_blacklisted', `该患者因多次爽约已被暂停预约,${localTime(blocked.blacklisted_until)} 后方可再次预约`, {
          blacklistedUntil: blocked.blacklisted_until.toISOString(),
        });
      }
      const number = `AP${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
      const workflowId = appointmentWorkflowId(number);
      const appointmentId = await sql.begin(async (tx) => {
        const [session] = await tx<{ ends_at: Date; registration_opens_at: Date }[]>`
          SELECT ends_at, registration_opens_at FROM clinic_sessions WHERE id = ${sessionId}`;
        if (!session) throw notFound('门诊不存在');
        if (session.ends_at.getTime() <= Date.now()) throw new ServiceError(409, 'session_over', '该门诊已结束,不能预约');
        // From registration opening, unbooked appointment numbers belong to the walk-in pool.
        if (session.registration_opens_at.getTime() <= Date.now()) {
          throw new ServiceError(409, 'booking_closed', '现场挂号已开始,预约已截止(剩余号源转为现场号)');
        }
        const [patient] = await tx`SELECT 1 FROM patients WHERE id = ${patientId}`;
        if (!patient) throw notFound('患者不存在');
        // Atomic: two bookings of the last number cannot both succeed.
        const [slot] = await tx`
          UPDATE clinic_slots SET booked = booked + 1
          WHERE session_id = ${sessionId} AND slot_index = ${slotIndex} AND booked < appointment_quota
          RETURNING slot_index`;
        if (!slot) {
          const [exists] = await tx`SELECT 1 FROM clinic_slots WHERE session_id = ${sessionId} AND slot_index = ${slotIndex}`;
          if (!exists) throw notFound('预约时段不存在');
          throw new ServiceError(409, 'slot_full', '该时段预约号已满,请选择其他时段');
        }
        const [row] = await tx<{ id: string }[]>`
          INSERT INTO appointments (number, session_id, slot_index, patient_id, prepaid, prepayment_ref, workflow_id, workflow_pending)
          VALUES (${number}, ${sessionId}, ${slotIndex}, ${patientId}, true, ${payment.prepaymentRef!.trim()}, ${workflowId}, true)
          RETURNING id`;
        return row!.id;
      });
      // The booking is stored (the number is taken): when Temporal cannot be reached, the
      // reconciler starts its workflow later, so the caller must not book again.
      const workflowPending = await startAppointmentWorkflow({ sql, temporal, taskQueue }, { appointmentId, number }).then(
        () => false,
        () => true,
      );
      return { appointmentId, number, workflowId, workflowPending };
    },

    /** Cancels before registration opens (the workflow gives the number back to the slot). */
    cancel(appointmentId: string, input: { reason?: string; actorId?: string } = {}): Promise<AppointmentState> {
      return update(appointmentId, (id) => temporal.workflow.getHandle(id).executeUpdate(cancelAppointmentUpdate, { args: [input] }));
    },

    /** Check-in (签到) until the session ends; the arrival (on time, late, after the slot) is recorded. */
    checkIn(appointmentId: string, input: { actorId?: string } = {}): Promise<AppointmentState> {
      return update(appointmentId, (id) => temporal.workflow.getHandle(id).executeUpdate(checkInUpdate, { args: [input] }));
    },

    /** Admin only: ends a patient's no-show blacklist early, with a reason; audited. */
    /** Patients currently barred from booking (admins), with their masked phone, until when and how often (the listing is audited). */
    async blacklisted(user: Principal, meta: RequestMeta = {}): Promise<{ patientId: string; name: string; phoneMasked: string; until: string; count: number }[]> {
      if (!administers(user.role)) {
        await audit.listDenied(user, 'blacklist', meta);
        throw forbidden('只有系统管理员可以查看爽约黑名单');
      }
      const rows = await sql<{ patient_id: string; name: string; phone: string | null; blacklisted_until: Date; blacklist_count: number }[]>`
        SELECT l.patient_id, p.name, p.phone, l.blacklisted_until, l.blacklist_count
        FROM noshow_ledger l JOIN patients p ON p.id = l.patient_id
        WHERE l.blacklisted_until > now() ORDER BY l.blacklisted_until`;
      await audit.listed(user, 'blacklist', rows.map((r) => r.patient_id), meta);
      return rows.map((r) => ({
        patientId: r.patient_id,
        name: r.name,
        phoneMasked: maskPhone(r.phone),
        until: r.blacklisted_until.toISOString(),
        count: r.blacklist_count,
      }));
    },

    async liftBlacklist(user: Principal, patientId: string, reason: string, meta: RequestMeta): Promise<NoShowLedgerState> {
      if (!administers(user.role)) throw forbidden('只有系统管理员可以解除爽约黑名单');
      if (!UUID.test(patientId)) throw notFound('患者不存在');
      const why = typeof reason === 'string' ? reason.trim() : '';
      if (why.length < 2) throw new ValidationError([{ field: 'reason', message: '请填写解除原因' }]);
      let state: NoShowLedgerState;
      try {
        state = await temporal.workflow
          .getHandle(noShowLedgerWorkflowId(patientId))
          .executeUpdate(liftBlacklistUpdate, { args: [{ actorId: user.id, reason: why }] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw refusedUpdate('lift_refused', err);
        if (err instanceof WorkflowNotFoundError) throw new ServiceError(409, 'not_blacklisted', '该患者没有爽约记录');
        throw err;
      }
      await audit.record(
        { actor: user, action: 'noshow.blacklist_lifted', entityType: 'patient', entityId: patientId, patientId, details: { reason: why } },
        meta,
      );
      return state;
    },
  };
}

export type AppointmentService = ReturnType<typeof createAppointmentService>;
