/**
 * The call's form: the questions (digits pick an option), a note (Alt+K inserts a canned reply),
 * the optional feedback (a complaint becomes a ticket; praise or a suggestion goes to the department
 * as information), and one button per outcome with its shortcut (Ctrl+Enter 完成并下一个, Alt+1..4,
 * Alt+F opens the feedback). Refusals come back as field errors beside their fields.
 */
import { Form, useNavigation } from '@remix-run/react';
import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { Question } from '../../../domain/questions.js';
import type { TaskDetail } from '../../../services/tasks.js';
import { FEEDBACK_KINDS, FEEDBACK_KIND_LABELS } from '../../../workflows/feedback-ticket/labels.js';
import { useHotkeys } from '../useHotkeys.js';
import { CannedReplyButton } from '../CannedReplies.js';
import type { ActionResult, Intent } from './contact-form-data.js';

/** Only a complaint becomes a ticket; praise and suggestions go to the department as information. */
const FEEDBACK_KIND_CHOICES = FEEDBACK_KINDS.map((value) => ({ value, label: FEEDBACK_KIND_LABELS[value] }));

const isRequired = (q: Question) => q.required ?? q.type !== 'text';

/** A stored or submitted answer as the form's string value. */
function asFormValue(value: unknown): string | undefined {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  return undefined;
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

export function ContactForm({
  task,
  feedbackCategories,
  feedbackSubtags,
  feedbackDepartments,
  result,
  onEdit,
}: {
  task: TaskDetail;
  feedbackCategories: { value: string; label: string }[];
  feedbackSubtags: { category: string; label: string }[];
  feedbackDepartments: { code: string; name: string }[];
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
  const [feedbackKind, setFeedbackKind] = useState(values?.['feedback.kind'] ?? 'complaint');

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
        <textarea name="note" rows={2} maxLength={500} defaultValue={values?.['note'] ?? ''} placeholder="通话情况、患者诉求等" data-canned-target />
        {errors['note'] && <span className="field-error">{errors['note']}</span>}
      </label>
      <CannedReplyButton name="note" />

      <details className="feedback" ref={feedbackRef} open={feedbackOpen || undefined}>
        <summary>
          记录反馈 <kbd aria-hidden>Alt+F</kbd>
          <span className="muted small">（投诉、表扬或建议，随本次结果一起提交）</span>
        </summary>
        <div className="feedback-fields">
          <fieldset className="feedback-kind">
            <legend>类型</legend>
            {FEEDBACK_KIND_CHOICES.map((k) => (
              <label key={k.value} className="option">
                <input type="radio" name="feedback.kind" value={k.value} checked={feedbackKind === k.value} onChange={() => setFeedbackKind(k.value)} />
                <span>{k.label}</span>
              </label>
            ))}
            <span className="muted small">{feedbackKind === 'complaint' ? '生成工单，24 小时内处理' : '转责任科室知悉，不生成工单'}</span>
          </fieldset>
          <label>
            {feedbackKind === 'complaint' ? '类别' : '涉及方面'}
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
              disabled={subtagChoices.length === 0 || feedbackKind !== 'complaint'}
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
        <kbd>Alt+4</kbd> 拒访 · <kbd>Alt+F</kbd> 记录反馈 · <kbd>Alt+K</kbd> 快捷回复 · <kbd>Esc</kbd> 返回列表 · 题内按数字键选择
      </p>
    </Form>
  );
}
