/**
 * noShowLedgerWorkflow: one per patient (ID `noshow-<patient>`), started by the patient's first
 * no-show. Keeps the no-show instants of a rolling window; reaching the threshold blacklists the
 * patient for the blacklist period (no new appointments: projection `noshow_ledger` and the
 * `Blacklisted` search attribute), a timer lifts it, an admin may lift it early with a reason.
 * The rule comes from `noshow_settings` (read at each run's start) unless the input overrides it.
 * Continues as new after {@link LEDGER_EVENTS_PER_RUN} events or when idle, so its history stays
 * bounded over the years.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import { refuse } from '../shared/refusal.js';
import {
  BlacklistedKey,
  LEDGER_EVENTS_PER_RUN,
  LIFT_REFUSED,
  getLedgerStateQuery,
  liftBlacklistUpdate,
  liftRefusal,
  recordNoShowSignal,
  type NoShowLedgerInput,
  type NoShowLedgerState,
  type NoShowSettings,
} from './contracts.js';

const db = proxyActivities<Activities>(ACTIVITY_TIMEOUTS.database);

/** An idle ledger (nothing in the window, not blacklisted) continues as new after this long. */
const IDLE_MS = 30 * 86400 * 1000;

export async function noShowLedgerWorkflow(input: NoShowLedgerInput): Promise<NoShowLedgerState> {
  const state: NoShowLedgerState = {
    patientId: input.patientId,
    noShows: [...(input.noShows ?? [])],
    blacklisted: input.blacklistedUntil !== undefined,
    ...(input.blacklistedUntil ? { blacklistedUntil: input.blacklistedUntil } : {}),
    blacklistCount: input.blacklistCount ?? 0,
    events: 0,
  };
  let settings: NoShowSettings | undefined = input.settings;
  const pending: { at: string; appointmentNumber: string }[] = [];
  const recorded = new Set<string>();
  let busy = false;
  let liftedEarly = 0; // bumped by the admin Update, wakes the main loop

  const now = () => new Date(Date.now()).toISOString();
  const publish = () => upsertSearchAttributes([{ key: BlacklistedKey, value: state.blacklisted }]);
  const project = (lift?: { actorId?: string; reason: string }) =>
    db.projectNoShowLedger({
      patientId: state.patientId,
      noShows: state.noShows,
      blacklistedUntil: state.blacklisted ? state.blacklistedUntil! : null,
      blacklistCount: state.blacklistCount,
      ...(lift ? { lift } : {}),
    });

  setHandler(getLedgerStateQuery, () => state);
  setHandler(recordNoShowSignal, (event) => {
    // The same appointment is counted once, however often it is reported.
    if (recorded.has(event.appointmentNumber)) return;
    recorded.add(event.appointmentNumber);
    state.events++;
    pending.push(event);
  });
  setHandler(
    liftBlacklistUpdate,
    async ({ actorId, reason }) => {
      await condition(() => settings !== undefined && !busy);
      const refused = liftRefusal({ blacklisted: state.blacklisted, settings }, reason);
      if (refused) throw refuse(LIFT_REFUSED, refused);
      busy = true;
      try {
        state.blacklisted = false;
        delete state.blacklistedUntil;
        state.lastLift = { at: now(), actorId, reason: reason.trim(), early: true };
        state.events++;
        await project({ actorId, reason: reason.trim() });
        publish();
        liftedEarly++;
        return state;
      } finally {
        busy = false;
      }
    },
    {
      validator: ({ reason }) => {
        const refused = liftRefusal({ blacklisted: state.blacklisted, settings }, reason);
        if (refused) throw refuse(LIFT_REFUSED, refused);
      },
    },
  );

  settings ??= await db.loadNoShowSettings();
  const rule = settings;
  state.settings = rule;
  publish();
  await settle(rule); // a run continued as new may carry no-shows not yet weighed

  for (;;) {
    if (pending.length === 0 && (state.events >= LEDGER_EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested)) break;
    const idle = !state.blacklisted && state.noShows.length === 0 && pending.length === 0;
    const timeout = idle ? IDLE_MS : Math.max(1, nextDeadline(rule) - Date.now());
    const seenLift = liftedEarly;
    const woke = await condition(() => pending.length > 0 || liftedEarly !== seenLift, timeout);
    await condition(() => !busy);
    if (!woke && idle && pending.length === 0) break; // idle for long: start a fresh history
    await settle(rule);
  }

  await condition(allHandlersFinished);
  return continueAsNew<typeof noShowLedgerWorkflow>({
    patientId: state.patientId,
    noShows: [...state.noShows, ...pending.map((p) => p.at)],
    ...(state.blacklisted && state.blacklistedUntil ? { blacklistedUntil: state.blacklistedUntil } : {}),
    blacklistCount: state.blacklistCount,
    ...(input.settings ? { settings: input.settings } : {}),
  });

  /** Applies what is due: the blacklist's end, new no-shows, the window, the threshold; one write at a time. */
  async function settle(r: NoShowSettings): Promise<void> {
    busy = true;
    try {
      let changed = false;
      if (state.blacklisted && Date.parse(state.blacklistedUntil!) <= Date.now()) {
        state.blacklisted = false;
        delete state.blacklistedUntil;
        state.lastLift = { at: now(), reason: '黑名单期满自动解除', early: false };
        changed = true;
      }
      while (pending.length) {
        state.noShows.push(pending.shift()!.at);
        changed = true;
      }
      const since = Date.now() - r.windowSeconds * 1000;
      const kept = state.noShows.filter((at) => Date.parse(at) > since).sort();
      if (kept.length !== state.noShows.length) changed = true;
      state.noShows = kept;
      if (!state.blacklisted && state.noShows.length >= r.threshold) {
        state.blacklisted = true;
        state.blacklistedUntil = new Date(Date.now() + r.blacklistSeconds * 1000).toISOString();
        state.blacklistCount++;
        // The no-shows that led to it are settled by the blacklist; counting starts afresh.
        state.noShows = [];
        changed = true;
      }
      if (changed) {
        await project();
        publish();
      }
    } finally {
      busy = false;
    }
  }

  /** When the ledger next has something to do on its own: the blacklist ends or a no-show leaves the window. */
  function nextDeadline(r: NoShowSettings): number {
    const candidates: number[] = [];
    if (state.blacklisted && state.blacklistedUntil) candidates.push(Date.parse(state.blacklistedUntil));
    const first = state.noShows[0];
    if (first) candidates.push(Date.parse(first) + r.windowSeconds * 1000 + 1);
    return candidates.length ? Math.min(...candidates) : Date.now() + IDLE_MS;
  }
}
