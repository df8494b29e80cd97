/**
 * Management reports (满意度趋势, 高频问题 TOP5, 考核报表, 覆盖率/完整率, the dashboard): who may
 * see which figures, the figures themselves from the monthly rollups, the tickets or follow-ups
 * behind a number, and exports (.xlsx / PDF) through reportExportWorkflow. The portal and
 * `GET /api/reports/...` both call this; the formulas are domain/reports/kpi.ts.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { reportScope, type Principal, type ReportScope } from '../domain/access.js';
import type { AgentRow, ReportData, SatisfactionSeries } from '../domain/reports/data.js';
import {
  agentKpis,
  followUpKpis,
  ratio,
  satisfaction,
  sumCounts,
  ticketKpis,
  topTags,
  type ReportGoals,
  type ResolveTimes,
  type TicketKpis,
} from '../domain/reports/kpi.js';
import { lastMonths, monthsOf, periodProblem, previousPeriod, type Period } from '../domain/reports/period.js';
import { TICKET_CATEGORIES, TICKET_STATUS_LABELS, ticketCategoryLabel, type TicketStatus } from '../workflows/feedback-ticket/labels.js';
import { TOUCHPOINT_STATUS_LABELS, type TouchpointStatus } from '../workflows/follow-up/labels.js';
import {
  exportProgressQuery,
  isExportFormat,
  isReportKind,
  reportExportStart,
  reportExportWorkflowId,
  type ExportFormat,
  type ExportProgress,
  type ReportRequest,
} from '../workflows/reports/contracts.js';
import { startWorkflow } from '../workflows/shared/start.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ValidationError } from './errors.js';

export const UNASSIGNED_LABEL = '未分配科室';

export interface ReportSettings {
  hospitalName: string;
  goals: ReportGoals;
}

/** What a drill-down asks for: the records behind one number of a report. */
export const DRILL_METRICS = [
  'follow-ups-due',
  'follow-ups-unreached',
  'follow-ups-completed',
  'records-incomplete',
  'satisfaction-answers',
  'tickets-received',
  'tickets-resolved',
  'tickets-overdue',
  'tickets-tag',
] as const;
export type DrillMetric = (typeof DRILL_METRICS)[number];
export const DRILL_LABELS: Record<DrillMetric, string> = {
  'follow-ups-due': '应随访',
  'follow-ups-unreached': '未联系上的应随访',
  'follow-ups-completed': '已完成随访',
  'records-incomplete': '核心问题未答全的随访',
  'satisfaction-answers': '满意度回答',
  'tickets-received': '受理工单',
  'tickets-resolved': '已解决工单',
  'tickets-overdue': '超时工单',
  'tickets-tag': '该问题的工单',
};

export interface DrillQuery {
  metric: DrillMetric;
  period: Period;
  /** '' = 未分配科室; absent = everything the viewer sees. */
  departmentCode?: string | null;
  agentId?: string | null;
  tag?: string | null;
}

export interface DrillRow {
  id: string;
  /** Ticket number, or the follow-up's due day. */
  label: string;
  patientName: string;
  departmentName: string;
  at: string;
  status: string;
  detail: string;
  /** Portal page of the record. */
  href: string;
}

export interface DrillResult {
  kind: 'tasks' | 'tickets';
  title: string;
  total: number;
  rows: DrillRow[];
}

const DRILL_LIMIT = 200;

/** Parses a report request from query parameters (portal and API alike); problems name the field. */
export function parseReportRequest(params: Record<string, string | undefined>, report: string, defaultPeriod: Period): ReportRequest {
  if (!isReportKind(report)) throw new ValidationError([{ field: 'report', message: '未知的报表' }]);
  const period = { from: params.from?.trim() || defaultPeriod.from, to: params.to?.trim() || defaultPeriod.to };
  const problem = periodProblem(period);
  if (problem) throw new ValidationError([problem]);
  const department = params.department?.trim();
  return { report, period, departmentCode: department ? department : null };
}

