/** Chinese labels of follow-up states and call outcomes, shared by the workflow's history and the portal. */

export const CONTACT_OUTCOME_LABELS: Record<string, string> = {
  completed: '完成',
  no_answer: '未接通',
  wrong_number: '号码错误',
  refused: '拒访',
};

/** Task (touchpoint) states; `scheduled` exists only in the workflow, before the task is created. */
export const TOUCHPOINT_STATUS_LABELS: Record<string, string> = {
  scheduled: '未到期',
  open: '待随访',
  completed: '已完成',
  unreachable: '无法联系',
  refused: '拒访',
  cancelled: '已取消',
};
