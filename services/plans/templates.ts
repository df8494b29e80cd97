/**
 * Question templates as administrators edit them. Templates are never edited in place: saving
 * inserts the next version, so a follow-up already planned keeps the questions it was planned with.
 */
import { z } from 'zod';
import type { Principal } from '../../domain/access.js';
import { validateTemplate, type Question, type RedFlagRule } from '../../domain/questions.js';
import type { RequestMeta } from '../audit.js';
import { notFound, ValidationError, type FieldProblem } from '../errors.js';
import { departmentExists, isRecord, optionalText, requireAdmin, requiredText, zodProblems, type PlanDeps } from './common.js';

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

const TEMPLATE_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_QUESTION_TEXT = 200;

const templateSchema = z.object({
  code: z
    .string({ required_error: '请填写模板代码', invalid_type_error: '模板代码须为文字' })
    .trim()
    .regex(TEMPLATE_CODE_RE, '模板代码须以字母或数字开头，只含字母、数字、下划线、连字符和点，最长 64 个字符'),
  name: requiredText(100, '模板名称', '请填写模板名称'),
  departmentCode: optionalText(32, '科室'),
  questions: z.unknown(),
});

/** Only the keys a question has, text trimmed; run after validateTemplate passed. */
function normalizeQuestion(q: Record<string, unknown>): Question {
  const question: Question = { id: String(q.id), text: String(q.text).trim(), type: q.type as Question['type'] };
  if (question.type === 'choice' && Array.isArray(q.options)) question.options = q.options.map((o) => String(o).trim());
  if (isRecord(q.redFlag)) question.redFlag = { op: q.redFlag.op, value: q.redFlag.value } as RedFlagRule;
  if (typeof q.required === 'boolean') question.required = q.required;
  return question;
}

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

export function createTemplateService({ sql, audit }: PlanDeps) {
  return {
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
  };
}
