/**
 * Temporal settings shared by worker, API and scripts: search attributes to register and
 * the activity timeout policies. Task queue names come from the environment (`TEMPORAL_TASK_QUEUE`),
 * so tests can isolate themselves on a queue of their own.
 */
import type { SearchAttributeType } from '@temporalio/common';
import { appointmentSearchAttributes } from '../workflows/appointment/contracts.js';
import { ticketSearchAttributes } from '../workflows/feedback-ticket/contracts.js';
import { followUpSearchAttributes } from '../workflows/follow-up/contracts.js';

/** Every process's search-attribute keys, as their contracts define them (a new process adds its list here). */
const SEARCH_ATTRIBUTE_KEYS: readonly { name: string; type: SearchAttributeType }[] = [
  ...followUpSearchAttributes,
  ...ticketSearchAttributes,
  ...appointmentSearchAttributes,
];

/** The type names of the Temporal CLI's `--search-attribute` flag (and of the operator API's enum). */
const TYPE_NAMES = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
} as const satisfies Record<SearchAttributeType, string>;
export type SearchAttributeTypeName = (typeof TYPE_NAMES)[SearchAttributeType];

/** Custom search attributes the workflows upsert, by name; registered when the dev server starts (or by the worker). */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeTypeName>> = (() => {
  const byName: Record<string, SearchAttributeTypeName> = {};
  for (const key of SEARCH_ATTRIBUTE_KEYS) {
    const type = TYPE_NAMES[key.type];
    // Processes share some keys (Department, Urgent); one name with two types cannot be registered.
    if (byName[key.name] !== undefined && byName[key.name] !== type) throw new Error(`Search attribute ${key.name} is defined as ${byName[key.name]} and ${type}`);
    byName[key.name] = type;
  }
  return byName;
})();

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
  /** A call to an SMS/WeChat provider: backs off up to 5 minutes between tries; a permanent refusal is a result, not an error. */
  provider: { startToCloseTimeout: '30 seconds', retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' } },
} as const;
