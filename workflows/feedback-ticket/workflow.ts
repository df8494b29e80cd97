/**
 * feedbackTicketWorkflow: one per ticket (ID `ticket-<number>`). Notifies the department, waits
 * for its resolution under the category's SLA (escalating to the department head and supervisors
 * on breach, then to management), tells the patient and asks for a rating; a rating of 1–2
 * reopens it with a fresh SLA, no rating in time closes it as 未评价.
 */
import { allHandlersFinished, condition, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import { summarizedActivities } from '../shared/activity-summaries.js';
import { refuse, type FieldProblem } from '../shared/refusal.js';
import {
  DepartmentKey,
  SlaBreachedKey,
  TICKET_ACTION_REFUSED,
  TicketCategoryKey,
  TicketStatusKey,
  UNASSIGNED_DEPARTMENT,
  UrgentKey,
  acceptTicketUpdate,
  addTicketNoteUpdate,
  getTicketStateQuery,
  rateTicketSignal,
  resolveTicketUpdate,
  ticketActionRefusal,
  transferTicketUpdate,
  type DepartmentAction,
  type TicketActor,
  type TicketChange,
  type TicketFacts,
  type TicketInput,
  type TicketState,
} from './contracts.js';
import { ticketDetails } from './details.js';

const db = summarizedActivities<Activities>(ACTIVITY_TIMEOUTS.database);

export async function feedbackTicketWorkflow({ ticketId }: TicketInput): Promise<TicketState> {
  const { workflowId } = workflowInfo();
  // Handlers are registered before the first activity so an early Update is never lost; until
  // the ticket is loaded they wait (see `exclusive`).
  let facts: TicketFacts | undefined;
  const state: TicketState = {
    ticketId,
    number: '',
    status: 'open',
    departmentCode: null,
    receivedAt: '',
    slaDueAt: '',
    slaBreached: false,
    escalationLevel: 0,
    reopenCount: 0,
  };
  let rating: number | undefined;
  let busy = false;
  let stepNo = 0;
  const step = (name: string) => `${++stepNo}:${name}`;

  const publish = () => {
    upsertSearchAttributes([
      { key: TicketCategoryKey, value: facts!.category },
      { key: TicketStatusKey, value: state.status },
      { key: DepartmentKey, value: state.departmentCode ?? UNASSIGNED_DEPARTMENT },
      { key: SlaBreachedKey, value: state.slaBreached },
      { key: UrgentKey, value: facts!.urgent },
    ]);
    describe();
  };
  /** What the Temporal UI shows supervisors: the ticket and what it waits for now (not part of the history). */
  const describe = () => {
    if (facts) setCurrentDetails(ticketDetails({ ...state, category: facts.category }));
  };

  async function persist(name: string, change: Omit<TicketChange, 'ticketId'>, actorId?: string, details?: Record<string, unknown>) {
    await db.recordTicketStep({ change: { ticketId, ...change }, step: step(name), kind: name, actorId, details });
  }

  /** The reason an action is refused in the ticket's current state, or null (undecided until the ticket is loaded). */
  function refusal(actor: TicketActor, action: DepartmentAction): string | null {
    return facts ? ticketActionRefusal(state, action, actor) : null;
  }

  /** Runs one department action at a time: the record is stored before the state moves. */
  async function exclusive<T>(check: () => string | null, work: () => Promise<T>): Promise<T> {
    await condition(() => facts !== undefined && !busy);
    const reason = check();
    if (reason) throw refuse(TICKET_ACTION_REFUSED, reason);
    busy = true;
    try {
      return await work();
    } finally {
      busy = false;
    }
  }

  /** An Update's validator: an input field at fault is refused as data (field + message), then the state is asked. */
  function validate(fieldProblem: FieldProblem | null, check: () => string | null): void {
    if (fieldProblem) throw refuse(TICKET_ACTION_REFUSED, fieldProblem.message, [fieldProblem]);
    const reason = check();
    if (reason) throw refuse(TICKET_ACTION_REFUSED, reason);
  }

  setHandler(getTicketStateQuery, () => state);
  setHandler(
    acceptTicketUpdate,
    (actor) =>
      exclusive(
        () => refusal(actor, 'accept'),
        async () => {
          await persist('accepted', { status: 'in_progress' }, actor.actorId);
          state.status = 'in_progress';
          publish();
          return state;
        },
      ),
    { validator: (actor) => validate(null, () => refusal(actor, 'accept')) },
  );
  setHandler(
    addTicketNoteUpdate,
    (input) =>
      exclusive(
        () => refusal(input, 'note'),
        async () => {
          await persist('note', {}, input.actorId, { note: input.note });
          return state;
        },
      ),
    {
      validator: (input) => validate(input.note.trim() ? null : { field: 'note', message: '请填写进展说明' }, () => refusal(input, 'note')),
    },
  );
  setHandler(
    transferTicketUpdate,
    (input) =>
      exclusive(
        () => refusal(input, 'transfer'),
        async () => {
          const from = state.departmentCode;
          // The SLA clock is kept: a transfer does not buy the hospital time.
          await persist('transferred', { departmentCode: input.departmentCode }, input.actorId, { from, to: input.departmentCode, reason: input.reason });
          state.departmentCode = input.departmentCode;
          await db.notifyStaff({
            dedupeKey: `${workflowId}:${step('notify-transfer')}`,
            ticketId,
            departmentCode: input.departmentCode,
            audience: 'department',
            body: `工单 ${state.number} 由其他科室转来:${input.reason}`,
          });
          publish();
          return state;
        },
      ),
    {
      validator: (input) =>
        validate(
          !input.reason.trim()
            ? { field: 'reason', message: '转科须填写原因' }
            : input.departmentCode === state.departmentCode
              ? { field: 'departmentCode', message: '不能转给本科室' }
              : null,
          () => refusal(input, 'transfer'),
        ),
    },
  );
  setHandler(
    resolveTicketUpdate,
    (input) =>
      exclusive(
        () => refusal(input, 'resolve'),
        async () => {
          await persist('resolved', { status: 'resolved', resolution: input.resolution }, input.actorId, { resolution: input.resolution });
          state.status = 'resolved';
          publish();
          return state;
        },
      ),
    {
      validator: (input) => validate(input.resolution.trim() ? null : { field: 'resolution', message: '请填写处理结果' }, () => refusal(input, 'resolve')),
    },
  );
  setHandler(rateTicketSignal, ({ rating: score }) => {
    // Only a rating of a resolved ticket counts; a late or repeated one is ignored.
    if (state.status === 'resolved' && rating === undefined && Number.isInteger(score) && score >= 1 && score <= 5) rating = score;
  });

  facts = await db.loadTicket(ticketId);
  Object.assign(state, {
    number: facts.number,
    departmentCode: facts.departmentCode,
    receivedAt: facts.receivedAt,
    slaDueAt: facts.slaDueAt,
  });
  const { category, urgent, slaSeconds, escalateSeconds, ratingWaitSeconds } = facts;
  publish();
  await persist('created', {}, undefined, { departmentCode: state.departmentCode, category });
  await db.notifyStaff({
    dedupeKey: `${workflowId}:created`,
    ticketId,
    departmentCode: state.departmentCode,
    audience: 'department',
    body: `新工单 ${state.number}${urgent ? '(紧急)' : ''}:请在 ${state.slaDueAt} 前处理`,
  });

  for (;;) {
    await awaitResolution();
    await db.notifyPatient({
      workflowId,
      step: step('patient-resolved'),
      ticketId,
      body: `您反馈的问题(工单 ${state.number})已处理,请回复 1–5 评价我们的处理(5 为非常满意)。`,
    });
    state.nextDeadline = new Date(Date.now() + ratingWaitSeconds * 1000).toISOString();
    describe();
    const rated = await condition(() => rating !== undefined, ratingWaitSeconds * 1000, { summary: '等待患者评价' });
    state.nextDeadline = undefined;
    if (!rated) {
      await persist('closed', { status: 'closed', closedReason: 'no_rating' }, undefined, { reason: '未评价' });
      state.status = 'closed';
      state.closedReason = 'no_rating';
      break;
    }
    const score = rating!;
    if (score >= 3) {
      await persist('closed', { status: 'closed', rating: score, closedReason: 'rated' }, undefined, { rating: score });
      state.status = 'closed';
      state.rating = score;
      state.closedReason = 'rated';
      break;
    }
    // Dissatisfied: back to the department with a fresh SLA, and its head is told.
    const slaDueAt = new Date(Date.now() + slaSeconds * 1000).toISOString();
    await persist('reopened', { status: 'open', rating: score, slaDueAt, slaBreached: false, escalationLevel: 0, reopened: true }, undefined, { rating: score });
    Object.assign(state, { status: 'open', slaDueAt, slaBreached: false, escalationLevel: 0, reopenCount: state.reopenCount + 1 });
    state.rating = score;
    rating = undefined;
    await db.notifyStaff({
      dedupeKey: `${workflowId}:${step('notify-reopened')}`,
      ticketId,
      departmentCode: state.departmentCode,
      audience: 'dept_head',
      body: `工单 ${state.number} 患者评价 ${score} 分,已重新打开`,
    });
    publish();
  }
  publish();
  await condition(allHandlersFinished);
  return state;

  /** Waits for the department's resolution, escalating once per level when the SLA passes. */
  async function awaitResolution(): Promise<void> {
    while (state.status !== 'resolved') {
      const deadline =
        state.escalationLevel === 0
          ? Date.parse(state.slaDueAt)
          : state.escalationLevel === 1
            ? Date.parse(state.slaDueAt) + escalateSeconds * 1000
            : null;
      if (deadline === null) {
        await condition(() => state.status === 'resolved');
        return;
      }
      state.nextDeadline = new Date(deadline).toISOString();
      describe();
      const resolved = await condition(() => state.status === 'resolved', Math.max(0, deadline - Date.now()), {
        summary: state.escalationLevel === 0 ? 'SLA 截止（到时升级至科主任、督导）' : '二级升级（到时上报管理层）',
      });
      state.nextDeadline = undefined;
      if (resolved) return;
      await condition(() => !busy);
      // A resolution may have been stored while the timer fired.
      if ((state.status as TicketState['status']) === 'resolved') return;
      const level = state.escalationLevel + 1;
      await persist(`escalated-${level}`, { slaBreached: true, escalationLevel: level }, undefined, { level });
      state.slaBreached = true;
      state.escalationLevel = level;
      publish();
      const audiences = level === 1 ? (['dept_head', 'supervisors'] as const) : (['management'] as const);
      for (const audience of audiences) {
        await db.notifyStaff({
          dedupeKey: `${workflowId}:${step(`escalate-${audience}`)}`,
          ticketId,
          departmentCode: state.departmentCode,
          audience,
          body: `工单 ${state.number} 已超时未处理(第 ${level} 级升级)`,
        });
      }
    }
  }
}
