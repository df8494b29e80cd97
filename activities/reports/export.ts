/**
 * Report files: the export activities (collect the figures with the asking user's rights, render
 * and store the file) and the monthly report of the archive. Renderers: xlsx.ts, pdf.ts.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from '../../db/client.js';
import type { Principal } from '../../domain/access.js';
import type { ReportData } from '../../domain/reports/data.js';
import { reportFileName } from '../../domain/reports/format.js';
import { periodLabel } from '../../domain/reports/period.js';
import { isServiceError } from '../../services/errors.js';
import { createReportService } from '../../services/reports.js';
import { REPORT_LABELS, type ExportFormat, type ExportInput, type RenderInput, type StoredFile } from '../../workflows/reports/contracts.js';
import { renderPdf } from './pdf.js';
import { renderXlsx } from './xlsx.js';

/** Renders a collected report in the format asked for, with its file name. */
export async function renderReportFile(data: ReportData, format: ExportFormat): Promise<{ fileName: string; content: Buffer }> {
  const fileName = reportFileName({
    hospitalName: data.hospitalName,
    reportLabel: REPORT_LABELS[data.report],
    periodLabel: periodLabel(data.period),
    departmentName: data.scope === 'agent' ? (data.agents[0]?.name ?? null) : data.departmentName,
    format,
  });
  return { fileName, content: format === 'xlsx' ? await renderXlsx(data) : await renderPdf(data) };
}

/** The monthly report is the whole hospital's, made by the platform itself. */
const PLATFORM: Principal = { id: '00000000-0000-0000-0000-000000000000', username: 'system', displayName: '系统', role: 'manager', departmentCode: null };

export function createReportExportActivities({ sql }: { sql: Sql }) {
  const reports = createReportService({ sql });

  async function store(input: { kind: 'export' | 'monthly'; report: string; format: ExportFormat; from: string; to: string; departmentCode: string | null; createdBy: string | null; sourceKey: string }, file: { fileName: string; content: Buffer }): Promise<StoredFile> {
    await sql`
      INSERT INTO report_files (kind, report, format, period_from, period_to, department_code, file_name, content, created_by, source_key)
      VALUES (${input.kind}, ${input.report}, ${input.format}, ${input.from}, ${input.to}, ${input.departmentCode}, ${file.fileName}, ${file.content}, ${input.createdBy}, ${input.sourceKey})
      ON CONFLICT (source_key) DO NOTHING`;
    const [row] = await sql<{ id: string; file_name: string }[]>`SELECT id, file_name FROM report_files WHERE source_key = ${input.sourceKey}`;
    return { fileId: row!.id, fileName: row!.file_name };
  }

  return {
    /** The figures as the asking user may see them; a refusal is final (not retried). */
    async collectReport(input: ExportInput): Promise<ReportData> {
      const [user] = await sql<{ id: string; username: string; display_name: string; role: Principal['role']; department_code: string | null; active: boolean }[]>`
        SELECT id, username, display_name, role, department_code, active FROM users WHERE id = ${input.requestedBy}`;
      if (!user?.active) throw ApplicationFailure.nonRetryable('用户不存在或已停用', 'forbidden');
      const principal: Principal = { id: user.id, username: user.username, displayName: user.display_name, role: user.role, departmentCode: user.department_code };
      try {
        return await reports.collect(principal, input);
      } catch (err) {
        if (isServiceError(err)) throw ApplicationFailure.nonRetryable(err.message, err.code);
        throw err;
      }
    },

    async renderAndStoreReport(input: RenderInput): Promise<StoredFile> {
      const file = await renderReportFile(input.data as ReportData, input.format);
      return store(
        { kind: input.kind, report: input.report, format: input.format, from: input.period.from, to: input.period.to, departmentCode: input.departmentCode, createdBy: input.requestedBy, sourceKey: input.sourceKey },
        file,
      );
    },

    /** The month's whole-hospital dashboard as a PDF in the archive (one per month). */
    async storeMonthlyReport({ month }: { month: string }): Promise<StoredFile> {
      const sourceKey = `monthly:${month}`;
      const [existing] = await sql<{ id: string; file_name: string }[]>`SELECT id, file_name FROM report_files WHERE source_key = ${sourceKey}`;
      if (existing) return { fileId: existing.id, fileName: existing.file_name };
      const data = await reports.collect(PLATFORM, { report: 'dashboard', period: { from: month, to: month }, departmentCode: null });
      const file = await renderReportFile(data, 'pdf');
      return store({ kind: 'monthly', report: 'dashboard', format: 'pdf', from: month, to: month, departmentCode: null, createdBy: null, sourceKey }, file);
    },

    async announceMonthlyReport(input: { month: string; fileId: string; fileName: string }): Promise<void> {
      await announceReport(sql, input);
    },
  };
}

/**
 * Tells management a monthly report is ready: a portal notice (staff_notifications, audience
 * management), once per month. One small function, so a notification channel can take it over.
 */
export async function announceReport(sql: Sql, input: { month: string; fileId: string; fileName: string }): Promise<void> {
  await sql`
    INSERT INTO staff_notifications (dedupe_key, audience, body)
    VALUES (${`report-monthly:${input.month}`}, 'management', ${`${periodLabel({ from: input.month, to: input.month })}月度报表已生成:${input.fileName}(报表 › 报表存档)`})
    ON CONFLICT (dedupe_key) DO NOTHING`;
}
