/**
 * 模拟手机, calls (issue 16): what the Twilio Voice simulator's phones do. A ringing phone can be
 * picked up or rejected, a call waiting at a keypress question takes keys, a call in progress can
 * be hung up; what each leg heard (<Say>) is shown. Refreshes itself while a call waits.
 */
import { useEffect } from 'react';
import { Form, useRevalidator } from '@remix-run/react';
import type { SimCall } from '../../../scripts/simulators/twilio-voice.js';

const STATUS: Record<string, string> = {
  queued: '排队',
  initiated: '呼叫中',
  ringing: '振铃',
  'in-progress': '通话中',
  completed: '已结束',
  busy: '忙线/拒接',
  'no-answer': '未接',
  failed: '失败',
  canceled: '已取消',
};

export function SimCalls({ calls }: { calls: (SimCall & { patientName: string | null })[] }) {
  const revalidator = useRevalidator();
  const active = calls.some((c) => !['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(c.status));
  useEffect(() => {
    const timer = setInterval(() => revalidator.state === 'idle' && revalidator.revalidate(), active ? 1000 : 4000);
    return () => clearInterval(timer);
  }, [active, revalidator]);
  if (calls.length === 0) return <p className="empty">还没有来电。客服点「拨打」后，坐席电话和患者电话会在这里响铃。</p>;
  return (
    <ol className="sim-calls" data-testid="sim-calls">
      {calls.map((c) => (
        <li key={c.sid} className={`sim-call${c.waitingFor ? ' waiting' : ''}`} data-sid={c.sid}>
          <div>
            <strong>{c.parentSid ? `患者 ${c.patientName ?? ''}` : c.patientName ? `患者 ${c.patientName}（语音回访）` : '坐席电话'}</strong> <small>{c.to}</small> ·{' '}
            <span>{c.waitingFor === 'pickup' ? '来电振铃中' : c.waitingFor === 'keys' ? '等待按键' : (STATUS[c.status] ?? c.status)}</span>
            {c.recordingSid && <small> · 已录音</small>}
          </div>
          {c.heard.length > 0 && <p className="muted small">听到：{c.heard.join(' / ')}</p>}
          {c.pressed.length > 0 && <p className="muted small">已按：{c.pressed.join('、')}</p>}
          <Form method="post" className="reply">
            <input type="hidden" name="sid" value={c.sid} />
            {c.waitingFor === 'pickup' && (
              <>
                <button type="submit" name="call" value="answer">
                  接听
                </button>
                <button type="submit" name="call" value="reject">
                  拒接
                </button>
              </>
            )}
            {c.waitingFor === 'keys' &&
              ['1', '2', '3', '4', '5', '0'].map((k) => (
                <button key={k} type="submit" name="digits" value={k}>
                  {k}
                </button>
              ))}
            {c.waitingFor === 'keys' && <input type="hidden" name="call" value="press" />}
            {c.waitingFor === 'hangup' && (
              <button type="submit" name="call" value="hangup">
                挂断
              </button>
            )}
          </Form>
        </li>
      ))}
    </ol>
  );
}
