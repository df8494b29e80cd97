/**
 * Database activities of the follow-up workflow: its plan, its tasks and their outcomes, alerts
 * and queued patient messages. Every write is keyed by workflow ID + step (or task + attempt),
 * so a retried activity never duplicates a row.
 */
import { ApplicationFailure } from '@temporalio/common';
import { leastLoadedAgent } from '../../db/assignment.js';
import { startOutboxDispatch } from '../channels/outbox.js';
import { startStaffDispatch } from '../channels/staff.js';
import type { Channels } from '../channels/settings.js';
import type { Sql } from '../../db/client.js';
import { selectRule, validateTouchpoints, type FollowUpRule } from '../../domain/follow-up-plan.js';
import { dischargeDateText, fillTemplate } from '../../domain/message-template.js';
import type { Question } from '../../domain/questions.js';
import { greetingAt, greetingTiming, touchpointDueAt } from '../../domain/schedule.js';
import { REAL_CONTACT_CLOCK, fromContactTime, toContactTime, type ContactClock } from '../../domain/contact-rules.js';
import type {
  AttemptRecord,
  FollowUpEvent,
  FollowUpPlan,
  OpenTaskInput,
  OpenedTask,
  PlannedTouchpoint,
  UnworkedTaskEscalation,
} from '../../workflows/follow-up/contracts.js';

export interface FollowUpSettings {
  /** A phone task still open this long is escalated to the department's head (FOLLOW_UP_ESCALATE_AFTER_SECONDS). */
  escalateAfterSeconds: number;
}

export const DEFAULT_FOLLOW_UP_SETTINGS: FollowUpSettings = { escalateAfterSeconds: 86_400 };

interface EncounterRow {
  id: string;
  patient_id: string;
  department_code: string | null;
  diagnosis_code: string | null;
  procedure_name: string | null;
  discharged_at: Date | null;
}

