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

const JUSTIFICATION = 'DPO review of case 2026/17';

test.describe('the console for auditors', () => {
  let id: string;

  test.beforeAll(async ({ playwright, exchange }) => {
    const request = await playwright.request.newContext();
    id = await submitAs(request, exchange, exchange.tokens.emlo, routeReport(newMessageId()));
    // Delivered to cp-it and taken from its inbox by the node: the trail has both before the auditor looks.
    await waitForTrail(
      request,
      exchange,
      id,
      (r) => r.operation === 'received' && r.counterpartNode === 'emlo-ne',
    );
    await request.dispose();
  });

  test('follows the trail of a message as a picture of who shared it with whom, and as rows', async ({
    page,
    exchange,
  }, testInfo) => {
    await signIn(page, exchange, exchange.tokens.auditor);
    await expect(page.getByRole('banner')).toContainText('edps.auditor-1 (auditor');
    await page.getByLabel('Message id').fill(id);
    await page.getByRole('button', { name: 'Show the trail' }).click();
    // Every query needs the reason for it: asked for, next to its field, before anything is sent.
    await expect(page.getByLabel('Justification')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Justification').fill(JUSTIFICATION);
    await page.getByRole('button', { name: 'Show the trail' }).click();

    const picture = page.getByRole('img', { name: `Who shared message ${id} with whom` });
    await expect(picture).toBeVisible();
    const toCpIt = picture.locator('g.edge[data-from="emlo-ne"][data-to="cp-it"]');
    await expect(toCpIt).toHaveClass(/shared/);
    await expect(toCpIt.locator('text')).toContainText('delivered');
    await expect(toCpIt.locator('text')).toContainText('received');
    const withheld = picture.locator('g.edge.withheld[data-to="afic-partner-ne"] text');
    await expect(withheld).toContainText('withheld: POLICY.THIRD_COUNTRY_NOT_RELEASABLE');
    await expect(picture.locator('g.party.originator')).toHaveAttribute('data-party', 'emlo-ne');

    const rows = page.getByRole('table', { name: `Rows of the trail of ${id}` });
    await expect(rows.getByRole('row').filter({ hasText: 'submitted' })).toHaveCount(1);
    await expect(rows.getByRole('row').filter({ hasText: 'withheld' }).first()).toContainText('POLICY.');
    await snapshot(page, testInfo, 'trail');
    await expectAccessible(page, 'the trail of a message');
  });

  test("shows the flows from emlo-ne to cp-it and emlo-ne's officer's activity", async ({
    page,
    exchange,
  }, testInfo) => {
    await signIn(page, exchange, exchange.tokens.auditor);
    await page.getByLabel('Justification').fill(JUSTIFICATION);
    await page.getByRole('link', { name: 'Flows' }).click();
    await page.getByLabel('From party').fill('emlo-ne');
    await page.getByLabel('To party').fill('cp-it');
    await page.getByRole('button', { name: 'Show the flows' }).click();
    const flows = page.getByRole('table', { name: /emlo-ne → cp-it/ });
    await expect(flows.getByRole('row').filter({ hasText: 'delivered' }).first()).toContainText(
      'routeReport',
    );
    await snapshot(page, testInfo, 'flows');
    await expectAccessible(page, 'the flows');

    await page.getByRole('link', { name: "An officer's activity" }).click();
    await page.getByLabel('Officer (node.name)').fill('emlo-ne.officer-17');
    await page.getByRole('button', { name: 'Show the activity' }).click();
    const activity = page.getByRole('table', { name: 'Activity of emlo-ne.officer-17' });
    await expect(activity.getByRole('row').filter({ hasText: id }).first()).toContainText('submitted');
    await snapshot(page, testInfo, 'activity');
  });

  test("shows the chain's status with the last checkpoint and its witnesses", async ({
    page,
    exchange,
  }, testInfo) => {
    await signIn(page, exchange, exchange.tokens.auditor);
    await page.getByLabel('Justification').fill(JUSTIFICATION);
    await page.getByRole('link', { name: 'Chain' }).click();
    await page.getByRole('button', { name: 'Check the chain' }).click();
    await expect(page.getByText(/^Intact/)).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Last checkpoint' })).toBeVisible();
    // npm start runs cp-it and jot-mare as the checkpoints' witnesses.
    await expect(page.getByRole('table', { name: /Witnesses/ })).toContainText('jot-mare');
    await snapshot(page, testInfo, 'chain');
    await expectAccessible(page, 'the chain');
  });
});
