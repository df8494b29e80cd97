/**
 * One follow-up task, keyboard-first: the patient's context, the opening line, the questions and
 * the call history; recording the call goes through the service to the follow-up workflow. The
 * server side is in task.server.ts, the parts of the page under web/components/task/.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigate } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { TOUCHPOINT_STATUS_LABELS } from '../../../workflows/follow-up/labels.js';
import { ticketCategoryLabel } from '../../../workflows/feedback-ticket/labels.js';
import { CallPanel } from '../../components/call/CallPanel.js';
import { ClosedAnswers } from '../../components/task/ClosedAnswers.js';
import { ContactForm } from '../../components/task/ContactForm.js';
import { CannedReplies } from '../../components/CannedReplies.js';
import type { ActionResult } from '../../components/task/contact-form-data.js';
import { PatientCard } from '../../components/task/PatientCard.js';
import { channelLabel, formatTime, outcomeLabel } from '../../components/task-format.js';
import { isTextEntry, useHotkeys } from '../../components/useHotkeys.js';
import { loadTaskPage, recordContact } from './task.server.js';

export const meta: MetaFunction = () => [{ title: '随访任务 · 随访管理平台' }];

export const loader = (args: LoaderFunctionArgs) => loadTaskPage(args);
export const action = (args: ActionFunctionArgs) => recordContact(args);

export default function TaskPage() {
  const { task, canRecord, calls, callSettings, flash, openedTickets, routedFeedback, cannedReplies, feedbackCategories, feedbackSubtags, feedbackDepartments } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigate = useNavigate();
  const dirty = useRef(false);
  useEffect(() => {
    dirty.current = false;
  }, [task.id, task.attempts]);

  useHotkeys(
    {
      Escape: (e) => {
        // In a text field Esc only leaves the field; otherwise back to the list (asking first if answers were entered).
        if (isTextEntry(e.target)) return (e.target as HTMLElement).blur();
        if (dirty.current && !window.confirm('已填写的内容尚未保存，确定返回任务列表？')) return;
        navigate('/agent');
      },
    },
    { allowInTextEntry: ['Escape'] },
  );

  const last = task.attemptsLog[task.attemptsLog.length - 1];
  return (
    <div className="task-page">
      <div className="page-head">
        <h1>
          {task.patientName}
          <span className="count">
            {' '}
            第 {task.touchpointIndex + 1} 次随访 · {channelLabel(task.channel)}
          </span>
        </h1>
        <span className={`status status-${task.status}`} data-testid="task-status">
          {TOUCHPOINT_STATUS_LABELS[task.status]}
        </span>
        {task.urgent && <span className="badge urgent">紧急</span>}
        {task.overdue && <span className="badge overdue">逾期</span>}
        <nav className="page-links">
          <Link to="/agent">
            ← 今日任务 <kbd aria-hidden>Esc</kbd>
          </Link>
          <Link to={`/tasks/${task.id}/follow-up`}>流程详情</Link>
        </nav>
      </div>

      {result?.conflict && (
        <div className="alert alert-danger" role="alert" data-testid="conflict">
          <strong>未能保存：</strong>
          {result.conflict}
        </div>
      )}
      {result?.error && (
        <div className="alert alert-danger" role="alert">
          {result.error}
        </div>
      )}
      {!result && flash === 'saved' && last && (
        <div className="alert alert-success" role="status">
          已保存：第 {last.attempt} 次 · {outcomeLabel(last.outcome)}
          {task.status === 'open' && `。该任务将于 ${formatTime(task.dueAt)} 重新回到待随访列表`}
          {task.urgent && '。回答触发了红旗预警，已通知科室'}
        </div>
      )}
      {!result && flash === 'prev' && (
        <div className="alert alert-success" role="status">
          上一位患者的随访已保存
        </div>
      )}
      {!result && flash && openedTickets.length > 0 && (
        <div className="alert alert-info" role="status" data-testid="opened-tickets">
          {flash === 'prev' ? '上一位患者的反馈' : '本次反馈'}已生成工单：
          {openedTickets.map((t, i) => (
            <span key={t.id}>
              {i > 0 && '；'}
              <Link to={`/tickets/${t.id}`} className="mono">
                {t.number}
              </Link>
              （{ticketCategoryLabel(t.category)} → {t.departmentName ?? '待分派'}，{formatTime(t.slaDueAt)} 前处理）
            </span>
          ))}
        </div>
      )}

      {!result && flash && routedFeedback.length > 0 && (
        <div className="alert alert-info" role="status" data-testid="routed-feedback">
          {flash === 'prev' ? '上一位患者的' : '本次'}
          {routedFeedback.map((f, i) => (
            <span key={f.id}>
              {i > 0 && '；'}
              {f.kindLabel}已转{f.departmentName ?? '未分配科室'}知悉（信息，不生成工单）
            </span>
          ))}
        </div>
      )}
      {canRecord && <CannedReplies replies={cannedReplies} />}

      <div className="task-layout">
        <aside>
          <PatientCard task={task} />
          <CallPanel callUrl={`/api/tasks/${task.id}/call`} revealUrl={`/api/tasks/${task.id}/reveal-phone`} calls={calls} settings={callSettings} canCall={canRecord} hotkey />
          {canRecord && !task.urgent && (
            <Form method="post" className="mark-urgent" data-testid="mark-urgent">
              <input type="hidden" name="intent" value="mark_urgent" />
              <label>
                标红说明
                <input name="reason" maxLength={200} placeholder="如：患者诉伤口红肿，需尽快回电" aria-label="标红说明" />
              </label>
              <button type="submit" className="small-button">
                标红（紧急）
              </button>
            </Form>
          )}
          <h2>联系记录</h2>
          {task.attemptsLog.length === 0 ? (
            <p className="empty">尚无联系记录</p>
          ) : (
            <ol className="attempts" data-testid="attempts">
              {task.attemptsLog.map((a) => (
                <li key={a.attempt}>
                  第 {a.attempt} 次 · <strong>{outcomeLabel(a.outcome)}</strong> · {formatTime(a.at)}
                  {a.byPatient && <span className="muted">（患者自助填写）</span>}
                  {a.note && <div className="muted small">{a.note}</div>}
                </li>
              ))}
            </ol>
          )}
          {task.patientMessages.length > 0 && (
            <>
              <h2>患者来信</h2>
              <ol className="attempts" data-testid="patient-messages">
                {task.patientMessages.map((m, i) => (
                  <li key={i}>
                    {formatTime(m.at)} · {m.body}
                  </li>
                ))}
              </ol>
            </>
          )}
        </aside>

        <section>
          <div className="opening-line" data-testid="opening-line">
            <span className="opening-label">话术</span>
            <p>{task.openingLine}</p>
          </div>
          {canRecord ? (
            <ContactForm
              key={task.id}
              task={task}
              feedbackCategories={feedbackCategories}
              feedbackSubtags={feedbackSubtags}
              feedbackDepartments={feedbackDepartments}
              result={result}
              onEdit={() => (dirty.current = true)}
            />
          ) : (
            <ClosedAnswers task={task} />
          )}
        </section>
      </div>
    </div>
  );
}
