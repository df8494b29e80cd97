import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigate, useNavigation } from '@remix-run/react';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import { handlesTickets, seesAllDepartments, speaksWithPatients } from '../../domain/access.js';
import { TICKET_STATUS_LABELS, escalationLabel, isActiveTicket, ticketCategoryLabel } from '../../workflows/feedback-ticket/labels.js';
import { orRespond, requireUser, temporalUiUrl } from '../auth.server.js';
import { formatTime } from '../components/task-format.js';
import { isTextEntry, useHotkeys } from '../components/useHotkeys.js';
import { SlaCountdown } from '../components/SlaCountdown.js';
import { TemporalLink } from '../components/TemporalLink.js';
import { CannedReplies, CannedReplyButton } from '../components/CannedReplies.js';
import { placeLabel } from '../../domain/ticket-context.js';
import { CallPanel } from '../components/call/CallPanel.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `工单 ${data?.ticket.number ?? ''} · 随访管理平台` }];

/**
 * One ticket: the patient's feedback, the deadline, the timeline, and what the viewer may do with
 * it (department users and admins act on it, agents record the patient's rating). The service
 * decides who may see it (403 for another department's ticket).
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const ticket = await orRespond(context.services.tickets.get(user, params.id!, context.meta));
  const [live, departments] = await Promise.all([
    context.services.tickets.liveState(user, ticket.id).catch(() => null),
    context.services.directory.departments(),
  ]);
  const search = new URL(request.url).searchParams;
  const allowed = new Set(ticket.allowedActions);
  // 常用问题快捷回复 for the department's note and resolution (its own and hospital-wide ones).
  const cannedReplies = allowed.has('note') ? await context.services.cannedReplies.forWork(user, ticket.departmentCode) : [];
  // 回电 (issue 16): the department calls the patient back through telephony.
  const calls = await context.services.calls.forTicket(user, ticket.id);
  return {
    ticket,
    calls,
    callSettings: context.services.calls.settings(),
    canCallBack: ticket.status !== 'closed' && (handlesTickets(user.role) || speaksWithPatients(user.role)),
    now: Date.now(),
    nextDeadline: live?.nextDeadline ?? null,
    statusLabel: TICKET_STATUS_LABELS[ticket.status],
    categoryLabel: ticketCategoryLabel(ticket.category),
    departmentNames: Object.fromEntries(departments.map((d) => [d.code, d.name])) as Record<string, string>,
    transferTargets: allowed.has('transfer') ? departments.filter((d) => d.code !== ticket.departmentCode).map((d) => ({ code: d.code, name: d.name })) : [],
    can: {
      accept: allowed.has('accept'),
      // Note, transfer and resolve are allowed together (in the ticket's contracts).
      act: allowed.has('note'),
      rate: allowed.has('rate'),
      // Management reassigns (转派) and chases (督办) without working the ticket.
      transfer: allowed.has('transfer'),
      chase: allowed.has('chase'),
      openTask: speaksWithPatients(user.role),
    },
    temporalUrl: temporalUiUrl(user, context, ticket.workflowId),
    done: search.get('done'),
    rated: search.get('rating'),
    cannedReplies,
  };
}

type Intent = 'accept' | 'note' | 'transfer' | 'resolve' | 'rate' | 'chase';
const INTENTS: readonly Intent[] = ['accept', 'note', 'transfer', 'resolve', 'rate', 'chase'];
const isIntent = (value: unknown): value is Intent => typeof value === 'string' && (INTENTS as readonly string[]).includes(value);

interface ActionResult {
  intent?: Intent;
  /** A problem with the request as a whole (403, 404, unknown intent). */
  error?: string;
  /** The ticket's state refused the action (409): shown prominently. */
  conflict?: string;
  fieldErrors?: Record<string, string>;
  values?: Record<string, string>;
}

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
};

