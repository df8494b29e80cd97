import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useState } from 'react';
import { administers, speaksWithPatients } from '../../domain/access.js';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import type { UnmaskField } from '../../services/patients.js';
import { TICKET_STATUS_LABELS, ticketCategoryLabel } from '../../workflows/feedback-ticket/labels.js';
import { TOUCHPOINT_STATUS_LABELS } from '../../workflows/follow-up/labels.js';
import { orRespond, requireUser, temporalUiUrl } from '../auth.server.js';
import { channelLabel, formatTime } from '../components/task-format.js';

export const meta: MetaFunction = () => [{ title: '患者信息 · 随访管理平台' }];

/** Patient record (masked for everyone, admins too); every view is audited by the service. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const patient = await orRespond(context.services.patients.view(user, params.id!, context.meta));
  return {
    patient,
    canUnmask: administers(user.role),
    canChangeContact: speaksWithPatients(user.role),
    wechatQr: context.services.wechatBinding.enabled(),
    workflowsUrl: temporalUiUrl(user, context),
  };
}

const FIELDS: readonly UnmaskField[] = ['phone', 'address', 'idNumber'];
const isField = (value: unknown): value is UnmaskField => typeof value === 'string' && (FIELDS as readonly string[]).includes(value);

interface UnmaskActionResult {
  field?: UnmaskField;
  /** The full value: only ever in this one response, never in the loader data. */
  value?: string | null;
  /** A problem with the request as a whole (403, 404, unknown intent). */
  error?: string;
  fieldErrors?: Record<string, string>;
  reason?: string;
}

/**
 * 查看完整信息 (`intent=unmask`): the service checks the role (admins only, 403 otherwise),
 * validates the reason and audits the look; the full value goes back in this response only.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const form = await request.formData();
  const str = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const rawField = str('field');
  const field = isField(rawField) ? rawField : undefined;
  const reason = str('reason') ?? '';
  if (str('intent') === 'opt_in' || str('intent') === 'opt_out') {
    const contact = context.services.patientContact;
    try {
      if (str('intent') === 'opt_in') await contact.optIn(user, params.id!, context.meta);
      else await contact.optOutByAgent(user, params.id!, context.meta);
      return data<UnmaskActionResult>({});
    } catch (err) {
      if (!isServiceError(err)) throw err;
      return data<UnmaskActionResult>({ error: err.message }, { status: err.status });
    }
  }
  if (str('intent') !== 'unmask') return data<UnmaskActionResult>({ error: '未知的操作' }, { status: 400 });
  try {
    const result = await context.services.patients.unmask(user, params.id!, { field: rawField, reason: str('reason') }, context.meta);
    return data<UnmaskActionResult>(
      { field: result.field, value: result.value },
      // The full value must not be kept by any cache.
      { headers: { 'cache-control': 'no-store' } },
    );
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const problems = err.details?.problems;
    if (Array.isArray(problems)) {
      const fieldErrors = Object.fromEntries((problems as FieldProblem[]).map((p) => [p.field, p.message]));
      return data<UnmaskActionResult>({ field, error: '请检查标红的项目', fieldErrors, reason }, { status: 400 });
    }
    return data<UnmaskActionResult>({ field, error: err.message }, { status: err.status });
  }
}

const SEX: Record<string, string> = { M: '男', F: '女', O: '其他', U: '未知' };
const OPT_OUT_VIA: Record<string, string> = { sms: '短信回复退订', wechat: '取消关注公众号', agent: '客服登记' };
const FIELD_LABELS: Record<UnmaskField, string> = { phone: '电话', address: '地址', idNumber: '证件号' };

/** The masked value, and for admins a "查看完整信息" button that opens a reason form; the full value replaces the masked one for this response only. */
function ContactValue({ field, masked, canUnmask, result }: { field: UnmaskField; masked: string; canUnmask: boolean; result: UnmaskActionResult | undefined }) {
  const navigation = useNavigation();
  const mine = result?.field === field;
  const revealed = mine && result && 'value' in result && !result.error;
  const failed = mine && !!result?.error;
  const [open, setOpen] = useState(false);
  const submitting = navigation.state === 'submitting' && navigation.formData?.get('field') === field;
  const reasonError = failed ? result?.fieldErrors?.reason : undefined;
  const otherError = failed && !reasonError ? (result?.fieldErrors?.field ?? result?.error) : undefined;
  return (
    <dd className={field === 'address' ? undefined : 'mono'}>
      {revealed ? (
        <span data-testid={`unmasked-${field}`}>
          {result.value || '—'} <span className="tag">完整信息（已记录审计）</span>
        </span>
      ) : (
        <span data-testid={`masked-${field}`}>{masked || '—'}</span>
      )}
      {canUnmask && !revealed && (
        <>
          {!open && !failed ? (
            <>
              {' '}
              <button type="button" className="link-button" onClick={() => setOpen(true)}>
                查看完整信息
              </button>
            </>
          ) : (
            <Form method="post" className="inline-form" replace>
              <input type="hidden" name="intent" value="unmask" />
              <input type="hidden" name="field" value={field} />
              <label>
                查看原因
                <input
                  name="reason"
                  required
                  minLength={4}
                  maxLength={200}
                  autoFocus
                  defaultValue={failed ? (result?.reason ?? '') : ''}
                  placeholder={`查看完整${FIELD_LABELS[field]}的原因`}
                  aria-invalid={reasonError ? true : undefined}
                />
              </label>
              <button type="submit" className="small-button" disabled={submitting}>
                {submitting ? '提交中…' : '查看'}
              </button>
              {!failed && (
                <button type="button" className="link-button" onClick={() => setOpen(false)}>
                  取消
                </button>
              )}
              {reasonError && (
                <span className="field-error" role="alert">
                  {reasonError}
                </span>
              )}
              {otherError && (
                <span className="field-error" role="alert">
                  {otherError}
                </span>
              )}
            </Form>
          )}
        </>
      )}
    </dd>
  );
}

