import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useAutoRefresh, useRowCursor } from '../components/list-hooks.js';
import { useMemo, useRef, useState } from 'react';
import { orRespond, requireUser } from '../auth.server.js';
import { TOUCHPOINT_STATUS_LABELS, isTaskStatus } from '../../workflows/follow-up/labels.js';
import { formatShortTime, sexAge, STATUS_TABS } from '../components/task-format.js';
import { isInteractive, useHotkeys } from '../components/useHotkeys.js';

export const meta: MetaFunction = () => [{ title: '今日任务 · 随访管理平台' }];

/** The agent's day: today's follow-up tasks (urgent first, then by due time) and the counts per status. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['agent']);
  const requested = new URL(request.url).searchParams.get('status');
  const status = isTaskStatus(requested) ? requested : 'open';
  const { items, counts } = await orRespond(context.services.tasks.today(user, { status, meta: context.meta }));
  return { status, items, counts };
}

export default function AgentRoute() {
  return <TodayTasks />;
}

const tabHref = (status: string) => (status === 'open' ? '/agent' : `/agent?status=${status}`);

function TodayTasks() {
  const { status, items, counts } = useLoaderData<typeof loader>();
  const navigate = useNavigate();
  const [filter, setFilter] = useState('');
  const filterRef = useRef<HTMLInputElement>(null);
  const tableRef = useRef<HTMLTableSectionElement>(null);

  const visible = useMemo(() => {
    const needle = filter.trim();
    return needle ? items.filter((t) => t.patientName.includes(needle)) : items;
  }, [items, filter]);
  const { index: current, move } = useRowCursor(visible.length, tableRef, `${filter}|${status}`);
  // New tasks open as their due times pass: refresh the list every minute while it is on screen.
  useAutoRefresh(60_000);

  const open = (index: number) => {
    const task = visible[index];
    if (task) navigate(`/tasks/${task.id}`);
  };

  const tabKeys = Object.fromEntries(STATUS_TABS.map((tab, i) => [String(i + 1), () => navigate(tabHref(tab.status))]));
  useHotkeys({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    // Enter on a focused link or button keeps its own meaning.
    Enter: (e) => (isInteractive(e.target) ? false : open(current)),
    '/': () => filterRef.current?.focus(),
    ...tabKeys,
  });

  return (
    <>
      <div className="page-head">
        <h1>
          今日任务 <span className="count">{counts.open} 个待随访</span>
        </h1>
        <div className="summary">
          {counts.urgent > 0 && <span className="badge urgent">紧急 {counts.urgent}</span>}
          {counts.overdue > 0 && <span className="badge overdue">逾期 {counts.overdue}</span>}
        </div>
      </div>

      <nav className="tabs" aria-label="任务状态">
        {STATUS_TABS.map((tab, i) => (
          <Link
            key={tab.status}
            to={tabHref(tab.status)}
            className={tab.status === status ? 'tab active' : 'tab'}
            aria-current={tab.status === status ? 'page' : undefined}
            data-testid={`tab-${tab.status}`}
          >
            {tab.label} <span className="tab-count">{counts[tab.status]}</span>
            <kbd>{i + 1}</kbd>
          </Link>
        ))}
        <input
          ref={filterRef}
          className="filter"
          type="search"
          placeholder="按姓名筛选 ( / )"
          aria-label="按姓名筛选"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              open(current);
            } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              move(e.key === 'ArrowDown' ? 1 : -1);
            } else if (e.key === 'Escape') {
              if (filter) setFilter('');
              else e.currentTarget.blur();
            }
          }}
        />
      </nav>

      {visible.length === 0 ? (
        <p className="empty">{filter ? '没有符合筛选条件的任务' : `暂无${TOUCHPOINT_STATUS_LABELS[status]}任务`}</p>
      ) : (
        <table className="grid tasks" data-testid="task-table">
          <thead>
            <tr>
              <th>患者</th>
              <th>性别/年龄</th>
              <th>诊断/手术</th>
              <th>出院天数</th>
              <th>第几次随访</th>
              <th>应随访时间</th>
              <th>尝试次数</th>
              <th>状态</th>
            </tr>
          </thead>
          <tbody ref={tableRef}>
            {visible.map((t, i) => (
              <tr
                key={t.id}
                data-index={i}
                data-task-id={t.id}
                className={[t.urgent ? 'urgent' : '', i === current ? 'selected' : ''].filter(Boolean).join(' ')}
                aria-selected={i === current}
                onClick={(e) => {
                  if (!(e.target as HTMLElement).closest('a')) navigate(`/tasks/${t.id}`);
                }}
              >
                <td>
                  <Link to={`/tasks/${t.id}`} className="patient-link">
                    {t.patientName}
                  </Link>
                  {t.urgent && <span className="badge urgent">紧急</span>}
                </td>
                <td>{sexAge(t.sex, t.age)}</td>
                <td>
                  {t.diagnosis ?? '—'}
                  {t.procedure && <div className="muted small">{t.procedure}</div>}
                </td>
                <td>{t.daysSinceDischarge} 天</td>
                <td>第 {t.touchpointIndex + 1} 次</td>
                <td>
                  {formatShortTime(t.dueAt)}
                  {t.overdue && <span className="badge overdue">逾期</span>}
                </td>
                <td>
                  {t.attempts}/{t.maxAttempts}
                </td>
                <td>
                  <span className={`status status-${t.status}`}>{TOUCHPOINT_STATUS_LABELS[t.status]}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="kbd-legend">
        <kbd>j</kbd>/<kbd>k</kbd> 上下移动 · <kbd>Enter</kbd> 打开 · <kbd>1</kbd>–<kbd>5</kbd> 切换状态 · <kbd>/</kbd> 筛选
      </p>
    </>
  );
}
