/**
 * /admin/inbox — HIS 消息收件箱: every message the HIS sent (HL7 v2, FHIR, JSON), newest first, with
 * its raw text (personal data masked), what it meant, how it ended and why; filter by outcome and
 * source; 重新处理 runs a stored message through the ingest pipeline again (audited). Admins only.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { HIS_EVENT_LABELS, INBOX_OUTCOME_LABELS, INBOX_SOURCE_LABELS } from '../../domain/his/labels.js';
import { isServiceError } from '../../services/errors.js';
import { INBOX_OUTCOMES, INBOUND_SOURCES, type InboxRow } from '../../services/his-inbox.js';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: 'HIS 消息收件箱 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const url = new URL(request.url);
  const filters = { outcome: url.searchParams.get('outcome') ?? '', source: url.searchParams.get('source') ?? '' };
  const page = await orRespond(context.services.hisInbox.list(user, filters, context.meta, url.searchParams.get('before') ?? undefined));
  return { ...page, filters };
}

type Outcome = { ok: boolean; message: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const id = String(form.get('id') ?? '');
  try {
    const result = await context.services.hisInbox.replay(user, id, context.meta);
    const label = INBOX_OUTCOME_LABELS[result.outcome] ?? result.outcome;
    return data<Outcome>({ ok: result.outcome !== 'rejected' && result.outcome !== 'received', message: `消息 #${id} 已重新处理:${label}${result.error ? `(${result.error})` : ''}` });
  } catch (err) {
    if (isServiceError(err)) return data<Outcome>({ ok: false, message: err.message }, { status: err.status });
    throw err;
  }
}

const when = (iso: string) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });

/** What the message meant, in words: 出院 ZY001(患者 P01) · 科室代码 GK. */
function describe(row: InboxRow): string {
  if (row.summary.length === 0) return '—';
  return row.summary
    .map((s) => {
      const kind = HIS_EVENT_LABELS[String(s.kind)] ?? String(s.kind);
      if (s.kind === 'ignored') return `${kind}:${String(s.reason ?? '')}`;
      const parts = [kind, s.encounterId ? `就诊号 ${String(s.encounterId)}` : '', s.patientId ? `患者 ${String(s.patientId)}` : ''];
      const departments = [...((s.departmentCodes as string[] | undefined) ?? []), ...((s.departmentNames as string[] | undefined) ?? [])];
      if (departments.length) parts.push(`HIS 科室 ${departments.slice(0, 3).join('、')}`);
      if (s.dischargedAt) parts.push(`出院 ${when(String(s.dischargedAt))}`);
      return parts.filter(Boolean).join(' · ');
    })
    .join(';');
}

function FilterSelect(props: { name: string; label: string; value: string; codes: readonly string[]; labels: Record<string, string>; autoFocus?: boolean }) {
  return (
    <label>
      {props.label}{' '}
      <select name={props.name} defaultValue={props.value} autoFocus={props.autoFocus}>
        <option value="">全部</option>
        {props.codes.map((code) => (
          <option key={code} value={code}>
            {props.labels[code]}
          </option>
        ))}
      </select>
    </label>
  );
}

export default function Inbox() {
  const { rows, more, filters } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle';
  const older = new URLSearchParams({ ...filters, before: rows.at(-1)?.id ?? '' });

  return (
    <div>
      <h1>HIS 消息收件箱</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        HIS 发来的每条消息先原样保存再处理。“待处理”是已保存但因依赖服务暂不可用而尚未处理的消息，系统会自动重试；
        也可在修正科室映射或配置后点“重新处理”。原文中的姓名、电话、地址等已脱敏。
      </p>
      {result && (
        <p className={result.ok ? 'notice' : 'error-summary'} role={result.ok ? 'status' : 'alert'}>
          {result.message}
        </p>
      )}
      <Form method="get" className="inline-form" style={{ marginBottom: '1rem' }}>
        <FilterSelect name="outcome" label="处理结果" value={filters.outcome} codes={INBOX_OUTCOMES} labels={INBOX_OUTCOME_LABELS} autoFocus />{' '}
        <FilterSelect name="source" label="来源" value={filters.source} codes={INBOUND_SOURCES} labels={INBOX_SOURCE_LABELS} />{' '}
        <button type="submit" className="small-button">
          筛选
        </button>
      </Form>

      {rows.length === 0 ? (
        <p className="empty">没有符合条件的消息。</p>
      ) : (
        <table className="grid" data-testid="inbox-table">
          <thead>
            <tr>
              <th>编号</th>
              <th>接收时间</th>
              <th>来源</th>
              <th>处理结果</th>
              <th>内容</th>
              <th>原因 / 说明</th>
              <th>操作</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td className="mono">#{row.id}</td>
                <td>{when(row.receivedAt)}</td>
                <td>{INBOX_SOURCE_LABELS[row.source]}</td>
                <td>
                  <span className={`badge outcome-${row.outcome}`}>{INBOX_OUTCOME_LABELS[row.outcome]}</span>
                  {row.attempts > 1 && <span className="hint"> · 处理 {row.attempts} 次</span>}
                </td>
                <td>
                  {describe(row)}
                  <details>
                    <summary>
                      原文(已脱敏,{row.bytes} 字节{row.charset ? `,${row.charset.toUpperCase()}` : ''})
                    </summary>
                    <pre className="raw-message">{row.rawMasked}</pre>
                  </details>
                </td>
                <td>{row.error ?? row.note ?? '—'}</td>
                <td>
                  <Form method="post">
                    <input type="hidden" name="id" value={row.id} />
                    <button type="submit" className="small-button" disabled={busy} aria-label={`重新处理消息 #${row.id}`}>
                      重新处理
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && (
        <p>
          <Link to={`?${older.toString()}`}>更早的消息 →</Link>
        </p>
      )}
    </div>
  );
}
