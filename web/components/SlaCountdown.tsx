/** The SLA countdown of a ticket, shared by the ticket list and the ticket page. */
import { useEffect, useState } from 'react';

/** 3天2小时, 4小时12分, 不到1分钟. */
function span(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes < 1) return '不到1分钟';
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h ? `${d}天${h}小时` : `${d}天`;
  if (h > 0) return m ? `${h}小时${m}分` : `${h}小时`;
  return `${m}分`;
}

/** Time left until the SLA deadline ("剩余 3小时12分", or "已超时 2小时" in red); re-rendered every 30 s. */
export function SlaCountdown({ dueAt, active, breached, serverNow }: { dueAt: string; active: boolean; breached: boolean; serverNow: number }) {
  // The server's clock for the first render (no hydration mismatch), the browser's from then on.
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, [active]);
  if (!active) return <span className="sla sla-done">{breached ? '曾超时' : '—'}</span>;
  const left = Date.parse(dueAt) - now;
  if (left < 0 || breached) {
    return (
      <span className="sla sla-overdue" data-testid="sla">
        已超时 {span(Math.min(left, 0))}
      </span>
    );
  }
  return (
    <span className={left < 2 * 3600_000 ? 'sla sla-soon' : 'sla sla-ok'} data-testid="sla">
      剩余 {span(left)}
    </span>
  );
}

