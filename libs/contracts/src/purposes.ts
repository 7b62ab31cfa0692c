import { Purpose } from './gen/msx/v1/common_pb.js';
import type { Envelope } from './gen/msx/v1/envelope_pb.js';
import type { ItemType, PayloadType } from './payload-kinds.js';

const { CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT, FINANCIAL_INVESTIGATION, RISK_ANALYSIS, CONTENT_REMOVAL } =
  Purpose;

/**
 * What an item serves when its sender names no purposes (`Envelope.purposes` empty), by type. Judicial
 * proceedings are never a default: only the provider opens an item to them, by naming the purpose.
 */
export const DEFAULT_PURPOSES: Readonly<Record<ItemType, readonly Purpose[]>> = {
  routeReport: [CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT, RISK_ANALYSIS],
  modusOperandiReport: [CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT, RISK_ANALYSIS],
  financialLead: [CRIMINAL_INVESTIGATION, FINANCIAL_INVESTIGATION],
  suspectVesselReport: [CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT, RISK_ANALYSIS],
  documentFraudReport: [CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT, RISK_ANALYSIS],
  internetContentReferral: [CRIMINAL_INVESTIGATION, CONTENT_REMOVAL],
  debriefingReport: [CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT, RISK_ANALYSIS],
  vesselAlert: [CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT],
  analysisProduct: [CRIMINAL_INVESTIGATION, BORDER_MANAGEMENT, RISK_ANALYSIS],
};

/** What an item of `type` serves when its sender names nothing; none for a control message. */
export function defaultPurposesOf(type: PayloadType | undefined): readonly Purpose[] {
  return type && type in DEFAULT_PURPOSES ? DEFAULT_PURPOSES[type as ItemType] : [];
}

/**
 * The purposes an item serves: those its sender named, or its type's {@link DEFAULT_PURPOSES}. Empty for
 * a control message, which is no item to be put to use.
 */
export function purposesOf(envelope: Envelope): readonly Purpose[] {
  return envelope.purposes.length > 0 ? envelope.purposes : defaultPurposesOf(envelope.payload.case);
}

/** A purpose's name in audit rows, logs and configuration: `criminal-investigation`, `risk-analysis`, … */
export function purposeLabel(purpose: Purpose): string {
  return (Purpose[purpose] ?? String(purpose)).toLowerCase().replaceAll('_', '-');
}

/** The purpose a label names (`border-management`), or undefined when it names none. */
export function purposeOfLabel(label: string): Purpose | undefined {
  const name = label.toUpperCase().replaceAll('-', '_') as keyof typeof Purpose;
  const purpose = Purpose[name] as Purpose | undefined;
  return typeof purpose === 'number' && purpose !== Purpose.UNSPECIFIED ? purpose : undefined;
}

/** A use a holder puts items to, and the purposes any one of which lets an item be put to it. */
export interface UseOfItems {
  /** Short name in audit rows (`vessel-watch-list`, `dispatch:guardia-costiera`). */
  name: string;
  serves: readonly Purpose[];
}

/**
 * Why `envelope` may not be put to `use` (a sentence naming the use, what it serves and what the item
 * serves), or null when one of the item's purposes covers the use.
 */
export function purposeRefusal(envelope: Envelope, use: UseOfItems): string | null {
  const purposes = purposesOf(envelope);
  if (purposes.some((p) => use.serves.includes(p))) return null;
  const list = (ps: readonly Purpose[]) => ps.map(purposeLabel).join(', ') || 'none';
  return (
    `${use.name} serves ${list(use.serves)}; the item serves ${list(purposes)}` +
    `${envelope.purposes.length > 0 ? ' as its sender stated' : ` by default for its type`}`
  );
}
