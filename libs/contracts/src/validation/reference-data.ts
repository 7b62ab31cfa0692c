/** Reference lists the predicates check against. Update them when the registries change. */

/** The 27 EU member states (ISO 3166-1 alpha-2), since 1 February 2020. */
export const EU_MEMBER_STATES: ReadonlySet<string> = new Set(
  'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK'.split(' '),
);

/**
 * IBAN length per country (SWIFT IBAN Registry, 2025), written as country code + length: every EU/EEA
 * state, the Western Balkans, the partner countries of the southern routes that have IBANs (LY, TN, EG,
 * MR, SD, IQ, JO, ...) and the rest of the registry. French overseas departments use the FR prefix.
 * A country not listed has no IBAN.
 */
const IBAN_REGISTRY = [
  // EU member states
  'AT20 BE16 BG22 CY28 CZ24 DE22 DK18 EE20 ES24 FI18 FR27 GR27 HR21 HU28',
  'IE22 IT27 LT20 LU20 LV21 MT31 NL18 PL28 PT25 RO24 SE24 SI19 SK24',
  // EEA, EFTA, the United Kingdom, European microstates and territories
  'IS26 LI21 NO15 CH21 GB22 AD24 MC27 SM27 VA22 GI23 FO18 GL18 FK18',
  // Western Balkans, eastern neighbourhood, Türkiye
  'AL28 BA20 ME22 MK19 RS22 XK20 MD24 UA29 BY28 GE22 AZ28 RU33 TR26 KZ20',
  // Africa and the Middle East
  'LY25 TN24 EG29 MR27 SD18 DJ27 BI27 SO23 SC31 MU30 ST25',
  'IL23 PS29 LB28 JO30 IQ23 SA24 AE23 BH22 KW30 QA29 OM23 YE30',
  // Asia and the Americas
  'PK24 MN20 TL23 BR29 CR22 DO28 GT28 HN28 NI28 SV28 LC32 VG24',
].join(' ');

/** IBAN length by ISO 3166-1 alpha-2 country code (see IBAN_REGISTRY). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  IBAN_REGISTRY.split(' ').map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);
