import { describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../domain/access.js';
import { allowedActions, contactRefusal, followUpStart, type TaskFacts, type TouchpointStatus } from './contracts.js';

const user = (role: Role, departmentCode: string | null, id = 'agent1'): Principal => ({ id, username: id, displayName: id, role, departmentCode });
const task = (status: TouchpointStatus, assignedAgentId: string | null = 'agent1', departmentCode: string | null = 'ORTHO'): TaskFacts => ({
  status,
  departmentCode,
  assignedAgentId,
});

describe('followUpStart', () => {
  it('one follow-up per encounter: a closed one is not restarted unless the discharge came again', () => {
    const first = followUpStart({ encounterId: 'ZY1' }, { departmentCode: null });
    expect(first).toMatchObject({ workflowType: 'followUpWorkflow', options: { workflowId: 'followup-ZY1', workflowIdReusePolicy: 'REJECT_DUPLICATE' } });
    expect(first.options.typedSearchAttributes).toEqual([{ key: { name: 'Department', type: 'KEYWORD' }, value: 'UNASSIGNED' }]);
    expect(followUpStart({ encounterId: 'ZY1' }, { departmentCode: 'GK', again: true }).options).toMatchObject({ workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
  });

  it("names the department in the Temporal UI's summary, not its code", () => {
    expect(followUpStart({ encounterId: 'ZY1' }, { departmentCode: 'GK', departmentName: '骨科' }).options.staticSummary).toBe('出院随访 · 骨科 · 就诊号 ZY1');
    expect(followUpStart({ encounterId: 'ZY1' }, { departmentCode: null }).options.staticSummary).toBe('出院随访 · 未分配科室 · 就诊号 ZY1');
  });
});

describe('contactRefusal and allowedActions', () => {
  it('an agent records an open task of theirs or of their department’s unassigned ones', () => {
    const agent = user('agent', 'ORTHO');
    expect(allowedActions(task('open'), agent)).toEqual(['record']);
    expect(allowedActions(task('open', null), agent)).toEqual(['record']);
    expect(contactRefusal(task('open', 'agent2'), agent)).toEqual({ forbidden: true, message: '该任务不属于您' });
    expect(contactRefusal(task('open', null, 'ENDO'), agent)).toEqual({ forbidden: true, message: '该任务不属于您' });
  });

  it('a finished task takes no more contacts, with its state named', () => {
    expect(contactRefusal(task('completed'), user('agent', 'ORTHO'))).toEqual({ forbidden: false, message: '该任务已结束(已完成),不能重复记录' });
    expect(allowedActions(task('cancelled'), user('admin', null))).toEqual([]);
  });

  it('department staff and managers read tasks but do not record calls; admins may', () => {
    expect(contactRefusal(task('open'), user('dept_staff', 'ORTHO'))).toEqual({ forbidden: true, message: '只有客服可以记录随访' });
    expect(allowedActions(task('open'), user('manager', null))).toEqual([]);
    expect(allowedActions(task('open', 'agent2'), user('admin', null))).toEqual(['record']);
  });
});
