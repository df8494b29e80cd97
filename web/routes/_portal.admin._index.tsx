import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link } from '@remix-run/react';
import { requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '系统管理 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, ['admin']);
  return null;
}

/** What an administrator keeps, grouped the way a hospital sets itself up; each area has its own page. */
const AREAS: { title: string; links: { to: string; label: string; hint: string }[] }[] = [
  {
    title: '人员与科室',
    links: [
      { to: '/admin/users', label: '用户管理', hint: '新建、批量导入、重置密码、停用' },
      { to: '/admin/departments', label: '科室管理', hint: '临床/职能科室、科主任、是否启用随访' },
      { to: '/admin/mappings', label: 'HIS 科室映射', hint: 'HIS 科室代码对应到本系统科室' },
    ],
  },
  {
    title: '随访与投诉',
    links: [
      { to: '/admin/rules', label: '随访规则', hint: '出院后第几天、用哪个问卷、哪种渠道' },
      { to: '/admin/templates', label: '问卷模板', hint: '问题、红旗预警条件（有版本）' },
      { to: '/admin/routing', label: '投诉分派', hint: '各类投诉的负责科室与处理时限' },
      { to: '/admin/replies', label: '快捷回复', hint: '常用问题（用药、复诊、报销、报告）的标准回答' },
      { to: '/admin/staffing', label: '人员测算', hint: '按本院出院量与渠道,不同客服人数下的覆盖率与积压' },
    ],
  },
  {
    title: '门诊',
    links: [
      { to: '/admin/clinics', label: '出诊安排', hint: '专家、每周出诊、停诊日期' },
      { to: '/admin/quotas', label: '预约号源', hint: '按历史到诊计算的号源与调整' },
      { to: '/admin/blacklist', label: '爽约黑名单', hint: '查看与提前解除' },
    ],
  },
  {
    title: '运行与安全',
    links: [
      { to: '/admin/inbox', label: 'HIS 消息', hint: '收到的每条消息、结果与重放' },
      { to: '/supervisor/workflows', label: '流程监控', hint: '失败或反复重试的流程' },
      { to: '/admin/audit', label: '审计日志', hint: '谁在何时查看或修改了什么' },
    ],
  },
];

export default function AdminHome() {
  return (
    <>
      <h1>系统管理</h1>
      <div className="admin-areas">
        {AREAS.map((area) => (
          <section key={area.title} className="card">
            <h2>{area.title}</h2>
            <ul className="plain-list">
              {area.links.map((l) => (
                <li key={l.to}>
                  <Link to={l.to}>{l.label}</Link> <span className="hint">{l.hint}</span>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </>
  );
}
