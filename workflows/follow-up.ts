/**
 * followUpWorkflow: one per discharged patient (ID `followup-<encounter>`). This first version
 * records that it started, publishes its search attributes and waits until it is cancelled;
 * touchpoints and tasks come with the follow-up plan.
 */
import { condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../config/temporal.js';
import {
  DepartmentKey,
  FollowUpStatusKey,
  cancelFollowUpSignal,
  getFollowUpStateQuery,
  type FollowUpInput,
  type FollowUpState,
} from './contracts.js';

const db = proxyActivities<ReturnType<typeof createActivities>>(ACTIVITY_TIMEOUTS.database);

export async function followUpWorkflow(input: FollowUpInput): Promise<FollowUpState> {
  const state: FollowUpState = {
    encounterId: input.encounterId,
    departmentCode: null,
    status: 'waiting',
    startedAt: new Date(workflowInfo().startTime).toISOString(),
  };
  setHandler(getFollowUpStateQuery, () => state);
  setHandler(cancelFollowUpSignal, ({ reason }) => {
    if (state.status === 'cancelled') return;
    state.status = 'cancelled';
    state.cancelReason = reason;
  });

  const context = await db.loadEncounterContext(input.encounterId);
  state.departmentCode = context.departmentCode;
  upsertSearchAttributes([
    { key: DepartmentKey, value: context.departmentCode },
    { key: FollowUpStatusKey, value: state.status },
  ]);
  await db.recordFollowUpEvent({ workflowId: workflowInfo().workflowId, step: 'started', kind: 'started' });

  await condition(() => state.status === 'cancelled');

  upsertSearchAttributes([{ key: FollowUpStatusKey, value: state.status }]);
  await db.recordFollowUpEvent({
    workflowId: workflowInfo().workflowId,
    step: 'cancelled',
    kind: 'cancelled',
    details: { reason: state.cancelReason },
  });
  return state;
}
