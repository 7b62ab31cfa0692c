import type { Page } from '@playwright/test';
import {
  expect,
  expectAccessible,
  newMessageId,
  routeReport,
  signIn,
  snapshot,
  submitAs,
  test,
  waitForTrail,
} from './fixtures.js';

/** Fills the console's report form with a valid route report to `recipients`; `leg` overrides the first leg. */
async function fillReport(
  page: Page,
  recipients: string,
  leg: Partial<Record<string, string>> = {},
): Promise<void> {
  await page.getByLabel('Named recipients', { exact: true }).fill(recipients);
  await page.getByLabel('Source reliability', { exact: true }).selectOption('SOURCE_RELIABILITY_B');
  await page.getByLabel('Information accuracy', { exact: true }).selectOption('INFORMATION_ACCURACY_2');
  await page
    .getByLabel('Purpose of the transfer', { exact: true })
    .fill('Prevention and combating of migrant smuggling');
  const first = { fromCountry: 'LY', fromPlace: 'Zuwara', toCountry: 'IT', toPlace: 'Lampedusa', ...leg };
  await page.getByLabel('From country (ISO code)', { exact: true }).fill(first.fromCountry);
  await page.getByLabel('From place', { exact: true }).fill(first.fromPlace);
  await page.getByLabel('To country (ISO code)', { exact: true }).fill(first.toCountry);
  await page.getByLabel('To place', { exact: true }).fill(first.toPlace);
  await page.getByLabel('Transport', { exact: true }).selectOption('TRANSPORT_MODE_SEA');
  await page.getByLabel('Conveyance', { exact: true }).fill('rubber dinghy');
  await page.getByLabel('Departure area', { exact: true }).fill('Zuwara coast');
  await page.getByLabel('Departure country (ISO code)', { exact: true }).fill('LY');
  await page.getByLabel('People carried', { exact: true }).fill('85');
  await page.getByLabel('Amount', { exact: true }).fill('3000.00');
  await page.getByLabel('Currency (ISO 4217)', { exact: true }).fill('USD');
}

