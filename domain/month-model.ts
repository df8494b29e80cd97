/**
 * A month of follow-up work as a pure, day-by-day model: the staffing what-if (人员测算) of the
 * admin portal and the quick estimate beside `npm run simulate:month` (which runs the real system).
 *
 * Each day's discharges produce touchpoints on their offset days. A survey touchpoint (SMS or
 * WeChat link) is answered by the patient with the link rates of their channel and age (patients
 * at or above `smsMaxAge` are called at once); the rest become calls. A call reaches the patient
 * with `phoneAnswer`; unanswered calls are retried the next day up to `maxAttempts`; wrong numbers
 * end after one call. Agents make at most `agents × hoursPerDay × callsPerHour` calls a day, oldest
 * work first; what is left is the day's backlog, and the overtime it would need is
 * backlog ÷ (agents × callsPerHour) hours per agent.
 */

export interface MonthModelInput {
  dischargesPerDay: number;
  days: number;
  touchpoints: { day: number; channel: 'phone' | 'sms' | 'wechat'; maxAttempts: number }[];
  /** Share of patients bound to WeChat (their survey goes there first). */
  wechatBound: number;
  wechatAnswer: number;
  /** Age bands: share of patients, share answering an SMS link; `elderly` ones are called instead. */
  ageBands: { share: number; linkAnswer: number; elderly: boolean }[];
  phoneAnswer: number;
  wrongNumber: number;
  agents: number;
  hoursPerDay: number;
  callsPerHour: number;
}

export interface MonthModelResult {
  agents: number;
  /** Touchpoints due in the month. */
  due: number;
  /** Of them answered by link (no agent). */
  byLink: number;
  /** Of them reached by a call. */
  byPhone: number;
  /** (byLink + byPhone) / due; null when nothing is due. */
  coverage: number | null;
  calls: number;
  /** Calls still waiting at the end of the month. */
  backlogEnd: number;
  /** Mean calls waiting at the end of a working day. */
  backlogMean: number;
  /** Mean hours per agent per day the backlog would need beyond the working hours. */
  overtimeHoursPerAgentDay: number;
  /** Follow-ups reached (by link or call) per agent per day. */
  followUpsPerAgentDay: number;
  callsPerAgentDay: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** Share of a survey touchpoint's patients who answer the link themselves (over its attempts). */
export function linkAnswerShare(i: Pick<MonthModelInput, 'wechatBound' | 'wechatAnswer' | 'ageBands'>, attempts: number): { byLink: number; toPhone: number } {
  const once = (p: number) => 1 - (1 - clamp01(p)) ** Math.max(1, attempts);
  let byLink = 0;
  for (const b of i.ageBands) {
    const wechat = clamp01(i.wechatBound) * once(i.wechatAnswer);
    const sms = b.elderly ? 0 : (1 - clamp01(i.wechatBound)) * once(b.linkAnswer);
    byLink += b.share * (wechat + sms);
  }
  return { byLink, toPhone: 1 - byLink };
}

/** Runs the month day by day for one staffing level. */
export function modelMonth(i: MonthModelInput): MonthModelResult {
  const capacity = Math.max(0, i.agents * i.hoursPerDay * i.callsPerHour);
  // Queue of phone tasks: [attemptsLeft, count] buckets in arrival order (oldest first).
  let queue: { attemptsLeft: number; wrong: boolean; n: number }[] = [];
  let due = 0;
  let byLink = 0;
  let byPhone = 0;
  let calls = 0;
  const backlogs: number[] = [];
  for (let day = 0; day < i.days; day++) {
    for (const tp of i.touchpoints) {
      const dischargeDay = day - tp.day;
      if (dischargeDay < 0) continue;
      const n = i.dischargesPerDay;
      due += n;
      const phoneShare = tp.channel === 'phone' ? 1 : linkAnswerShare(i, tp.maxAttempts).toPhone;
      byLink += n * (1 - phoneShare);
      const toPhone = n * phoneShare;
      queue.push({ attemptsLeft: tp.maxAttempts, wrong: true, n: toPhone * clamp01(i.wrongNumber) });
      queue.push({ attemptsLeft: tp.maxAttempts, wrong: false, n: toPhone * (1 - clamp01(i.wrongNumber)) });
    }
    let left = capacity;
    const retry: typeof queue = [];
    const rest: typeof queue = [];
    for (const b of queue) {
      const take = Math.min(left, b.n);
      left -= take;
      calls += take;
      if (b.n - take > 1e-9) rest.push({ ...b, n: b.n - take });
      if (b.wrong || take <= 0) continue;
      byPhone += take * clamp01(i.phoneAnswer);
      const again = take * (1 - clamp01(i.phoneAnswer));
      if (b.attemptsLeft > 1 && again > 0) retry.push({ attemptsLeft: b.attemptsLeft - 1, wrong: false, n: again });
    }
    queue = [...rest, ...retry];
    backlogs.push(rest.reduce((s, b) => s + b.n, 0));
  }
  const backlogMean = backlogs.length ? backlogs.reduce((a, b) => a + b, 0) / backlogs.length : 0;
  const agentDays = Math.max(1, i.agents * i.days);
  return {
    agents: i.agents,
    due: Math.round(due),
    byLink: Math.round(byLink),
    byPhone: Math.round(byPhone),
    coverage: due > 0 ? (byLink + byPhone) / due : null,
    calls: Math.round(calls),
    backlogEnd: Math.round(backlogs.at(-1) ?? 0),
    backlogMean: Math.round(backlogMean),
    overtimeHoursPerAgentDay: i.agents > 0 && i.callsPerHour > 0 ? backlogMean / (i.agents * i.callsPerHour) : 0,
    followUpsPerAgentDay: (byLink + byPhone) / agentDays,
    callsPerAgentDay: calls / agentDays,
  };
}

/** The same month for each staffing level. */
export function staffingTable(i: Omit<MonthModelInput, 'agents'>, levels: number[]): MonthModelResult[] {
  return levels.map((agents) => modelMonth({ ...i, agents }));
}
