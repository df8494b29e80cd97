/**
 * 生成报表: starts an export (reportExportWorkflow) through the API and shows its progress while the
 * page stays usable; when the file is ready it is offered for download.
 */
import { useEffect, useState } from 'react';
import type { Period } from '../../../domain/reports/period.js';
import { EXPORT_STAGE_LABELS, REPORT_KINDS, REPORT_LABELS, type ExportFormat, type ExportProgress, type ReportKind } from '../../../workflows/reports/labels.js';

interface Job {
  id: string;
  format: ExportFormat;
  progress: ExportProgress | null;
}

export function ExportPanel({ period, departmentCode }: { period: Period; departmentCode: string | null }) {
  const [report, setReport] = useState<ReportKind>('dashboard');
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function start(format: ExportFormat) {
    setError(null);
    const res = await fetch(`/api/reports/${report}/exports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format, from: period.from, to: period.to, department: departmentCode ?? undefined }),
    });
    const body = (await res.json()) as { job?: string; message?: string };
    if (!res.ok || !body.job) {
      setError(body.message ?? '无法生成报表');
      return;
    }
    setJob({ id: body.job, format, progress: null });
  }

  useEffect(() => {
    if (!job || job.progress?.stage === 'done' || job.progress?.stage === 'failed') return;
    const timer = setTimeout(() => {
      void fetch(`/api/reports/exports/${job.id}`)
        .then(async (res) => (res.ok ? ((await res.json()) as ExportProgress) : null))
        .then((progress) => setJob((j) => (j && j.id === job.id ? { ...j, progress: progress ?? j.progress } : j)));
    }, 600);
    return () => clearTimeout(timer);
  }, [job]);

  const progress = job?.progress;
  const busy = job !== null && progress?.stage !== 'done' && progress?.stage !== 'failed';
  return (
    <section className="export-panel" aria-label="生成报表">
      <label className="inline">
        报表
        <select value={report} onChange={(e) => setReport(e.target.value as ReportKind)}>
          {REPORT_KINDS.map((k) => (
            <option key={k} value={k}>
              {REPORT_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => void start('xlsx')} disabled={busy}>
        生成报表(Excel)
      </button>
      <button type="button" onClick={() => void start('pdf')} disabled={busy}>
        生成报表(PDF)
      </button>
      {job && (
        <span className="export-status" role="status">
          <progress max={100} value={progress?.percent ?? 0} />
          {progress?.stage === 'done' && progress.fileId ? (
            <a href={`/api/reports/files/${progress.fileId}`} download={progress.fileName ?? undefined}>
              下载 {progress.fileName}
            </a>
          ) : (
            <span>{progress ? (progress.error ?? EXPORT_STAGE_LABELS[progress.stage]) : EXPORT_STAGE_LABELS.queued}</span>
          )}
        </span>
      )}
      {error && <span className="form-error">{error}</span>}
    </section>
  );
}
