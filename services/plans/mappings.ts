/**
 * HIS department code mappings as administrators edit them. Mapping a HIS code moves the
 * encounters and open tasks still waiting in 未分配科室 to the department, and tells their
 * running follow-ups.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { leastLoadedAgent } from '../../db/assignment.js';
import type { Principal } from '../../domain/access.js';
import type { RequestMeta } from '../audit.js';
import { notFound, ValidationError, type FieldProblem } from '../errors.js';
import { signalDepartmentMapped } from '../workflow-reconcile.js';
import { departmentExists, isRecord, optionalText, requireAdmin, requiredText, zodProblems, type PlanDeps } from './common.js';

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

const mappingSchema = z.object({
  hisCode: requiredText(32, 'HIS 科室代码', '请填写 HIS 科室代码'),
  departmentCode: requiredText(32, '科室', '请选择科室'),
  note: optionalText(200, '备注'),
});

export function createMappingService({ sql, audit, temporal }: PlanDeps & { temporal?: Client }) {
  return {
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
        // Marked until the follow-up has the signal (below, or the reconciler if Temporal is down).
        const encounters = await tx<{ id: string; workflow_id: string }[]>`
          UPDATE encounters SET department_code = ${departmentCode}, department_signal_pending = true
          WHERE his_department_code = ${hisCode} AND department_code IS NULL
          RETURNING id, workflow_id`;

        const tasks = await tx<{ id: string; assigned_agent_id: string | null }[]>`
          SELECT t.id, t.assigned_agent_id FROM follow_up_tasks t JOIN encounters e ON e.id = t.encounter_id
          WHERE e.his_department_code = ${hisCode} AND e.department_code = ${departmentCode}
            AND t.department_code IS NULL AND t.status = 'open'
          ORDER BY t.urgent DESC, t.due_at, t.id
          FOR UPDATE OF t`;
        if (tasks.length > 0) {
          await tx`UPDATE follow_up_tasks SET department_code = ${departmentCode}, updated_at = now() WHERE id IN ${tx(tasks.map((t) => t.id))}`;
        }
        // Task by task, most urgent first: each assignment counts toward the next agent's load.
        let assigned = 0;
        for (const task of tasks.filter((t) => t.assigned_agent_id === null)) {
          const agent = await leastLoadedAgent(tx, departmentCode);
          if (agent === null) break; // no active agent in the department: they wait there unassigned
          await tx`UPDATE follow_up_tasks SET assigned_agent_id = ${agent} WHERE id = ${task.id}`;
          assigned += 1;
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
          encounters: encounters.map((e) => ({ id: e.id, workflowId: e.workflow_id, departmentCode })),
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
      // One that cannot be told now keeps its marker, and the reconciler tells it later.
      if (temporal) {
        for (const encounter of result.encounters) await signalDepartmentMapped({ sql, temporal }, encounter).catch(() => undefined);
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
