/** All activities, built from their dependencies so tests can pass real or simulated ones. */
import type { Sql } from '../db/client.js';
import { createFollowUpDbActivities } from './db/follow-up.js';
import { createTicketDbActivities } from './db/tickets.js';
import { createAppointmentDbActivities } from './db/appointments.js';
import { createQuotaPlanningActivities } from './db/quota-planning.js';

export interface ActivityDeps {
  sql: Sql;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createFollowUpDbActivities(deps),
    ...createTicketDbActivities(deps),
    ...createAppointmentDbActivities(deps),
    ...createQuotaPlanningActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
