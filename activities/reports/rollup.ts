/**
 * Brings the report rollups (`report_department_month`, `report_agent_month`, `report_tag_month`)
 * up to date: every month touched by a task, ticket or praise/suggestion changed since the last run, plus the current
 * and previous month (whose "due so far" and "overdue" move with the clock), is recomputed from the
 * records the workflows write. Run by reportRollupWorkflow on the Schedule `report-rollup`;
 * recomputing is idempotent, so a retried or extra run changes nothing.
 */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../db/client.js';
import type { RefreshRollupsInput, RefreshRollupsResult } from '../../workflows/reports/contracts.js';

// Rows committed by a transaction that started before this run's snapshot can carry an
// updated_at a little before the run: they are taken again next time (recomputing is harmless).
const WATERMARK_MARGIN = '5 minutes';

/** The months (first days, Asia/Shanghai) of the period, with their bounds as instants. */
const monthsCte = (tx: TransactionSql, months: string[]) => tx`
  months AS (
    SELECT m, (m::timestamp AT TIME ZONE 'Asia/Shanghai') AS lo, ((m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai') AS hi
    FROM unnest(${months}::date[]) m)`;

async function recompute(tx: TransactionSql, months: string[]): Promise<void> {
  const cte = monthsCte(tx, months);
  await tx`DELETE FROM report_department_month WHERE month = ANY(${months}::date[])`;
  await tx`DELETE FROM report_agent_month WHERE month = ANY(${months}::date[])`;
  await tx`DELETE FROM report_tag_month WHERE month = ANY(${months}::date[])`;

  // Follow-ups due so far (cancelled ones excluded) and reached (completed, or refused: the patient was reached).
  await tx`
    WITH ${cte}
    INSERT INTO report_department_month (month, department_code, follow_ups_due, follow_ups_reached)
    SELECT mo.m, coalesce(t.department_code, ''), count(*), count(*) FILTER (WHERE t.status IN ('completed', 'refused'))
    FROM months mo JOIN follow_up_tasks t ON t.due_at >= mo.lo AND t.due_at < mo.hi
    WHERE t.status <> 'cancelled' AND t.due_at <= now()
    GROUP BY 1, 2`;
  await tx`
    WITH ${cte}
    INSERT INTO report_agent_month (month, agent_id, follow_ups_due, follow_ups_reached)
    SELECT mo.m, t.assigned_agent_id, count(*), count(*) FILTER (WHERE t.status IN ('completed', 'refused'))
    FROM months mo JOIN follow_up_tasks t ON t.due_at >= mo.lo AND t.due_at < mo.hi
    WHERE t.status <> 'cancelled' AND t.due_at <= now() AND t.assigned_agent_id IS NOT NULL
    GROUP BY 1, 2`;

  // Completed follow-ups, complete records and satisfaction answers, in the month of completion.
  // A core question is a required one: 'required' if the template says, else every type but text
  // (the rule of domain/questions.ts).
  const completed = tx`
    completed AS (
      SELECT mo.m, coalesce(t.department_code, '') AS department_code, t.completed_by,
             NOT EXISTS (
               SELECT 1 FROM jsonb_array_elements(qt.questions) q
               WHERE coalesce((q->>'required')::boolean, q->>'type' <> 'text')
                 AND NOT EXISTS (SELECT 1 FROM task_answers a WHERE a.task_id = t.id AND a.question_id = q->>'id')) AS complete,
             s.answers, s.positive
      FROM months mo
      JOIN follow_up_tasks t ON t.completed_at >= mo.lo AND t.completed_at < mo.hi AND t.status = 'completed'
      JOIN question_templates qt ON qt.id = t.template_id
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS answers, count(*) FILTER (WHERE a.value::numeric >= 4)::int AS positive
        FROM task_answers a
        WHERE a.task_id = t.id AND jsonb_typeof(a.value) = 'number'
          AND a.question_id IN (SELECT unnest(satisfaction_question_ids) FROM report_settings)) s)`;
  await tx`
    WITH ${cte}, ${completed}
    INSERT INTO report_department_month AS r (month, department_code, follow_ups_completed, records_complete, satisfaction_answers, satisfaction_positive)
    SELECT m, department_code, count(*), count(*) FILTER (WHERE complete), sum(answers), sum(positive) FROM completed GROUP BY 1, 2
    ON CONFLICT (month, department_code) DO UPDATE SET
      follow_ups_completed = EXCLUDED.follow_ups_completed, records_complete = EXCLUDED.records_complete,
      satisfaction_answers = EXCLUDED.satisfaction_answers, satisfaction_positive = EXCLUDED.satisfaction_positive`;
  await tx`
    WITH ${cte}, ${completed}
    INSERT INTO report_agent_month AS r (month, agent_id, follow_ups_completed, records_complete, satisfaction_answers, satisfaction_positive)
    SELECT m, completed_by, count(*), count(*) FILTER (WHERE complete), sum(answers), sum(positive)
    FROM completed WHERE completed_by IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (month, agent_id) DO UPDATE SET
      follow_ups_completed = EXCLUDED.follow_ups_completed, records_complete = EXCLUDED.records_complete,
      satisfaction_answers = EXCLUDED.satisfaction_answers, satisfaction_positive = EXCLUDED.satisfaction_positive`;

  // Calls an agent made (attempts recorded by staff, not survey replies) and the days they called.
  await tx`
    WITH ${cte}
    INSERT INTO report_agent_month AS r (month, agent_id, calls, active_days)
    SELECT mo.m, a.by_user, count(*), count(DISTINCT (a.at AT TIME ZONE 'Asia/Shanghai')::date)
    FROM months mo JOIN task_attempts a ON a.at >= mo.lo AND a.at < mo.hi AND a.by_user IS NOT NULL
    GROUP BY 1, 2
    ON CONFLICT (month, agent_id) DO UPDATE SET calls = EXCLUDED.calls, active_days = EXCLUDED.active_days`;

  // Tickets received in the month, in their responsible department. Resolved: resolved now (a
  // reopened ticket is not); overdue: the SLA was breached, or it is open past its deadline.
  await tx`
    WITH ${cte}
    INSERT INTO report_department_month AS r (month, department_code, tickets_received, tickets_resolved, tickets_resolved_in_sla, tickets_overdue, resolve_seconds)
    SELECT mo.m, coalesce(k.department_code, ''), count(*),
           count(*) FILTER (WHERE k.status IN ('resolved', 'closed') AND k.resolved_at IS NOT NULL),
           count(*) FILTER (WHERE k.status IN ('resolved', 'closed') AND k.resolved_at IS NOT NULL AND k.resolved_at <= k.sla_due_at),
           count(*) FILTER (WHERE k.sla_breached OR (k.status IN ('open', 'in_progress') AND k.sla_due_at < now())),
           coalesce(array_agg(greatest(0, extract(epoch FROM k.resolved_at - k.received_at))::int)
                      FILTER (WHERE k.status IN ('resolved', 'closed') AND k.resolved_at IS NOT NULL), '{}')
    FROM months mo JOIN tickets k ON k.received_at >= mo.lo AND k.received_at < mo.hi
    GROUP BY 1, 2
    ON CONFLICT (month, department_code) DO UPDATE SET
      tickets_received = EXCLUDED.tickets_received, tickets_resolved = EXCLUDED.tickets_resolved,
      tickets_resolved_in_sla = EXCLUDED.tickets_resolved_in_sla, tickets_overdue = EXCLUDED.tickets_overdue,
      resolve_seconds = EXCLUDED.resolve_seconds`;
  // Praise and suggestions (information, not tickets) in the department they were routed to.
  await tx`
    WITH ${cte}
    INSERT INTO report_department_month AS r (month, department_code, praise, suggestions)
    SELECT mo.m, coalesce(f.department_code, ''), count(*) FILTER (WHERE f.kind = 'praise'), count(*) FILTER (WHERE f.kind = 'suggestion')
    FROM months mo JOIN feedback_records f ON f.created_at >= mo.lo AND f.created_at < mo.hi
    WHERE f.kind <> 'complaint'
    GROUP BY 1, 2
    ON CONFLICT (month, department_code) DO UPDATE SET praise = EXCLUDED.praise, suggestions = EXCLUDED.suggestions`;
  await tx`
    WITH ${cte}
    INSERT INTO report_tag_month (month, department_code, tag, tickets)
    SELECT mo.m, coalesce(k.department_code, ''), coalesce(k.subtag, k.category), count(*)
    FROM months mo JOIN tickets k ON k.received_at >= mo.lo AND k.received_at < mo.hi
    GROUP BY 1, 2, 3`;
}