export function parseExportFormat(value: string | undefined): ExportFormat {
  if (!isExportFormat(value)) throw new ValidationError([{ field: 'format', message: '导出格式须为 xlsx 或 pdf' }]);
  return value;
}

/** The current month in Asia/Shanghai, `YYYY-MM`. */
export function currentMonth(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
}

/** The period a report shows unless asked otherwise: the last 6 months up to this one. */
export const defaultReportPeriod = (): Period => lastMonths(currentMonth(), 6);

interface DeptMonthRow {
  month: string;
  department_code: string;
  satisfaction_answers: number;
  satisfaction_positive: number;
  follow_ups_due: number;
  follow_ups_reached: number;
  follow_ups_completed: number;
  records_complete: number;
  tickets_received: number;
  tickets_resolved: number;
  tickets_resolved_in_sla: number;
  tickets_overdue: number;
  praise: number;
  suggestions: number;
}

/** The department filter allowed for this scope ('' = 未分配科室), or a 403. */
function departmentFilter(scope: NonNullable<ReportScope>, requested: string | null | undefined): string | null {
  if (scope.kind === 'department') {
    if (requested != null && requested !== scope.departmentCode) throw forbidden('只能查看本科室的报表');
    return scope.departmentCode;
  }
  if (scope.kind === 'agent') {
    // An agent's figures are their own whatever the filter; another department's is refused outright.
    if (requested != null && requested !== scope.departmentCode) throw forbidden('只能查看本人的报表');
    return null;
  }
  return requested ?? null;
}

function requireScope(user: Principal): NonNullable<ReportScope> {
  const scope = reportScope(user);
  if (!scope) throw forbidden('无权查看报表');
  return scope;
}

const firstDay = (month: string) => `${month}-01`;

/** Chinese names in pinyin order; one collator, since localeCompare with a locale builds one per call. */
const byPinyin = new Intl.Collator('zh-CN').compare;

