/**
 * Audit actions and the kinds of record they touch, by their Chinese names for the audit page and
 * its export. Browser-safe. An action not listed here keeps its code, so nothing is ever hidden.
 */

export const AUDIT_ACTION_LABELS: Record<string, string> = {
  'auth.login': '登录',
  'auth.login_failed': '登录失败',
  'auth.login_refused': '登录被拒(锁定或停用)',
  'auth.logout': '退出登录',
  'audit.export': '导出审计日志',
  'patient.view': '查看患者',
  'patient.view_denied': '查看患者被拒',
  'patient.unmask': '查看完整信息',
  'task.view': '查看随访任务',
  'task.view_denied': '查看随访任务被拒',
  'task.contact': '记录随访',
  'ticket.view': '查看工单',
  'ticket.open': '创建工单',
  'ticket.accept': '受理工单',
  'ticket.note': '工单进展',
  'ticket.transfer': '工单转科',
  'ticket.resolve': '解决工单',
  'ticket.rating': '患者评价',
  'codec.decode': '解密流程数据',
  'clinic.call_next': '叫号',
  'noshow.blacklist_lifted': '解除爽约黑名单',
  'his_inbox.view': '查看 HIS 消息',
  'his_inbox.replay': '重放 HIS 消息',
  'plan.template_saved': '保存问卷模板',
  'plan.rule_saved': '保存随访规则',
  'plan.mapping_saved': '保存科室映射',
  'plan.mapping_deleted': '删除科室映射',
  'quota.override': '调整号源',
  'quota.override_cleared': '恢复计划号源',
  'routing.route_saved': '保存投诉分派',
  'routing.subtag_saved': '保存问题子标签',
  'routing.subtag_active_set': '启用/停用问题子标签',
  'report.export': '导出报表',
};

export const AUDIT_ENTITY_LABELS: Record<string, string> = {
  patient: '患者',
  task: '随访任务',
  ticket: '工单',
  audit_log: '审计日志',
  clinic_session: '门诊出诊',
  department_mapping: '科室映射',
  feedback_route: '投诉分派',
  feedback_subtag: '问题子标签',
  follow_up_rule: '随访规则',
  question_template: '问卷模板',
  inbound_messages: 'HIS 消息',
  user: '用户',
  department: '科室',
  report: '报表',
};

export const auditActionLabel = (action: string): string => AUDIT_ACTION_LABELS[action] ?? action;
export const auditEntityLabel = (entityType: string): string => AUDIT_ENTITY_LABELS[entityType] ?? entityType;
