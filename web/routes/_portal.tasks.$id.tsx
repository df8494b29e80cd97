import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigate, useNavigation } from '@remix-run/react';
import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { redFlags, type AnswerValue, type Question } from '../../domain/questions.js';
import { isServiceError, type FieldProblem, type ServiceError } from '../../services/errors.js';
import { FEEDBACK_CATEGORIES, FEEDBACK_CATEGORY_LABELS } from '../../workflows/contracts.js';
import { orRespond, requireUser } from '../auth.server.js';
import { CHANNEL_LABELS, formatDate, formatTime, OUTCOME_LABELS, SEX_LABELS, TASK_STATUS_LABELS } from '../components/task-format.js';
import { isTextEntry, useHotkeys } from '../components/useHotkeys.js';

export const meta: MetaFunction = () => [{ title: '随访任务 · 随访管理平台' }];

/** One task: the patient's context, the opening line, the questions and the call history (a view the service audits). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const task = await orRespond(context.services.tasks.get(user, params.id!, context.meta));
  const search = new URL(request.url).searchParams;
  const canRecord = task.status === 'open' && (user.role === 'agent' || user.role === 'admin');
  // The feedback form's choices: the problem taxonomy per category, and the departments a complaint can be sent to instead.
  const [subtags, departments] = canRecord
    ? await Promise.all([context.services.tickets.subtags(), context.services.directory.departments()])
    : [[], []];
  return {
    task,
    canRecord,
    flash: search.has('saved') ? ('saved' as const) : search.has('prev') ? ('prev' as const) : null,
    feedbackCategories: FEEDBACK_CATEGORIES.map((value) => ({ value, label: FEEDBACK_CATEGORY_LABELS[value] })),
    feedbackSubtags: subtags,
    feedbackDepartments: departments.map((d) => ({ code: d.code, name: d.name })),
  };
}

type Outcome = 'completed' | 'no_answer' | 'wrong_number' | 'refused';

/** The submit buttons' `intent` values. */
const INTENTS = {
  complete_next: { outcome: 'completed', next: true },
  complete: { outcome: 'completed', next: false },
  no_answer: { outcome: 'no_answer', next: false },
  wrong_number: { outcome: 'wrong_number', next: false },
  refused: { outcome: 'refused', next: false },
} as const satisfies Record<string, { outcome: Outcome; next: boolean }>;
type Intent = keyof typeof INTENTS;

const isIntent = (value: unknown): value is Intent => typeof value === 'string' && Object.hasOwn(INTENTS, value);

interface ActionResult {
  /** A problem with the request as a whole (403, 404, unknown intent …). */
  error?: string;
  /** The task was closed or reassigned meanwhile (409): shown prominently. */
  conflict?: string;
  /** `answers.<id>`, `note`, `feedback.category` … → message. */
  fieldErrors?: Record<string, string>;
  /** What was submitted, to fill the form again (also without JavaScript). */
  values?: Record<string, string>;
}

/** A form string as the JSON type of its question: rating → number, yes_no → boolean, else string; blank → omitted. */
function answerValue(type: string, raw: string): AnswerValue | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  switch (type) {
    case 'rating':
      return /^-?\d+$/.test(value) ? Number(value) : value; // anything else: the workflow names the problem
    case 'yes_no':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
};

/** The contact as recordContact takes it; answers go only with 完成 (a failed call has none). */
function contactInput(form: FormData, outcome: Outcome) {
  const input: {
    outcome: Outcome;
    answers?: Record<string, AnswerValue>;
    note?: string;
    feedback?: { category: string; description: string; subtag?: string; departmentCode?: string; reason?: string };
  } = { outcome };
  if (outcome === 'completed') {
    const answers: Record<string, AnswerValue> = {};
    for (const [key, raw] of form.entries()) {
      if (!key.startsWith('answers.') || typeof raw !== 'string') continue;
      const id = key.slice('answers.'.length);
      const value = answerValue(text(form, `type.${id}`), raw);
      if (value !== undefined) answers[id] = value;
    }
    input.answers = answers;
  }
  const note = text(form, 'note');
  if (note) input.note = note;
  const category = text(form, 'feedback.category');
  const description = text(form, 'feedback.description');
  if (category || description) {
    input.feedback = { category, description };
    const subtag = text(form, 'feedback.subtag');
    const departmentCode = text(form, 'feedback.departmentCode');
    const reason = text(form, 'feedback.reason');
    if (subtag) input.feedback.subtag = subtag;
    if (departmentCode) input.feedback.departmentCode = departmentCode;
    if (reason) input.feedback.reason = reason;
  }
  return input;
}

function submittedValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string' && (key.startsWith('answers.') || key.startsWith('feedback.') || key === 'note')) values[key] = value;
  }
  return values;
}

const PROBLEM_RE = /^((?:answers|feedback)(?:\.[A-Za-z0-9_]+)?|note|outcome): (.+)$/s;

/**
 * Field problems of a service error: a ValidationError's list, or the answers the workflow's
 * Update validator refused (it reports them as one 409 message "answers.pain: 此题必须回答; …").
 */
function fieldProblems(err: ServiceError): FieldProblem[] | null {
  const listed = err.details?.problems;
  if (Array.isArray(listed)) return listed as FieldProblem[];
  if (err.status !== 409) return null;
  const parts = err.message.split('; ').map((part) => PROBLEM_RE.exec(part));
  if (parts.length === 0 || parts.some((m) => m === null)) return null;
  return parts.map((m) => ({ field: m![1]!, message: m![2]! }));
}

/** Records the call's outcome through the workflow (service), then moves on or comes back with the problems. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const taskId = params.id!;
  const form = await request.formData();
  const intent = form.get('intent');
  const values = submittedValues(form);
  if (!isIntent(intent)) return data<ActionResult>({ error: '未知的操作', values }, { status: 400 });
  const { outcome, next } = INTENTS[intent];
  try {
    const reply = await context.services.tasks.recordContact(user, taskId, contactInput(form, outcome), context.meta);
    if (next) return redirect(reply.nextTaskId ? `/tasks/${reply.nextTaskId}?prev=1` : '/agent');
    return redirect(`/tasks/${taskId}?saved=1`);
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const problems = fieldProblems(err);
    if (problems) {
      const fieldErrors = Object.fromEntries(problems.map((p) => [p.field, p.message]));
      return data<ActionResult>({ error: '请检查标红的项目', fieldErrors, values }, { status: 400 });
    }
    if (err.status === 409) return data<ActionResult>({ conflict: err.message, values }, { status: 409 });
    return data<ActionResult>({ error: err.message, values }, { status: err.status });
  }
}

export default function TaskRoute() {
  return <TaskPage />;
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;
type Task = LoaderData['task'];

/** A stored or submitted answer as the form's string value. */
function asFormValue(value: unknown): string | undefined {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  return undefined;
}

function answerText(q: Question, value: unknown): string {
  if (value === undefined || value === null || value === '') return '未回答';
  if (q.type === 'yes_no') return value === true ? '是' : value === false ? '否' : String(value);
  if (q.type === 'rating') return `${String(value)} 分`;
  return String(value);
}

const isRequired = (q: Question) => q.required ?? q.type !== 'text';

