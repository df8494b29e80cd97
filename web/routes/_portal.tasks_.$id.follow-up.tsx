import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useNavigate, useParams } from '@remix-run/react';
import { followUpWorkflowId } from '../../workflows/follow-up/contracts.js';
import { CANCEL_REASON_LABELS, FOLLOW_UP_STATUS_LABELS, TOUCHPOINT_STATUS_LABELS } from '../../workflows/follow-up/labels.js';
import { orRespond, requireUser, temporalUiUrl } from '../auth.server.js';
import { channelLabel, formatTime } from '../components/task-format.js';
import { TemporalLink } from '../components/TemporalLink.js';
import { useHotkeys } from '../components/useHotkeys.js';

export const meta: MetaFunction = () => [{ title: '随访流程 · 随访管理平台' }];

/** The follow-up workflow's live state (a Temporal query), and for supervisors the link to it in the Temporal UI. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const state = await orRespond(context.services.tasks.followUpState(user, params.id!));
  const workflowId = followUpWorkflowId(state.encounterId);
  const temporalUrl = temporalUiUrl(user, context, workflowId);
  return {
    state,
    cancelReason: state.cancelReason ? CANCEL_REASON_LABELS[state.cancelReason] : null,
    workflowId: temporalUrl ? workflowId : null,
    temporalUrl,
  };
}

export default function FollowUpDetail() {
  const { state, cancelReason, workflowId, temporalUrl } = useLoaderData<typeof loader>();
  const { id } = useParams();
  const navigate = useNavigate();
  useHotkeys({ Escape: () => navigate(`/tasks/${id}`) });
  return (
    <div className="follow-up-page">
      <div className="page-head">
        <h1>随访流程</h1>
        <span className={`status flow-${state.status}`} data-testid="flow-status">
          {FOLLOW_UP_STATUS_LABELS[state.status]}
        </span>
        {state.urgent && <span className="badge urgent">紧急</span>}
        <nav className="page-links">
          <Link to={`/tasks/${id}`}>
            ← 返回任务 <kbd aria-hidden>Esc</kbd>
          </Link>
          <TemporalLink url={temporalUrl} />
        </nav>
      </div>

      <dl className="facts">
        <dt>状态</dt>
        <dd>
          {FOLLOW_UP_STATUS_LABELS[state.status]}
          {cancelReason && `（${cancelReason}）`}
        </dd>
        <dt>开始时间</dt>
        <dd>{formatTime(state.startedAt)}</dd>
        <dt>出院关怀</dt>
        <dd>{state.greetingAt ? formatTime(state.greetingAt) : '—'}</dd>
        <dt>下次唤醒</dt>
        <dd>{state.nextWakeUp ? formatTime(state.nextWakeUp) : '—'}</dd>
        {workflowId && (
          <>
            <dt>流程 ID</dt>
            <dd className="mono">{workflowId}</dd>
          </>
        )}
      </dl>

      <h2>随访节点</h2>
      {state.touchpoints.length === 0 ? (
        <p className="empty">没有计划的随访</p>
      ) : (
        <ol className="timeline" data-testid="touchpoints">
          {state.touchpoints.map((tp) => (
            <li key={tp.index} className={`tp tp-${tp.status}${tp.urgent ? ' urgent' : ''}`}>
              <div className="tp-head">
                <strong>第 {tp.index + 1} 次</strong> · {channelLabel(tp.channel)} ·{' '}
                <span className={`status status-${tp.status}`}>{TOUCHPOINT_STATUS_LABELS[tp.status]}</span>
                {tp.urgent && <span className="badge urgent">紧急</span>}
              </div>
              <div className="tp-meta">
                应随访 {formatTime(tp.dueAt)} · 尝试 {tp.attempts}/{tp.maxAttempts}
                {tp.retryAt && <> · 下次重拨 {formatTime(tp.retryAt)}</>}
                {tp.taskId && tp.taskId !== id && (
                  <>
                    {' · '}
                    <Link to={`/tasks/${tp.taskId}`}>查看任务</Link>
                  </>
                )}
                {tp.taskId === id && <span className="muted"> · 当前任务</span>}
              </div>
            </li>
          ))}
        </ol>
      )}

      <h2>流程记录</h2>
      {state.history.length === 0 ? (
        <p className="empty">暂无记录</p>
      ) : (
        <table className="grid" data-testid="history">
          <thead>
            <tr>
              <th>时间</th>
              <th>事件</th>
              <th>说明</th>
            </tr>
          </thead>
          <tbody>
            {state.history.map((h, i) => (
              <tr key={i}>
                <td className="nowrap">{formatTime(h.at)}</td>
                <td>{h.event}</td>
                <td>{h.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