export default function PatientPage() {
  const { patient, workflowsUrl, canUnmask, canChangeContact, wechatQr } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as UnmaskActionResult | undefined;
  return (
    <>
      <h1>{patient.name}</h1>
      <dl className="facts">
        <dt>病案号</dt>
        <dd className="mono">{patient.hisPatientId}</dd>
        <dt>性别</dt>
        <dd>{SEX[patient.sex ?? 'U']}</dd>
        <dt>出生日期</dt>
        <dd>{patient.birthDate ?? '—'}</dd>
        <dt>电话</dt>
        <ContactValue field="phone" masked={patient.phoneMasked} canUnmask={canUnmask} result={result} />
        <dt>地址</dt>
        <ContactValue field="address" masked={patient.addressMasked} canUnmask={canUnmask} result={result} />
        <dt>证件号</dt>
        <ContactValue field="idNumber" masked={patient.idNumberMasked} canUnmask={canUnmask} result={result} />
        <dt>随访联系</dt>
        <dd data-testid="contact-status">
          {patient.contact.optedOutAt ? (
            <>
              <strong className="status-refused">已退订</strong>({OPT_OUT_VIA[patient.contact.optedOutVia ?? ''] ?? '其他方式'},
              {new Date(patient.contact.optedOutAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}):所有就诊的自动消息均已停止
            </>
          ) : (
            <>可接收短信{patient.contact.wechatBound ? ' · 已绑定微信' : ''}</>
          )}
          {!patient.contact.optedOutAt && wechatQr && (
            <>
              {' '}
              <Link to={`/print/patients/${patient.id}/wechat-qr`} target="_blank" data-testid="wechat-qr-link">
                微信绑定二维码(可打印)
              </Link>
            </>
          )}
          {canChangeContact && (
            <Form method="post" className="inline-form">
              <input type="hidden" name="intent" value={patient.contact.optedOutAt ? 'opt_in' : 'opt_out'} />
              <button type="submit">{patient.contact.optedOutAt ? '患者要求恢复联系' : '登记退订'}</button>
            </Form>
          )}
        </dd>
      </dl>
      {result?.error && !result.field && (
        <p className="field-error" role="alert">
          {result.error}
        </p>
      )}
      <h2>就诊记录</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>就诊号</th>
            <th>科室</th>
            <th>诊断</th>
            <th>手术/操作</th>
            <th>主治医生</th>
            <th>出院时间</th>
            {workflowsUrl && <th>流程</th>}
          </tr>
        </thead>
        <tbody>
          {patient.encounters.map((e) => (
            <tr key={e.encounterId}>
              <td className="mono">{e.encounterId}</td>
              <td>{e.departmentName}</td>
              <td>{e.diagnosis ?? '—'}</td>
              <td>{e.procedure ?? '—'}</td>
              <td>{e.attendingDoctor ?? '—'}</td>
              <td>{e.dischargedAt ? new Date(e.dischargedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }) : '在院'}</td>
              {workflowsUrl && (
                <td>
                  <a href={`${workflowsUrl}/${encodeURIComponent(e.workflowId)}`} target="_blank" rel="noreferrer">
                    Temporal
                  </a>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>

      <h2>随访记录</h2>
      {patient.followUps.length === 0 ? (
        <p className="empty">暂无随访任务</p>
      ) : (
        <table className="grid" data-testid="patient-follow-ups">
          <thead>
            <tr>
              <th>就诊号</th>
              <th>随访</th>
              <th>问卷</th>
              <th>渠道</th>
              <th>应随访时间</th>
              <th>状态</th>
              <th>客服</th>
              <th>回答</th>
            </tr>
          </thead>
          <tbody>
            {patient.followUps.map((f) => (
              <tr key={f.taskId} className={f.urgent ? 'urgent' : undefined}>
                <td className="mono">{f.encounterId}</td>
                <td>
                  <Link to={`/tasks/${f.taskId}`}>第 {f.touchpoint} 次</Link>
                  {f.urgent && <span className="badge urgent">红旗</span>}
                </td>
                <td>{f.templateName}</td>
                <td>{channelLabel(f.channel)}</td>
                <td>{formatTime(f.dueAt)}</td>
                <td>{TOUCHPOINT_STATUS_LABELS[f.status]}</td>
                <td>{f.agentName ?? '—'}</td>
                <td>
                  {f.answers.length === 0 ? (
                    '—'
                  ) : (
                    <ul className="plain-list answers">
                      {f.answers.map((a) => (
                        <li key={a.question} className={a.redFlag ? 'red-flag' : undefined}>
                          {a.question}：<strong>{a.answer}</strong>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>工单</h2>
      {patient.tickets.length === 0 ? (
        <p className="empty">暂无工单</p>
      ) : (
        <table className="grid" data-testid="patient-tickets">
          <thead>
            <tr>
              <th>工单号</th>
              <th>类别</th>
              <th>负责科室</th>
              <th>状态</th>
              <th>收到时间</th>
              <th>患者评价</th>
            </tr>
          </thead>
          <tbody>
            {patient.tickets.map((k) => (
              <tr key={k.id}>
                <td>
                  <Link to={`/tickets/${k.id}`} className="mono">
                    {k.number}
                  </Link>
                </td>
                <td>{ticketCategoryLabel(k.category)}</td>
                <td>{k.departmentName}</td>
                <td>{TICKET_STATUS_LABELS[k.status]}</td>
                <td>{formatTime(k.receivedAt)}</td>
                <td>{k.rating !== null ? `${k.rating} 分` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
