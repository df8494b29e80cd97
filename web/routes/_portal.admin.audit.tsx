/**
 * /admin/audit — 审计日志: who looked at or changed what, when, from where. Admins search by
 * person, patient, action and period, and export the result as CSV (`/api/audit/export.csv`, itself
 * audited as `audit.export`).
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useNavigation } from '@remix-run/react';
import type { AuditFilters, AuditRow } from '../../services/audit.js';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import { roleLabel } from '../../domain/access.js';
import { auditActionLabel, auditEntityLabel } from '../../domain/audit-labels.js';
import { requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '审计日志 · 随访管理平台' }];

const FIELDS = ['username', 'patient', 'action', 'from', 'to'] as const;

function filtersFrom(url: URL): AuditFilters {
  const filters: AuditFilters = {};
  for (const key of FIELDS) {
    const value = url.searchParams.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

interface PageData {
  rows: AuditRow[];
  truncated: boolean;
  filters: AuditFilters;
  errors: Record<string, string>;
}

export async function loader({ request, context }: LoaderFunctionArgs): Promise<PageData> {
  const user = await requireUser(request, context, ['admin']);
  const url = new URL(request.url);
  const filters = filtersFrom(url);

  try {
    const result = await context.services.audit.search(user, filters);
    return { rows: result.rows, truncated: result.truncated, filters, errors: {} };
  } catch (err) {
    if (isServiceError(err) && err.code === 'invalid_input') {
      const errors: Record<string, string> = {};
      for (const p of (err.details?.problems ?? []) as FieldProblem[]) errors[p.field] = p.message;
      return { rows: [], truncated: false, filters, errors };
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}


export default function AuditLog() {
  const { rows, truncated, filters, errors } = useLoaderData<PageData>();
  const navigation = useNavigation();
  const busy = navigation.state === 'loading';
  const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const hasErrors = Object.keys(errors).length > 0;

  const field = (name: (typeof FIELDS)[number], label: string, props: Record<string, unknown> = {}) => (
    <label>
      {label}
      <input
        name={name}
        defaultValue={filters[name] ?? ''}
        {...props}
        {...(errors[name] ? { 'aria-invalid': true, 'aria-describedby': `${name}-error` } : {})}
      />
      {errors[name] && (
        <span className="field-error" id={`${name}-error`}>
          {errors[name]}
        </span>
      )}
    </label>
  );

  return (
    <div>
      <h1>审计日志</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        记录谁在何时、从何处查看或修改了哪些数据。日志只能追加，不能修改或删除；每条记录都与前一条以哈希相连，可用
        <code> npm run audit:verify </code>校验是否被篡改。时间为北京时间。
      </p>
      <Form method="get" className="ticket-filters" aria-label="筛选审计日志">
        {field('username', '人员（用户名）', { placeholder: '如 zhang.san' })}
        {field('patient', '患者（患者ID 或 HIS 患者ID）')}
        {field('action', '操作（前缀）', { placeholder: '如 patient. 或 auth.login' })}
        {field('from', '开始日期', { type: 'date' })}
        {field('to', '结束日期', { type: 'date' })}
        <button type="submit" className="small-button" disabled={busy}>
          查询
        </button>
        {!hasErrors && (
          <a className="small-button" href={`/api/audit/export.csv?${query.toString()}`} download>
            导出 CSV
          </a>
        )}
      </Form>

      {hasErrors ? (
        <p className="error-summary" role="alert">
          {Object.values(errors).join('；')}
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">没有符合条件的审计记录。</p>
      ) : (
        <>
          <p className="hint" role="status">
            {truncated ? `显示最近 ${rows.length} 条（结果更多，请缩小条件或导出 CSV）` : `共 ${rows.length} 条`}
          </p>
          <table className="grid">
            <thead>
              <tr>
                <th>时间</th>
                <th>人员</th>
                <th>角色</th>
                <th>操作</th>
                <th>对象</th>
                <th>患者</th>
                <th>IP</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td className="mono">{r.atLocal}</td>
                  <td>{r.actorUsername ?? '—'}</td>
                  <td>{r.actorRole ? roleLabel(r.actorRole) : '—'}</td>
                  <td title={r.action}>{auditActionLabel(r.action)}</td>
                  <td>
                    {r.entityType ? auditEntityLabel(r.entityType) : '—'}
                    {r.entityRef && <span className="mono"> {r.entityRef}</span>}
                  </td>
                  <td className="mono" title={r.patientId ?? undefined}>
                    {r.hisPatientId ?? r.patientId ?? '—'}
                  </td>
                  <td className="mono">{r.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
