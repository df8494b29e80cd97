/**
 * Who works a follow-up task: the active agent of its department with the fewest open tasks,
 * ties to the lowest id. The one place this rule is written: the workflow's openTask activity and
 * the admin's department mapping (which moves waiting tasks into a department) both ask it. Inside
 * a transaction each call sees the assignments made before it, so a batch spreads its tasks.
 */
import type postgres from 'postgres';
import type { Sql } from './client.js';

export async function leastLoadedAgent(db: Sql | postgres.TransactionSql, departmentCode: string): Promise<string | null> {
  const [agent] = await db<{ id: string }[]>`
    SELECT u.id FROM users u
    LEFT JOIN follow_up_tasks t ON t.assigned_agent_id = u.id AND t.status = 'open'
    WHERE u.role = 'agent' AND u.active AND u.department_code = ${departmentCode}
    GROUP BY u.id ORDER BY count(t.id), u.id LIMIT 1`;
  return agent?.id ?? null;
}
