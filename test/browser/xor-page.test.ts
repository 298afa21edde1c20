/**
 * End to end in a real browser: builds the pages (web/) with Vite, serves them with `vite preview`
 * on 127.0.0.1, and drives Debian's chromium through playwright-core. The page gets a freshly
 * trained models/xor.onnx from a temporary folder, so the test does not depend on `pnpm xor`
 * having run. It prints the first load's figures: bytes transferred and time to first predictions.
 *
 * Needs /usr/bin/chromium: `.ci/system-deps.sh` installs it (the README's test command runs it).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportInference, sgd } from '@onnxpipe/graph-builder';
import { trainer, type Batch } from '@onnxpipe/trainer';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xorBatches, xorModel } from '../fixtures/xor.js';
import { countTransfer, launchChromium, servePages, withPage, type ServedPages } from '../../web/harness.js';

const MiB = 1024 * 1024;
/** Issue 11's targets for the first load, on loopback. */
const MAX_TRANSFER = 5 * MiB;
const MAX_FIRST_PREDICTIONS_MS = 1500;

let tmp: string;
let pages: ServedPages;
let browser: Browser;

/** Trains the XOR model in Node and writes it where the page will fetch it. */
async function writeXorModel(modelsDir: string): Promise<void> {
  const model = xorModel();
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
    tmp = await mkdtemp(join(tmpdir(), 'xor-page-'));
    await writeXorModel(join(tmp, 'models'));
    pages = await servePages(join(tmp, 'models'));
    browser = await launchChromium({ webgpu: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });



  /** Waits until #status reaches `expected` or 'error', and expects `expected` (the message shows on failure). */
  async function waitForStatus(page: Page, expected: string, timeout: number): Promise<void> {
    const status = page.locator('#status');
    await page.waitForSelector(`#status[data-state="${expected}"], #status[data-state="error"]`, { timeout });
    expect(`${await status.getAttribute('data-state')}: ${await status.textContent()}`).toMatch(new RegExp(`^${expected}: `));
  }

  it('loads light: wasm-only onnxruntime, gzip, first predictions fast', async () => {
    await withPage(browser, 'xor-page-first-load', async (page) => {
      const transfer = countTransfer(page);
      await page.goto(pages.url);
      await waitForStatus(page, 'ready', 20_000);
      const firstPredictionsMs = Number(await page.locator('#status').getAttribute('data-first-predictions-ms'));
      const byUrl = await transfer.byUrl();
      const total = await transfer.total();
      const wasm = [...byUrl].filter(([url]) => url.endsWith('.wasm'));
      console.log(
        `XOR page, first load on loopback: ${(total / MiB).toFixed(2)} MiB transferred (${byUrl.size} responses; ` +
          `${wasm.map(([url, n]) => `${url.split('/').pop()} ${(n / MiB).toFixed(2)} MiB`).join(', ')}), first predictions at ${firstPredictionsMs} ms`,
      );
      // only the wasm-only build's binary, compressed (14 MiB as it is)
      expect(wasm.map(([url]) => url.split('/').pop())).toEqual([expect.stringMatching(/^ort-wasm-simd-threaded-[\w-]+\.wasm$/)]);
      expect(wasm[0]![1]).toBeLessThan(4 * MiB);
      expect([...byUrl.keys()].some((url) => /webgpu|jsep|asyncify/.test(url))).toBe(false);
      expect(total).toBeLessThanOrEqual(MAX_TRANSFER);
      expect(firstPredictionsMs).toBeGreaterThan(0);
      expect(firstPredictionsMs).toBeLessThanOrEqual(MAX_FIRST_PREDICTIONS_MS);
    });
  });

  it('shows the heatmap with axis ticks and a colour bar from blue (0) to orange (1)', async () => {
    await withPage(browser, 'xor-page-axes', async (page) => {
      await page.goto(pages.url);
      await waitForStatus(page, 'ready', 20_000);
      for (const axis of ['x-ticks', 'y-ticks']) {
        expect(await page.locator(`#${axis} span`).allTextContents()).toEqual(['0', '0.25', '0.5', '0.75', '1']);
      }
      expect(await page.locator('#colorbar-ticks span').allTextContents()).toEqual(['0', '0.5', '1']);
      // tick 0 of x sits left of tick 1, tick 0 of x2 below tick 1 (screen y grows downwards)
      const centre = (selector: string) => page.locator(selector).evaluate((e) => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; });
      const heatmap = await page.locator('#heatmap').boundingBox();
      const [x0] = await centre('#x-ticks span[data-value="0"]');
      const [x1] = await centre('#x-ticks span[data-value="1"]');
      const [, y0] = await centre('#y-ticks span[data-value="0"]');
      const [, y1] = await centre('#y-ticks span[data-value="1"]');
      expect(Math.abs(x0! - heatmap!.x)).toBeLessThan(6);
      expect(Math.abs(x1! - (heatmap!.x + heatmap!.width))).toBeLessThan(6);
      expect(Math.abs(y0! - (heatmap!.y + heatmap!.height))).toBeLessThan(6);
      expect(Math.abs(y1! - heatmap!.y)).toBeLessThan(6);
      const [top, bottom] = await page.locator('#colorbar').evaluate((c: HTMLCanvasElement) => {
        const ctx = c.getContext('2d')!;
        return [[...ctx.getImageData(0, 0, 1, 1).data], [...ctx.getImageData(0, c.height - 1, 1, 1).data]];
      });
      expect(top).toEqual([230, 97, 1, 255]);
      expect(bottom).toEqual([33, 102, 172, 255]);
    });
  });

  it('shows the saved model’s truth table, then trains in the page and the loss falls', async () => {
    await withPage(browser, 'xor-page-failure', async (page, errors) => {
      await page.goto(pages.url);
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

  it('loads the WebGPU build only when WebGPU is picked', async () => {
    await withPage(browser, 'xor-page-webgpu', async (page) => {
      const fetched: string[] = [];
      page.on('request', (r) => fetched.push(r.url()));
      await page.goto(pages.url);
      await waitForStatus(page, 'ready', 20_000);
      expect(fetched.filter((url) => /webgpu|asyncify/.test(url))).toEqual([]);

      await page.selectOption('#backend', 'webgpu');
      await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 30_000 });
      expect(fetched.filter((url) => /backend-webgpu/.test(url))).toHaveLength(1);
      const status = `${await page.locator('#status').getAttribute('data-state')}: ${await page.locator('#status').textContent()}`;
      const selected = await page.locator('#backend').inputValue();
      console.log(`XOR page, WebGPU picked: ${status}`);
      if (status.startsWith('ready')) {
        // this chromium has a WebGPU adapter: the saved model runs on it
        expect(status).toMatch(/on webgpu\.$/);
        expect(selected).toBe('webgpu');
      } else {
        // no adapter: the page says so and stays on wasm
        expect(status).toMatch(/^error: Cannot use webgpu: .*\. Still on wasm\.$/);
        expect(selected).toBe('wasm');
      }
    });
  });
});