test.describe('the console for officers', () => {
  test('is served with a content policy of its own while the API keeps the closed one', async ({
    request,
    exchange,
  }) => {
    const page = await request.get(`${exchange.gatewayUrl}/console/`);
    expect(page.status()).toBe(200);
    expect(page.headers()['content-type']).toMatch(/^text\/html/);
    expect(page.headers()['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect((await request.get(`${exchange.gatewayUrl}/console/app.js`)).headers()['content-type']).toMatch(
      /^text\/javascript/,
    );
    const bare = await request.get(`${exchange.gatewayUrl}/console`, { maxRedirects: 0 });
    expect([bare.status(), bare.headers().location]).toEqual([308, '/console/']);
    expect((await request.get(`${exchange.gatewayUrl}/console/secrets.env`)).status()).toBe(404);
    for (const path of ['/healthz', '/v1/me', '/console/nothing'])
      expect((await request.get(`${exchange.gatewayUrl}${path}`)).headers()['content-security-policy']).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
  });

  test('signs in with a credential kept in this tab only, and forgets it on signing out', async ({
    page,
    exchange,
  }, testInfo) => {
    await page.goto(`${exchange.gatewayUrl}/console/`);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expectAccessible(page, 'the sign-in page');
    await page.getByLabel('Credential').fill(`msx_${'A'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText('Not signed in');
    await expect(page.getByRole('alert')).toContainText('GATEWAY.UNAUTHENTICATED');
    await snapshot(page, testInfo, 'sign-in-refused');

    await signIn(page, exchange, exchange.tokens.cpIt);
    await expect(page.getByRole('banner')).toContainText('cp-it.officer-5 (officer, cp-it)');
    expect(await page.evaluate(() => sessionStorage.getItem('msx.console.credential'))).toBe(
      exchange.tokens.cpIt,
    );
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.context().cookies()).toEqual([]);
    await page.reload();
    await expect(page.getByRole('banner')).toContainText('cp-it.officer-5');
    await snapshot(page, testInfo, 'signed-in');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByLabel('Credential')).toBeVisible();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  test("shows a report emlo-ne's officer submits live in cp-it's inbox", async ({
    browser,
    exchange,
  }, testInfo) => {
    const recipient = await (await browser.newContext()).newPage();
    await signIn(recipient, exchange, exchange.tokens.cpIt);
    await recipient.getByRole('link', { name: 'Inbox' }).click();
    await expect(recipient.getByRole('status').filter({ hasText: 'Live:' })).toBeVisible();

    const sender = await (await browser.newContext()).newPage();
    await signIn(sender, exchange, exchange.tokens.emlo);
    await fillReport(sender, 'cp-it');
    await sender.getByRole('button', { name: 'Submit' }).click();
    const done = sender.getByText('Submitted:');
    await expect(done).toBeVisible();
    const id = (await done.locator('code').textContent())!;
    await snapshot(sender, testInfo, 'sender-submitted');

    const arrived = recipient.locator(`article[data-message-id="${id}"]`);
    await expect(arrived).toBeVisible();
    await expect(arrived).toContainText('route report from emlo-ne', { ignoreCase: true });
    await expect(arrived).toContainText('Zuwara (LY) → Lampedusa (IT)');
    await snapshot(recipient, testInfo, 'recipient-inbox-live');
    await expectAccessible(recipient, 'the live inbox');
  });

  test('previews who would receive a report, and who not under which rule', async ({
    page,
    exchange,
  }, testInfo) => {
    await signIn(page, exchange, exchange.tokens.emlo);
    await fillReport(page, 'cp-it');
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('table', { name: /candidate recipient/ });
    await expect(preview).toBeVisible();
    await expect(preview.getByRole('row', { name: /cp-it/ })).toContainText('delivered');
    // EU only: the partner countries of AFIC do not receive it, under the rule that says so.
    await expect(preview.getByRole('row', { name: /afic-partner-ne/ })).toContainText(
      'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
    );
    await snapshot(page, testInfo, 'preview');
    await expectAccessible(page, 'the report form with its preview');
  });

  test('shows each violation of an invalid report next to its field', async ({
    page,
    exchange,
  }, testInfo) => {
    await signIn(page, exchange, exchange.tokens.emlo);
    await fillReport(page, 'cp-it', { fromCountry: 'XX' });
    await page.getByLabel('Source reliability').selectOption('');
    await page.getByRole('button', { name: 'Submit' }).click();

    const country = page.getByLabel('From country (ISO code)', { exact: true });
    await expect(country).toHaveAttribute('aria-invalid', 'true');
    const countryErrors = page.locator(`#${await country.getAttribute('aria-describedby')}`);
    await expect(countryErrors).toContainText('ISO 3166-1 alpha-2');
    // The error is the field's own: right after its input, in the same field.
    await expect(page.locator('.field', { has: country }).locator('.field-errors')).toContainText(
      'ISO 3166-1',
    );
    await expect(page.getByLabel('Source reliability')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Named recipients')).not.toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByText(/The report breaks 2 rules/)).toBeVisible();
    await snapshot(page, testInfo, 'invalid-report');
    await expectAccessible(page, 'the report form with its errors');
  });

  test("answers another party's message as not found, and opens one's own", async ({
    page,
    request,
    exchange,
  }, testInfo) => {
    // TLP:RED for jot-mare alone: cp-it neither sent nor received it.
    const foreign = await submitAs(
      request,
      exchange,
      exchange.tokens.emlo,
      routeReport(newMessageId(), { recipients: ['jot-mare'], tlp: 'TLP_RED' }),
    );
    await waitForTrail(request, exchange, foreign, (r) => r.operation === 'delivered');
    await signIn(page, exchange, exchange.tokens.cpIt);
    await page.getByRole('link', { name: 'Open a message' }).click();
    await page.getByLabel('Message id').fill(foreign);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect(
      page.getByText(`Not found: no message ${foreign} that cp-it sent or received.`),
    ).toBeVisible();
    await snapshot(page, testInfo, 'foreign-message-not-found');
    await expectAccessible(page, 'a message not found');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, exchange, exchange.tokens.emlo);
    await page.goto(`${exchange.gatewayUrl}/console/#message/${foreign}`);
    await expect(page.getByRole('article').first()).toContainText('originator');
    // The originator recalls it from the console: the recall is accepted, and the message shows as recalled
    // once the router has passed the recall on.
    await page.getByRole('button', { name: 'Recall' }).click();
    const form = page.getByRole('form', { name: 'Recall the message' });
    await form.getByLabel('Reason').selectOption('RECALL_REASON_INACCURATE');
    await form.getByLabel('Explanation').fill('The boat left from Sabratha, not Zuwara.');
    await expectAccessible(page, 'the recall form');
    await form.getByRole('button', { name: 'Recall it' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Recalled' })).toContainText(
      'Recalled: accepted',
    );
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByRole('article').first().locator('dt:has-text("Recalled") + dd').textContent();
        },
        { timeout: 30_000, intervals: [1_000] },
      )
      .toBe('yes');
  });

  test('acknowledges a report that arrived, and asks its originator for consent to share it on', async ({
    page,
    request,
    exchange,
  }) => {
    const id = await submitAs(request, exchange, exchange.tokens.emlo, routeReport(newMessageId()));
    await signIn(page, exchange, exchange.tokens.cpIt);
    await page.getByRole('link', { name: 'Inbox' }).click();
    const item = page.locator(`article[data-message-id="${id}"]`);
    await expect(item).toBeVisible();
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(item.getByRole('status')).toContainText('Acknowledged: accepted');
    await item.getByRole('button', { name: 'Request consent' }).click();
    await item.getByLabel('Share on with (node ids)').fill('cp-mt');
    await item.getByLabel('Why').fill('The Maltese authorities intercept boats leaving Zuwara');
    await item.getByRole('button', { name: 'Send the request' }).click();
    await expect(item.getByRole('status')).toContainText('Consent requested');
  });
});
