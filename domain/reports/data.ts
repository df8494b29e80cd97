/**
 * The shape of a collected report: what the portal draws, the API returns and the .xlsx/PDF
 * renderers write. Built by services/reports.ts from the rollups; plain data (JSON-safe).
 */
import type { ReportKind } from '../../workflows/reports/contracts.js';
import type { AgentKpis, FollowUpKpis, RankedTag, ReportGoals, TicketKpis } from './kpi.js';
import type { Period } from './period.js';

export interface SatisfactionPoint {
  month: string;
  share: number | null;
  n: number;
}

export interface SatisfactionSeries {
  /** Department code, '' for 未分配科室, or null for the hospital (or the viewer's own figures). */
  departmentCode: string | null;
  name: string;
  points: SatisfactionPoint[];
  total: { share: number | null; n: number };
}

export interface DepartmentTags {
  departmentCode: string;
  name: string;
  tags: RankedTag[];
}

export type DepartmentTicketRow = { departmentCode: string; name: string } & TicketKpis;
/** 表扬与建议: information routed to a department (not tickets: no SLA), counted per department. */
export interface FeedbackCounts {
  praise: number;
  suggestions: number;
}
export type DepartmentFeedbackRow = { departmentCode: string; name: string } & FeedbackCounts;
export type DepartmentFollowUpRow = { departmentCode: string; name: string } & FollowUpKpis;
export type AgentRow = { agentId: string; name: string; departmentName: string } & AgentKpis;

export interface CoveragePoint {
  month: string;
  coverage: number | null;
  completeness: number | null;
}

export interface ReportData {
  hospitalName: string;
  report: ReportKind;
  period: Period;
  previousPeriod: Period;
  /** The department filter (null: everything the viewer may see). */
  departmentCode: string | null;
  departmentName: string | null;
  /** What the viewer's rights cover: 全院, one department, or their own figures. */
  scope: 'all' | 'department' | 'agent';
  goals: ReportGoals;
  /** When the rollups were last brought up to date (null: never yet). */
  refreshedAt: string | null;
  months: string[];
  /** 满意度趋势: one line per department, then the total. */
  satisfaction: SatisfactionSeries[];
  /** 高频问题 TOP5 per department (none for an agent's own view). */
  topProblems: DepartmentTags[];
  /** 考核报表: per responsible department, and the total. */
  tickets: { departments: DepartmentTicketRow[]; total: TicketKpis } | null;
  /** 表扬与建议 per responsible department and the total (none for an agent's own view). */
  feedback: { departments: DepartmentFeedbackRow[]; total: FeedbackCounts } | null;
  /** 回访覆盖率 and 记录完整率 per department, the total and its monthly trend. */
  followUps: { departments: DepartmentFollowUpRow[]; total: FollowUpKpis; trend: CoveragePoint[] };
  /** Per agent: completed per day, coverage, completeness, calls. */
  agents: AgentRow[];
}
