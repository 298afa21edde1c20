/**
 * End to end in a real browser: builds the XOR page (web/) with Vite, serves it with
 * `vite preview` on 127.0.0.1, and drives Debian's chromium through playwright-core. The page
 * gets a freshly trained models/xor.onnx from a temporary folder, so the test does not depend
 * on `pnpm xor` having run.
 *
 * Needs /usr/bin/chromium: `.ci/system-deps.sh` installs it (the README's test command runs it).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportInference, input, sgd } from '@onnxpipe/graph-builder';
import { trainer, type Batch } from '@onnxpipe/trainer';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xorBatches } from '../../models/xor.js';
import { xorPageConfig } from '../../web/vite.config.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

let tmp: string;
let server: PreviewServer;
let browser: Browser;
let baseUrl: string;

/** Trains the XOR model in Node and writes it where the page will fetch it. */
async function writeXorModel(modelsDir: string): Promise<void> {
  const model = input('x1', { shape: [null, 1] })
    .concatenate(input('x2', { shape: [null, 1] }))
    .dense(8, { activation: 'tanh' })
    .dense(1, { activation: 'sigmoid' });
  const state = await trainer(model, 'binary_cross_entropy', sgd({ learningRate: 0.5 }), { seed: 0, log: 0 }).run(
    xorBatches(32, 7) as Iterable<Batch>,
    {},
    { epochs: 5, iterations: 100 },
  );
  await mkdir(modelsDir, { recursive: true });
  await writeFile(join(modelsDir, 'xor.onnx'), exportInference(model, state));
}

describe('the XOR page in chromium', () => {
  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: run .ci/system-deps.sh (as root) first`);
    tmp = await mkdtemp(join(tmpdir(), 'xor-page-'));
    const modelsDir = join(tmp, 'models');
    const outDir = join(tmp, 'dist');
    await writeXorModel(modelsDir);
    const config = { ...xorPageConfig(modelsDir), configFile: false as const, logLevel: 'warn' as const };
    await build({ ...config, build: { ...config.build, outDir, emptyOutDir: true } });
    server = await preview({ ...config, build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: true } });
    baseUrl = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`;
    // chromium.launch gives the browser a new, empty profile in a temporary folder.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 50_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** Opens a page that collects console errors and uncaught exceptions; saves a screenshot if `body` throws. */
  async function withPage(name: string, body: (page: Page, errors: string[]) => Promise<void>): Promise<void> {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console.error: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    try {
      await body(page, errors);
      expect(errors, 'errors in the page').toEqual([]);
    } catch (error) {
      await mkdir('test-results', { recursive: true });
      await page.screenshot({ path: `test-results/${name}.png`, fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await page.close();
    }
  }

  /** Waits until #status reaches `expected` or 'error', and expects `expected` (the message shows on failure). */
  async function waitForStatus(page: Page, expected: string, timeout: number): Promise<void> {
    const status = page.locator('#status');
    await page.waitForSelector(`#status[data-state="${expected}"], #status[data-state="error"]`, { timeout });
    expect(`${await status.getAttribute('data-state')}: ${await status.textContent()}`).toMatch(new RegExp(`^${expected}: `));
  }

  it('shows the saved model’s truth table, then trains in the page and the loss falls', async () => {
    await withPage('xor-page-failure', async (page, errors) => {
      await page.goto(baseUrl);
      await waitForStatus(page, 'ready', 20_000);
      expect(errors).toEqual([]);

      const rows = await page.locator('#truth-table tbody tr').evaluateAll((trs) =>
        trs.map((tr) => ({ x1: Number(tr.dataset.x1), x2: Number(tr.dataset.x2), p: Number(tr.dataset.prediction) })),
      );
      expect(rows.map(({ x1, x2 }) => [x1, x2])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
      for (const { x1, x2, p } of rows) expect(p >= 0.5, `prediction ${p} for (${x1}, ${x2})`).toBe((x1 ^ x2) === 1);

      await page.click('#train');
      await waitForStatus(page, 'trained', 30_000);
      const losses = await page.locator('#loss-history li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.loss)));
      expect(losses.length).toBeGreaterThan(1);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[0]!).toBeGreaterThan(losses.at(-1)!);
      expect(losses.at(-1)!).toBeLessThan(0.6);
      expect(Number(await page.locator('#loss').getAttribute('data-loss'))).toBe(losses.at(-1));

      // the table now shows the model trained in the page
      const trained = await page.locator('#truth-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.correct));
      expect(trained).toEqual(['true', 'true', 'true', 'true']);
    });
  });
});
