import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData, useLocation } from '@remix-run/react';
import { ROLE_LABELS, type Role } from '../../domain/access.js';
import { requireUser } from '../auth.server.js';

const NAV: Record<Role, { to: string; label: string; end?: boolean }[]> = {
  agent: [
    { to: '/agent', label: '今日任务', end: true },
    { to: '/agent/discharges', label: '出院患者' },
    { to: '/tickets', label: '我的工单', end: true },
    { to: '/tickets?queue=rating', label: '待回访评价' },
    { to: '/reports', label: '我的报表' },
  ],
  dept_head: [
    { to: '/department', label: '本科室' },
    { to: '/desk', label: '挂号窗口' },
    { to: '/tickets', label: '工单收件箱' },
    { to: '/reports', label: '科室报表' },
  ],
  dept_staff: [
    { to: '/department', label: '本科室' },
    { to: '/desk', label: '挂号窗口' },
    { to: '/tickets', label: '工单收件箱' },
  ],
  manager: [
    { to: '/management', label: '全院概览' },
    { to: '/reports', label: '管理报表' },
    { to: '/tickets', label: '全院工单' },
    { to: '/supervisor/workflows', label: '流程监控' },
  ],
  admin: [
    { to: '/admin/users', label: '用户' },
    { to: '/admin/departments', label: '科室' },
    { to: '/admin/rules', label: '随访规则' },
    { to: '/admin/templates', label: '问卷模板' },
    { to: '/admin/mappings', label: '科室映射' },
    { to: '/admin/inbox', label: 'HIS 消息' },
    { to: '/admin/routing', label: '投诉分派' },
    { to: '/admin/staffing', label: '人员测算' },
    { to: '/admin/clinics', label: '出诊安排' },
    { to: '/admin/quotas', label: '预约号源' },
    { to: '/admin/audit', label: '审计日志' },
    { to: '/admin/blacklist', label: '爽约黑名单' },
    { to: '/management', label: '全院概览' },
    { to: '/reports', label: '管理报表' },
    { to: '/tickets', label: '全院工单' },
    { to: '/supervisor/workflows', label: '流程监控' },
  ],
};

/** Whether a nav target's query (none, or e.g. `?queue=rating`) is the current one. */
function sameQuery(to: string, search: string): boolean {
  const query = to.includes('?') ? to.slice(to.indexOf('?')) : '';
  return query === '' ? !new URLSearchParams(search).has('queue') : new URLSearchParams(search).get('queue') === new URLSearchParams(query).get('queue');
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const department = user.departmentCode ? await context.services.directory.department(user.departmentCode) : null;
  return { user, departmentName: department?.name ?? null, unread: await context.services.notifications.unreadCount(user) };
}

export default function Portal() {
  const { user, departmentName, unread } = useLoaderData<typeof loader>();
  const location = useLocation();
  return (
    <div className="portal">
      <header className="topbar">
        <strong className="brand">随访管理平台</strong>
        <nav>
          {NAV[user.role].map((item) => (
            <NavLink
              key={item.to}
              to={item.to}
              end={item.end}
              // Two entries may share a path (我的工单, 待回访评价): the query tells them apart.
              className={({ isActive }) => (isActive && sameQuery(item.to, location.search) ? 'active' : '')}
            >
              {item.label}
            </NavLink>
          ))}
        </nav>
        {user.role !== 'agent' && (
          <NavLink to="/notifications" className="notifications-link" aria-label={`通知,${unread} 条未读`}>
            通知{unread > 0 && <span className="badge" data-testid="unread-count">{unread}</span>}
          </NavLink>
        )}
        <span className="who">
          {user.displayName} · {ROLE_LABELS[user.role]}
          {departmentName ? ` · ${departmentName}` : ''}
        </span>
        <NavLink to="/account/password" className="small">
          修改密码
        </NavLink>
        <Form method="post" action="/logout">
          <button type="submit" className="link-button">
            退出
          </button>
        </Form>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
