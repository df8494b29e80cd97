import { Link } from '@remix-run/react';
import type { DischargeListItem } from '../../services/discharges.js';

const SEX: Record<string, string> = { M: '男', F: '女' };

export function DischargeTable({ items }: { items: DischargeListItem[] }) {
  if (items.length === 0) return <p className="empty">暂无出院患者</p>;
  return (
    <table className="grid" data-testid="discharge-table">
      <thead>
        <tr>
          <th>患者</th>
          <th>性别/年龄</th>
          <th>电话</th>
          <th>诊断</th>
          <th>手术/操作</th>
          <th>主治医生</th>
          <th>出院日期</th>
          <th>出院天数</th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr key={d.encounterId}>
            <td>
              <Link to={`/patients/${d.patientId}`}>{d.patientName}</Link>
            </td>
            <td>
              {SEX[d.sex ?? ''] ?? '—'} / {d.age ?? '—'}
            </td>
            <td className="mono">{d.phoneMasked}</td>
            <td>{d.diagnosis ?? '—'}</td>
            <td>{d.procedure ?? '—'}</td>
            <td>{d.attendingDoctor ?? '—'}</td>
            <td>{new Date(d.dischargedAt).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai' })}</td>
            <td>
              {d.daysSinceDischarge} 天
              {d.followUpSkipped && (
                <span className="hint" title={d.followUpSkipped}>
                  {' '}
                  · 不随访({d.followUpSkipped === '科室未启用随访' ? '科室未启用' : '到达过晚'})
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