export function createReportRollupActivities({ sql }: { sql: Sql }) {
  return {
    /** Recomputes the months changed since the last run (all months on the first run, or with `full`). */
    async refreshReportRollups(input: RefreshRollupsInput = {}): Promise<RefreshRollupsResult> {
      return sql.begin(async (tx) => {
        // One run at a time: a second one waits here and then finds little to do.
        const [state] = await tx<{ watermark: Date | null; started: Date }[]>`
          SELECT watermark, now() AS started FROM report_rollup_state FOR UPDATE`;
        const since = input.full ? null : (state?.watermark ?? null);
        const rows = await tx<{ m: string }[]>`
          WITH changed AS (
            SELECT due_at AS at FROM follow_up_tasks WHERE ${since === null ? tx`true` : tx`updated_at > ${since}`}
            UNION ALL SELECT completed_at FROM follow_up_tasks WHERE completed_at IS NOT NULL AND ${since === null ? tx`true` : tx`updated_at > ${since}`}
            UNION ALL SELECT received_at FROM tickets WHERE ${since === null ? tx`true` : tx`updated_at > ${since}`}
            UNION ALL SELECT created_at FROM feedback_records WHERE kind <> 'complaint' AND ${since === null ? tx`true` : tx`created_at > ${since}`}
            UNION ALL SELECT now() UNION ALL SELECT now() - interval '1 month')
          SELECT DISTINCT to_char(date_trunc('month', at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS m FROM changed ORDER BY 1`;
        const months = rows.map((r) => r.m);
        await recompute(tx, months);
        await tx`
          UPDATE report_rollup_state SET refreshed_at = ${state!.started},
                 watermark = ${state!.started}::timestamptz - ${WATERMARK_MARGIN}::interval`;
        return { months: months.map((m) => m.slice(0, 7)), refreshedAt: state!.started.toISOString() };
      });
    },
  };
}
