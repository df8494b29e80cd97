/** The reports, export formats and export stages with their Chinese labels (browser-safe; re-exported by contracts.ts). */

/** The reports a user can look at and export. */
export const REPORT_KINDS = ['dashboard', 'satisfaction', 'top-problems', 'assessment', 'coverage'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const REPORT_LABELS: Record<ReportKind, string> = {
  dashboard: '管理驾驶舱',
  satisfaction: '满意度趋势',
  'top-problems': '高频问题TOP5',
  assessment: '考核报表',
  coverage: '回访覆盖率与记录完整率',
};
export const isReportKind = (value: unknown): value is ReportKind => typeof value === 'string' && (REPORT_KINDS as readonly string[]).includes(value);

export const EXPORT_FORMATS = ['xlsx', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const isExportFormat = (value: unknown): value is ExportFormat => typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);

export type ExportStage = 'queued' | 'collecting' | 'rendering' | 'done' | 'failed';
export const EXPORT_STAGE_LABELS: Record<ExportStage, string> = {
  queued: '排队中',
  collecting: '正在汇总数据',
  rendering: '正在生成文件',
  done: '已完成',
  failed: '生成失败',
};

export interface ExportProgress {
  stage: ExportStage;
  /** 0–100. */
  percent: number;
  fileId: string | null;
  fileName: string | null;
  error: string | null;
  /** Who asked (user id): only they follow and fetch it. */
  requestedBy: string;
}