/** The department's actions go to the ticket's workflow through the service; the patient's rating is a signal. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const ticketId = params.id!;
  const form = await request.formData();
  const intent = form.get('intent');
  const values: Record<string, string> = {};
  for (const [key, value] of form.entries()) if (typeof value === 'string' && key !== 'intent') values[key] = value;
  if (!isIntent(intent)) return data<ActionResult>({ error: '未知的操作', values }, { status: 400 });
  const tickets = context.services.tickets;
  try {
    switch (intent) {
      case 'accept':
        await tickets.act(user, ticketId, 'accept', {}, context.meta);
        break;
      case 'note':
        await tickets.act(user, ticketId, 'note', { note: text(form, 'note') }, context.meta);
        break;
      case 'transfer': {
        const state = await tickets.act(
          user,
          ticketId,
          'transfer',
          { departmentCode: text(form, 'departmentCode'), reason: text(form, 'reason') },
          context.meta,
        );
        // A department user no longer sees a ticket it handed on: back to the inbox.
        if (!seesAllDepartments(user.role)) return redirect(`/tickets?transferred=${encodeURIComponent(state.number)}`);
        break;
      }
      case 'resolve':
        await tickets.act(user, ticketId, 'resolve', { resolution: text(form, 'resolution') }, context.meta);
        break;
      case 'chase':
        await tickets.chase(user, ticketId, { note: text(form, 'note') }, context.meta);
        break;
      case 'rate': {
        const rating = text(form, 'rating');
        if (!rating) return data<ActionResult>({ intent, fieldErrors: { rating: '请选择评分' }, values }, { status: 400 });
        await tickets.recordRating(user, ticketId, { rating, reason: text(form, 'reason') }, context.meta);
        return redirect(`/tickets/${ticketId}?done=rate&rating=${encodeURIComponent(rating)}`);
      }
    }
    return redirect(`/tickets/${ticketId}?done=${intent}`);
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const problems = err.details?.problems;
    if (Array.isArray(problems)) {
      const fieldErrors = Object.fromEntries(
        (problems as FieldProblem[]).map((p) => [p.field === '(body)' && intent === 'rate' ? 'rating' : p.field, p.message]),
      );
      return data<ActionResult>({ intent, error: '请检查标红的项目', fieldErrors, values }, { status: 400 });
    }
    if (err.status === 409) return data<ActionResult>({ intent, conflict: err.message, values }, { status: 409 });
    return data<ActionResult>({ intent, error: err.message, values }, { status: err.status });
  }
}

const DONE_MESSAGES: Record<string, string> = {
  accept: '已受理该工单',
  note: '已添加进展',
  transfer: '已转科',
  resolve: '已标记为已解决，系统将请患者评价',
  chase: '已督办：意见已发给科室主任',
};

/** 3小时12分, 2天5小时, 40分 — the rough size of a time span. */
type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;
type Ticket = LoaderData['ticket'];
type TicketEvent = Ticket['events'][number];

const str = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** A timeline entry in words: the title and what it carried (note, transfer, resolution, rating). */
function describeEvent(e: TicketEvent, departmentName: (code: string) => string): { title: string; body?: string; tone: string } {
  const d = e.details;
  switch (e.kind) {
    case 'created':
      return { title: '工单生成', body: `分派至 ${departmentName(str(d['departmentCode'])) || '未分派科室'}`, tone: 'created' };
    case 'accepted':
      return { title: '已受理', tone: 'accepted' };
    case 'note':
      return { title: '进展', body: str(d['note']), tone: 'note' };
    case 'transferred':
      return {
        title: `转科：${departmentName(str(d['from'])) || '未分派'} → ${departmentName(str(d['to']))}`,
        body: d['reason'] ? `原因：${str(d['reason'])}` : undefined,
        tone: 'transferred',
      };
    case 'resolved':
      return { title: '已解决', body: str(d['resolution']), tone: 'resolved' };
    case 'escalated-1':
      return { title: '超时升级（一级：科主任、督导）', tone: 'escalated' };
    case 'escalated-2':
      return { title: '超时升级（二级：管理层）', tone: 'escalated' };
    case 'reopened':
      return { title: `重新打开（患者评分 ${str(d['rating'])} 分）`, tone: 'reopened' };
    case 'rating_reason':
      return { title: `患者不满意（评分 ${str(d['rating'])} 分）`, body: `原因：${str(d['reason'])}`, tone: 'reopened' };
    case 'chased':
      return { title: '督办', body: str(d['note']), tone: 'escalated' };
    case 'closed':
      return { title: d['rating'] !== undefined ? `已关闭（评分 ${str(d['rating'])} 分）` : '已关闭（未评价）', tone: 'closed' };
    default:
      return { title: e.kind, tone: 'other' };
  }
}

