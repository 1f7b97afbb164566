import type { Ne107Status } from '../../status/asset-health.js';

/**
 * NAMUR NE 107 as the Int32 a PLC compares against, ordered by how urgently someone must act:
 * 0 normal, 1 maintenance required, 2 out of specification, 3 check function, 4 failure. This is
 * not the order of OPC UA DI's DeviceHealthEnumeration (NORMAL 0, FAILURE 1, CHECK_FUNCTION 2,
 * OFF_SPEC 3, MAINTENANCE_REQUIRED 4): a PLC here may test `code >= 2` for "act now".
 */
export const NE107_CODES: Readonly<Record<Ne107Status, number>> = {
  normal: 0,
  maintenance_required: 1,
  out_of_specification: 2,
  check_function: 3,
  failure: 4,
};

export const ne107Code = (status: Ne107Status): number => NE107_CODES[status];
