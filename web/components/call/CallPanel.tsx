/**
 * 拨打 (issue 16): one-click call to the patient through the hospital's telephony, on the task page
 * (shortcut Alt+C) and the ticket page. The agent's own phone rings first, then the patient: the
 * number is never shown. While the call goes on its state is polled; finished calls are listed with
 * their recording, played through the API (which checks who may hear it and audits each play).
 * Without telephony, a deployment may let the task's agent reveal the number for this call.
 */
import { useEffect, useState } from 'react';
import { useRevalidator } from '@remix-run/react';
import { CALL_OUTCOME_LABELS, CALL_STATUS_LABELS } from '../../../domain/voice.js';
import type { CallView } from '../../../services/calls.js';
import { formatTime } from '../task-format.js';
import { useHotkeys } from '../useHotkeys.js';

const FINAL = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export interface CallPanelProps {
  /** POST target of 拨打: /api/tasks/<id>/call or /api/tickets/<id>/call. */
  callUrl: string;
  /** Task pages only: the reveal-number fallback. */
  revealUrl?: string;
  calls: CallView[];
  settings: { telephony: boolean; revealAllowed: boolean };
  canCall: boolean;
  /** Alt+C places the call (the task page). */
  hotkey?: boolean;
  label?: string;
}

const statusText = (c: CallView) => (c.outcome && c.outcome !== 'answered' ? CALL_OUTCOME_LABELS[c.outcome] : (CALL_STATUS_LABELS[c.status] ?? c.status));

export function CallPanel({ callUrl, revealUrl, calls, settings, canCall, hotkey = false, label = '拨打' }: CallPanelProps) {
  const revalidator = useRevalidator();
  const [current, setCurrent] = useState<CallView | null>(() => calls.find((c) => !FINAL.has(c.status)) ?? null);
  const [error, setError] = useState<string | null>(null);
  const [placing, setPlacing] = useState(false);
  const [revealed, setRevealed] = useState<string | null>(null);

  // While a call goes on, its state every second; when it ends, the page's data (attempts, recordings) again.
  const refresh = async (callId: string) => {
    const res = await fetch(`/api/calls/${callId}`, { headers: { accept: 'application/json' } });
    if (!res.ok) return;
    const next = (await res.json()) as CallView;
    setCurrent(next);
    if (FINAL.has(next.status) && (next.hasRecording || next.outcome !== 'answered')) revalidator.revalidate();
  };
  useEffect(() => {
    if (!current || FINAL.has(current.status)) return;
    const timer = setInterval(() => void refresh(current.id), 1000);
    return () => clearInterval(timer);
  });
  // The recording arrives shortly after an answered call ends: keep looking for it a while.
  useEffect(() => {
    if (!current || !FINAL.has(current.status) || current.outcome !== 'answered' || current.hasRecording) return;
    if (Date.now() - Date.parse(current.createdAt) > 15 * 60_000) return;
    const timer = setTimeout(() => void refresh(current.id), 1000);
    return () => clearTimeout(timer);
  });

  async function place() {
    if (placing || !canCall || !settings.telephony || (current && !FINAL.has(current.status))) return;
    setPlacing(true);
    setError(null);
    try {
      const res = await fetch(callUrl, { method: 'POST', headers: { accept: 'application/json' } });
      const body = (await res.json()) as { callId?: string; message?: string };
      if (!res.ok || !body.callId) throw new Error(body.message ?? '拨号失败');
      const call = await fetch(`/api/calls/${body.callId}`);
      setCurrent(call.ok ? ((await call.json()) as CallView) : null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPlacing(false);
    }
  }

  async function reveal() {
    if (!revealUrl) return;
    const res = await fetch(revealUrl, { method: 'POST' });
    const body = (await res.json()) as { phone?: string; message?: string };
    if (res.ok && body.phone) setRevealed(body.phone);
    else setError(body.message ?? '无法显示号码');
  }

  useHotkeys({ 'alt+c': () => void place() }, { enabled: hotkey && canCall && settings.telephony });

  const live = current && !FINAL.has(current.status) ? current : null;
  const merged = current && FINAL.has(current.status) && !calls.some((c) => c.id === current.id) ? [current, ...calls] : calls;
  return (
    <section className="call-panel" data-testid="call-panel" aria-label="电话">
      {settings.telephony ? (
        <button type="button" className="call-button" onClick={() => void place()} disabled={!canCall || placing || !!live} data-testid="call-button">
          {placing ? '正在拨号…' : live ? '通话中' : label} {hotkey && <kbd aria-hidden>Alt+C</kbd>}
        </button>
      ) : settings.revealAllowed && revealUrl ? (
        <div className="call-reveal">
          {revealed ? (
            <span data-testid="revealed-phone">
              患者电话：<strong className="mono">{revealed}</strong>（仅限本次拨打，已记录审计）
            </span>
          ) : (
            <button type="button" className="small-button" onClick={() => void reveal()} disabled={!canCall}>
              显示号码（未接入电话系统）
            </button>
          )}
        </div>
      ) : (
        <p className="muted small">未接入电话系统，请用院内电话联系</p>
      )}
      {live && (
        <p className="call-live" role="status" data-testid="call-status">
          {statusText(live)}
          {live.status === 'agent_ringing' && '：请接听您的坐席电话'}
        </p>
      )}
      {current && !live && (
        <p className="call-live" role="status" data-testid="call-status">
          本次通话：{statusText(current)}
          {current.durationSeconds ? ` · ${current.durationSeconds} 秒` : ''}
          {current.outcome && current.outcome !== 'answered' && current.outcome !== 'agent_unreachable' && '（已计为一次未接通）'}
        </p>
      )}
      {error && (
        <p className="alert alert-danger" role="alert">
          {error}
        </p>
      )}
      {merged.length > 0 && (
        <ol className="attempts calls" data-testid="calls">
          {merged.map((c) => (
            <li key={c.id}>
              {formatTime(c.createdAt)} · <strong>{c.kind === 'ivr' ? '语音回访' : '电话'}</strong> · {statusText(c)}
              {c.durationSeconds ? ` · ${c.durationSeconds} 秒` : ''}
              {c.ivrDigits && ` · 按键 ${c.ivrDigits}`}
              {c.agentName && <span className="muted"> · {c.agentName}</span>}
              {c.hasRecording && (
                <div>
                  <audio controls preload="none" src={`/api/calls/${c.id}/recording`} data-testid="call-recording" aria-label="通话录音" />
                </div>
              )}
              {c.recordingDeleted && <div className="muted small">录音已超过保存期限并已删除</div>}
            </li>
          ))}
        </ol>
      )}
      {!current && merged.length === 0 && <p className="muted small">尚无通话</p>}
    </section>
  );
}
