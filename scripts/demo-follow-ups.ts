/**
 * Brings the demo's older follow-ups to where a hospital that keeps up would have them: calls made,
 * answers recorded (a few red flags and complaints among them), some patients unreachable — all
 * through the same workflow Update the agents use. Today's and yesterday's tasks stay open.
 */
import type { Sql } from '../db/client.js';
import type { Principal } from '../domain/access.js';
import type { Answers, Question } from '../domain/questions.js';
import type { Services } from '../services/index.js';

/** A plausible answer to each question; every `redFlagEvery`-th patient answers badly. */
function answersFor(questions: Question[], n: number): Answers {
  const bad = n % 9 === 4;
  const answers: Answers = {};
  for (const q of questions) {
    if (q.type === 'rating') answers[q.id] = bad && q.redFlag ? (q.redFlag.op === 'lte' ? 1 : 5) : 4;
    else if (q.type === 'yes_no') answers[q.id] = bad && q.redFlag?.op === 'eq' ? (q.redFlag.value as boolean) : q.redFlag?.op === 'eq' ? !q.redFlag.value : true;
    else if (q.type === 'choice') answers[q.id] = bad && q.redFlag?.op === 'in' ? q.redFlag.value[0]! : q.options![0]!;
    else if (n % 5 === 0) answers[q.id] = '恢复得不错,谢谢关心';
  }
  return answers;
}

export async function seedDemoFollowUps({ sql, services }: { sql: Sql; services: Services }): Promise<number> {
  // The workflows create their tasks moments after the discharges arrive: wait until they settle.
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_tasks`;
    if (n === last) break;
    last = n;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const tasks = await sql<{ id: string; assigned_agent_id: string; questions: Question[] }[]>`
    SELECT t.id, t.assigned_agent_id, q.questions FROM follow_up_tasks t JOIN question_templates q ON q.id = t.template_id
    WHERE t.status = 'open' AND t.attempts = 0 AND t.assigned_agent_id IS NOT NULL AND t.due_at < now() - interval '2 days'
    ORDER BY t.due_at`;
  const agents = new Map<string, Principal>();
  let done = 0;
  for (const [n, task] of tasks.entries()) {
    let agent = agents.get(task.assigned_agent_id);
    if (!agent) {
      const [u] = await sql<{ id: string; username: string; display_name: string; department_code: string }[]>`
        SELECT id, username, display_name, department_code FROM users WHERE id = ${task.assigned_agent_id}`;
      agent = { id: u!.id, username: u!.username, displayName: u!.display_name, role: 'agent', departmentCode: u!.department_code };
      agents.set(task.assigned_agent_id, agent);
    }
    const contact =
      n % 11 === 7
        ? { outcome: 'wrong_number' as const, note: '空号' }
        : n % 13 === 5
          ? { outcome: 'no_answer' as const }
          : {
              outcome: 'completed' as const,
              answers: answersFor(task.questions, n),
              ...(n % 17 === 3 ? { feedback: { category: 'process' as const, subtag: '出院手续繁琐', description: '出院结账等了很久' } } : {}),
            };
    await services.tasks.recordContact(agent, task.id, contact, {}).then(
      () => done++,
      () => undefined, // a task the workflow closed meanwhile is simply left as it is
    );
  }
  return done;
}
