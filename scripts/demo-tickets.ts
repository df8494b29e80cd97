/**
 * Demo tickets in every state, driven through the real ticket workflow by the same service calls
 * staff make: open, in progress, transferred, resolved awaiting the patient's rating, closed,
 * reopened after a poor rating, and some received days ago so they are past their SLA (escalated).
 */
import type { Sql } from '../db/client.js';
import type { Principal } from '../domain/access.js';
import type { Services } from '../services/index.js';
import { getTicketStateQuery, rateTicketSignal, ticketWorkflowId } from '../workflows/feedback-ticket/contracts.js';
import type { Client } from '@temporalio/client';

/** Routing table defaults from the hospital's practice, where an admin has not set one yet. */
export const DEMO_ROUTES: Record<string, string> = {
  service_attitude: 'HLB',
  medical_quality: 'YWK',
  environment: 'ZWK',
  process: 'MZB',
};

type Scenario = 'open' | 'in_progress' | 'transferred' | 'awaiting_rating' | 'closed' | 'reopened' | 'overdue';

const DEMO: { scenario: Scenario; category: string; subtag: string; description: string; hoursAgo: number }[] = [
  { scenario: 'open', category: 'environment', subtag: '空调/设施损坏', description: '病房空调坏了 3 天没人修', hoursAgo: 2 },
  { scenario: 'overdue', category: 'environment', subtag: '卫生不整洁', description: '卫生间地面长期湿滑,有积水', hoursAgo: 30 },
  { scenario: 'overdue', category: 'process', subtag: '排队时间长', description: '出院结账排队两个多小时', hoursAgo: 80 },
  { scenario: 'in_progress', category: 'medical_quality', subtag: '用药指导不清晰', description: '出院带药的服用时间没有讲清楚', hoursAgo: 5 },
  { scenario: 'transferred', category: 'process', subtag: '缴费不便', description: '自助机不能用医保卡缴费', hoursAgo: 6 },
  { scenario: 'awaiting_rating', category: 'service_attitude', subtag: '解释不耐心', description: '夜班护士解释问题不耐心', hoursAgo: 20 },
  { scenario: 'closed', category: 'medical_quality', subtag: '伤口护理讲解不够', description: '换药方法没有教会家属', hoursAgo: 40 },
  { scenario: 'reopened', category: 'environment', subtag: '噪音大', description: '走廊夜间噪音大,影响休息', hoursAgo: 26 },
];

export async function seedDemoTickets({ sql, services, temporal }: { sql: Sql; services: Services; temporal: Client }): Promise<number> {
  for (const [category, department] of Object.entries(DEMO_ROUTES)) {
    await sql`UPDATE feedback_routes SET department_code = ${department} WHERE category = ${category} AND department_code IS NULL`;
  }
  const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tickets WHERE source_key LIKE 'demo:%'`;
  if (n > 0) return 0;

  const principal = async (username: string): Promise<Principal> => {
    const [u] = await sql<{ id: string; display_name: string; role: Principal['role']; department_code: string | null }[]>`
      SELECT id, display_name, role, department_code FROM users WHERE username = ${username}`;
    return { id: u!.id, username, displayName: u!.display_name, role: u!.role, departmentCode: u!.department_code };
  };
  const agent = await principal('agent1');
  const admin = await principal('admin');
  const patients = await sql<{ id: string }[]>`SELECT id FROM patients ORDER BY his_patient_id LIMIT ${DEMO.length}`;

  for (const [i, d] of DEMO.entries()) {
    const { ticketId, number } = await services.tickets.open(
      agent,
      {
        sourceKey: `demo:${i}`,
        patientId: patients[i]!.id,
        category: d.category,
        subtag: d.subtag,
        description: d.description,
        receivedAt: new Date(Date.now() - d.hoursAgo * 3_600_000).toISOString(),
      },
      {},
    );
    const handle = temporal.workflow.getHandle(ticketWorkflowId(number));
    const act = (action: 'accept' | 'note' | 'transfer' | 'resolve', input: unknown = {}) => services.tickets.act(admin, ticketId, action, input, {});
    const resolveAndRate = async (rating: number) => {
      await act('resolve', { resolution: '已与患者沟通并整改' });
      // The rating is taken once the workflow has told the patient and is waiting for it.
      for (let tries = 0; tries < 50 && !(await handle.query(getTicketStateQuery)).nextDeadline; tries++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await handle.signal(rateTicketSignal, { rating, via: 'patient' });
    };
    switch (d.scenario) {
      case 'in_progress':
        await act('accept');
        await act('note', { note: '已联系药剂科重新制作用药说明' });
        break;
      case 'transferred':
        await act('accept');
        await act('transfer', { departmentCode: 'ZWK', reason: '自助机维护归总务科' });
        break;
      case 'awaiting_rating':
        await act('accept');
        await act('resolve', { resolution: '已对当班护士进行沟通培训,并向患者致歉' });
        break;
      case 'closed':
        await resolveAndRate(5);
        break;
      case 'reopened':
        await resolveAndRate(1);
        break;
      default:
        break;
    }
  }
  return DEMO.length;
}
