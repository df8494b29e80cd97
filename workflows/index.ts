/**
 * Entry point of the workflow bundle: every workflow type the worker runs. One folder per process,
 * each with its `contracts.ts` (the process's vocabulary) beside the workflow code.
 */
export { followUpWorkflow } from './follow-up/workflow.js';
export { feedbackTicketWorkflow } from './feedback-ticket/workflow.js';
export { appointmentWorkflow } from './appointment/workflow.js';
export { noShowLedgerWorkflow } from './appointment/noshow-ledger.js';
export { paymentRefundWorkflow } from './refund/workflow.js';
export { quotaPlanningWorkflow } from './quota-planning/workflow.js';
export { reconcileWorkflow } from './reconcile/workflow.js';
export { auditAnchorWorkflow } from './audit-anchor/workflow.js';
export { callRecordingRetentionWorkflow } from './call-retention/workflow.js';
export { reportRollupWorkflow } from './reports/rollup.js';
export { reportExportWorkflow } from './reports/export.js';
export { monthlyReportWorkflow } from './reports/monthly.js';
export { outboxMessageWorkflow } from './outbox/workflow.js';
export { staffMessageWorkflow } from './staff-notify/workflow.js';
export { outboxDispatcherWorkflow } from './outbox/dispatcher.js';
