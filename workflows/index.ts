/** Entry point of the workflow bundle: every workflow type the worker runs. */
export { followUpWorkflow } from './follow-up.js';
export { feedbackTicketWorkflow } from './feedback-ticket.js';
export { appointmentWorkflow } from './appointment.js';
export { noShowLedgerWorkflow } from './noshow-ledger.js';
export { quotaPlanningWorkflow } from './quota-planning.js';
export { hisInboxReconcileWorkflow } from './his-inbox/reconcile.js';
