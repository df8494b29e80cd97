/**
 * Search attributes more than one process sets (follow-ups and tickets both belong to a department
 * and may be urgent). Each process's contracts re-export the ones it uses beside its own keys.
 */
import { defineSearchAttributeKey } from '@temporalio/common';

export const DepartmentKey = defineSearchAttributeKey('Department', 'KEYWORD');
export const UrgentKey = defineSearchAttributeKey('Urgent', 'BOOL');

/** Department search-attribute value while the HIS code is not mapped to a department. */
export const UNASSIGNED_DEPARTMENT = 'UNASSIGNED';
