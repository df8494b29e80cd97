/**
 * Follow-up plans as administrators edit them: question templates (versioned), follow-up rules
 * (department + optional scenario → touchpoints) and HIS department code mappings.
 *
 * Templates are never edited in place: saving inserts the next version, so a follow-up already
 * planned keeps the questions it was planned with. Rules are read when a follow-up is planned, so
 * a change affects only follow-ups planned afterwards. Mapping a HIS code moves the encounters and
 * open tasks still waiting in 未分配科室 to the department. Every change is audited.
 */
import type postgres from 'postgres';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { departmentMappedSignal } from '../workflows/contracts.js';
import type { Principal } from '../domain/access.js';
import { validateTouchpoints, type Channel, type TouchpointSpec } from '../domain/follow-up-plan.js';
import { validateTemplate, type Question, type RedFlagRule } from '../domain/questions.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ValidationError, type FieldProblem } from './errors.js';

export const SCENARIO_KINDS = ['diagnosis_prefix', 'procedure_keyword'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export interface TemplateSummary {
  code: string;
  /** The latest version, the one follow-ups planned from now on get. */
  version: number;
  name: string;
  departmentCode: string | null;
  departmentName: string | null;
  questionCount: number;
  versions: number;
  updatedAt: string;
}

export interface TemplateVersion {
  id: string;
  code: string;
  version: number;
  name: string;
  departmentCode: string | null;
  questions: Question[];
  createdAt: string;
  createdBy: string | null;
}

export interface TemplateDetail {
  code: string;
  /** Newest first. */
  versions: TemplateVersion[];
}

export interface TemplateInput {
  code: string;
  name: string;
  departmentCode: string | null;
  questions: unknown;
}

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

export interface Mapping {
  hisCode: string;
  departmentCode: string;
  departmentName: string;
  note: string | null;
  updatedAt: string;
  /** Encounters that arrived with this HIS code. */
  encounters: number;
}

export interface UnmappedCode {
  hisCode: string;
  /** Encounters with this HIS code still in 未分配科室. */
  encounters: number;
  /** Their open follow-up tasks (in the 未分配科室 queue). */
  openTasks: number;
  lastDischargedAt: string | null;
  /** Set when a mapping exists but these encounters arrived before it (saving it again moves them). */
  mappedTo: string | null;
}

export interface MappingInput {
  hisCode: string;
  departmentCode: string;
  note?: string | null;
}

export interface MappingResult {
  hisCode: string;
  departmentCode: string;
  encountersMoved: number;
  tasksMoved: number;
  /** Of the moved tasks, how many got an agent (none when the department has no active agent). */
  tasksAssigned: number;
  alertsMoved: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TEMPLATE_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_QUESTION_TEXT = 200;

/** '' and whitespace become null; anything else must be a string. */
const optionalText = (max: number, label: string) =>
  z
    .union([z.string({ invalid_type_error: `${label}须为文字` }), z.null()], { errorMap: () => ({ message: `${label}须为文字` }) })
    .optional()
    .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim()))
    .refine((v) => v === null || v.length <= max, `${label}最长 ${max} 个字符`);

const requiredText = (max: number, label: string, missing: string) =>
  z
    .string({ required_error: missing, invalid_type_error: `${label}须为文字` })
    .trim()
    .min(1, missing)
    .max(max, `${label}最长 ${max} 个字符`);

const templateSchema = z.object({
  code: z
    .string({ required_error: '请填写模板代码', invalid_type_error: '模板代码须为文字' })
    .trim()
    .regex(TEMPLATE_CODE_RE, '模板代码须以字母或数字开头，只含字母、数字、下划线、连字符和点，最长 64 个字符'),
  name: requiredText(100, '模板名称', '请填写模板名称'),
  departmentCode: optionalText(32, '科室'),
  questions: z.unknown(),
});

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

const mappingSchema = z.object({
  hisCode: requiredText(32, 'HIS 科室代码', '请填写 HIS 科室代码'),
  departmentCode: requiredText(32, '科室', '请选择科室'),
  note: optionalText(200, '备注'),
});

/** Zod issues as field problems (path joined with dots, like the domain validators). */
function zodProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ field: issue.path.length > 0 ? issue.path.join('.') : '(body)', message: issue.message }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Only the keys a question has, text trimmed; run after validateTemplate passed. */
function normalizeQuestion(q: Record<string, unknown>): Question {
  const question: Question = { id: String(q.id), text: String(q.text).trim(), type: q.type as Question['type'] };
  if (question.type === 'choice' && Array.isArray(q.options)) question.options = q.options.map((o) => String(o).trim());
  if (isRecord(q.redFlag)) question.redFlag = { op: q.redFlag.op, value: q.redFlag.value } as RedFlagRule;
  if (typeof q.required === 'boolean') question.required = q.required;
  return question;
}

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

