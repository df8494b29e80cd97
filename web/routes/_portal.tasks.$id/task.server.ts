/**
 * The task page's server side: what the page shows (a patient view the service audits) and the
 * recording of a call through the service (the follow-up workflow's Update), with refusals turned
 * into what the form shows: field errors next to their fields, a conflict prominently.
 */
import { data, redirect, type ActionFunctionArgs, type AppLoadContext, type LoaderFunctionArgs } from '@remix-run/node';
import type { Principal } from '../../../domain/access.js';
import { isServiceError, type FieldProblem } from '../../../services/errors.js';
import { FEEDBACK_CATEGORIES, FEEDBACK_CATEGORY_LABELS } from '../../../workflows/follow-up/contracts.js';
import { orRespond, requireUser } from '../../auth.server.js';
import { contactInput, INTENTS, isIntent, submittedValues, type ActionResult } from '../../components/task/contact-form-data.js';

export async function loadTaskPage({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const task = await orRespond(context.services.tasks.get(user, params.id!, context.meta));
  const search = new URL(request.url).searchParams;
  const canRecord = task.allowedActions.includes('record');
  // After a save: the tickets the call's feedback or red flags opened (this task, or the previous one).
  const savedTask = search.has('saved') ? task.id : search.get('prev');
  const openedTickets = savedTask ? await context.services.tickets.list(user, { sourceTaskId: savedTask, limit: 5 }) : [];
  // …and the praise or suggestion it passed to a department as information (no ticket).
  const routedFeedback = savedTask ? await context.services.feedbackInfo.list(user, { taskId: savedTask, limit: 5 }) : [];
  // 常用问题快捷回复 for the note (the task's department and hospital-wide ones).
  const cannedReplies = canRecord ? await context.services.cannedReplies.forWork(user, task.departmentCode) : [];
  // The feedback form's choices: the problem taxonomy per category, and the departments a complaint can be sent to instead.
  const [subtags, departments] = canRecord
    ? await Promise.all([context.services.tickets.subtags(), context.services.directory.departments()])
    : [[], []];
  // 拨打 (issue 16): the task's calls with their recordings, and what telephony allows here.
  const calls = await context.services.calls.forTask(user, task.id);
  return {
    task,
    canRecord,
    calls,
    callSettings: context.services.calls.settings(),
    flash: search.has('saved') ? ('saved' as const) : search.has('prev') ? ('prev' as const) : null,
    openedTickets: openedTickets.map((t) => ({
      id: t.id,
      number: t.number,
      category: t.category,
      departmentName: t.departmentName,
      slaDueAt: t.slaDueAt,
    })),
    routedFeedback: routedFeedback.map((f) => ({ id: f.id, kindLabel: f.kindLabel, departmentName: f.departmentName })),
    cannedReplies,
    feedbackCategories: FEEDBACK_CATEGORIES.map((value) => ({ value, label: FEEDBACK_CATEGORY_LABELS[value] })),
    feedbackSubtags: subtags,
    feedbackDepartments: departments.map((d) => ({ code: d.code, name: d.name })),
  };
}

export type TaskPageData = Awaited<ReturnType<typeof loadTaskPage>>;

/** Records the call's outcome through the service, then moves on or comes back with the problems. */
export async function recordContact({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const taskId = params.id!;
  const form = await request.formData();
  const intent = form.get('intent');
  const values = submittedValues(form);
  if (intent === 'mark_urgent') return markUrgent(user, taskId, form, context, values);
  if (!isIntent(intent)) return data<ActionResult>({ error: '未知的操作', values }, { status: 400 });
  const { outcome, next } = INTENTS[intent];
  try {
    const reply = await context.services.tasks.recordContact(user, taskId, contactInput(form, outcome), context.meta);
    if (next) return redirect(reply.nextTaskId ? `/tasks/${reply.nextTaskId}?prev=${encodeURIComponent(taskId)}` : '/agent');
    return redirect(`/tasks/${taskId}?saved=1`);
  } catch (err) {
    if (!isServiceError(err)) throw err;
    // Field problems come as data: the service's own checks, or the answers the workflow's validator refused.
    const problems = err.details?.problems;
    if (Array.isArray(problems)) {
      const fieldErrors = Object.fromEntries((problems as FieldProblem[]).map((p) => [p.field, p.message]));
      return data<ActionResult>({ error: '请检查标红的项目', fieldErrors, values }, { status: 400 });
    }
    if (err.status === 409) return data<ActionResult>({ conflict: err.message, values }, { status: 409 });
    return data<ActionResult>({ error: err.message, values }, { status: err.status });
  }
}

/** 标红: the task is marked urgent with the agent's reason; a missing reason comes back as the form's error. */
async function markUrgent(user: Principal, taskId: string, form: FormData, context: AppLoadContext, values: ActionResult['values']) {
  try {
    await context.services.tasks.markUrgent(user, taskId, { reason: form.get('reason') ?? '' }, context.meta);
    return redirect(`/tasks/${taskId}`);
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const problems = err.details?.problems as FieldProblem[] | undefined;
    return data<ActionResult>({ error: problems?.map((p) => p.message).join('；') ?? err.message, values }, { status: err.status });
  }
}
