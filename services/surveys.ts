/**
 * The patient's survey and rating page (/s/<token>): no sign-in, the link is the key. A token is
 * unguessable (HMAC, 192 bits), expires (contact rule, default 7 days) and is single-use; the
 * answers go to the follow-up workflow (surveyAnsweredSignal) or the ticket (rateTicketSignal).
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { TOKEN_SHAPE, tokenHash } from '../db/survey-links.js';
import { validateAnswers, type AnswerValue, type Answers, type Question } from '../domain/questions.js';
import { rateTicketSignal, ticketWorkflowId } from '../workflows/feedback-ticket/contracts.js';
import { surveyAnsweredSignal } from '../workflows/follow-up/contracts.js';
import { ValidationError } from './errors.js';

export type SurveyPage =
  | { state: 'survey'; questions: Question[]; departmentName: string | null }
  | { state: 'rating'; ticketNumber: string }
  | { state: 'invalid' | 'expired' | 'used' | 'closed' };

interface LinkRow {
  token_hash: string;
  task_id: string | null;
  ticket_id: string | null;
  expired: boolean;
  used: boolean;
  task_open: boolean | null;
  ticket_resolved: boolean | null;
  ticket_number: string | null;
  workflow_id: string | null;
  questions: Question[] | null;
  department_name: string | null;
}

/** Form fields answers.<id> as typed answers (rating → number, yes_no → boolean); blanks are left out. */
export function answersFromForm(questions: Question[], form: Record<string, string>): Answers {
  const answers: Answers = {};
  for (const q of questions) {
    const raw = form[`answers.${q.id}`]?.trim();
    if (!raw) continue;
    let value: AnswerValue = raw;
    if (q.type === 'rating') value = Number(raw);
    else if (q.type === 'yes_no') value = raw === 'true' ? true : raw === 'false' ? false : raw;
    answers[q.id] = value;
  }
  return answers;
}

export function createSurveyService({ sql, temporal }: { sql: Sql; temporal: Client }) {
  async function link(token: string): Promise<LinkRow | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const [row] = await sql<LinkRow[]>`
      SELECT l.token_hash, l.task_id, l.ticket_id, l.expires_at < now() AS expired,
             (l.used_at IS NOT NULL OR EXISTS (SELECT 1 FROM survey_links o WHERE o.task_id = l.task_id AND o.used_at IS NOT NULL)) AS used,
             t.status = 'open' AS task_open, k.status = 'resolved' AS ticket_resolved, k.number AS ticket_number,
             t.workflow_id, q.questions, d.name AS department_name
      FROM survey_links l
      LEFT JOIN follow_up_tasks t ON t.id = l.task_id
      LEFT JOIN question_templates q ON q.id = t.template_id
      LEFT JOIN departments d ON d.code = t.department_code
      LEFT JOIN tickets k ON k.id = l.ticket_id
      WHERE l.token_hash = ${tokenHash(token)}`;
    return row;
  }

  function pageOf(row: LinkRow | undefined): SurveyPage {
    if (!row) return { state: 'invalid' };
    if (row.used) return { state: 'used' };
    if (row.expired) return { state: 'expired' };
    if (row.task_id) return row.task_open ? { state: 'survey', questions: row.questions ?? [], departmentName: row.department_name } : { state: 'closed' };
    return row.ticket_resolved ? { state: 'rating', ticketNumber: row.ticket_number ?? '' } : { state: 'closed' };
  }

  return {
    /** What the page shows; opening a live link counts as "started answering" (no reminder follows). */
    async view(token: string): Promise<SurveyPage> {
      const row = await link(token);
      const page = pageOf(row);
      if (row && (page.state === 'survey' || page.state === 'rating')) {
        await sql`UPDATE survey_links SET opened_at = coalesce(opened_at, now()) WHERE token_hash = ${row.token_hash}`;
      }
      return page;
    },

    /**
     * Takes the answers (or the rating) once. Problems are refused with the field at fault and
     * the link stays usable; a second submit finds the link used.
     */
    async submit(token: string, form: Record<string, string>): Promise<SurveyPage['state']> {
      const row = await link(token);
      const page = pageOf(row);
      if (!row || (page.state !== 'survey' && page.state !== 'rating')) return page.state;
      if (page.state === 'survey') {
        const answers = answersFromForm(page.questions, form);
        const problems = validateAnswers(page.questions, answers);
        if (problems.length) throw new ValidationError(problems);
        if (!(await claim(row.token_hash))) return 'used';
        await temporal.workflow
          .getHandle(row.workflow_id!)
          .signal(surveyAnsweredSignal, { taskId: row.task_id!, outcome: 'completed', answers, note: '患者通过问卷链接填写' });
        return 'survey';
      }
      const rating = Number(form.rating);
      if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new ValidationError([{ field: 'rating', message: '请选择 1–5 分' }]);
      const comment = (form.comment ?? '').trim().slice(0, 500);
      if (!(await claim(row.token_hash))) return 'used';
      if (comment) {
        await sql`
          INSERT INTO ticket_events (ticket_id, step, kind, details)
          VALUES (${row.ticket_id}, ${`patient-comment:${row.token_hash.slice(0, 16)}`}, 'patient_comment', ${sql.json({ comment, rating })})
          ON CONFLICT (ticket_id, step) DO NOTHING`;
      }
      await temporal.workflow.getHandle(ticketWorkflowId(row.ticket_number!)).signal(rateTicketSignal, { rating, via: 'patient' });
      return 'rating';
    },
  };

  /** Marks the link used; false when another submit was first. */
  async function claim(hash: string): Promise<boolean> {
    const rows = await sql`UPDATE survey_links SET used_at = now() WHERE token_hash = ${hash} AND used_at IS NULL RETURNING token_hash`;
    return rows.length > 0;
  }
}

export type SurveyService = ReturnType<typeof createSurveyService>;