interface TemplateRow {
  id: string;
  code: string;
  version: number;
  name: string;
  department_code: string | null;
  questions: Question[];
  created_at: Date;
  created_by: string | null;
}

const toTemplateVersion = (r: TemplateRow): TemplateVersion => ({
  id: r.id,
  code: r.code,
  version: r.version,
  name: r.name,
  departmentCode: r.department_code,
  questions: r.questions,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
});

export function createPlanService({ sql, audit, temporal }: { sql: Sql; audit: AuditService; temporal?: Client }) {
  function requireAdmin(user: Principal, message = '仅管理员可管理随访计划') {
    if (user.role !== 'admin') throw forbidden(message);
  }

  async function departmentExists(tx: Sql | postgres.TransactionSql, code: string): Promise<boolean> {
    const rows = await tx`SELECT 1 FROM departments WHERE code = ${code}`;
    return rows.length > 0;
  }

  async function loadRule(tx: Sql | postgres.TransactionSql, id: string): Promise<Rule | null> {
    const [row] = await tx<RuleRow[]>`
      SELECT r.id, r.department_code, d.name AS department_name, r.name, r.scenario_kind, r.scenario_value,
             r.greeting_text, r.touchpoints, r.active, r.updated_at
      FROM follow_up_rules r LEFT JOIN departments d ON d.code = r.department_code
      WHERE r.id = ${id}`;
    return row ? toRule(row) : null;
  }

  return {
    // ---------------------------------------------------------------- question templates

    /** The latest version of each template code. */
    async templates(user: Principal): Promise<TemplateSummary[]> {
      requireAdmin(user);
      const rows = await sql<
        {
          code: string;
          version: number;
          name: string;
          department_code: string | null;
          department_name: string | null;
          question_count: number;
          versions: number;
          created_at: Date;
        }[]
      >`
        SELECT t.code, t.version, t.name, t.department_code, d.name AS department_name,
               jsonb_array_length(t.questions)::int AS question_count, v.versions, t.created_at
        FROM question_templates t
        JOIN (SELECT code, max(version) AS version, count(*)::int AS versions FROM question_templates GROUP BY code) v
          ON v.code = t.code AND v.version = t.version
        LEFT JOIN departments d ON d.code = t.department_code
        ORDER BY t.department_code NULLS FIRST, t.code`;
      return rows.map((r) => ({
        code: r.code,
        version: r.version,
        name: r.name,
        departmentCode: r.department_code,
        departmentName: r.department_name,
        questionCount: r.question_count,
        versions: r.versions,
        updatedAt: r.created_at.toISOString(),
      }));
    },

    /** All versions of one template, newest first; 404 for an unknown code. */
    async template(user: Principal, code: string): Promise<TemplateDetail> {
      requireAdmin(user);
      const rows = await sql<TemplateRow[]>`
        SELECT t.id, t.code, t.version, t.name, t.department_code, t.questions, t.created_at, u.username AS created_by
        FROM question_templates t LEFT JOIN users u ON u.id = t.created_by
        WHERE t.code = ${code} ORDER BY t.version DESC`;
      if (rows.length === 0) throw notFound(`问卷模板“${code}”不存在`);
      return { code, versions: rows.map(toTemplateVersion) };
    },

    /**
     * Saves a template as its next version (1 for a new code). Existing versions are never
     * changed: follow-ups already planned keep their questions.
     */
    async saveTemplate(user: Principal, input: TemplateInput, meta: RequestMeta): Promise<TemplateVersion> {
      requireAdmin(user, '仅管理员可编辑问卷模板');
      const parsed = templateSchema.safeParse(input);
      const problems: FieldProblem[] = parsed.success ? [] : zodProblems(parsed.error);
      const questions: unknown = isRecord(input) ? input.questions : undefined;
      const questionProblems = validateTemplate(questions);
      problems.push(...questionProblems);
      if (questionProblems.length === 0) {
        (questions as Record<string, unknown>[]).forEach((q, i) => {
          if (String(q.text).trim().length > MAX_QUESTION_TEXT) {
            problems.push({ field: `questions.${i}.text`, message: `问题内容最长 ${MAX_QUESTION_TEXT} 个字` });
          }
        });
      }
      const department = templateSchema.shape.departmentCode.safeParse(isRecord(input) ? input.departmentCode : undefined);
      if (department.success && department.data !== null && !(await departmentExists(sql, department.data))) {
        problems.push({ field: 'departmentCode', message: `科室“${department.data}”不存在` });
      }
      if (!parsed.success || problems.length > 0) throw new ValidationError(problems);

      const { code, name, departmentCode } = parsed.data;
      const normalized = (questions as Record<string, unknown>[]).map(normalizeQuestion);
      const saved = await sql.begin(async (tx) => {
        // Two admins saving the same code at once get consecutive versions, not a unique violation.
        await tx`SELECT pg_advisory_xact_lock(hashtext(${'question_template:' + code}))`;
        const [row] = await tx<TemplateRow[]>`
          INSERT INTO question_templates (code, version, department_code, name, questions, created_by)
          SELECT ${code}, COALESCE(max(version), 0) + 1, ${departmentCode}, ${name}, ${tx.json(normalized as never)}, ${user.id}
          FROM question_templates WHERE code = ${code}
          RETURNING id, code, version, name, department_code, questions, created_at, ${user.username}::text AS created_by`;
        return row!;
      });
      await audit.record(
        {
          actor: user,
          action: 'plan.template_saved',
          entityType: 'question_template',
          entityId: saved.id,
          details: { code, version: saved.version, name, departmentCode, questionCount: normalized.length },
        },
        meta,
      );
      return toTemplateVersion(saved);
    },

    // ---------------------------------------------------------------- follow-up rules

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

    // ---------------------------------------------------------------- HIS department mappings

    async mappings(user: Principal): Promise<Mapping[]> {
      requireAdmin(user);
      const rows = await sql<
        { his_code: string; department_code: string; department_name: string; note: string | null; updated_at: Date; encounters: number }[]
      >`
        SELECT m.his_code, m.department_code, d.name AS department_name, m.note, m.updated_at,
               (SELECT count(*)::int FROM encounters e WHERE e.his_department_code = m.his_code) AS encounters
        FROM department_mappings m JOIN departments d ON d.code = m.department_code
        ORDER BY m.his_code`;
      return rows.map((r) => ({
        hisCode: r.his_code,
        departmentCode: r.department_code,
        departmentName: r.department_name,
        note: r.note,
        updatedAt: r.updated_at.toISOString(),
        encounters: r.encounters,
      }));
    },

    /** HIS codes of encounters still in 未分配科室, with how much waits there. */
    async unmappedCodes(user: Principal): Promise<UnmappedCode[]> {
      requireAdmin(user);
      const rows = await sql<
        { his_code: string; encounters: number; open_tasks: number; last_discharged_at: Date | null; mapped_to: string | null }[]
      >`
        SELECT e.his_department_code AS his_code,
               count(DISTINCT e.id)::int AS encounters,
               count(t.id) FILTER (WHERE t.status = 'open')::int AS open_tasks,
               max(e.discharged_at) AS last_discharged_at,
               (SELECT m.department_code FROM department_mappings m WHERE m.his_code = e.his_department_code) AS mapped_to
        FROM encounters e
        LEFT JOIN follow_up_tasks t ON t.encounter_id = e.id
        WHERE e.department_code IS NULL
        GROUP BY e.his_department_code
        ORDER BY open_tasks DESC, encounters DESC, his_code`;
      return rows.map((r) => ({
        hisCode: r.his_code,
        encounters: r.encounters,
        openTasks: r.open_tasks,
        lastDischargedAt: r.last_discharged_at?.toISOString() ?? null,
        mappedTo: r.mapped_to,
      }));
    },

    /**
     * Maps a HIS code to a department (insert or change), and in the same transaction moves what
     * waits in 未分配科室 under that code: its encounters, their open tasks (each assigned to the
     * least-loaded active agent of the department, as when a task is opened) and their alerts.
     * Encounters already in a department are left where they are.
     */
    async saveMapping(user: Principal, input: MappingInput, meta: RequestMeta): Promise<MappingResult> {
      requireAdmin(user, '仅管理员可维护科室映射');
      const parsed = mappingSchema.safeParse(input);
      const problems: FieldProblem[] = parsed.success ? [] : zodProblems(parsed.error);
      const department = mappingSchema.shape.departmentCode.safeParse(isRecord(input) ? input.departmentCode : undefined);
      if (department.success && !(await departmentExists(sql, department.data))) {
        problems.push({ field: 'departmentCode', message: `科室“${department.data}”不存在` });
      }
      if (!parsed.success || problems.length > 0) throw new ValidationError(problems);
      const { hisCode, departmentCode, note } = parsed.data;

      const result = await sql.begin(async (tx) => {
        const [previous] = await tx<{ department_code: string }[]>`
          SELECT department_code FROM department_mappings WHERE his_code = ${hisCode} FOR UPDATE`;
        await tx`
          INSERT INTO department_mappings (his_code, department_code, note)
          VALUES (${hisCode}, ${departmentCode}, ${note})
          ON CONFLICT (his_code) DO UPDATE SET department_code = EXCLUDED.department_code, note = EXCLUDED.note, updated_at = now()`;
        const encounters = await tx<{ id: string; workflow_id: string }[]>`
          UPDATE encounters SET department_code = ${departmentCode}
          WHERE his_department_code = ${hisCode} AND department_code IS NULL
          RETURNING id, workflow_id`;

        const tasks = await tx<{ id: string; assigned_agent_id: string | null }[]>`
          SELECT t.id, t.assigned_agent_id FROM follow_up_tasks t JOIN encounters e ON e.id = t.encounter_id
          WHERE e.his_department_code = ${hisCode} AND e.department_code = ${departmentCode}
            AND t.department_code IS NULL AND t.status = 'open'
          ORDER BY t.urgent DESC, t.due_at, t.id
          FOR UPDATE OF t`;
        // Least-loaded first, then by id: the order openTask uses, applied task by task.
        const agents = await tx<{ id: string; load: number }[]>`
          SELECT u.id, count(t.id)::int AS load FROM users u
          LEFT JOIN follow_up_tasks t ON t.assigned_agent_id = u.id AND t.status = 'open'
          WHERE u.role = 'agent' AND u.active AND u.department_code = ${departmentCode}
          GROUP BY u.id ORDER BY count(t.id), u.id`;
        const byAgent = new Map<string | null, string[]>();
        let assigned = 0;
        for (const task of tasks) {
          let agent: string | null = task.assigned_agent_id;
          if (agent === null && agents.length > 0) {
            const least = agents.reduce((a, b) => (b.load < a.load || (b.load === a.load && b.id < a.id) ? b : a));
            least.load += 1;
            agent = least.id;
            assigned += 1;
          }
          byAgent.set(agent, [...(byAgent.get(agent) ?? []), task.id]);
        }
        for (const [agent, ids] of byAgent) {
          await tx`
            UPDATE follow_up_tasks SET department_code = ${departmentCode}, assigned_agent_id = ${agent}, updated_at = now()
            WHERE id IN ${tx(ids)}`;
        }
        // Red-flag alerts raised while the encounter was unassigned go to the department too.
        const alerts = await tx`
          UPDATE alerts a SET department_code = ${departmentCode}
          FROM follow_up_tasks t JOIN encounters e ON e.id = t.encounter_id
          WHERE a.task_id = t.id AND a.department_code IS NULL
            AND e.his_department_code = ${hisCode} AND e.department_code = ${departmentCode}
          RETURNING a.id`;
        return {
          previous: previous?.department_code ?? null,
          workflowIds: encounters.map((e) => e.workflow_id),
          moved: {
            hisCode,
            departmentCode,
            encountersMoved: encounters.length,
            tasksMoved: tasks.length,
            tasksAssigned: assigned,
            alertsMoved: alerts.length,
          } satisfies MappingResult,
        };
      });

      // The running follow-ups learn their department too (search attribute, later tasks); a finished one needs nothing.
      for (const workflowId of result.workflowIds) {
        await temporal?.workflow.getHandle(workflowId).signal(departmentMappedSignal, { departmentCode }).catch(() => undefined);
      }
      await audit.record(
        {
          actor: user,
          action: 'plan.mapping_saved',
          entityType: 'department_mapping',
          entityId: hisCode,
          details: { ...result.moved, previousDepartmentCode: result.previous, note },
        },
        meta,
      );
      return result.moved;
    },

    /** Removes a mapping; encounters already moved stay in their department. */
    async deleteMapping(user: Principal, hisCode: string, meta: RequestMeta): Promise<void> {
      requireAdmin(user, '仅管理员可维护科室映射');
      const [row] = await sql<{ department_code: string; note: string | null }[]>`
        DELETE FROM department_mappings WHERE his_code = ${hisCode} RETURNING department_code, note`;
      if (!row) throw notFound(`HIS 科室代码“${hisCode}”没有映射`);
      await audit.record(
        {
          actor: user,
          action: 'plan.mapping_deleted',
          entityType: 'department_mapping',
          entityId: hisCode,
          details: { hisCode, departmentCode: row.department_code, note: row.note },
        },
        meta,
      );
    },
  };
}

export type PlanService = ReturnType<typeof createPlanService>;
