/** The patient's context beside the call: who, which stay, which touchpoint, how many tries. */
import type { TaskDetail } from '../../../services/tasks.js';
import { formatDate, formatTime, SEX_LABELS } from '../task-format.js';

export function PatientCard({ task }: { task: TaskDetail }) {
  return (
    <dl className="facts patient-card" data-testid="patient-card">
      <dt>姓名</dt>
      <dd>{task.patientName}</dd>
      <dt>年龄</dt>
      <dd>{task.age === null ? '—' : `${task.age} 岁`}</dd>
      <dt>性别</dt>
      <dd>{SEX_LABELS[task.sex ?? ''] ?? '—'}</dd>
      <dt>电话</dt>
      <dd className="mono phone">{task.phoneMasked || '—'}</dd>
      <dt>科室</dt>
      <dd>
        {task.departmentName}
        {task.ward && <span className="muted"> · {task.ward}</span>}
      </dd>
      <dt>手术/操作</dt>
      <dd>{task.procedure ?? '—'}</dd>
      <dt>诊断</dt>
      <dd>{task.diagnosis ?? '—'}</dd>
      <dt>主治医生</dt>
      <dd>{task.attendingDoctor ?? '—'}</dd>
      <dt>责任护士</dt>
      <dd>{task.nurse ?? '—'}</dd>
      <dt>出院日期</dt>
      <dd>{formatDate(task.dischargedAt)}</dd>
      <dt>出院天数</dt>
      <dd>{task.daysSinceDischarge} 天</dd>
      <dt>应随访</dt>
      <dd>{formatTime(task.dueAt)}</dd>
      <dt>尝试次数</dt>
      <dd>
        {task.attempts}/{task.maxAttempts}
      </dd>
    </dl>
  );
}
