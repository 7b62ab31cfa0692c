/**
 * Names of the contract rules, as they appear in `Violation.rule`. They are stable: callers map them to
 * error codes and tests assert on them. Rules that come straight from class-validator keep its names
 * (`isString`, `maxLength`, `arrayMaxSize`, `arrayMinSize`, `isArray`, `isInt`, `isNumber`, `isBoolean`,
 * `min`, `max`).
 */
export const RULE = {
  // --- whole message and structure
  /** The input is not a JSON object (or a nested message is not one). */
  jsonObject: 'jsonObject',
  /** The input nests deeper than any message of the contract can. */
  jsonDepth: 'jsonDepth',
  /** A property the contract does not define (including snake_case spellings). */
  unknownProperty: 'unknownProperty',
  /** A field the message cannot do without is absent, null, "" or []. */
  required: 'required',

  // --- field formats
  imoCheckDigit: 'imoCheckDigit',
  mmsi: 'mmsi',
  ibanMod97: 'ibanMod97',
  bic: 'bic',
  iso3166Alpha2: 'iso3166Alpha2',
  iso4217: 'iso4217',
  e164: 'e164',
  httpUrl: 'httpUrl',
  decimalAmount: 'decimalAmount',
  nodeId: 'nodeId',
  uuid: 'uuid',
  sha256Hex: 'sha256Hex',
  /** A blind-matching token: an HMAC-SHA256 digest in base64url, 43 characters. */
  blindToken: 'blindToken',
  /** The id of a matching key: `mk-` and 16 hexadecimal digits. */
  matchKeyId: 'matchKeyId',
  iso639_1: 'iso639_1',
  officerId: 'officerId',
  /**
   * An officer id names the node it acts for: `<node>.<name>`, where `<node>` is exactly the node of the
   * credentials it came with and `<name>` is lower-case ASCII (see isOfficerOfNode).
   */
  officerNotOfNode: 'officerNotOfNode',
  /**
   * An officer signed in with a credential of their own named someone else as the person acting: the trail
   * names the holder of the credential, never a name the caller chooses.
   */
  officerNotCredentialHolder: 'officerNotCredentialHolder',
  notEuMemberState: 'notEuMemberState',
  protoEnum: 'protoEnum',
  rfc3339: 'rfc3339',
  /** Text holds control characters (single-line text: none at all; multi-line: only tab, CR, LF). */
  noControlCharacters: 'noControlCharacters',
  /** A list of codes or ids names the same value twice. */
  uniqueValues: 'uniqueValues',
  /** A list of recipients names the same node twice. */
  uniqueRecipients: 'uniqueRecipients',

  // --- coherence of one message
  exactlyOnePayload: 'exactlyOnePayload',
  recipientNotSender: 'recipientNotSender',
  h3RequiresRestriction: 'h3RequiresRestriction',
  restrictionOnlyWithH3: 'restrictionOnlyWithH3',
  tlpRedRequiresRecipients: 'tlpRedRequiresRecipients',
  /** An item meant for its named recipients only names at least one. */
  namedOnlyRequiresRecipients: 'namedOnlyRequiresRecipients',
  tlpClearForbidsDisseminationLimits: 'tlpClearForbidsDisseminationLimits',
  releasabilityCoherent: 'releasabilityCoherent',
  evaluationRequired: 'evaluationRequired',
  /** Intel payloads name the smuggling route they concern (SMUGGLING_ROUTE_OTHER if none fits). */
  routeRequired: 'routeRequired',
  personalDataFlagRequired: 'personalDataFlagRequired',
  /** Personal data travels only with a stated purpose (Law Enforcement Directive Art. 4(1)(b)). */
  personalDataRequiresPurpose: 'personalDataRequiresPurpose',
  /** Purposes are stated on items (intelligence and products), never on control messages. */
  purposesOnItemsOnly: 'purposesOnItemsOnly',
  /** An H1 item cannot name judicial proceedings as its purpose: H1 keeps it out of them. */
  judicialUseNotUnderH1: 'judicialUseNotUnderH1',
  expiryAfterCreation: 'expiryAfterCreation',
  /** createdAt is not more than the allowed clock skew in the future. */
  createdAtNotInFuture: 'createdAtNotInFuture',
  /** Reported events (observed, detected, debriefed, received, erased ...) do not postdate the message. */
  notAfterCreation: 'notAfterCreation',
  /** inReplyTo and consentRef do not point at the message itself. */
  notSelfReference: 'notSelfReference',
  periodOrdered: 'periodOrdered',
  shareDecisionCoherent: 'shareDecisionCoherent',
  statisticsAggregated: 'statisticsAggregated',
  /** An analysis product marked aggregated cannot carry personal data. */
  aggregatedIsNonPersonal: 'aggregatedIsNonPersonal',
  selectorValueMatchesKind: 'selectorValueMatchesKind',
  /** A suspect vessel report or vessel alert names the vessel: IMO number, MMSI or name. */
  vesselIdentified: 'vesselIdentified',
  /** A financial lead carries something to follow: accounts, payments, an estimated total or a narrative. */
  financialLeadSubstance: 'financialLeadSubstance',
  /** A modus operandi report describes it: at least one indicator or a narrative. */
  modusOperandiDescribed: 'modusOperandiDescribed',
  /** Referring content for removal needs the evidence hash and capture time (the content may vanish). */
  removalRequiresEvidence: 'removalRequiresEvidence',
  /** A withheld recipient decision names the sharing rule that withheld it. */
  withheldNamesRule: 'withheldNamesRule',
  /** A hit notice that names holders names one per matching item, in the same order. */
  holderPerMatch: 'holderPerMatch',

  // --- reported by the codec and by the sanitising of violations
  /** The bytes are not a protobuf message of the expected type. */
  protobufDecode: 'protobufDecode',
  /** Stands in for a rule name that is not in this catalogue, so that no other text is ever reported. */
  unnamedRule: 'unnamedRule',
} as const;

/** One rule name of the contract. */
export type RuleName = (typeof RULE)[keyof typeof RULE];

/** The class-validator constraints the contract's DTOs use, reported under class-validator's names. */
export const CLASS_VALIDATOR_RULES = [
  'isString',
  'maxLength',
  'arrayMaxSize',
  'arrayMinSize',
  'isArray',
  'isInt',
  'isNumber',
  'isBoolean',
  'min',
  'max',
] as const;

const CATALOGUE: ReadonlySet<string> = new Set<string>([...Object.values(RULE), ...CLASS_VALIDATOR_RULES]);

/** True for a rule name of the fixed catalogue: RULE's names and CLASS_VALIDATOR_RULES. */
export function isCatalogueRule(name: unknown): name is string {
  return typeof name === 'string' && CATALOGUE.has(name);
}
