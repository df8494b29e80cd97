/**
 * Slot capacity NXᵢ from the hospital's own consultation history (the paper, section 3).
 *
 * The clinic page records every consultation: calling a number starts it, the next call ends it
 * (a called patient who is not there is marked passed and is no consultation). Per expert and slot,
 * over the past sessions of the history window:
 *
 * - mean consultation time = mean length of the consultations that started in the slot;
 * - mean patients actually seen = consultations started in the slot ÷ past sessions (a session in
 *   which nobody was seen in the slot counts as 0);
 * - expected = slot minutes ÷ mean consultation time;
 * - capacity = expected, except when the mean seen is far below it (mean seen < `lateStartRatio` ×
 *   expected: the expert starts late, e.g. ward rounds before 09:00): then the mean seen;
 * - without any consultation of this slot on record: slot minutes ÷ `fallbackConsultMinutes`
 *   (10 minutes by default), and the source says so.
 *
 * Pure: no I/O, no clock. Invalid input throws a RangeError naming the argument.
 */

/** Default share of the expected patients below which a slot counts as starting late. */
export const DEFAULT_LATE_START_RATIO = 0.6;
/** Consultation minutes assumed for an expert with no history. */
export const DEFAULT_FALLBACK_CONSULT_MINUTES = 10;

/** Where a slot's capacity came from. */
export type CapacitySource = 'history' | 'observed_late_start' | 'fallback';

/** Chinese labels of {@link CapacitySource}, for the quota page. */
export const CAPACITY_SOURCE_LABELS: Record<CapacitySource, string> = {
  history: '历史平均接诊时间',
  observed_late_start: '历史实际接诊人数(开诊晚)',
  fallback: '无接诊记录,按默认时长',
};

export interface CapacityRule {
  /** Mean seen below this share of the expected count → the observed mean is the capacity. In (0, 1]. */
  lateStartRatio: number;
  /** Minutes per consultation when there is no history. */
  fallbackConsultMinutes: number;
}

export interface SlotConsultationHistory {
  /** Lengths in minutes of the consultations that started in this slot, over all past sessions. */
  consultMinutes: readonly number[];
  /** Past sessions of the window (the divisor of the mean seen); 0 means no history. */
  pastSessions: number;
}

export interface SlotCapacity {
  capacity: number;
  source: CapacitySource;
  /** Mean consultation minutes used (the fallback when there is no history). */
  meanConsultMinutes: number;
  /** Mean patients seen per past session; null without history. */
  meanSeen: number | null;
  /** slot minutes ÷ mean consultation minutes. */
  expected: number;
  /** Consultations on record for this slot. */
  consultations: number;
}

function positive(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite positive number (got ${String(value)})`);
  }
}

/** Validates a capacity rule (e.g. read from the settings row). */
export function assertCapacityRule(rule: CapacityRule): void {
  positive(rule.lateStartRatio, 'lateStartRatio');
  if (rule.lateStartRatio > 1) throw new RangeError(`lateStartRatio must not exceed 1 (got ${rule.lateStartRatio})`);
  positive(rule.fallbackConsultMinutes, 'fallbackConsultMinutes');
}

/**
 * Capacity of one slot from its consultation history; see the module documentation.
 *
 * Example: a 60-minute slot, consultations of 10 minutes, 2 seen per session on average →
 * expected 6, 2 < 0.6 × 6 → capacity 2 (`observed_late_start`).
 */
export function slotCapacityFromHistory(slotMinutes: number, history: SlotConsultationHistory, rule: CapacityRule): SlotCapacity {
  positive(slotMinutes, 'slotMinutes');
  assertCapacityRule(rule);
  const { consultMinutes, pastSessions } = history;
  if (!Array.isArray(consultMinutes)) throw new RangeError('consultMinutes must be an array');
  consultMinutes.forEach((m, i) => {
    if (typeof m !== 'number' || !Number.isFinite(m) || m < 0) throw new RangeError(`consultMinutes[${i}] must be a finite non-negative number`);
  });
  if (!Number.isInteger(pastSessions) || pastSessions < 0) throw new RangeError(`pastSessions must be a non-negative integer (got ${String(pastSessions)})`);
  if (consultMinutes.length > 0 && pastSessions === 0) throw new RangeError('consultations without past sessions');

  const total = consultMinutes.reduce((a, b) => a + b, 0);
  const mean = consultMinutes.length > 0 ? total / consultMinutes.length : 0;
  if (consultMinutes.length === 0 || !(mean > 0)) {
    const expected = slotMinutes / rule.fallbackConsultMinutes;
    return {
      capacity: expected,
      source: 'fallback',
      meanConsultMinutes: rule.fallbackConsultMinutes,
      meanSeen: pastSessions > 0 ? consultMinutes.length / pastSessions : null,
      expected,
      consultations: consultMinutes.length,
    };
  }
  const expected = slotMinutes / mean;
  const meanSeen = consultMinutes.length / pastSessions;
  const late = meanSeen < rule.lateStartRatio * expected;
  return {
    capacity: late ? meanSeen : expected,
    source: late ? 'observed_late_start' : 'history',
    meanConsultMinutes: mean,
    meanSeen,
    expected,
    consultations: consultMinutes.length,
  };
}

/** One recorded consultation, as instants in epoch milliseconds. */
export interface ConsultationRecord {
  sessionStart: number;
  startedAt: number;
  endedAt: number;
}

/**
 * Groups recorded consultations by the slot of an upcoming session's layout (offsets in minutes
 * from the session start) in which they started; consultations outside every slot are dropped.
 */
export function consultationsBySlot(
  layout: readonly { offset: number; minutes: number }[],
  records: readonly ConsultationRecord[],
): number[][] {
  const bySlot = layout.map(() => [] as number[]);
  for (const r of records) {
    if (!(r.endedAt >= r.startedAt)) continue;
    const at = (r.startedAt - r.sessionStart) / 60_000;
    const i = layout.findIndex((l) => at >= l.offset && at < l.offset + l.minutes);
    if (i >= 0) bySlot[i]!.push((r.endedAt - r.startedAt) / 60_000);
  }
  return bySlot;
}
