/**
 * What the supervisor's 流程监控 page names in words: the kinds of problem, the processes it
 * watches (by workflow type) and their steps (activities). Browser-safe.
 */
export const WORKFLOW_PROBLEMS = ['failed', 'terminated', 'timed_out', 'retrying'] as const;
export type WorkflowProblem = (typeof WORKFLOW_PROBLEMS)[number];

export const WORKFLOW_PROBLEM_LABELS: Record<WorkflowProblem, string> = {
  failed: '失败',
  terminated: '被终止',
  timed_out: '超时',
  retrying: '步骤反复重试',
};

/** The processes a supervisor watches, by workflow type (the scheduled jobs too: a failing one stops quietly otherwise). */
export const MONITORED_PROCESSES = {
  followUpWorkflow: '出院随访',
  feedbackTicketWorkflow: '投诉工单',
  appointmentWorkflow: '门诊预约',
  noShowLedgerWorkflow: '爽约记录',
  reconcileWorkflow: '补处理(定时)',
  auditAnchorWorkflow: '审计日志锚定(定时)',
  quotaPlanningWorkflow: '号源测算(定时)',
} as const;
export type MonitoredProcess = keyof typeof MONITORED_PROCESSES;

/** The steps (activities) in words; an unknown one is shown by its name. */
export const ACTIVITY_LABELS: Record<string, string> = {
  planFollowUp: '生成随访计划',
  loadFollowUpPlan: '读取随访计划',
  openTask: '生成随访任务',
  recordAttempt: '记录联系结果',
  escalateUnworkedTask: '超时任务通知科室主任',
  raiseRedFlagAlert: '红旗预警通知科室',
  queuePatientMessage: '发送患者消息',
  cancelOpenTasks: '取消待办任务',
  recordFollowUpEvent: '记录随访事件',
  openTicketForFeedback: '由反馈生成工单',
  openTicketForRedFlag: '由红旗生成工单',
  loadTicket: '读取工单',
  recordTicketStep: '记录工单进展',
  notifyStaff: '通知科室/管理层',
  notifyPatient: '通知患者',
  loadAppointment: '读取预约',
  cancelAppointment: '取消预约',
  recordCheckIn: '记录签到',
  markNoShow: '记录爽约',
  queueAppointmentMessage: '发送预约提醒',
  loadNoShowSettings: '读取爽约规则',
  projectNoShowLedger: '更新爽约记录',
  reprocessHisInbox: '补处理 HIS 消息',
  reconcileRows: '补启动流程 / 补发通知',
  anchorAuditChain: '写审计锚定文件',
  recomputeQuotas: '重新测算号源',
};
