/** A task that takes no more contacts (finished, or not the viewer's to record): its answers, read-only. */
import { redFlags, type AnswerValue, type Question } from '../../../domain/questions.js';
import type { TaskDetail } from '../../../services/tasks.js';
import { TOUCHPOINT_STATUS_LABELS } from '../../../workflows/follow-up/labels.js';

function answerText(q: Question, value: unknown): string {
  if (value === undefined || value === null || value === '') return '未回答';
  if (q.type === 'yes_no') return value === true ? '是' : value === false ? '否' : String(value);
  if (q.type === 'rating') return `${String(value)} 分`;
  return String(value);
}

/** A closed task: what was answered, read-only. */
export function ClosedAnswers({ task }: { task: TaskDetail }) {
  const flagged = new Set(redFlags(task.questions, task.answers as unknown as Record<string, AnswerValue>));
  return (
    <section className="card answers-readonly" data-testid="closed-answers">
      <h2>
        问卷回答 <span className="count">{task.templateName}</span>
      </h2>
      {task.questions.length === 0 ? (
        <p className="empty">无问卷</p>
      ) : (
        <dl className="answer-list">
          {task.questions.map((q, i) => (
            <div key={q.id} className={flagged.has(q.id) ? 'answer flagged' : 'answer'}>
              <dt>
                {i + 1}. {q.text}
              </dt>
              <dd>
                {answerText(q, task.answers[q.id])}
                {flagged.has(q.id) && <span className="badge urgent">预警</span>}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <p className="muted">
        {task.status === 'open' ? '您没有记录该任务的权限。' : `该任务${TOUCHPOINT_STATUS_LABELS[task.status]}，不能再记录。`}
      </p>
    </section>
  );
}
