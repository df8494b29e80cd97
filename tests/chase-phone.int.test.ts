/**
 * 督办 from the portal reaches the department head where the workflows' notices do: in the portal
 * list and, with SMS/WeChat configured, on the head's phone through the staff message dispatcher
 * (staffMessageWorkflow started by the ticket service). Real Temporal and Postgres, provider simulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import type { Simulators } from '../scripts/simulators/providers.js';
import { ticketStart } from '../workflows/feedback-ticket/contracts.js';
import { staffMessageWorkflowId } from '../workflows/staff-notify/contracts.js';
import { startWorkflow } from '../workflows/shared/start.js';
import { setContactRules, startChannelStack, uniquePhone } from './support/channels.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let sims: Simulators;
let org: TestOrg;
let head: Principal;
let manager: Principal;
let headPhone: string;

beforeAll(async () => {
  ({ stack, sims } = await startChannelStack());
  org = await createTestOrg(stack.sql);
  headPhone = uniquePhone();
  await stack.sql`UPDATE users SET phone = ${headPhone} WHERE username = ${org.users.headA.username}`;
  head = (await stack.services.auth.login({ username: org.users.headA.username, password: TEST_PASSWORD }, {})).user;
  manager = (await stack.services.auth.login({ username: org.users.manager.username, password: TEST_PASSWORD }, {})).user;
}, 300_000);
afterAll(() => stack?.stop());

describe('督办 on the phone', () => {
  it("sends the chase note to the department head's phone by SMS through the staff dispatcher, and lists it in the portal", async () => {
    await setContactRules(stack.sql, org.deptA, {});
    const id = uniq();
    const [patient] = await stack.sql<{ id: string }[]>`
      INSERT INTO patients (his_patient_id, name, phone) VALUES (${`CP-${id}`}, '钱文静', ${uniquePhone()}) RETURNING id`;
    const [ticket] = await stack.sql<{ id: string; number: string }[]>`
      INSERT INTO tickets (number, source_key, patient_id, category, description, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at)
      VALUES (${`T${id}`}, ${`test:${id}`}, ${patient!.id}, 'service_attitude', '护士态度不好', ${org.deptA}, 86400, 86400, 3600, now() + interval '1 day')
      RETURNING id, number`;
    await startWorkflow(stack.temporal, stack.taskQueue, ticketStart({ ticketId: ticket!.id, number: ticket!.number }, 'direct'));

    await stack.services.tickets.chase(manager, ticket!.id, { note: '患者已等两天，请今天内回复' }, {});

    const onPhone = () => sims.messages.filter((m) => m.address === `+86${headPhone}` && m.direction === 'outbound' && m.body.includes('督办'));
    const sms = await waitFor(async () => onPhone()[0], 30_000, 'the chase SMS on the head phone');
    expect(sms.body).toContain(ticket!.number);
    expect(sms.body).toContain('请今天内回复');
    // One staff message for the head, dispatched by its own workflow and delivered (the provider's signed report).
    const [message] = await waitFor(async () => {
      const rows = await stack.sql<{ id: string; status: string; sent_channel: string | null }[]>`
        SELECT s.id, s.status, s.sent_channel FROM staff_messages s JOIN staff_notifications n ON n.id = s.notification_id
        WHERE n.ticket_id = ${ticket!.id} AND n.body LIKE '督办%'`;
      return rows[0]?.status === 'delivered' ? rows : undefined;
    }, 30_000, 'the chase staff message delivered');
    expect(message!.sent_channel).toBe('sms');
    const described = await stack.temporal.workflow.getHandle(staffMessageWorkflowId(message!.id)).describe();
    expect(described.type).toBe('staffMessageWorkflow');
    expect(onPhone()).toHaveLength(1);
    // Still in the head's portal list, as before.
    const listed = (await stack.services.notifications.list(head)).find((n) => n.ticketId === ticket!.id && n.body.includes('督办'));
    expect(listed).toBeDefined();
  });
});
