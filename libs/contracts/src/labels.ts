import { AuditOperation } from './gen/msx/v1/audit_pb.js';
import { HandlingCode, Tlp } from './gen/msx/v1/common_pb.js';

/** `H0`…`H3`, or null when unspecified. */
export function handlingLabel(code: HandlingCode): string | null {
  return code === HandlingCode.UNSPECIFIED ? null : HandlingCode[code];
}

/** TLP 2.0 label (`CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT`, `RED`), or null when unspecified. */
export function tlpLabel(tlp: Tlp): string | null {
  return tlp === Tlp.UNSPECIFIED ? null : Tlp[tlp].replace('_', '+');
}

/** The audit row's operation word: `submitted`, `delivered`, `dead_lettered`, … */
export function operationLabel(op: AuditOperation): string {
  return AuditOperation[op].toLowerCase();
}
