/**
 * Praise (表扬) and suggestions (建议) from a follow-up: routed to the responsible department as
 * information. The department is the agent's choice, else the routing table's for the topic, else
 * the follow-up's own; the department is told once. No ticket, so no SLA, escalation or rating.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../db/client.js';
import { FEEDBACK_KIND_LABELS, isFeedbackKind } from '../../workflows/feedback-ticket/labels.js';
import type { RoutedFeedback } from '../../workflows/follow-up/contracts.js';

export function createFeedbackDbActivities({ sql }: { sql: Sql }) {
  return {
    /** Routes the feedback record of task + attempt (idempotent: a retry finds it routed and notified). */
    async routeFeedbackInformation(input: { taskId: string; attempt: number }): Promise<RoutedFeedback> {
      return sql.begin(async (tx) => {
        const [f] = await tx<{ id: string; kind: string; category: string; description: string; department_code: string | null }[]>`
          UPDATE feedback_records f SET department_code = coalesce(
            f.department_code, f.target_department_code,
            (SELECT r.department_code FROM feedback_routes r WHERE r.category = f.category),
            (SELECT t.department_code FROM follow_up_tasks t WHERE t.id = f.task_id))
          WHERE f.source_key = ${`${input.taskId}:${input.attempt}`}
          RETURNING f.id, f.kind, f.category, f.description, f.department_code`;
        if (!f) throw ApplicationFailure.nonRetryable(`No feedback for task ${input.taskId} attempt ${input.attempt}`, 'UnknownFeedback');
        const [dept] = f.department_code ? await tx<{ name: string }[]>`SELECT name FROM departments WHERE code = ${f.department_code}` : [];
        const kind = isFeedbackKind(f.kind) ? FEEDBACK_KIND_LABELS[f.kind] : f.kind;
        const excerpt = f.description.length > 40 ? `${f.description.slice(0, 40)}…` : f.description;
        await tx`
          INSERT INTO staff_notifications (dedupe_key, department_code, audience, feedback_id, body)
          VALUES (${`feedback:${f.id}`}, ${f.department_code}, ${f.department_code ? 'department' : 'supervisors'}, ${f.id},
                  ${`患者${kind}(信息,无需办结):${excerpt}`})
          ON CONFLICT (dedupe_key) DO NOTHING`;
        return { feedbackId: f.id, departmentCode: f.department_code, departmentName: dept?.name ?? null };
      });
    },
  };
}