export function createFollowUpDbActivities(deps: { sql: Sql; followUp?: FollowUpSettings; channels?: Channels; contactClock?: ContactClock }) {
  const { sql, followUp = DEFAULT_FOLLOW_UP_SETTINGS, contactClock = REAL_CONTACT_CLOCK } = deps;
  async function encounter(encounterId: string): Promise<EncounterRow> {
    const [row] = await sql<EncounterRow[]>`
      SELECT id, patient_id, department_code, diagnosis_code, procedure_name, discharged_at
      FROM encounters WHERE his_encounter_id = ${encounterId}`;
    if (!row) throw ApplicationFailure.nonRetryable(`Encounter ${encounterId} is not stored`, 'UnknownEncounter');
    return row;
  }

  /** The plan of a stored encounter (see loadFollowUpPlan). */
  async function planFor(encounterId: string, enc: EncounterRow): Promise<FollowUpPlan> {
    if (!enc.discharged_at) throw ApplicationFailure.nonRetryable(`Encounter ${encounterId} has no discharge time`, 'NotDischarged');
    const rules = enc.department_code
      ? await sql<FollowUpRule[]>`
          SELECT id, department_code AS "departmentCode", name, scenario_kind AS "scenarioKind",
                 scenario_value AS "scenarioValue", greeting_text AS "greetingText", touchpoints
          FROM follow_up_rules WHERE department_code = ${enc.department_code} AND active ORDER BY updated_at`
      : [];
    const rule = selectRule(rules, {
      departmentCode: enc.department_code,
      diagnosisCode: enc.diagnosis_code,
      procedure: enc.procedure_name,
    });
    // Without a mapped department or a rule of its own, the patient still gets the hospital-wide plan.
    const fallback =
      rule ??
      (
        await sql<FollowUpRule[]>`
          SELECT id, '' AS "departmentCode", name, NULL AS "scenarioKind", NULL AS "scenarioValue",
                 greeting_text AS "greetingText", touchpoints
          FROM follow_up_rules WHERE department_code IS NULL AND active ORDER BY updated_at LIMIT 1`
      )[0];
    if (!fallback) return { departmentCode: enc.department_code, ruleName: null, greeting: null, touchpoints: [] };
    const problems = validateTouchpoints(fallback.touchpoints);
    if (problems.length) {
      // A broken rule is a configuration error for the admin, not something a retry fixes.
      throw ApplicationFailure.nonRetryable(
        `Rule "${fallback.name}" is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        'InvalidRule',
      );
    }

    const touchpoints: PlannedTouchpoint[] = [];
    for (const [index, tp] of fallback.touchpoints.entries()) {
      const [template] = await sql<{ id: string; questions: Question[] }[]>`
        SELECT id, questions FROM question_templates WHERE code = ${tp.templateCode} ORDER BY version DESC LIMIT 1`;
      if (!template) throw ApplicationFailure.nonRetryable(`Template ${tp.templateCode} does not exist`, 'UnknownTemplate');
      touchpoints.push({
        index,
        dueAt: touchpointDueAt(enc.discharged_at, tp).toISOString(),
        templateId: template.id,
        templateCode: tp.templateCode,
        questions: template.questions,
        channel: tp.channel,
        maxAttempts: tp.maxAttempts,
        retryAfterSeconds: tp.retryAfterSeconds,
      });
    }
    return {
      departmentCode: enc.department_code,
      ruleName: fallback.name,
      // The greeting's 08:00–20:00 window is read on the contact clock, as the quiet hours are.
      greeting: { at: fromContactTime(contactClock, greetingAt(toContactTime(contactClock, enc.discharged_at))).toISOString(), text: fallback.greetingText },
      touchpoints,
    };
  }

  return {
    /** Chooses the rule (department + scenario) and pins the current version of each template. */
    async loadFollowUpPlan(encounterId: string): Promise<FollowUpPlan> {
      return planFor(encounterId, await encounter(encounterId));
    },

    /**
     * The plan, its projection row ('planned') and, when it is due now, the greeting, in one
     * step: a new follow-up then costs one local activity before its timers are set.
     * `now` is the workflow's clock, so the greeting decision is the workflow's own.
     */
    async planFollowUp(input: { workflowId: string; encounterId: string; now: string }): Promise<FollowUpPlan> {
      const enc = await encounter(input.encounterId);
      const plan = await planFor(input.encounterId, enc);
      const greetNow = plan.greeting !== null && greetingTiming(new Date(plan.greeting.at), new Date(input.now)).action === 'send';
      const details = { rule: plan.ruleName, touchpoints: plan.touchpoints.length };
      await sql`
        WITH planned AS (
          INSERT INTO follow_up_events (workflow_id, step, kind, details)
          VALUES (${input.workflowId}, 'planned', 'planned', ${sql.json(details as never)})
          ON CONFLICT (workflow_id, step) DO NOTHING)
        INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body)
        SELECT ${input.workflowId}, 'greeting', ${enc.patient_id}, 'sms', ${plan.greeting?.text ?? ''}
        WHERE ${greetNow}
        ON CONFLICT (workflow_id, step) DO NOTHING`;
      if (greetNow) await startOutboxDispatch(deps, input.workflowId, ['greeting']);
      return plan.greeting ? { ...plan, greeting: { ...plan.greeting, queued: greetNow } } : plan;
    },

    /** Queues a message to the patient for the channel adapters. */
    async queuePatientMessage(input: { workflowId: string; step: string; encounterId: string; channel: string; body: string }) {
      const enc = await encounter(input.encounterId);
      // The rule's text with this patient's encounter filled in ({姓名} {科室} {手术} {医生} …).
      const [facts] = await sql<{ name: string; department: string | null; procedure: string | null; doctor: string | null; diagnosis: string | null }[]>`
        SELECT p.name, d.name AS department, e.procedure_name AS procedure, e.attending_doctor AS doctor, e.diagnosis_name AS diagnosis
        FROM encounters e JOIN patients p ON p.id = e.patient_id LEFT JOIN departments d ON d.code = e.department_code
        WHERE e.id = ${enc.id}`;
      const body = fillTemplate(input.body, {
        姓名: facts?.name,
        科室: facts?.department,
        手术: facts?.procedure,
        医生: facts?.doctor,
        诊断: facts?.diagnosis,
        出院日期: enc.discharged_at ? dischargeDateText(enc.discharged_at) : null,
      });
      await sql`
        INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body)
        VALUES (${input.workflowId}, ${input.step}, ${enc.patient_id}, ${input.channel}, ${body})
        ON CONFLICT (workflow_id, step) DO NOTHING`;
      await startOutboxDispatch(deps, input.workflowId, [input.step]);
    },

    /** Creates the touchpoint's task, assigned to the least-loaded agent of the department. */
    async openTask(input: OpenTaskInput): Promise<OpenedTask> {
      const enc = await encounter(input.encounterId);
      const tp = input.touchpoint;
      const [existing] = await sql<{ id: string; assigned_agent_id: string | null; department_code: string | null }[]>`
        SELECT id, assigned_agent_id, department_code FROM follow_up_tasks
        WHERE workflow_id = ${input.workflowId} AND touchpoint_index = ${tp.index}`;
      const { escalateAfterSeconds } = followUp;
      if (existing) return { taskId: existing.id, assignedAgentId: existing.assigned_agent_id, departmentCode: existing.department_code, escalateAfterSeconds };
      const agentId = enc.department_code ? await leastLoadedAgent(sql, enc.department_code) : null;
      const [task] = await sql<{ id: string; assigned_agent_id: string | null; department_code: string | null }[]>`
        INSERT INTO follow_up_tasks (workflow_id, touchpoint_index, encounter_id, patient_id, department_code,
                                     assigned_agent_id, template_id, channel, due_at, max_attempts)
        VALUES (${input.workflowId}, ${tp.index}, ${enc.id}, ${enc.patient_id}, ${enc.department_code},
                ${agentId}, ${tp.templateId}, ${tp.channel}, ${tp.dueAt}, ${tp.maxAttempts})
        ON CONFLICT (workflow_id, touchpoint_index) DO UPDATE SET updated_at = follow_up_tasks.updated_at
        RETURNING id, assigned_agent_id, department_code`;
      return { taskId: task!.id, assignedAgentId: task!.assigned_agent_id, departmentCode: task!.department_code, escalateAfterSeconds };
    },

    /**
     * A phone task still open past its limit: the department's head is told (a staff notification,
     * as for an overdue ticket; the supervisors when the task has no department yet), once per task.
     */
    async escalateUnworkedTask(input: UnworkedTaskEscalation): Promise<{ escalated: boolean }> {
      const result = await sql.begin(async (tx) => {
        const [task] = await tx<{ department_code: string | null; department_name: string | null }[]>`
          WITH t AS (
            UPDATE follow_up_tasks SET escalated_at = COALESCE(escalated_at, now())
            WHERE id = ${input.taskId} AND status = 'open' RETURNING department_code)
          SELECT t.department_code, d.name AS department_name FROM t LEFT JOIN departments d ON d.code = t.department_code`;
        if (!task) return { escalated: false }; // settled meanwhile: nobody needs telling
        await tx`
          INSERT INTO staff_notifications (dedupe_key, department_code, audience, task_id, body)
          VALUES (${`${input.workflowId}:unworked:${input.touchpointIndex}`}, ${task.department_code},
                  ${task.department_code ? 'dept_head' : 'supervisors'}, ${input.taskId},
                  ${`第 ${input.touchpointIndex + 1} 次电话随访任务超时未处理${task.department_name ? `(${task.department_name})` : '(未分配科室)'}`})
          ON CONFLICT (dedupe_key) DO NOTHING`;
        return { escalated: true };
      });
      if (result.escalated) await startStaffDispatch(deps, { notificationDedupeKey: `${input.workflowId}:unworked:${input.touchpointIndex}` });
      return result;
    },

    /** Stores one attempt (answers, feedback) and the task's new state in one transaction. */
    async recordAttempt(r: AttemptRecord): Promise<void> {
      await sql.begin(async (tx) => {
        const inserted = await tx`
          INSERT INTO task_attempts (task_id, attempt, outcome, by_user, by_patient, note)
          VALUES (${r.taskId}, ${r.attempt}, ${r.outcome}, ${r.actorId ?? null}, ${!r.actorId}, ${r.note ?? null})
          ON CONFLICT (task_id, attempt) DO NOTHING RETURNING attempt`;
        if (inserted.length === 0) return; // a retry of an attempt already stored
        for (const [questionId, value] of Object.entries(r.answers ?? {})) {
          await tx`
            INSERT INTO task_answers (task_id, question_id, value, red_flag)
            VALUES (${r.taskId}, ${questionId}, ${tx.json(value)}, ${r.redFlags.includes(questionId)})
            ON CONFLICT (task_id, question_id) DO UPDATE SET value = EXCLUDED.value, red_flag = EXCLUDED.red_flag`;
        }
        if (r.feedback) {
          await tx`
            INSERT INTO feedback_records (task_id, encounter_id, patient_id, kind, category, description, created_by, source_key,
                                          subtag, target_department_code, target_reason)
            SELECT t.id, t.encounter_id, t.patient_id, ${r.feedback.kind ?? 'complaint'}, ${r.feedback.category}, ${r.feedback.description},
                   ${r.actorId ?? null}, ${`${r.taskId}:${r.attempt}`}, ${r.feedback.subtag ?? null}, ${r.feedback.departmentCode ?? null},
                   ${r.feedback.reason ?? null}
            FROM follow_up_tasks t WHERE t.id = ${r.taskId}
            ON CONFLICT (source_key) DO NOTHING`;
        }
        const done = r.taskStatus !== 'open';
        await tx`
          UPDATE follow_up_tasks SET
            attempts = ${r.attempt},
            last_outcome = ${r.outcome},
            status = ${r.taskStatus},
            urgent = urgent OR ${r.redFlags.length > 0},
            due_at = COALESCE(${r.retryAt ?? null}::timestamptz, due_at),
            completed_at = CASE WHEN ${done} THEN now() ELSE NULL END,
            completed_by = CASE WHEN ${done} THEN ${r.actorId ?? null}::uuid ELSE NULL END,
            updated_at = now()
          WHERE id = ${r.taskId}`;
      });
    },

    /** Red flag: the department sees the alert at once, with the questions' wording. */
    async raiseRedFlagAlert(input: { workflowId: string; taskId: string; questionIds: string[] }): Promise<void> {
      await sql`
        INSERT INTO alerts (workflow_id, step, task_id, department_code, kind, details)
        SELECT ${input.workflowId}, ${`red-flag:${input.taskId}`}, t.id, t.department_code, 'red_flag',
               jsonb_build_object(
                 'questionIds', ${sql.json(input.questionIds)}::jsonb,
                 'questions', (SELECT coalesce(jsonb_agg(q.value->>'text'), '[]'::jsonb)
                               FROM jsonb_array_elements(qt.questions) q
                               WHERE q.value->>'id' = ANY(${input.questionIds})))
        FROM follow_up_tasks t JOIN question_templates qt ON qt.id = t.template_id
        WHERE t.id = ${input.taskId}
        ON CONFLICT (workflow_id, step) DO NOTHING`;
      // Urgent: also to the department head's phone at once, quiet hours or not.
      await startStaffDispatch(deps, { alertWorkflowId: input.workflowId, alertStep: `red-flag:${input.taskId}` });
    },

    async cancelOpenTasks(input: { workflowId: string }): Promise<number> {
      const rows = await sql`
        UPDATE follow_up_tasks SET status = 'cancelled', updated_at = now()
        WHERE workflow_id = ${input.workflowId} AND status = 'open' RETURNING id`;
      return rows.length;
    },

    async recordFollowUpEvent(event: FollowUpEvent): Promise<void> {
      await sql`
        INSERT INTO follow_up_events (workflow_id, step, kind, details)
        VALUES (${event.workflowId}, ${event.step}, ${event.kind}, ${sql.json((event.details ?? {}) as never)})
        ON CONFLICT (workflow_id, step) DO NOTHING`;
    },
  };
}
