/** What every console spec uses: the exchange, signing in, the accessibility check, and the API as a client. */
import { randomBytes } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test as base, type APIRequestContext, type Page, type TestInfo } from '@playwright/test';
import { consoleExchange, type ConsoleExchange } from './exchange.js';

export const test = base.extend<object, { exchange: ConsoleExchange }>({
  exchange: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      await use(consoleExchange());
    },
    { scope: 'worker' },
  ],
});
export { expect };

/** A new UUIDv7 (RFC 9562), as a client chooses a message id. */
export function newMessageId(): string {
  const hex = `${Date.now().toString(16).padStart(12, '0')}7${randomBytes(10).toString('hex').slice(1)}`;
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const id = `${hex.slice(0, 16)}${variant}${hex.slice(17, 32)}`;
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}

/** Opens the console and signs in with a credential, as a person types it. */
export async function signIn(page: Page, exchange: ConsoleExchange, token: string): Promise<void> {
  await page.goto(`${exchange.gatewayUrl}/console/`);
  await page.getByLabel('Credential').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Signed in as')).toBeVisible();
}

/** Saves a screenshot of the page as an artifact of the test, under a name that says what it shows. */
export async function snapshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

/** Runs axe on the page as it is now: no violation of any rule (WCAG 2.x A and AA, and best practice). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // @axe-core/playwright brings playwright-core 1.65.2, @playwright/test 1.65.1: the same page, typed twice.
  type AxePage = ConstructorParameters<typeof AxeBuilder>[0]['page'];
  const results = await new AxeBuilder({ page: page as unknown as AxePage }).analyze();
  const found = results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ')),
  }));
  expect(found, `axe on ${what}`).toEqual([]);
}

/** A route report from the liaison officer in Niamey (README, "Try it"), named to `recipients`. */
export function routeReport(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    recipients: ['cp-it'],
    route: 'SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN',
    handlingCode: 'HANDLING_CODE_H1',
    tlp: 'TLP_AMBER',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_B', informationAccuracy: 'INFORMATION_ACCURACY_2' },
    releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
    purpose: 'Prevention and combating of migrant smuggling',
    routeReport: {
      segments: [
        {
          fromCountry: 'LY',
          fromPlace: 'Zuwara',
          toCountry: 'IT',
          toPlace: 'Lampedusa',
          mode: 'TRANSPORT_MODE_SEA',
          conveyance: 'rubber dinghy',
        },
      ],
      departureArea: 'Zuwara coast',
      departureCountry: 'LY',
      peopleCarried: 85,
      pricePerPerson: { amount: '3000.00', currency: 'USD' },
    },
    ...overrides,
  };
}

/** Submits through the API as a client does: on 503 (the audit trail not keeping up) it tries again. */
export async function submitAs(
  request: APIRequestContext,
  exchange: ConsoleExchange,
  token: string,
  envelope: Record<string, unknown>,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const res = await request.post(`${exchange.gatewayUrl}/v1/messages`, {
      headers: { authorization: `Bearer ${token}` },
      data: envelope,
    });
    if (res.status() === 503 && attempt < 10) {
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    expect(res.status(), await res.text()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }
}

/** Waits until the audit trail of a message holds rows that `pick` selects (the trail is written a moment later). */
export async function waitForTrail(
  request: APIRequestContext,
  exchange: ConsoleExchange,
  messageId: string,
  pick: (row: { operation: string; counterpartNode: string | null }) => boolean,
): Promise<void> {
  await expect
    .poll(
      async () => {
        const res = await request.get(`${exchange.gatewayUrl}/v1/audit/messages/${messageId}/trail`, {
          headers: {
            authorization: `Bearer ${exchange.tokens.auditor}`,
            'x-msx-justification': 'console test: waiting for the trail to be written',
          },
        });
        if (!res.ok()) return false;
        const page = (await res.json()) as { items: { operation: string; counterpartNode: string | null }[] };
        return page.items.some(pick);
      },
      { timeout: 30_000, intervals: [500] },
    )
    .toBe(true);
}
