import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useAutoRefresh, useRowCursor } from '../components/list-hooks.js';
import { useRef, type RefObject } from 'react';
import { isDepartmentStaff, seesAllDepartments } from '../../domain/access.js';
import type { TicketFilters } from '../../services/tickets.js';
import type { TicketStatus } from '../../workflows/feedback-ticket/contracts.js';
import {
  TICKET_CATEGORY_LABELS,
  TICKET_STATUS_LABELS,
  escalationLabel,
  isActiveTicket,
  isTicketCategory,
  ticketCategoryLabel,
} from '../../workflows/feedback-ticket/labels.js';
import { orRespond, requireUser } from '../auth.server.js';
import { formatShortTime } from '../components/task-format.js';
import { isInteractive, useHotkeys } from '../components/useHotkeys.js';
import { SlaCountdown } from '../components/SlaCountdown.js';
import { FeedbackInfoList } from '../components/FeedbackInfoList.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.title ?? '工单'} · 随访管理平台` }];

const isStatus = (value: string | null): value is TicketStatus => value !== null && Object.hasOwn(TICKET_STATUS_LABELS, value);

/**
 * The ticket list: a department's inbox for department users, the whole hospital (with filters)
 * for managers and admins, the tickets an agent raised for agents. The service scopes and sorts
 * (open first, overdue first among them).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const search = new URL(request.url).searchParams;
  const supervisor = seesAllDepartments(user.role);
  const departmentUser = isDepartmentStaff(user.role);
  const filters: TicketFilters = {};
  const selected = { dept: '', category: '', status: '', breached: '' };
  if (supervisor) {
    const dept = search.get('dept')?.trim();
    if (dept) filters.departmentCode = selected.dept = dept;
    const category = search.get('category');
    if (isTicketCategory(category)) filters.category = selected.category = category;
    const status = search.get('status');
    if (isStatus(status)) filters.status = selected.status = status;
    const breached = search.get('breached');
    if (breached === '1' || breached === '0') {
      filters.breached = breached === '1';
      selected.breached = breached;
    }
  }
  // 待回访评价: an agent's resolved tickets whose patient has not rated yet, to call them.
  const ratingQueue = user.role === 'agent' && search.get('queue') === 'rating';
  if (ratingQueue) filters.status = 'resolved';
  const [items, departments, information] = await Promise.all([
    orRespond(context.services.tickets.list(user, filters, context.meta)),
    context.services.directory.departments(),
    // Praise and suggestions: information for the department, listed apart from the tickets.
    ratingQueue ? Promise.resolve([]) : context.services.feedbackInfo.list(user, { departmentCode: filters.departmentCode, limit: 50 }),
  ]);
  const ownDepartment = departmentUser ? departments.find((d) => d.code === user.departmentCode) : undefined;
  const title = departmentUser ? '工单收件箱' : supervisor ? '全院工单' : ratingQueue ? '待回访评价' : '我的工单';
  return {
    title,
    subtitle: ownDepartment?.name ?? (ratingQueue ? '已解决、等待患者评价：请致电患者，在工单页记录评价' : null),
    supervisor,
    items,
    now: Date.now(),
    selected,
    transferred: search.get('transferred'),
    departments: supervisor ? departments.map((d) => ({ code: d.code, name: d.name })) : [],
    information,
    canReadInformation: departmentUser || user.role === 'admin',
    back: `/tickets${new URL(request.url).search}`,
  };
}

/** 已阅 on a praise or suggestion (from this list or the department's dashboard), then back where it was. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const form = await request.formData();
  if (form.get('intent') !== 'feedback_read') throw new Response('未知的操作', { status: 400 });
  await orRespond(context.services.feedbackInfo.markRead(user, String(form.get('id') ?? ''), context.meta));
  const back = String(form.get('back') ?? '');
  return redirect(back.startsWith('/') && !back.startsWith('//') ? back : '/tickets');
}

export default function TicketList() {
  const { title, subtitle, supervisor, items, now, selected, transferred, departments, information, canReadInformation, back } = useLoaderData<typeof loader>();
  const navigate = useNavigate();
  const tableRef = useRef<HTMLTableSectionElement>(null);
  const filterRef = useRef<HTMLSelectElement>(null);
  const { index, move } = useRowCursor(items.length, tableRef, items.map((t) => t.id).join(','));
  // New tickets come in and deadlines pass: refresh every minute while the list is on screen.
  useAutoRefresh(60_000);

  const open = (i: number) => {
    const ticket = items[i];
    if (ticket) navigate(`/tickets/${ticket.id}`);
  };
  useHotkeys({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    Enter: (e) => (isInteractive(e.target) ? false : open(index)),
    '/': () => (filterRef.current ? filterRef.current.focus() : false),
  });

  const overdueCount = items.filter((t) => isActiveTicket(t.status) && (t.slaBreached || Date.parse(t.slaDueAt) < now)).length;
  const openCount = items.filter((t) => isActiveTicket(t.status)).length;

  return (
    <div className="tickets-page">
      <div className="page-head">
        <h1>
          {title}
          {subtitle && <span className="count"> {subtitle}</span>}
          <span className="count"> {openCount} 个待处理</span>
        </h1>
        <div className="summary">{overdueCount > 0 && <span className="badge urgent">超时 {overdueCount}</span>}</div>
      </div>

      {transferred && (
        <div className="alert alert-success" role="status">
          工单 {transferred} 已转出
        </div>
      )}

      {supervisor && (
        <Form method="get" className="ticket-filters" aria-label="筛选工单">
          <FilterSelect
            label="科室"
            name="dept"
            all="全部科室"
            selected={selected.dept}
            options={departments.map((d) => [d.code, d.name])}
            selectRef={filterRef}
          />
          <FilterSelect label="类别" name="category" all="全部类别" selected={selected.category} options={Object.entries(TICKET_CATEGORY_LABELS)} />
          <FilterSelect label="状态" name="status" all="全部状态" selected={selected.status} options={Object.entries(TICKET_STATUS_LABELS)} />
          <label>
            超时
            <select name="breached" defaultValue={selected.breached}>
              <option value="">不限</option>
              <option value="1">已超时</option>
              <option value="0">未超时</option>
            </select>
          </label>
          <button type="submit" className="small-button">
            筛选
          </button>
          <Link to="/tickets" className="small">
            清除
          </Link>
        </Form>
      )}

      {items.length === 0 ? (
        <p className="empty">暂无工单</p>
      ) : (
        <table className="grid tickets" data-testid="ticket-table">
          <thead>
            <tr>
              <th>工单号</th>
              <th>类别</th>
              <th>患者</th>
              <th>科室</th>
              <th>状态</th>
              <th>SLA 倒计时</th>
              <th>升级级别</th>
              <th>评价</th>
            </tr>
          </thead>
          <tbody ref={tableRef}>
            {items.map((t, i) => {
              const active = isActiveTicket(t.status);
              const overdue = active && (t.slaBreached || Date.parse(t.slaDueAt) < now);
              return (
                <tr
                  key={t.id}
                  data-index={i}
                  data-ticket-id={t.id}
                  className={[overdue ? 'overdue' : '', i === index ? 'selected' : ''].filter(Boolean).join(' ')}
                  aria-selected={i === index}
                  onClick={(e) => {
                    if (!(e.target as HTMLElement).closest('a')) navigate(`/tickets/${t.id}`);
                  }}
                >
                  <td className="nowrap">
                    <Link to={`/tickets/${t.id}`} className="mono ticket-link">
                      {t.number}
                    </Link>
                    {t.urgent && <span className="badge urgent">紧急</span>}
                    <div className="muted small">{formatShortTime(t.receivedAt)}</div>
                  </td>
                  <td>
                    {ticketCategoryLabel(t.category)}
                    {t.subtag && <div className="muted small">{t.subtag}</div>}
                  </td>
                  <td>{t.patientName}</td>
                  <td>{t.departmentName ?? t.departmentCode ?? '未分派'}</td>
                  <td>
                    <span className={`status ticket-${t.status}`}>{TICKET_STATUS_LABELS[t.status]}</span>
                  </td>
                  <td className="nowrap">
                    <SlaCountdown dueAt={t.slaDueAt} active={active} breached={t.slaBreached} serverNow={now} />
                  </td>
                  <td>{escalationLabel(t.escalationLevel)}</td>
                  <td>{t.rating !== null ? `${t.rating} 分` : t.closedReason === 'no_rating' ? '未评价' : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {information.length > 0 && <FeedbackInfoList items={information} canRead={canReadInformation} back={back} />}
      <p className="kbd-legend">
        <kbd>j</kbd>/<kbd>k</kbd> 上下移动 · <kbd>Enter</kbd> 打开
        {supervisor && (
          <>
            {' '}
            · <kbd>/</kbd> 筛选
          </>
        )}
      </p>
    </div>
  );
}

/** One filter of the list: a choice of values by their Chinese names, or all of them. */
function FilterSelect(props: {
  label: string;
  name: string;
  all: string;
  selected: string;
  options: [value: string, label: string][];
  selectRef?: RefObject<HTMLSelectElement>;
}) {
  return (
    <label>
      {props.label}
      <select name={props.name} defaultValue={props.selected} ref={props.selectRef}>
        <option value="">{props.all}</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}
