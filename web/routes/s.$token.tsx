import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import type { Question } from '../../domain/questions.js';

export const meta: MetaFunction = () => [{ title: '随访问卷' }];

/** The patient's survey or rating page (/s/:token from the SMS or WeChat message): no sign-in, the link is the key. */
export async function loader({ params, context }: LoaderFunctionArgs) {
  return context.services.surveys.view(params.token ?? '');
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = Object.fromEntries([...(await request.formData())].map(([k, v]) => [k, String(v)]));
  try {
    const done = await context.services.surveys.submit(params.token ?? '', form);
    return { done, errors: {} as Record<string, string>, values: form };
  } catch (err) {
    // The server bundle has its own copy of the error classes: recognise them by brand, not instanceof.
    if (isServiceError(err) && err.status === 400) {
      const problems = (err.details?.problems ?? []) as FieldProblem[];
      return { done: null, errors: Object.fromEntries(problems.map((p) => [p.field, p.message])), values: form };
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

const NOTICES = {
  invalid: { title: '链接无效', text: '请核对短信或微信消息中的链接是否完整。如需帮助,请致电医院随访中心。' },
  expired: { title: '链接已过期', text: '这份问卷的填写时间已过。我们的随访人员会电话联系您,感谢您的理解。' },
  used: { title: '您已经填写过了', text: '这份问卷已经提交,感谢您的反馈!' },
  closed: { title: '随访已结束', text: '这次随访已经完成,无需再填写。感谢您的配合!' },
} as const;

function Notice({ title, text }: { title: string; text: string }) {
  return (
    <main className="patient-page" aria-live="polite">
      <h1>{title}</h1>
      <p className="patient-lead">{text}</p>
    </main>
  );
}

function QuestionField({ q, index, value, error, name = `answers.${q.id}` }: { q: Question; index: number; value?: string; error?: string; name?: string }) {
  const errorId = `${q.id}-error`;
  const choices: [string, string][] =
    q.type === 'rating'
      ? ['1', '2', '3', '4', '5'].map((n) => [n, n])
      : q.type === 'yes_no'
        ? [
            ['true', '是'],
            ['false', '否'],
          ]
        : q.type === 'choice'
          ? (q.options ?? []).map((o) => [o, o])
          : [];
  return (
    <fieldset className="patient-question" aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined}>
      <legend>
        {index + 1}. {q.text}
      </legend>
      {q.type === 'text' ? (
        <textarea name={name} rows={3} defaultValue={value} maxLength={500} aria-label={q.text} />
      ) : (
        <div className={q.type === 'rating' ? 'patient-choices patient-scale' : 'patient-choices'}>
          {choices.map(([v, label]) => (
            <label key={v} className="patient-choice">
              <input type="radio" name={name} value={v} defaultChecked={value === v} />
              <span>{label}</span>
            </label>
          ))}
        </div>
      )}
      {q.type === 'rating' && name !== 'rating' && <p className="patient-hint">请按 1–5 分选择</p>}
      {error && (
        <p id={errorId} className="patient-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

export default function SurveyPage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  if (result?.done === 'survey' || result?.done === 'rating') {
    return <Notice title="提交成功,谢谢您!" text="您的回答已经送达随访中心。祝您早日康复!如有不适请及时就医。" />;
  }
  const state = result?.done ?? page.state;
  if (state !== 'survey' && state !== 'rating') return <Notice {...NOTICES[state]} />;
  const errors = result?.errors ?? {};
  const values = result?.values ?? {};

  return (
    <main className="patient-page">
      {page.state === 'survey' ? (
        <>
          <h1>出院随访问卷</h1>
          <p className="patient-lead">{page.departmentName ? `${page.departmentName}关心您的恢复情况。` : ''}填写约需 1 分钟。</p>
          <Form method="post">
            {page.questions.map((q, i) => (
              <QuestionField key={q.id} q={q} index={i} value={values[`answers.${q.id}`]} error={errors[`answers.${q.id}`]} />
            ))}
            <button type="submit" className="patient-submit" disabled={busy}>
              {busy ? '正在提交…' : '提交'}
            </button>
          </Form>
        </>
      ) : page.state === 'rating' ? (
        <>
          <h1>请评价我们的处理</h1>
          <p className="patient-lead">您反馈的问题(工单 {page.ticketNumber})已处理。您满意吗?</p>
          <Form method="post">
            <QuestionField q={{ id: 'rating', text: '满意程度(5 为非常满意)', type: 'rating' }} name="rating" index={0} value={values.rating} error={errors.rating} />
            <fieldset className="patient-question">
              <legend>2. 还有什么想告诉我们的?(选填)</legend>
              <textarea name="comment" rows={3} maxLength={500} defaultValue={values.comment} aria-label="意见" />
            </fieldset>
            <button type="submit" className="patient-submit" disabled={busy}>
              {busy ? '正在提交…' : '提交评价'}
            </button>
          </Form>
        </>
      ) : null}
    </main>
  );
}