function TaskPage() {
  const { task, canRecord, flash, feedbackCategories, feedbackSubtags, feedbackDepartments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
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
            第 {task.touchpointIndex + 1} 次随访 · {CHANNEL_LABELS[task.channel] ?? task.channel}
          </span>
        </h1>
        <span className={`status status-${task.status}`} data-testid="task-status">
          {TASK_STATUS_LABELS[task.status]}
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
          已保存：第 {last.attempt} 次 · {OUTCOME_LABELS[last.outcome] ?? last.outcome}
          {task.status === 'open' && `。该任务将于 ${formatTime(task.dueAt)} 重新回到待随访列表`}
          {task.urgent && '。回答触发了红旗预警，已通知科室'}
        </div>
      )}
      {!result && flash === 'prev' && (
        <div className="alert alert-success" role="status">
          上一位患者的随访已保存
        </div>
      )}

      <div className="task-layout">
        <aside>
          <PatientCard task={task} />
          <h2>联系记录</h2>
          {task.attemptsLog.length === 0 ? (
            <p className="empty">尚无联系记录</p>
          ) : (
            <ol className="attempts" data-testid="attempts">
              {task.attemptsLog.map((a) => (
                <li key={a.attempt}>
                  第 {a.attempt} 次 · <strong>{OUTCOME_LABELS[a.outcome] ?? a.outcome}</strong> · {formatTime(a.at)}
                  {a.byPatient && <span className="muted">（患者自助填写）</span>}
                  {a.note && <div className="muted small">{a.note}</div>}
                </li>
              ))}
            </ol>
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

function PatientCard({ task }: { task: Task }) {
  return (
    <dl className="facts patient-card" data-testid="patient-card">
      <dt>姓名</dt>
      <dd>{task.patientName}</dd>
      <dt>年龄</dt>
      <dd>{task.age === null ? '—' : `${task.age} 岁`}</dd>
      <dt>性别</dt>
      <dd>{SEX_LABELS[task.sex ?? ''] ?? '—'}</dd>
      <dt>电话</dt>
      <dd className="mono phone">{task.phoneMasked || '—'}</dd>
      <dt>科室</dt>
      <dd>
        {task.departmentName}
        {task.ward && <span className="muted"> · {task.ward}</span>}
      </dd>
      <dt>手术/操作</dt>
      <dd>{task.procedure ?? '—'}</dd>
      <dt>诊断</dt>
      <dd>{task.diagnosis ?? '—'}</dd>
      <dt>主治医生</dt>
      <dd>{task.attendingDoctor ?? '—'}</dd>
      <dt>责任护士</dt>
      <dd>{task.nurse ?? '—'}</dd>
      <dt>出院日期</dt>
      <dd>{formatDate(task.dischargedAt)}</dd>
      <dt>出院天数</dt>
      <dd>{task.daysSinceDischarge} 天</dd>
      <dt>应随访</dt>
      <dd>{formatTime(task.dueAt)}</dd>
      <dt>尝试次数</dt>
      <dd>
        {task.attempts}/{task.maxAttempts}
      </dd>
    </dl>
  );
}

/** A closed task: what was answered, read-only. */
function ClosedAnswers({ task }: { task: Task }) {
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
        {task.status === 'open' ? '您没有记录该任务的权限。' : `该任务${TASK_STATUS_LABELS[task.status]}，不能再记录。`}
      </p>
    </section>
  );
}

const BUTTONS: { intent: Intent; label: string; keys: string; className: string; validate: boolean }[] = [
  { intent: 'complete_next', label: '完成并下一个', keys: 'Ctrl+Enter', className: 'primary', validate: true },
  { intent: 'complete', label: '完成', keys: 'Alt+1', className: 'primary-outline', validate: true },
  { intent: 'no_answer', label: '未接通', keys: 'Alt+2', className: 'secondary', validate: false },
  { intent: 'wrong_number', label: '号码错误', keys: 'Alt+3', className: 'secondary', validate: false },
  { intent: 'refused', label: '拒访', keys: 'Alt+4', className: 'danger-outline', validate: false },
];

/** Digits pick an option inside a focused radio group: the score for ratings, the n-th option otherwise. */
function pickByDigit(event: ReactKeyboardEvent<HTMLFieldSetElement>, type: Question['type']) {
  if (event.ctrlKey || event.altKey || event.metaKey || !/^[1-9]$/.test(event.key)) return;
  if (!(event.target instanceof HTMLInputElement) || event.target.type !== 'radio') return;
  const radios = Array.from(event.currentTarget.querySelectorAll<HTMLInputElement>('input[type=radio]'));
  const radio = type === 'rating' ? radios.find((r) => r.value === event.key) : radios[Number(event.key) - 1];
  if (!radio) return;
  event.preventDefault();
  radio.focus();
  radio.click();
}

function ContactForm({
  task,
  feedbackCategories,
  feedbackSubtags,
  feedbackDepartments,
  result,
  onEdit,
}: {
  task: Task;
  feedbackCategories: LoaderData['feedbackCategories'];
  feedbackSubtags: LoaderData['feedbackSubtags'];
  feedbackDepartments: LoaderData['feedbackDepartments'];
  result: ActionResult | undefined;
  onEdit: () => void;
}) {
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const formRef = useRef<HTMLFormElement>(null);
  const feedbackRef = useRef<HTMLDetailsElement>(null);
  const errors = result?.fieldErrors ?? {};
  const values = result?.values;
  const prefill = (q: Question) => values?.[`answers.${q.id}`] ?? asFormValue(task.answers[q.id]);
  const feedbackOpen = Boolean(
    errors['feedback.category'] ||
      errors['feedback.description'] ||
      errors['feedback.subtag'] ||
      errors['feedback.departmentCode'] ||
      errors['feedback.reason'] ||
      values?.['feedback.description'],
  );
  // The sub-categories follow the chosen category; a reason is required once another department is picked.
  const [feedbackCategory, setFeedbackCategory] = useState(values?.['feedback.category'] ?? '');
  const [targetDepartment, setTargetDepartment] = useState(values?.['feedback.departmentCode'] ?? '');
  const subtagChoices = feedbackSubtags.filter((s) => s.category === feedbackCategory);

  // Ready to answer: the first question has the focus (digits pick its option).
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('fieldset input[type=radio], fieldset textarea')?.focus({ preventScroll: true });
  }, []);

  const submit = (intent: Intent) => {
    const button = formRef.current?.querySelector<HTMLButtonElement>(`button[name=intent][value=${intent}]`);
    if (button && !busy) formRef.current?.requestSubmit(button);
  };
  useHotkeys({
    'mod+Enter': () => submit('complete_next'),
    'alt+1': () => submit('complete'),
    'alt+2': () => submit('no_answer'),
    'alt+3': () => submit('wrong_number'),
    'alt+4': () => submit('refused'),
    'alt+f': () => {
      const details = feedbackRef.current;
      if (!details) return;
      details.open = !details.open;
      if (details.open) details.querySelector<HTMLElement>('select')?.focus();
    },
  });

  return (
    <Form
      method="post"
      action={`/tasks/${task.id}`}
      ref={formRef}
      className="contact-form"
      onChange={onEdit}
      onKeyDown={(e) => {
        // Enter in a radio or a one-line field would submit with the first button: only the shortcuts submit.
        if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && e.target instanceof HTMLInputElement) e.preventDefault();
      }}
      onSubmit={(e) => {
        const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
        if (submitter?.value === 'refused' && !window.confirm('确认患者拒绝随访？后续的随访将全部取消。')) e.preventDefault();
      }}
    >
      <h2>
        问卷 <span className="count">{task.templateName}</span>
      </h2>
      {task.questions.map((q, i) => {
        const name = `answers.${q.id}`;
        const error = errors[name];
        const value = prefill(q);
        const required = isRequired(q);
        const className = ['question', q.redFlag ? 'red-flag-question' : '', error ? 'has-error' : ''].filter(Boolean).join(' ');
        const radio = (optionValue: string, label: string) => (
          <label key={optionValue} className="option">
            <input
              type="radio"
              name={name}
              value={optionValue}
              defaultChecked={value === optionValue}
              required={required}
              aria-invalid={error ? true : undefined}
            />
            <span>{label}</span>
          </label>
        );
        return (
          <fieldset key={q.id} className={className} data-question={q.id} onKeyDown={(e) => pickByDigit(e, q.type)}>
            <legend>
              <span className="q-no">{i + 1}.</span> {q.text}
              {q.redFlag && (
                <span className="flag-mark" title="预警题：某些回答会触发红旗预警并通知科室">
                  预警
                </span>
              )}
              {!required && <span className="muted small">（选答）</span>}
            </legend>
            <input type="hidden" name={`type.${q.id}`} value={q.type} />
            {q.type === 'rating' && (
              <div className="options rating">
                {['1', '2', '3', '4', '5'].map((n) => radio(n, n))}
              </div>
            )}
            {q.type === 'yes_no' && <div className="options">{[radio('true', '是'), radio('false', '否')]}</div>}
            {q.type === 'choice' && <div className="options">{(q.options ?? []).map((o) => radio(o, o))}</div>}
            {q.type === 'text' && (
              <textarea name={name} rows={2} maxLength={500} defaultValue={value ?? ''} required={required} aria-label={q.text} />
            )}
            {error && (
              <p className="field-error" role="alert">
                {error}
              </p>
            )}
          </fieldset>
        );
      })}
      {errors['answers'] && <p className="field-error">{errors['answers']}</p>}

      <label className="note">
        备注（可选）
        <textarea name="note" rows={2} maxLength={500} defaultValue={values?.['note'] ?? ''} placeholder="通话情况、患者诉求等" />
        {errors['note'] && <span className="field-error">{errors['note']}</span>}
      </label>

      <details className="feedback" ref={feedbackRef} open={feedbackOpen || undefined}>
        <summary>
          记录反馈 <kbd aria-hidden>Alt+F</kbd>
          <span className="muted small">（投诉、表扬或建议，随本次结果一起提交）</span>
        </summary>
        <div className="feedback-fields">
          <label>
            类别
            <select name="feedback.category" value={feedbackCategory} onChange={(e) => setFeedbackCategory(e.target.value)}>
              <option value="">请选择类别</option>
              {feedbackCategories.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
            {errors['feedback.category'] && <span className="field-error">{errors['feedback.category']}</span>}
          </label>
          <label>
            子类（可选）
            <select
              name="feedback.subtag"
              key={feedbackCategory}
              defaultValue={values?.['feedback.category'] === feedbackCategory ? (values?.['feedback.subtag'] ?? '') : ''}
              disabled={subtagChoices.length === 0}
            >
              <option value="">{feedbackCategory ? '不细分' : '—'}</option>
              {subtagChoices.map((s) => (
                <option key={s.label} value={s.label}>
                  {s.label}
                </option>
              ))}
            </select>
            {errors['feedback.subtag'] && <span className="field-error">{errors['feedback.subtag']}</span>}
          </label>
          <label>
            内容
            <textarea name="feedback.description" rows={3} maxLength={1000} defaultValue={values?.['feedback.description'] ?? ''} />
            {errors['feedback.description'] && <span className="field-error">{errors['feedback.description']}</span>}
          </label>
          <label>
            指定其他科室（可选）
            <select name="feedback.departmentCode" value={targetDepartment} onChange={(e) => setTargetDepartment(e.target.value)}>
              <option value="">自动分派（不指定）</option>
              {feedbackDepartments.map((d) => (
                <option key={d.code} value={d.code}>
                  {d.name}
                </option>
              ))}
            </select>
            {errors['feedback.departmentCode'] && <span className="field-error">{errors['feedback.departmentCode']}</span>}
          </label>
          <label className="feedback-reason">
            原因{targetDepartment ? '' : '（指定科室时必填）'}
            <input
              name="feedback.reason"
              maxLength={500}
              defaultValue={values?.['feedback.reason'] ?? ''}
              required={Boolean(targetDepartment)}
              aria-invalid={errors['feedback.reason'] ? true : undefined}
              placeholder="为何交由该科室处理"
            />
            {errors['feedback.reason'] && <span className="field-error">{errors['feedback.reason']}</span>}
          </label>
        </div>
      </details>

      <div className="actions">
        {BUTTONS.map((b) => (
          <button
            key={b.intent}
            type="submit"
            name="intent"
            value={b.intent}
            className={b.className}
            formNoValidate={!b.validate}
            aria-keyshortcuts={b.keys.replace('Ctrl', 'Control')}
            disabled={busy}
          >
            {b.label} <kbd aria-hidden>{b.keys}</kbd>
          </button>
        ))}
      </div>
      <p className="kbd-legend">
        <kbd>Ctrl+Enter</kbd> 完成并下一个 · <kbd>Alt+1</kbd> 完成 · <kbd>Alt+2</kbd> 未接通 · <kbd>Alt+3</kbd> 号码错误 ·{' '}
        <kbd>Alt+4</kbd> 拒访 · <kbd>Alt+F</kbd> 记录反馈 · <kbd>Esc</kbd> 返回列表 · 题内按数字键选择
      </p>
    </Form>
  );
}
