/**
 * Whether a discharge that arrives now is still followed up. Pure.
 *
 * A message about a stay that ended long ago (a HIS replaying 2013) must not call the patient
 * today; a backlog replayed after an outage of a few days must still get its follow-ups, late
 * rather than skipped. So a discharge is followed up unless it is older than the horizon, or
 * its plan's last touchpoint was due more than the late window ago. Both are data
 * (HIS_FOLLOW_UP_HORIZON_DAYS, HIS_LATE_FOLLOW_UP_DAYS).
 */
import { touchpointDueAt, type TouchpointTiming } from '../schedule.js';

export interface DischargeAgePolicy {
  /** No follow-up for a discharge older than this many days, whatever its plan. */
  horizonDays: number;
  /** How long after its plan's last touchpoint was due a late discharge is still followed up. */
  lateWindowDays: number;
}

export type FollowUpVerdict = { followUp: true } | { followUp: false; reason: string };

const DAY_MS = 86_400_000;

/** `touchpoints`: the timings of the plan that may apply (the latest one counts); empty when there is no plan. */
export function followUpVerdict(dischargedAt: Date, touchpoints: readonly TouchpointTiming[], now: Date, policy: DischargeAgePolicy): FollowUpVerdict {
  if (now.getTime() - dischargedAt.getTime() > policy.horizonDays * DAY_MS) {
    return { followUp: false, reason: `出院已超过 ${policy.horizonDays} 天,不再随访` };
  }
  const lastDue = Math.max(...touchpoints.map((t) => touchpointDueAt(dischargedAt, t).getTime()));
  if (touchpoints.length > 0 && now.getTime() - lastDue > policy.lateWindowDays * DAY_MS) {
    return { followUp: false, reason: `随访计划最后一次随访已过期 ${policy.lateWindowDays} 天以上,不再联系患者` };
  }
  return { followUp: true };
}
