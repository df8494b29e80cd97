/**
 * Follow-up rules as administrators edit them (department + optional scenario → touchpoints).
 * Rules are read when a follow-up is planned, so a change affects only follow-ups planned afterwards.
 */
import type postgres from 'postgres';
import { z } from 'zod';
import type { Sql } from '../../db/client.js';
import type { Principal } from '../../domain/access.js';
import { placeholderProblem } from '../../domain/message-template.js';
import { validateTouchpoints, type Channel, type TouchpointSpec } from '../../domain/follow-up-plan.js';
import type { RequestMeta } from '../audit.js';
import { notFound, ValidationError, type FieldProblem } from '../errors.js';
import { departmentExists, isRecord, optionalText, requireAdmin, requiredText, UUID, zodProblems, type PlanDeps } from './common.js';

export const SCENARIO_KINDS = ['diagnosis_prefix', 'procedure_keyword'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export interface Rule {
  id: string;
  departmentCode: string | null;
  departmentName: string | null;
  name: string;
  scenarioKind: ScenarioKind | null;
  scenarioValue: string | null;
  greetingText: string;
  touchpoints: TouchpointSpec[];
  active: boolean;
  updatedAt: string;
}

export interface RuleInput {
  id?: string | null;
  departmentCode: string | null;
  name: string;
  scenarioKind: ScenarioKind | null;
  scenarioValue: string | null;
  greetingText: string;
  touchpoints: unknown;
  active: boolean;
}

const ruleSchema = z.object({
  id: optionalText(64, '规则编号'),
  departmentCode: optionalText(32, '科室'),
  name: requiredText(100, '规则名称', '请填写规则名称'),
  scenarioKind: z
    .union([z.enum(SCENARIO_KINDS), z.literal(''), z.null()], { errorMap: () => ({ message: '场景须为“诊断编码前缀”或“手术关键词”' }) })
    .optional()
    .transform((v) => (v ? v : null)),
  scenarioValue: optionalText(64, '场景值'),
  greetingText: requiredText(500, '问候语', '请填写出院当天发送的问候语'),
  touchpoints: z.unknown(),
  active: z.boolean({ required_error: '请选择是否启用', invalid_type_error: '“启用”须为是或否' }),
});

/** Only the keys a touchpoint has, templateCode trimmed; run after validateTouchpoints passed. */
function normalizeTouchpoint(tp: Record<string, unknown>): TouchpointSpec {
  const timing = tp.offsetDays !== undefined && tp.offsetDays !== null ? { offsetDays: tp.offsetDays as number } : { offsetSeconds: tp.offsetSeconds as number };
  return {
    ...timing,
    templateCode: String(tp.templateCode).trim(),
    channel: tp.channel as Channel,
    maxAttempts: tp.maxAttempts as number,
    retryAfterSeconds: tp.retryAfterSeconds as number,
  };
}

interface RuleRow {
  id: string;
  department_code: string | null;
  department_name: string | null;
  name: string;
  scenario_kind: ScenarioKind | null;
  scenario_value: string | null;
  greeting_text: string;
  touchpoints: TouchpointSpec[];
  active: boolean;
  updated_at: Date;
}

const toRule = (r: RuleRow): Rule => ({
  id: r.id,
  departmentCode: r.department_code,
  departmentName: r.department_name,
  name: r.name,
  scenarioKind: r.scenario_kind,
  scenarioValue: r.scenario_value,
  greetingText: r.greeting_text,
  touchpoints: r.touchpoints,
  active: r.active,
  updatedAt: r.updated_at.toISOString(),
});

async function loadRule(tx: Sql | postgres.TransactionSql, id: string): Promise<Rule | null> {
  const [row] = await tx<RuleRow[]>`
    SELECT r.id, r.department_code, d.name AS department_name, r.name, r.scenario_kind, r.scenario_value,
           r.greeting_text, r.touchpoints, r.active, r.updated_at
    FROM follow_up_rules r LEFT JOIN departments d ON d.code = r.department_code
    WHERE r.id = ${id}`;
  return row ? toRule(row) : null;
}

export function createRuleService({ sql, audit, secondOffsetsAllowed = false }: PlanDeps) {
  return {
    /** Whether the rule editor offers 秒 as a time unit (not in production). */
    secondOffsetsAllowed,

    /** Every rule (active or not), the hospital-wide default first. */
    async rules(user: Principal): Promise<Rule[]> {
      requireAdmin(user);
      const rows = await sql<RuleRow[]>`
        SELECT r.id, r.department_code, d.name AS department_name, r.name, r.scenario_kind, r.scenario_value,
               r.greeting_text, r.touchpoints, r.active, r.updated_at
        FROM follow_up_rules r LEFT JOIN departments d ON d.code = r.department_code
        ORDER BY r.department_code NULLS FIRST, r.scenario_kind NULLS FIRST, r.scenario_value, r.name, r.id`;
      return rows.map(toRule);
    },

    async rule(user: Principal, id: string): Promise<Rule> {
      requireAdmin(user);
      const rule = UUID.test(id) ? await loadRule(sql, id) : null;
      if (!rule) throw notFound('随访规则不存在');
      return rule;
    },

    /**
     * Creates (no id) or updates a rule. Only follow-ups planned afterwards use the change.
     * Besides the touchpoint rules: scenario kind and value go together, the hospital-wide default
     * has no scenario, every template exists, and no other active rule covers the same
     * department + scenario (the choice between them would be arbitrary).
     */
    async saveRule(user: Principal, input: RuleInput, meta: RequestMeta): Promise<Rule> {
      requireAdmin(user, '仅管理员可编辑随访规则');
      const parsed = ruleSchema.safeParse(input);
      const problems: FieldProblem[] = parsed.success ? [] : zodProblems(parsed.error);
      const touchpoints: unknown = isRecord(input) ? input.touchpoints : undefined;
      const touchpointProblems = validateTouchpoints(touchpoints);
      problems.push(...touchpointProblems);
      if (!secondOffsetsAllowed && Array.isArray(touchpoints)) {
        touchpoints.forEach((tp: unknown, i) => {
          if (isRecord(tp) && tp.offsetSeconds !== undefined && tp.offsetSeconds !== null) {
            problems.push({ field: `touchpoints.${i}.offsetSeconds`, message: '按秒设置只用于测试和演示：请按天设置随访时间' });
          }
        });
      }

      // A placeholder the queueing activity cannot fill would reach the patient as written.
      if (parsed.success) {
        const placeholders = placeholderProblem(parsed.data.greetingText);
        if (placeholders) problems.push({ field: 'greetingText', message: placeholders });
      }

      // Checked even when other fields fail, so the form shows every problem at once.
      const scenario = ruleSchema.pick({ departmentCode: true, scenarioKind: true, scenarioValue: true }).safeParse(input);
      if (scenario.success) {
        const { departmentCode, scenarioKind, scenarioValue } = scenario.data;
        if (scenarioKind !== null && scenarioValue === null) {
          problems.push({ field: 'scenarioValue', message: scenarioKind === 'diagnosis_prefix' ? '请填写诊断编码前缀' : '请填写手术关键词' });
        } else if (scenarioKind === null && scenarioValue !== null) {
          problems.push({ field: 'scenarioKind', message: '填写了场景值时请选择场景类型' });
        }
        if (departmentCode === null && scenarioKind !== null) {
          problems.push({ field: 'scenarioKind', message: '全院默认规则不能按场景区分：请选择科室，或去掉场景' });
        }
        if (departmentCode !== null && !(await departmentExists(sql, departmentCode))) {
          problems.push({ field: 'departmentCode', message: `科室“${departmentCode}”不存在` });
        }
      }

      // Every touchpoint's template must exist (any version: the latest is pinned when planned).
      if (Array.isArray(touchpoints)) {
        const wanted = new Map<number, string>();
        touchpoints.forEach((tp: unknown, i) => {
          if (isRecord(tp) && typeof tp.templateCode === 'string' && tp.templateCode.trim() !== '') wanted.set(i, tp.templateCode.trim());
        });
        const codes = [...new Set(wanted.values())];
        const found = new Set(
          codes.length === 0 ? [] : (await sql<{ code: string }[]>`SELECT DISTINCT code FROM question_templates WHERE code IN ${sql(codes)}`).map((r) => r.code),
        );
        for (const [i, code] of wanted) {
          if (!found.has(code)) problems.push({ field: `touchpoints.${i}.templateCode`, message: `问卷模板“${code}”不存在` });
        }
      }
      if (!parsed.success || problems.length > 0) throw new ValidationError(problems);

      const data = parsed.data;
      if (data.id !== null && !UUID.test(data.id)) throw notFound('随访规则不存在');
      const normalized = (touchpoints as Record<string, unknown>[]).map(normalizeTouchpoint);

      const { saved, before } = await sql.begin(async (tx) => {
        // Serialises rule saves, so the duplicate check below cannot race another admin.
        await tx`SELECT pg_advisory_xact_lock(hashtext('follow_up_rules'))`;
        const before = data.id === null ? null : await loadRule(tx, data.id);
        if (data.id !== null && !before) throw notFound('随访规则不存在');
        if (data.active) {
          const [clash] = await tx<{ name: string }[]>`
            SELECT name FROM follow_up_rules
            WHERE active AND department_code IS NOT DISTINCT FROM ${data.departmentCode}
              AND scenario_kind IS NOT DISTINCT FROM ${data.scenarioKind}
              AND lower(COALESCE(scenario_value, '')) = lower(${data.scenarioValue ?? ''})
              AND (${data.id}::uuid IS NULL OR id <> ${data.id}::uuid)
            LIMIT 1`;
          if (clash) {
            const where = data.departmentCode === null ? '全院默认规则' : data.scenarioKind === null ? '该科室的通用规则' : '该科室相同场景的规则';
            throw new ValidationError([
              {
                field: data.scenarioKind === null ? 'departmentCode' : 'scenarioValue',
                message: `已有启用的${where}“${clash.name}”：请编辑那条规则，或先停用它`,
              },
            ]);
          }
        }
        const [row] =
          data.id === null
            ? await tx<{ id: string }[]>`
                INSERT INTO follow_up_rules (department_code, name, scenario_kind, scenario_value, greeting_text, touchpoints, active)
                VALUES (${data.departmentCode}, ${data.name}, ${data.scenarioKind}, ${data.scenarioValue}, ${data.greetingText},
                        ${tx.json(normalized as never)}, ${data.active})
                RETURNING id`
            : await tx<{ id: string }[]>`
                UPDATE follow_up_rules SET
                  department_code = ${data.departmentCode}, name = ${data.name}, scenario_kind = ${data.scenarioKind},
                  scenario_value = ${data.scenarioValue}, greeting_text = ${data.greetingText},
                  touchpoints = ${tx.json(normalized as never)}, active = ${data.active}, updated_at = now()
                WHERE id = ${data.id}
                RETURNING id`;
        return { saved: (await loadRule(tx, row!.id))!, before };
      });

      const snapshot = (r: Rule) => ({
        departmentCode: r.departmentCode,
        name: r.name,
        scenarioKind: r.scenarioKind,
        scenarioValue: r.scenarioValue,
        greetingText: r.greetingText,
        touchpoints: r.touchpoints,
        active: r.active,
      });
      await audit.record(
        {
          actor: user,
          action: 'plan.rule_saved',
          entityType: 'follow_up_rule',
          entityId: saved.id,
          details: { created: before === null, ...(before ? { before: snapshot(before) } : {}), after: snapshot(saved) },
        },
        meta,
      );
      return saved;
    },
  };
}