export function createReportService({ sql, temporal, taskQueue, audit }: { sql: Sql; temporal?: Client; taskQueue?: string; audit?: AuditService }) {
  async function settings(): Promise<ReportSettings> {
    const [row] = await sql<{ hospital_name: string; coverage_goal: string; completeness_goal: string }[]>`
      SELECT hospital_name, coverage_goal, completeness_goal FROM report_settings`;
    return {
      hospitalName: row?.hospital_name ?? '',
      goals: { coverage: Number(row?.coverage_goal ?? 0.95), completeness: Number(row?.completeness_goal ?? 0.98) },
    };
  }

  async function departmentNames(): Promise<Map<string, string>> {
    const rows = await sql<{ code: string; name: string }[]>`SELECT code, name FROM departments`;
    const names = new Map(rows.map((r) => [r.code, r.name]));
    names.set('', UNASSIGNED_LABEL);
    return names;
  }

  async function collect(user: Principal, request: ReportRequest): Promise<ReportData> {
    const scope = requireScope(user);
    const department = departmentFilter(scope, request.departmentCode);
    const { period } = request;
    const previous = previousPeriod(period);
    const months = monthsOf(period);
    const inPeriod = sql`month BETWEEN ${firstDay(period.from)}::date AND ${firstDay(period.to)}::date`;

    // Each report reads only the rollups it shows (the dashboard all of them), all at once.
    const report = request.report;
    const needsAgents = scope.kind === 'agent' || report === 'dashboard' || report === 'assessment' || report === 'coverage';
    const needsTickets = scope.kind !== 'agent' && (report === 'dashboard' || report === 'assessment');
    const needsTags = scope.kind !== 'agent' && (report === 'dashboard' || report === 'top-problems');
    const deptFilter = department !== null ? sql`AND department_code = ${department}` : sql``;
    const deptQuery =
      scope.kind === 'agent' || report === 'top-problems'
        ? Promise.resolve([] as DeptMonthRow[])
        : sql<DeptMonthRow[]>`
            SELECT to_char(month, 'YYYY-MM') AS month, department_code, satisfaction_answers, satisfaction_positive,
                   follow_ups_due, follow_ups_reached, follow_ups_completed, records_complete,
                   tickets_received, tickets_resolved, tickets_resolved_in_sla, tickets_overdue, praise, suggestions
            FROM report_department_month WHERE ${inPeriod} ${deptFilter}`.then((rows) => [...rows]);
    // Resolution times per department and for all of them ('total'), summarised in Postgres:
    // shipping 100,000 times to sort them here cost more than the rest of the dashboard.
    const resolveQuery = needsTickets
      ? sql<{ department_code: string | null; total: boolean; count: number; total_seconds: number; p90: number | null }[]>`
          SELECT department_code, GROUPING(department_code) = 1 AS total, count(s)::int AS count,
                 coalesce(sum(s), 0)::float8 AS total_seconds, percentile_disc(0.9) WITHIN GROUP (ORDER BY s) AS p90
          FROM report_department_month, unnest(resolve_seconds) s
          WHERE ${inPeriod} ${deptFilter}
          GROUP BY GROUPING SETS ((department_code), ())`.then((rows) => [...rows])
      : Promise.resolve([]);
    const tagQuery = needsTags
      ? sql<{ department_code: string; tag: string; current: number; previous: number }[]>`
          SELECT department_code, tag,
                 coalesce(sum(tickets) FILTER (WHERE month >= ${firstDay(period.from)}::date), 0)::int AS current,
                 coalesce(sum(tickets) FILTER (WHERE month < ${firstDay(period.from)}::date), 0)::int AS previous
          FROM report_tag_month
          WHERE month BETWEEN ${firstDay(previous.from)}::date AND ${firstDay(period.to)}::date ${deptFilter}
          GROUP BY 1, 2`.then((rows) => [...rows])
      : Promise.resolve([]);

    // Agents: the viewer alone, the department's agents, or everyone who followed up.
    const agentQuery = !needsAgents ? Promise.resolve([]) : sql<
      {
        agent_id: string;
        name: string;
        department_code: string | null;
        month: string;
        satisfaction_answers: number;
        satisfaction_positive: number;
        follow_ups_due: number;
        follow_ups_reached: number;
        follow_ups_completed: number;
        records_complete: number;
        calls: number;
        active_days: number;
      }[]
    >`
      SELECT r.agent_id, u.display_name AS name, u.department_code, to_char(r.month, 'YYYY-MM') AS month,
             r.satisfaction_answers, r.satisfaction_positive, r.follow_ups_due, r.follow_ups_reached,
             r.follow_ups_completed, r.records_complete, r.calls, r.active_days
      FROM report_agent_month r JOIN users u ON u.id = r.agent_id
      WHERE ${inPeriod}
        ${scope.kind === 'agent' ? sql`AND r.agent_id = ${scope.userId}` : sql``}
        ${department !== null ? sql`AND coalesce(u.department_code, '') = ${department}` : sql``}`.then((rows) => [...rows]);
    const [conf, names, [state], agentRows, deptRows, tagRows, resolveRows] = await Promise.all([
      settings(),
      departmentNames(),
      sql<{ refreshed_at: Date | null }[]>`SELECT refreshed_at FROM report_rollup_state`,
      agentQuery,
      deptQuery,
      tagQuery,
      resolveQuery,
    ]);
    const nameOf = (code: string) => names.get(code) ?? code;
    type AgentMonth = (typeof agentRows)[number];
    const byAgent = new Map<string, AgentMonth[]>();
    for (const r of agentRows) byAgent.set(r.agent_id, [...(byAgent.get(r.agent_id) ?? []), r]);
    const agentCountKeys = ['follow_ups_due', 'follow_ups_reached', 'follow_ups_completed', 'records_complete', 'calls', 'active_days'] as const;
    const agents: AgentRow[] = [...byAgent.values()]
      .map((rows) => {
        const s = sumCounts(rows, agentCountKeys);
        return {
          agentId: rows[0]!.agent_id,
          name: rows[0]!.name,
          departmentName: nameOf(rows[0]!.department_code ?? ''),
          ...agentKpis(
            { due: s.follow_ups_due, reached: s.follow_ups_reached, completed: s.follow_ups_completed, complete: s.records_complete, calls: s.calls, activeDays: s.active_days },
            conf.goals,
          ),
        };
      })
      .sort((a, b) => byPinyin(a.departmentName, b.departmentName) || byPinyin(a.name, b.name));

    const base = {
      hospitalName: conf.hospitalName,
      report: request.report,
      period,
      previousPeriod: previous,
      departmentCode: department,
      departmentName: department === null ? null : nameOf(department),
      goals: conf.goals,
      refreshedAt: state?.refreshed_at ? state.refreshed_at.toISOString() : null,
      months,
      agents,
    };

    if (scope.kind === 'agent') {
      // An agent's own figures: their follow-ups' satisfaction and coverage, month by month.
      const keys = ['satisfaction_answers', 'satisfaction_positive', 'follow_ups_due', 'follow_ups_reached', 'follow_ups_completed', 'records_complete'] as const;
      const monthly = months.map((m) => ({ month: m, ...sumCounts(agentRows.filter((r) => r.month === m), keys) }));
      const total = sumCounts(monthly, keys);
      return {
        ...base,
        scope: 'agent',
        satisfaction: [
          {
            departmentCode: null,
            name: user.displayName,
            points: monthly.map((m) => ({ month: m.month, ...satisfaction({ answers: m.satisfaction_answers, positive: m.satisfaction_positive }) })),
            total: satisfaction({ answers: total.satisfaction_answers, positive: total.satisfaction_positive }),
          },
        ],
        topProblems: [],
        tickets: null,
        feedback: null,
        followUps: {
          departments: [],
          total: followUpKpis({ due: total.follow_ups_due, reached: total.follow_ups_reached, completed: total.follow_ups_completed, complete: total.records_complete }, conf.goals),
          trend: monthly.map((m) => ({ month: m.month, coverage: ratio(m.follow_ups_reached, m.follow_ups_due), completeness: ratio(m.records_complete, m.follow_ups_completed) })),
        },
      };
    }


    const departmentsSeen = [...new Set(deptRows.map((r) => r.department_code))];
    if (department !== null && !departmentsSeen.includes(department)) departmentsSeen.push(department);
    const order = (codes: string[]) => codes.sort((a, b) => (a === '') !== (b === '') ? (a === '' ? 1 : -1) : a.localeCompare(b));
    order(departmentsSeen);

    const satKeys = ['satisfaction_answers', 'satisfaction_positive'] as const;
    const seriesOf = (rows: DeptMonthRow[], code: string | null, name: string): SatisfactionSeries => {
      const total = sumCounts(rows, satKeys);
      return {
        departmentCode: code,
        name,
        points: months.map((m) => {
          const s = sumCounts(
            rows.filter((r) => r.month === m),
            satKeys,
          );
          return { month: m, ...satisfaction({ answers: s.satisfaction_answers, positive: s.satisfaction_positive }) };
        }),
        total: satisfaction({ answers: total.satisfaction_answers, positive: total.satisfaction_positive }),
      };
    };
    const rowsOf = (code: string) => deptRows.filter((r) => r.department_code === code);
    const satisfactionSeries = departmentsSeen.map((code) => seriesOf(rowsOf(code), code, nameOf(code)));
    if (department === null && scope.kind === 'all') satisfactionSeries.push(seriesOf(deptRows, null, '全院'));

    const resolveTimesOf = (code: string | null): ResolveTimes => {
      const r = resolveRows.find((x) => (code === null ? x.total : !x.total && x.department_code === code));
      return r ? { count: r.count, totalSeconds: r.total_seconds, p90Seconds: r.p90 } : { count: 0, totalSeconds: 0, p90Seconds: null };
    };
    const ticketOf = (rows: DeptMonthRow[], code: string | null): TicketKpis => {
      const s = sumCounts(rows, ['tickets_received', 'tickets_resolved', 'tickets_resolved_in_sla', 'tickets_overdue']);
      return ticketKpis({
        received: s.tickets_received,
        resolved: s.tickets_resolved,
        resolvedInSla: s.tickets_resolved_in_sla,
        overdue: s.tickets_overdue,
        resolveTimes: resolveTimesOf(code),
      });
    };
    const followOf = (rows: DeptMonthRow[]) => {
      const s = sumCounts(rows, ['follow_ups_due', 'follow_ups_reached', 'follow_ups_completed', 'records_complete']);
      return followUpKpis({ due: s.follow_ups_due, reached: s.follow_ups_reached, completed: s.follow_ups_completed, complete: s.records_complete }, conf.goals);
    };

    const tagDepartments = order([...new Set(tagRows.filter((t) => t.current > 0).map((t) => t.department_code))]);
    return {
      ...base,
      scope: scope.kind,
      satisfaction: satisfactionSeries,
      topProblems: tagDepartments.map((code) => {
        const rows = tagRows.filter((t) => t.department_code === code);
        const label = (tag: string) => ticketCategoryLabel(tag);
        return {
          departmentCode: code,
          name: nameOf(code),
          tags: topTags(
            rows.map((t) => ({ tag: label(t.tag), count: t.current })),
            rows.map((t) => ({ tag: label(t.tag), count: t.previous })),
          ),
        };
      }),
      tickets: !needsTickets
        ? null
        : {
        departments: departmentsSeen
          .filter((code) => rowsOf(code).some((r) => r.tickets_received > 0) || code === department)
          .map((code) => ({ departmentCode: code, name: nameOf(code), ...ticketOf(rowsOf(code), code) })),
        total: ticketOf(deptRows, null),
      },
      feedback: !needsTickets
        ? null
        : {
            departments: departmentsSeen
              .filter((code) => rowsOf(code).some((r) => r.praise > 0 || r.suggestions > 0) || code === department)
              .map((code) => ({ departmentCode: code, name: nameOf(code), ...sumCounts(rowsOf(code), ['praise', 'suggestions']) })),
            total: sumCounts(deptRows, ['praise', 'suggestions']),
          },
      followUps: {
        departments: departmentsSeen
          .filter((code) => rowsOf(code).some((r) => r.follow_ups_due > 0 || r.follow_ups_completed > 0) || code === department)
          .map((code) => ({ departmentCode: code, name: nameOf(code), ...followOf(rowsOf(code)) })),
        total: followOf(deptRows),
        trend: months.map((m) => {
          const k = followOf(deptRows.filter((r) => r.month === m));
          return { month: m, coverage: k.coverage, completeness: k.completeness };
        }),
      },
    };
  }

  /** The tickets or follow-ups behind one number, as far as the viewer may see them (also row-level security). */
  async function drill(user: Principal, query: DrillQuery): Promise<DrillResult> {
    const scope = requireScope(user);
    const problem = periodProblem(query.period);
    if (problem) throw new ValidationError([problem]);
    if (!(DRILL_METRICS as readonly string[]).includes(query.metric)) throw new ValidationError([{ field: 'metric', message: '未知的指标' }]);
    const department = departmentFilter(scope, query.departmentCode);
    const agentId = scope.kind === 'agent' ? scope.userId : (query.agentId ?? null);
    const lo = `${query.period.from}-01T00:00:00+08:00`;
    const hiMonth = monthsOf({ from: query.period.to, to: query.period.to })[0]!;
    const [y, m] = hiMonth.split('-').map(Number) as [number, number];
    const hi = `${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, '0')}-01T00:00:00+08:00`;
    const title = DRILL_LABELS[query.metric];

    return asUser(sql, user, async (tx) => {
      const deptCond = department === null ? tx`` : tx`AND coalesce(x.department_code, '') = ${department}`;
      if (query.metric.startsWith('tickets-')) {
        const extra =
          query.metric === 'tickets-resolved'
            ? tx`AND x.status IN ('resolved', 'closed') AND x.resolved_at IS NOT NULL`
            : query.metric === 'tickets-overdue'
              ? tx`AND (x.sla_breached OR (x.status IN ('open', 'in_progress') AND x.sla_due_at < now()))`
              : query.metric === 'tickets-tag'
                ? tx`AND coalesce(x.subtag, x.category) = ANY(${tagCodes(query.tag ?? '')})`
                : tx``;
        const rows = await tx<
          { id: string; number: string; patient_name: string; department_code: string | null; department_name: string | null; received_at: Date; status: TicketStatus; category: string; subtag: string | null; sla_breached: boolean; total: number }[]
        >`
          SELECT x.id, x.number, p.name AS patient_name, x.department_code, d.name AS department_name, x.received_at, x.status,
                 x.category, x.subtag, x.sla_breached, count(*) OVER ()::int AS total
          FROM tickets x JOIN patients p ON p.id = x.patient_id LEFT JOIN departments d ON d.code = x.department_code
          WHERE x.received_at >= ${lo}::timestamptz AND x.received_at < ${hi}::timestamptz ${deptCond} ${extra}
            ${agentId ? tx`AND x.created_by = ${agentId}` : tx``}
          ORDER BY x.received_at DESC LIMIT ${DRILL_LIMIT}`;
        return {
          kind: 'tickets',
          title,
          total: rows[0]?.total ?? 0,
          rows: rows.map((r) => ({
            id: r.id,
            label: r.number,
            patientName: r.patient_name,
            departmentName: r.department_name ?? UNASSIGNED_LABEL,
            at: r.received_at.toISOString(),
            status: TICKET_STATUS_LABELS[r.status] + (r.sla_breached ? ' · 超时' : ''),
            detail: r.subtag ?? ticketCategoryLabel(r.category),
            href: `/tickets/${r.id}`,
          })),
        };
      }
      const byCompletion = query.metric === 'follow-ups-completed' || query.metric === 'records-incomplete' || query.metric === 'satisfaction-answers';
      const when = byCompletion ? tx`x.completed_at` : tx`x.due_at`;
      const extra =
        query.metric === 'follow-ups-due'
          ? tx`AND x.status <> 'cancelled' AND x.due_at <= now()`
          : query.metric === 'follow-ups-unreached'
            ? tx`AND x.status NOT IN ('cancelled', 'completed', 'refused') AND x.due_at <= now()`
            : query.metric === 'follow-ups-completed'
              ? tx`AND x.status = 'completed'`
              : query.metric === 'records-incomplete'
                ? tx`AND x.status = 'completed' AND EXISTS (
                       SELECT 1 FROM jsonb_array_elements(qt.questions) q
                       WHERE coalesce((q->>'required')::boolean, q->>'type' <> 'text')
                         AND NOT EXISTS (SELECT 1 FROM task_answers a WHERE a.task_id = x.id AND a.question_id = q->>'id'))`
                : tx`AND x.status = 'completed' AND EXISTS (
                       SELECT 1 FROM task_answers a WHERE a.task_id = x.id AND jsonb_typeof(a.value) = 'number'
                         AND a.question_id IN (SELECT unnest(satisfaction_question_ids) FROM report_settings))`;
      const agentCond = agentId ? (byCompletion ? tx`AND x.completed_by = ${agentId}` : tx`AND x.assigned_agent_id = ${agentId}`) : tx``;
      const rows = await tx<
        { id: string; patient_name: string; department_name: string | null; at: Date; status: TouchpointStatus; agent_name: string | null; template_name: string; total: number }[]
      >`
        SELECT x.id, p.name AS patient_name, d.name AS department_name, ${when} AS at, x.status,
               u.display_name AS agent_name, qt.name AS template_name, count(*) OVER ()::int AS total
        FROM follow_up_tasks x
        JOIN patients p ON p.id = x.patient_id
        JOIN question_templates qt ON qt.id = x.template_id
        LEFT JOIN departments d ON d.code = x.department_code
        LEFT JOIN users u ON u.id = ${byCompletion ? tx`x.completed_by` : tx`x.assigned_agent_id`}
        WHERE ${when} >= ${lo}::timestamptz AND ${when} < ${hi}::timestamptz ${deptCond} ${extra} ${agentCond}
        ORDER BY ${when} DESC LIMIT ${DRILL_LIMIT}`;
      return {
        kind: 'tasks',
        title,
        total: rows[0]?.total ?? 0,
        rows: rows.map((r) => ({
          id: r.id,
          label: r.template_name,
          patientName: r.patient_name,
          departmentName: r.department_name ?? UNASSIGNED_LABEL,
          at: r.at.toISOString(),
          status: TOUCHPOINT_STATUS_LABELS[r.status],
          detail: r.agent_name ?? '未分配',
          href: `/tasks/${r.id}`,
        })),
      };
    });
  }

  function requireTemporal() {
    if (!temporal || !taskQueue) throw new Error('report exports need a Temporal client');
    return { temporal, taskQueue };
  }

  return {
    settings,
    collect,
    drill,

    /** Starts an export as a workflow; the caller polls `exportProgress` with the returned job. */
    async startExport(user: Principal, request: ReportRequest, format: ExportFormat, meta: RequestMeta): Promise<{ job: string }> {
      const scope = requireScope(user);
      departmentFilter(scope, request.departmentCode);
      const { temporal: client, taskQueue: queue } = requireTemporal();
      const job = randomUUID();
      await startWorkflow(client, queue, reportExportStart({ ...request, format, requestedBy: user.id }, job));
      await audit?.record({ actor: user, action: 'report.export', entityType: 'report', entityId: job, details: { ...request, format } }, meta);
      return { job };
    },

    async exportProgress(user: Principal, job: string): Promise<ExportProgress> {
      requireScope(user);
      const { temporal: client } = requireTemporal();
      const handle = client.workflow.getHandle(reportExportWorkflowId(job));
      try {
        const description = await handle.describe();
        const progress = description.status.name === 'RUNNING' || description.status.name === 'COMPLETED' ? await handle.query(exportProgressQuery) : null;
        // Only the user who asked may follow (and then fetch) their export.
        if (progress && progress.requestedBy !== user.id) throw notFound('导出任务不存在');
        return progress ?? { stage: 'failed', percent: 100, fileId: null, fileName: null, error: '生成失败,请重试', requestedBy: user.id };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('导出任务不存在');
        throw err;
      }
    },

    /** A stored file: an export for the user who asked, a monthly report for management. */
    async file(user: Principal, fileId: string): Promise<{ fileName: string; format: 'xlsx' | 'pdf'; content: Buffer }> {
      const scope = requireScope(user);
      if (!/^[0-9a-f-]{36}$/i.test(fileId)) throw notFound('文件不存在');
      const [row] = await sql<{ kind: string; created_by: string | null; file_name: string; format: 'xlsx' | 'pdf'; content: Buffer }[]>`
        SELECT kind, created_by, file_name, format, content FROM report_files WHERE id = ${fileId}`;
      if (!row) throw notFound('文件不存在');
      const allowed = row.kind === 'monthly' ? scope.kind === 'all' : row.created_by === user.id;
      if (!allowed) throw forbidden('无权下载该文件');
      return { fileName: row.file_name, format: row.format, content: row.content };
    },

    /** The monthly reports of the archive (management and admins). */
    async archive(user: Principal): Promise<{ id: string; fileName: string; periodFrom: string; createdAt: string; bytes: number }[]> {
      const scope = requireScope(user);
      if (scope.kind !== 'all') return [];
      const rows = await sql<{ id: string; file_name: string; period_from: string; created_at: Date; bytes: number }[]>`
        SELECT id, file_name, period_from, created_at, octet_length(content) AS bytes
        FROM report_files WHERE kind = 'monthly' ORDER BY period_from DESC LIMIT 36`;
      return rows.map((r) => ({ id: r.id, fileName: r.file_name, periodFrom: r.period_from, createdAt: r.created_at.toISOString(), bytes: r.bytes }));
    },
  };
}

/** A tag as shown (a subtag, or a category's label) → the stored values it stands for. */
function tagCodes(tag: string): string[] {
  const codes = [tag];
  for (const code of TICKET_CATEGORIES) if (ticketCategoryLabel(code) === tag) codes.push(code);
  return codes;
}

export type ReportService = ReturnType<typeof createReportService>;
