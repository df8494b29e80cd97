/**
 * Temporal settings shared by worker, API and scripts: search attributes to register and
 * the activity timeout policies. Task queue names come from the environment (`TEMPORAL_TASK_QUEUE`),
 * so tests can isolate themselves on a queue of their own.
 */

/** Custom search attributes the workflows upsert; registered when the dev server starts. */
export const SEARCH_ATTRIBUTES = {
  Department: 'Keyword',
  FollowUpStatus: 'Keyword',
  TicketCategory: 'Keyword',
  TicketStatus: 'Keyword',
  Urgent: 'Bool',
  SlaBreached: 'Bool',
  Blacklisted: 'Bool',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;

/** Activity timeouts by kind of work (workflows pick one per proxy). */
export const ACTIVITY_TIMEOUTS = {
  /** Short database reads and idempotent writes. */
  database: { startToCloseTimeout: '30 seconds', retry: { maximumInterval: '1 minute' } },
  /**
   * The same kind of work run as local activities, inside the workflow task that needs it: no
   * activity task round trip through the server (a follow-up's planning costs one workflow task
   * instead of four tasks). Only for steps that take milliseconds.
   */
  localDatabase: { startToCloseTimeout: '10 seconds', retry: { maximumInterval: '1 minute' } },
} as const;
