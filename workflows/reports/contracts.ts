/**
 * The report processes' vocabulary:
 * - `reportRollupWorkflow`, run by the Schedule `report-rollup` every REPORT_ROLLUP_SECONDS, keeps
 *   the monthly rollups the reports read up to date;
 * - `reportExportWorkflow`, one per export asked for in the portal: collects the figures, renders
 *   the .xlsx or PDF and stores it; its progress is a query, so the page shows it and never blocks;
 * - `monthlyReportWorkflow`, run by the Schedule `report-monthly` on the 1st of each month: the
 *   previous month's report as a PDF in the archive, announced to management.
 * No side effects here: worker, services, activities and tests import it.
 */
import { defineQuery } from '@temporalio/workflow';
import type { StartRequest } from '../shared/start.js';
import type { Period } from '../../domain/reports/period.js';

export const REPORT_ROLLUP_WORKFLOW_TYPE = 'reportRollupWorkflow';
export const REPORT_EXPORT_WORKFLOW_TYPE = 'reportExportWorkflow';
export const MONTHLY_REPORT_WORKFLOW_TYPE = 'monthlyReportWorkflow';

export * from './labels.js';
import type { ExportFormat, ReportKind } from './labels.js';
import { REPORT_LABELS, type ExportProgress } from './labels.js';

// ── rollups ──────────────────────────────────────────────────────────────────────────────────

export interface RefreshRollupsInput {
  /** Recompute every month, not only the ones changed since the last run. */
  full?: boolean;
}
export interface RefreshRollupsResult {
  /** The months recomputed, `YYYY-MM`. */
  months: string[];
  refreshedAt: string;
}
export type ReportRollupWorkflow = (input: RefreshRollupsInput) => Promise<RefreshRollupsResult>;
export const REPORT_ROLLUP_WORKFLOW_ID = 'report-rollup';

/** A rollup run; recomputing is idempotent, so runs may repeat. */
export function reportRollupStart(input: RefreshRollupsInput = {}, workflowId = REPORT_ROLLUP_WORKFLOW_ID): StartRequest<ReportRollupWorkflow> {
  return {
    workflowType: REPORT_ROLLUP_WORKFLOW_TYPE,
    options: { workflowId, args: [input], workflowIdReusePolicy: 'ALLOW_DUPLICATE', staticSummary: '报表汇总更新 · 按月汇总随访与工单' },
  };
}

// ── exports ──────────────────────────────────────────────────────────────────────────────────

export interface ReportRequest {
  report: ReportKind;
  period: Period;
  /** One department, or the whole hospital (as far as the viewer may see). */
  departmentCode: string | null;
}

export interface ExportInput extends ReportRequest {
  format: ExportFormat;
  /** The user who asked: their rights decide what the file contains, and only they fetch it. */
  requestedBy: string;
}

export const exportProgressQuery = defineQuery<ExportProgress>('exportProgress');

export type ReportExportWorkflow = (input: ExportInput) => Promise<ExportProgress>;

export const EXPORT_WORKFLOW_PREFIX = 'report-export-';
/** The export's workflow ID: the portal polls it; `job` is a fresh random ID per request. */
export const reportExportWorkflowId = (job: string): string => `${EXPORT_WORKFLOW_PREFIX}${job}`;

export function reportExportStart(input: ExportInput, job: string): StartRequest<ReportExportWorkflow> {
  return {
    workflowType: REPORT_EXPORT_WORKFLOW_TYPE,
    options: {
      workflowId: reportExportWorkflowId(job),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `报表导出 · ${REPORT_LABELS[input.report]} · ${input.format.toUpperCase()} · ${input.period.from}–${input.period.to}`,
    },
  };
}

/** Activity I/O: the figures collected for a file are handed to the renderer as they are. */
export interface RenderInput extends ExportInput {
  /** The collected report (services/reports.ts `ReportData`), serialisable. */
  data: unknown;
  kind: 'export' | 'monthly';
  sourceKey: string;
}
export interface StoredFile {
  fileId: string;
  fileName: string;
}

// ── monthly report ───────────────────────────────────────────────────────────────────────────

export interface MonthlyReportInput {
  /** The month to report, `YYYY-MM`; default: the month before the run (Asia/Shanghai). */
  month?: string;
}
export interface MonthlyReportResult extends StoredFile {
  month: string;
}
export type MonthlyReportWorkflow = (input: MonthlyReportInput) => Promise<MonthlyReportResult>;
export const MONTHLY_REPORT_WORKFLOW_ID = 'report-monthly';

/** A monthly run; the archive keeps one file per month (stored once, found again on a rerun). */
export function monthlyReportStart(input: MonthlyReportInput = {}, workflowId = MONTHLY_REPORT_WORKFLOW_ID): StartRequest<MonthlyReportWorkflow> {
  return {
    workflowType: MONTHLY_REPORT_WORKFLOW_TYPE,
    options: { workflowId, args: [input], workflowIdReusePolicy: 'ALLOW_DUPLICATE', staticSummary: '月度报表 · 上月全院报表 PDF 存档并通知管理层' },
  };
}
