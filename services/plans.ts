/**
 * Follow-up plans as administrators edit them: question templates (versioned,
 * services/plans/templates.ts), follow-up rules (services/plans/rules.ts) and HIS department code
 * mappings (services/plans/mappings.ts), one service to the API and the portal. Every change is audited.
 */
import type { Client } from '@temporalio/client';
import type { PlanDeps } from './plans/common.js';
import { createMappingService } from './plans/mappings.js';
import { createRuleService } from './plans/rules.js';
import { createTemplateService } from './plans/templates.js';

export type { Mapping, MappingInput, MappingResult, UnmappedCode } from './plans/mappings.js';
export { SCENARIO_KINDS, type Rule, type RuleInput, type ScenarioKind } from './plans/rules.js';
export type { TemplateDetail, TemplateInput, TemplateSummary, TemplateVersion } from './plans/templates.js';

export function createPlanService(deps: PlanDeps & { temporal?: Client }) {
  return { ...createTemplateService(deps), ...createRuleService(deps), ...createMappingService(deps) };
}

export type PlanService = ReturnType<typeof createPlanService>;
