/**
 * 表扬与建议 as a department receives them: information, not tickets (no deadline, no escalation).
 * Someone of the responsible department marks each one 已阅 (posted to the ticket list's action).
 */
import { Form } from '@remix-run/react';
import type { FeedbackInformation } from '../../services/feedback-info.js';
import { formatShortTime } from './task-format.js';

export function FeedbackInfoList({ items, canRead, back }: { items: FeedbackInformation[]; canRead: boolean; back: string }) {
  const unread = items.filter((f) => !f.readAt).length;
  return (
    <section aria-label="表扬与建议" className="feedback-info" data-testid="feedback-info">
      <h2>
        表扬与建议（信息） <span className="count">{unread} 条未阅</span>
        <span className="muted small"> 无处理时限，阅后知悉即可</span>
      </h2>
      {items.length === 0 ? (
        <p className="empty">暂无表扬或建议</p>
      ) : (
        <table className="grid compact feedback-info-list">
          <thead>
            <tr>
              <th>类型</th>
              <th>内容</th>
              <th>患者</th>
              <th>科室</th>
              <th>记录</th>
              <th>状态</th>
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <tr key={f.id} className={f.readAt ? 'info-read' : undefined} data-feedback-id={f.id}>
                <td className="nowrap">
                  <span className={`tag feedback-${f.kind}`}>{f.kindLabel}</span>
                  <div className="muted small">{f.categoryLabel}</div>
                </td>
                <td>{f.description}</td>
                <td>{f.patientName}</td>
                <td>{f.departmentName ?? '未分配科室'}</td>
                <td className="nowrap small">
                  {formatShortTime(f.createdAt)}
                  {f.recordedByName && <div className="muted">{f.recordedByName}</div>}
                </td>
                <td className="nowrap">
                  {f.readAt ? (
                    <span className="muted small">
                      已阅{f.readByName ? ` · ${f.readByName}` : ''}
                    </span>
                  ) : canRead ? (
                    <Form method="post" action="/tickets">
                      <input type="hidden" name="intent" value="feedback_read" />
                      <input type="hidden" name="id" value={f.id} />
                      <input type="hidden" name="back" value={back} />
                      <button type="submit" className="small-button">
                        已阅
                      </button>
                    </Form>
                  ) : (
                    <span className="muted small">未阅</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
