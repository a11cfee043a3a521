/** The l2pop FDB table lives in shared/ (the OVS agent keeps the same one). */
export { applyFdbChange, desiredFdbFor, FLOODING_MAC } from '../../shared/l2pop/fdb-table.js';
export type { DesiredFdbEntry, DesiredNeigh, FdbChange, FdbTable } from '../../shared/l2pop/fdb-table.js';