export default function TicketPage() {
  const { ticket, now, nextDeadline, statusLabel, categoryLabel, departmentNames, transferTargets, can, temporalUrl, done, rated, cannedReplies, calls, callSettings, canCallBack } =
    useLoaderData<typeof loader>();
  const { redFlagAnswers, agentNote, agentName, stay } = ticket.context;
  const place = stay ? placeLabel(stay) : null;
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigate = useNavigate();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const departmentName = (code: string) => (code ? (departmentNames[code] ?? code) : '');
  const active = isActiveTicket(ticket.status);
  const overdue = active && (ticket.slaBreached || Date.parse(ticket.slaDueAt) < now);

  useHotkeys(
    {
      Escape: (e) => {
        if (isTextEntry(e.target)) return (e.target as HTMLElement).blur();
        navigate('/tickets');
      },
    },
    { allowInTextEntry: ['Escape'] },
  );

  const errorsFor = (intent: Intent) => (result?.intent === intent ? (result.fieldErrors ?? {}) : {});
  const valueOf = (intent: Intent, name: string) => (result?.intent === intent ? (result.values?.[name] ?? '') : '');
  const fieldError = (intent: Intent, name: string) => {
    const message = errorsFor(intent)[name];
    return message ? (
      <span className="field-error" role="alert">
        {message}
      </span>
    ) : null;
  };
  // After an action the forms start empty again (a new event, or the rating flash).
  const formsKey = `${ticket.events.length}:${ticket.status}:${done ?? ''}`;

  return (
    <div className="ticket-page">
      <div className="page-head">
        <h1>
          工单 <span className="mono">{ticket.number}</span>
        </h1>
        <span className={`status ticket-${ticket.status}`} data-testid="ticket-status">
          {statusLabel}
        </span>
        {ticket.urgent && <span className="badge urgent">紧急</span>}
        {overdue && <span className="badge urgent">已超时</span>}
        <nav className="page-links">
          <Link to="/tickets">
            ← 工单列表 <kbd aria-hidden>Esc</kbd>
          </Link>
          <TemporalLink url={temporalUrl} />
        </nav>
      </div>

      {result?.conflict && (
        <div className="alert alert-danger" role="alert" data-testid="conflict">
          <strong>操作未执行：</strong>
          {result.conflict}
        </div>
      )}
      {result?.error && (
        <div className="alert alert-danger" role="alert" data-testid="action-error">
          {result.error}
        </div>
      )}
      {!result && done && (
        <div className="alert alert-success" role="status" data-testid="flash">
          {done === 'rate' ? `已记录患者评价 ${rated ?? ''} 分` : (DONE_MESSAGES[done] ?? '已保存')}
        </div>
      )}

      {can.act && <CannedReplies replies={cannedReplies} />}

      <div className="ticket-layout">
        <aside>
          <dl className="facts ticket-facts" data-testid="ticket-facts">
            <dt>患者</dt>
            <dd>{ticket.patientName}</dd>
            <dt>电话</dt>
            <dd className="mono phone">{ticket.phoneMasked || '—'}</dd>
            <dt>责任科室</dt>
            <dd data-testid="ticket-department">{ticket.departmentName ?? ticket.departmentCode ?? '未分派'}</dd>
            <dt>状态</dt>
            <dd>{statusLabel}</dd>
            <dt>收到时间</dt>
            <dd>{formatTime(ticket.receivedAt)}</dd>
            <dt>SLA 截止</dt>
            <dd>
              {formatTime(ticket.slaDueAt)}
              {active && (
                <div>
                  <SlaCountdown dueAt={ticket.slaDueAt} active breached={ticket.slaBreached} serverNow={now} />
                </div>
              )}
            </dd>
            <dt>升级级别</dt>
            <dd data-testid="escalation">{escalationLabel(ticket.escalationLevel)}</dd>
            {ticket.reopenCount > 0 && (
              <>
                <dt>重新打开</dt>
                <dd>{ticket.reopenCount} 次</dd>
              </>
            )}
            <dt>患者评价</dt>
            <dd>{ticket.rating !== null ? `${ticket.rating} 分` : ticket.closedReason === 'no_rating' ? '未评价' : '—'}</dd>
            {nextDeadline && (
              <>
                <dt>{active ? '超时升级' : ticket.status === 'resolved' ? '评价截止' : '下次处理'}</dt>
                <dd className="small">{formatTime(nextDeadline)}</dd>
              </>
            )}
            <dt>来源</dt>
            <dd>
              {ticket.sourceTaskId ? (
                can.openTask ? (
                  <Link to={`/tasks/${ticket.sourceTaskId}`} data-testid="source-task">
                    随访任务
                  </Link>
                ) : (
                  '随访任务'
                )
              ) : (
                '—'
              )}
              {ticket.createdByName && <span className="muted"> · {ticket.createdByName} 记录</span>}
            </dd>
          </dl>
          <CallPanel callUrl={`/api/tickets/${ticket.id}/call`} calls={calls} settings={callSettings} canCall={canCallBack} label="回电患者" />
        </aside>

        <section>
          <div className="card ticket-feedback" data-testid="ticket-feedback">
            <h2>
              患者反馈{' '}
              <span className="count">
                {categoryLabel}
                {ticket.subtag && ` · ${ticket.subtag}`}
              </span>
            </h2>
            <p className="ticket-description">{ticket.description}</p>
            {redFlagAnswers.length > 0 && (
              <div className="ticket-context" data-testid="red-flag-answers">
                <h3>触发预警的回答</h3>
                <dl className="answer-list">
                  {redFlagAnswers.map((a) => (
                    <div key={a.questionId} className="answer flagged">
                      <dt>{a.question}</dt>
                      <dd className="flag-answer">{a.answer}</dd>
                    </div>
                  ))}
                </dl>
              </div>
            )}
            {agentNote && (
              <p className="ticket-context" data-testid="agent-note">
                <strong>客服备注{agentName ? `（${agentName}）` : ''}：</strong>
                {agentNote}
              </p>
            )}
            {stay && (
              <dl className="facts ticket-context" data-testid="ticket-stay">
                <dt>出院科室</dt>
                <dd>{stay.departmentName ?? '未分配科室'}</dd>
                <dt>病区床位</dt>
                <dd>{place ?? '—'}</dd>
                {stay.attendingDoctor && (
                  <>
                    <dt>主管医生</dt>
                    <dd>{stay.attendingDoctor}</dd>
                  </>
                )}
                {stay.dischargedAt && (
                  <>
                    <dt>出院时间</dt>
                    <dd>{formatTime(stay.dischargedAt)}</dd>
                  </>
                )}
              </dl>
            )}
            {ticket.resolution && (
              <p className="ticket-resolution">
                <strong>处理结果：</strong>
                {ticket.resolution}
              </p>
            )}
          </div>

          <div key={formsKey}>
            {can.act && (
              <div className="ticket-actions" data-testid="ticket-actions">
                {can.accept && (
                  <Form method="post" className="action-form accept-form">
                    <input type="hidden" name="intent" value="accept" />
                    <button type="submit" disabled={busy}>
                      受理
                    </button>
                    <span className="hint">受理后工单进入「处理中」</span>
                  </Form>
                )}
                <Form method="post" className="action-form">
                  <input type="hidden" name="intent" value="note" />
                  <label>
                    进展说明
                    <textarea
                      name="note"
                      rows={2}
                      maxLength={1000}
                      defaultValue={valueOf('note', 'note')}
                      aria-invalid={errorsFor('note')['note'] ? true : undefined}
                      data-canned-target
                    />
                    {fieldError('note', 'note')}
                  </label>
                  <CannedReplyButton name="note" />
                  <button type="submit" className="small-button" disabled={busy}>
                    添加进展
                  </button>
                </Form>
                <Form method="post" className="action-form">
                  <input type="hidden" name="intent" value="resolve" />
                  <label>
                    处理结果
                    <textarea
                      name="resolution"
                      rows={3}
                      maxLength={2000}
                      defaultValue={valueOf('resolve', 'resolution')}
                      aria-invalid={errorsFor('resolve')['resolution'] ? true : undefined}
                      data-canned-target
                    />
                    {fieldError('resolve', 'resolution')}
                  </label>
                  <CannedReplyButton name="resolution" />
                  <button type="submit" className="small-button" disabled={busy}>
                    解决
                  </button>
                </Form>
              </div>
            )}

            {can.transfer && (
              <div className="ticket-actions" data-testid="transfer-actions">
                <Form method="post" className="action-form">
                  <input type="hidden" name="intent" value="transfer" />
                  <div className="fields">
                    <label>
                      转至科室
                      <select
                        name="departmentCode"
                        defaultValue={valueOf('transfer', 'departmentCode')}
                        aria-invalid={errorsFor('transfer')['departmentCode'] ? true : undefined}
                      >
                        <option value="">请选择科室</option>
                        {transferTargets.map((d) => (
                          <option key={d.code} value={d.code}>
                            {d.name}
                          </option>
                        ))}
                      </select>
                      {fieldError('transfer', 'departmentCode')}
                    </label>
                    <label>
                      转科原因
                      <input
                        name="reason"
                        maxLength={500}
                        defaultValue={valueOf('transfer', 'reason')}
                        aria-invalid={errorsFor('transfer')['reason'] ? true : undefined}
                      />
                      {fieldError('transfer', 'reason')}
                    </label>
                  </div>
                  <button type="submit" className="small-button" disabled={busy}>
                    {can.act ? '转科' : '转派'}
                  </button>
                </Form>
              </div>
            )}

            {can.chase && (
              <Form method="post" className="action-form chase-form" data-testid="chase-form">
                <input type="hidden" name="intent" value="chase" />
                <label>
                  督办意见（发给科室主任，并记在工单上）
                  <textarea name="note" rows={2} maxLength={500} defaultValue={valueOf('chase', 'note')} aria-invalid={errorsFor('chase')['note'] ? true : undefined} />
                  {fieldError('chase', 'note')}
                </label>
                <button type="submit" className="small-button" disabled={busy}>
                  督办
                </button>
              </Form>
            )}

            {can.rate && done !== 'rate' && (
              <Form method="post" className="action-form rating-form" data-testid="rating-form">
                <input type="hidden" name="intent" value="rate" />
                <fieldset className="question">
                  <legend>记录患者评价（1 非常不满意 – 5 非常满意）</legend>
                  <div className="options rating">
                    {['1', '2', '3', '4', '5'].map((n) => (
                      <label key={n} className="option">
                        <input type="radio" name="rating" value={n} defaultChecked={valueOf('rate', 'rating') === n} />
                        <span>{n}</span>
                      </label>
                    ))}
                  </div>
                  {fieldError('rate', 'rating')}
                </fieldset>
                <label className="field">
                  不满意的原因（评分 1–2 时必填，会转给科室）
                  <textarea name="reason" rows={2} maxLength={500} defaultValue={valueOf('rate', 'reason')} aria-invalid={fieldError('rate', 'reason') ? true : undefined} />
                </label>
                {fieldError('rate', 'reason')}
                <button type="submit" className="small-button" disabled={busy}>
                  记录评价
                </button>
              </Form>
            )}
          </div>

          <h2>处理记录</h2>
          <ol className="ticket-timeline" data-testid="timeline">
            {/* The workflow records its start as `created`; a ticket without that event still shows when it came in. */}
            {!ticket.events.some((e) => e.kind === 'created') && (
              <li className="ev ev-created" data-kind="created">
                <div className="ev-title">工单生成</div>
                <div className="ev-meta">
                  {formatTime(ticket.receivedAt)}
                  {ticket.createdByName && ` · ${ticket.createdByName}`}
                </div>
              </li>
            )}
            {ticket.events.map((e, i) => {
              const { title, body, tone } = describeEvent(e, departmentName);
              // The ticket is opened by the workflow on behalf of whoever recorded the feedback.
              const actor = e.actorName ?? (e.kind === 'created' ? ticket.createdByName : null);
              return (
                <li key={i} className={`ev ev-${tone}`} data-kind={e.kind}>
                  <div className="ev-title">{title}</div>
                  {body && <div className="ev-body">{body}</div>}
                  <div className="ev-meta">
                    {formatTime(e.at)}
                    {actor ? ` · ${actor}` : ' · 系统'}
                  </div>
                </li>
              );
            })}
          </ol>
        </section>
      </div>
    </div>
  );
}
