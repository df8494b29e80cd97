/**
 * Reads what a ticket carries for its department (see domain/ticket-context.ts): the red-flag
 * answers and the agent's note of the call it came from, and the stay (ward, room, bed, discharging
 * department) of that follow-up, or of the feedback record's stay for a ticket taken otherwise.
 */
import type { Sql } from '../db/client.js';
import type { Question } from '../domain/questions.js';
import { redFlagAnswers, type TicketContext } from '../domain/ticket-context.js';

export async function loadTicketContext(
  sql: Sql,
  ticket: { category: string; source_task_id: string | null; feedback_id: string | null },
): Promise<TicketContext> {
  const taskId = ticket.source_task_id;
  const [task] = taskId
    ? await sql<{ questions: Question[] | null; encounter_id: string }[]>`
        SELECT q.questions, t.encounter_id FROM follow_up_tasks t LEFT JOIN question_templates q ON q.id = t.template_id WHERE t.id = ${taskId}`
    : [];
  const [feedback] = ticket.feedback_id
    ? await sql<{ encounter_id: string | null; task_id: string | null }[]>`SELECT encounter_id, task_id FROM feedback_records WHERE id = ${ticket.feedback_id}`
    : [];
  const noteTask = taskId ?? feedback?.task_id ?? null;
  const encounterId = task?.encounter_id ?? feedback?.encounter_id ?? null;

  const [answers, [note], [stay]] = await Promise.all([
    taskId && ticket.category === 'red_flag'
      ? sql<{ question_id: string; value: unknown; red_flag: boolean }[]>`SELECT question_id, value, red_flag FROM task_answers WHERE task_id = ${taskId}`
      : Promise.resolve([]),
    noteTask
      ? sql<{ note: string; display_name: string | null }[]>`
          SELECT a.note, u.display_name FROM task_attempts a LEFT JOIN users u ON u.id = a.by_user
          WHERE a.task_id = ${noteTask} AND a.note IS NOT NULL AND a.note <> '' ORDER BY a.attempt DESC LIMIT 1`
      : Promise.resolve([]),
    encounterId
      ? sql<{ department_name: string | null; ward: string | null; room: string | null; bed: string | null; attending_doctor: string | null; discharged_at: Date | null }[]>`
          SELECT d.name AS department_name, e.ward, e.room, e.bed, e.attending_doctor, e.discharged_at
          FROM encounters e LEFT JOIN departments d ON d.code = e.department_code WHERE e.id = ${encounterId}`
      : Promise.resolve([]),
  ]);
  return {
    redFlagAnswers: redFlagAnswers(
      task?.questions ?? [],
      answers.map((a) => ({ questionId: a.question_id, value: a.value, redFlag: a.red_flag })),
    ),
    agentNote: note?.note ?? null,
    agentName: note?.display_name ?? null,
    stay: stay
      ? {
          departmentName: stay.department_name,
          ward: stay.ward,
          room: stay.room,
          bed: stay.bed,
          attendingDoctor: stay.attending_doctor,
          dischargedAt: stay.discharged_at?.toISOString() ?? null,
        }
      : null,
  };
}
