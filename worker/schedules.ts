/**
 * Creating a Temporal Schedule, or updating it in place when it exists, so bring-up can call it at
 * every start and a changed interval or action takes effect. Each Schedule's module gives its spec.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';

export async function ensureSchedule(
  client: Client,
  scheduleId: string,
  { spec, action, policies }: { spec: ScheduleSpec; action: ScheduleOptions['action']; policies?: ScheduleOptions['policies'] },
): Promise<{ scheduleId: string; created: boolean }> {
  try {
    await client.schedule.create({ scheduleId, spec, action, ...(policies ? { policies } : {}) });
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, ...(policies ? { policies } : {}) }));
  return { scheduleId, created: false };
}
