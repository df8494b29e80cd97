/**
 * The outpatient process's states with their Chinese labels (each declared once). No Temporal
 * imports, so portal components use this module in the browser; the contracts module re-exports it
 * as part of the process's vocabulary.
 */
export type AppointmentStatus = 'pending_payment' | 'booked' | 'cancelled' | 'checked_in' | 'seen' | 'no_show';

export const APPOINTMENT_STATUS_LABELS: Record<AppointmentStatus, string> = {
  pending_payment: '待支付',
  booked: '已预约',
  cancelled: '已取消',
  checked_in: '已签到',
  seen: '已就诊',
  no_show: '爽约',
};

/** How the patient arrived, by the clinic-queue rules: early or in the slot, late within it, after its deadline. */
export type Arrival = 'on_time' | 'late' | 'after_slot_end';

/** Where an arrival puts the patient in the queue (shown to staff and patient). */
export const ARRIVAL_NOTES: Record<Arrival, string> = {
  on_time: '按时签到,按时段顺序候诊',
  late: '时段内迟到签到,按时段顺序候诊',
  after_slot_end: '超过时段签到,排在最后一个时段末尾候诊',
};
