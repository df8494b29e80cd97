import { describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../domain/access.js';
import { allowedActions, ticketActionRefusal, ticketActor, ticketStart, type TicketStatus } from './contracts.js';

const user = (role: Role, departmentCode: string | null, id = 'u1'): Principal => ({ id, username: id, displayName: id, role, departmentCode });
const ticket = (status: TicketStatus, departmentCode: string | null = 'ORTHO', createdBy: string | null = 'agent1') => ({ status, departmentCode, createdBy });

describe('ticketStart', () => {
  it('never allows a second run for the same ticket, however it is started', () => {
    for (const source of ['follow-up', 'direct'] as const) {
      const request = ticketStart({ ticketId: 't-1', number: 'T20261123001' }, source);
      expect(request).toMatchObject({
        workflowType: 'feedbackTicketWorkflow',
        options: { workflowId: 'ticket-T20261123001', args: [{ ticketId: 't-1' }], workflowIdReusePolicy: 'REJECT_DUPLICATE' },
      });
    }
  });
});

describe('ticketActor', () => {
  it('department staff act for their department, admins for every one, other roles not at all', () => {
    expect(ticketActor(user('dept_head', 'ORTHO'))).toEqual({ actorId: 'u1', actorDepartment: 'ORTHO' });
    expect(ticketActor(user('admin', null))).toEqual({ actorId: 'u1', actorDepartment: null });
    expect(ticketActor(user('agent', 'ORTHO'))).toBeNull();
    expect(ticketActor(user('manager', null))).toBeNull();
  });
});

describe('ticketActionRefusal', () => {
  const actor = { actorId: 'u1', actorDepartment: 'ORTHO' };

  it('accepts only an open ticket; notes, transfers and resolutions while it waits for the department', () => {
    expect(ticketActionRefusal(ticket('open'), 'accept', actor)).toBeNull();
    expect(ticketActionRefusal(ticket('in_progress'), 'accept', actor)).toBe('工单处理中,不能执行此操作');
    for (const action of ['note', 'transfer', 'resolve'] as const) {
      expect(ticketActionRefusal(ticket('open'), action, actor)).toBeNull();
      expect(ticketActionRefusal(ticket('in_progress'), action, actor)).toBeNull();
      expect(ticketActionRefusal(ticket('resolved'), action, actor)).toBe('工单已解决,不能执行此操作');
      expect(ticketActionRefusal(ticket('closed'), action, actor)).toBe('工单已关闭,不能执行此操作');
    }
  });

  it('refuses another department’s ticket (one transferred away meanwhile), but not an admin', () => {
    expect(ticketActionRefusal(ticket('open', 'ENDO'), 'note', actor)).toBe('该工单已不属于您的科室');
    expect(ticketActionRefusal(ticket('open', 'ENDO'), 'note', { actorId: 'a', actorDepartment: null })).toBeNull();
  });
});

describe('allowedActions', () => {
  it('gives the department its actions by state', () => {
    const staff = user('dept_staff', 'ORTHO');
    expect(allowedActions(ticket('open'), staff)).toEqual(['accept', 'note', 'transfer', 'resolve']);
    expect(allowedActions(ticket('in_progress'), staff)).toEqual(['note', 'transfer', 'resolve']);
    expect(allowedActions(ticket('resolved'), staff)).toEqual([]);
    expect(allowedActions(ticket('open', 'ENDO'), staff)).toEqual([]);
  });

  it('lets the agent who raised it record the patient’s rating of a resolved ticket, and nothing else', () => {
    const agent = user('agent', 'ORTHO', 'agent1');
    expect(allowedActions(ticket('resolved'), agent)).toEqual(['rate']);
    expect(allowedActions(ticket('in_progress'), agent)).toEqual([]);
    expect(allowedActions(ticket('resolved'), user('agent', 'ORTHO', 'agent2'))).toEqual([]);
  });

  it('lets an admin do everything the state allows; a manager reassigns and chases (督办) active tickets only', () => {
    expect(allowedActions(ticket('open', 'ENDO'), user('admin', null))).toEqual(['accept', 'note', 'transfer', 'resolve', 'chase']);
    expect(allowedActions(ticket('resolved'), user('admin', null))).toEqual(['rate']);
    expect(allowedActions(ticket('open'), user('manager', null))).toEqual(['transfer', 'chase']);
    expect(allowedActions(ticket('in_progress'), user('manager', null))).toEqual(['transfer', 'chase']);
    expect(allowedActions(ticket('resolved'), user('manager', null))).toEqual([]);
  });
});
