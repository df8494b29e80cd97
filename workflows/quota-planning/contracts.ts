/**
 * The quota planning process's vocabulary (`quotaPlanningWorkflow`, run nightly by the Schedule
 * `quota-planning-nightly`, see worker/quota-schedule.ts): how it is started, its input and result
 * (the activity's, which it returns). It takes no signals or Updates and sets no search attributes;
 * an administrator's override of a computed quota is a record change (services/quota-planning.ts,
 * allowed by `administers` in domain/access.ts), not an action on the workflow.
 */
import type { StartRequest } from '../shared/start.js';
import type { CapacitySource } from '../../domain/consultation-capacity.js';

export const QUOTA_PLANNING_WORKFLOW_TYPE = 'quotaPlanningWorkflow';
export type QuotaPlanningWorkflow = (input: RecomputeQuotasInput) => Promise<RecomputeQuotasResult>;

/** The Schedule's runs get this ID with the run's time appended. */
export const QUOTA_PLANNING_WORKFLOW_ID = 'quota-planning';

/** A planning run; each run recomputes the same plan from the same data, so runs may repeat. */
export function quotaPlanningStart(input: RecomputeQuotasInput, workflowId = QUOTA_PLANNING_WORKFLOW_ID): StartRequest<QuotaPlanningWorkflow> {
  return {
    workflowType: QUOTA_PLANNING_WORKFLOW_TYPE,
    options: {
      workflowId,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `预约号源测算 · 历史 ${input.weeks} 周 · 未来 ${input.horizonDays} 天`,
    },
  };
}

export interface RecomputeQuotasInput {
  weeks: number;
  horizonDays: number;
  /** Consultation minutes for slots with no recorded consultations (default: quota_capacity_settings, 10). */
  meanConsultMinutes?: number;
}

export interface RecomputeQuotasResult {
  planned: { sessionId: string; quotas: number[]; applied: boolean }[];
  /** Sessions without history (or with slots that cannot be sampled), left unchanged. */
  skipped: { sessionId: string; reason: string }[];
}

export interface QuotaSlotPlan {
  slotIndex: number;
  /** Estimated walk-ins NX'ᵢ. */
  walkIns: number;
  /** Capacity NXᵢ. */
  capacity: number;
  /** Computed appointment quota. */
  quota: number;
  basis: {
    pastSessions: number;
    weeks: number;
    slotMinutes: number;
    /** Mean consultation minutes behind the capacity (the fallback when there is no history). */
    meanConsultMinutes: number;
    /** Where the capacity came from (absent in plans computed before consultations were recorded). */
    capacitySource?: CapacitySource;
    /** Mean patients seen per past session in this slot; null without history. */
    meanSeen?: number | null;
    /** slot minutes ÷ mean consultation minutes. */
    expectedSeen?: number;
    /** Consultations on record for this slot. */
    consultations?: number;
    /** The late-start threshold in force. */
    lateStartRatio?: number;
    samplesPerSession: number;
    seed: number;
    totalAppointments: number;
  };
}
