/**
 * Fine-tuning a PyTorch export in chromium: the fine-tune page imports the CNN fixture (conv,
 * batch norm, max pooling; opset 17) and trains it with onnxruntime-web; its weights after the
 * steps equal torch.optim.SGD's. Needs /usr/bin/chromium (`.ci/system-deps.sh` installs it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, servePages, withPage, type ServedPages } from '../../web/harness.js';
import type { FineTuneRequest } from '../../web/finetune.js';
import { loadTorchFixture } from '../fixtures/torch/index.js';

let tmp: string;
let pages: ServedPages;
let browser: Browser;

describe('the fine-tune page in chromium', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'finetune-page-'));
    pages = await servePages(tmp);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("PyTorch's CNN fine-tuned in the page equals torch.optim.SGD", { timeout: 60_000 }, async () => {
    const { onnx, ref } = loadTorchFixture('cnn_bn', 17);
    await withPage(browser, 'finetune-page', async (page) => {
      await page.goto(`${pages.url}finetune.html`);
      const request: FineTuneRequest = { onnx: Array.from(onnx), inputs: ref.inputs, target: ref.target, loss: { name: 'sparse_categorical_cross_entropy', fromLogits: true }, learningRate: ref.sgd.lr, steps: ref.sgd.steps };
      const params = await page.evaluate((r) => (window as unknown as { onnxpipeFineTune(r: FineTuneRequest): Promise<Record<string, number[]>> }).onnxpipeFineTune(r), request);
      expect(await page.locator('#status').textContent()).toBe(`Fine-tuned ${ref.sgd.steps} steps in the page.`);
      expect(await page.locator('#summary').textContent()).toMatch(/frozen: bn1\.running_mean, bn1\.running_var, bn2\.running_mean, bn2\.running_var/);
      for (const [name, expected] of Object.entries(ref.sgd.params)) {
        const scale = Math.max(...expected.data.map(Math.abs));
        params[name]!.forEach((v, i) => expect(Math.abs(v - expected.data[i]!) / scale, `${name}[${i}]`).toBeLessThan(1e-5));
      }
    });
  });
});
