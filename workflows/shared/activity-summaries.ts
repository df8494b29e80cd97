/**
 * Activity calls that carry a Chinese summary (the SDK's ActivityOptions `summary`, user metadata
 * shown in the Temporal UI's timeline instead of the raw activity name). The summary is metadata
 * only: it is not part of the command's identity, so histories recorded before it replay as they
 * are (tests/replay.int.test.ts).
 */
import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityInterfaceFor,
  type ActivityOptions,
  type LocalActivityInterfaceFor,
  type LocalActivityOptions,
} from '@temporalio/workflow';

/** What each activity does, in Chinese, as the Temporal UI shows it. */
export const ACTIVITY_SUMMARIES: Record<string, string> = {
  planFollowUp: '制定随访计划',
  loadFollowUpPlan: '读取随访计划',
  recordFollowUpEvent: '记录随访日志',
  queuePatientMessage: '向患者发送消息',
  openTask: '生成随访任务',
  recordAttempt: '记录随访结果',
  raiseRedFlagAlert: '红旗预警:通知科室',
  openTicketForRedFlag: '红旗转工单',
  routeFeedbackInformation: '表扬/建议转科室(知悉)',
  openTicketForFeedback: '投诉转工单',
  moveTaskToPhone: '改为电话随访',
  escalateUnworkedTask: '任务超时未处理:上报',
  cancelOpenTasks: '取消未完成任务',
  loadTicket: '读取工单',
  recordTicketStep: '记录工单进展',
  notifyStaff: '通知科室人员',
  notifyPatient: '通知患者',
};

function summarized<P extends object>(proxyFor: (name: string) => unknown): P {
  const cache = new Map<string, unknown>();
  return new Proxy({} as P, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      if (!cache.has(name)) cache.set(name, proxyFor(name));
      return cache.get(name);
    },
  });
}

const withSummary = <O extends { summary?: string }>(options: O, name: string): O => {
  const summary = ACTIVITY_SUMMARIES[name];
  return summary === undefined ? options : { ...options, summary };
};

/** proxyActivities whose calls carry their ACTIVITY_SUMMARIES entry. */
export function summarizedActivities<A extends object>(options: ActivityOptions): ActivityInterfaceFor<A> {
  return summarized<ActivityInterfaceFor<A>>((name) => (proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>(withSummary(options, name)))[name]);
}

/** proxyLocalActivities whose calls carry their ACTIVITY_SUMMARIES entry. */
export function summarizedLocalActivities<A extends object>(options: LocalActivityOptions): LocalActivityInterfaceFor<A> {
  return summarized<LocalActivityInterfaceFor<A>>((name) => (proxyLocalActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>(withSummary(options, name)))[name]);
}
