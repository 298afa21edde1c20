/**
 * The MNIST page in chromium (built and served as in xor-page.test.ts): test digits drawn on the
 * pad are recognised by a models/mnist.onnx trained in Node for the test, a stroke drawn with the
 * mouse is read, and training in the page makes the loss fall. Prints the in-browser steps/s.
 *
 * Needs /usr/bin/chromium: `.ci/system-deps.sh` installs it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadModel } from '@onnxpipe/runtime';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTensor } from '../../models/mnist/batches.js';
import { loadMnist } from '../../models/mnist/files.js';
import type { MnistSet } from '../../models/mnist/idx.js';
import { launchChromium, servePages, withPage as openPage, type ServedPages } from '../../web/harness.js';

const DIGITS = 20;

let tmp: string;
let pages: ServedPages;
let browser: Browser;
let test: MnistSet;
/** What the model the page loads predicts in Node for the first DIGITS test images. */
let nodePredictions: number[];

describe('the MNIST page in chromium', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mnist-page-'));
    const model = join(tmp, 'models', 'mnist.onnx');
    // the CNN of `pnpm mnist`, 100 steps of 128: ~95% on the test set, half a minute
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', 'scripts/mnist.ts', '--model', 'cnn', '--epochs', '1', '--train-limit', '12800', '--test-limit', '1000', '--out', model]);
    test = await loadMnist('t10k');
    const loaded = await loadModel(await readFile(model));
    const p = (await loaded.predict({ image: imageTensor(test, Array.from({ length: DIGITS }, (_, i) => i), [28, 28, 1]) })).probabilities!.data as Float32Array;
    await loaded.close();
    nodePredictions = Array.from({ length: DIGITS }, (_, i) => {
      const row = [...p.subarray(i * 10, i * 10 + 10)];
      return row.indexOf(Math.max(...row));
    });
    pages = await servePages(join(tmp, 'models'));
    browser = await launchChromium({ webgpu: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A page of the MNIST view, loaded and ready (see the harness's withPage). */
  function withPage(name: string, body: (page: Page) => Promise<void>): Promise<void> {
    return openPage(browser, name, async (page) => {
      await page.goto(`${pages.url}mnist.html`);
      await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 20_000 });
      expect(await page.locator('#status').textContent()).toMatch(/^Loaded models\/mnist\.onnx on wasm\./);
      await body(page);
    }, { width: 900, height: 1200 });
  }


  /** Clears the pad, then runs `draw` and waits for the page's prediction: the digit and the 10 probabilities. */
  async function predictionAfter(page: Page, draw: () => Promise<void>): Promise<{ digit: number; probabilities: number[] }> {
    await page.click('#clear');
    await page.waitForSelector('#prediction[data-digit=""]');
    await draw();
    await page.waitForSelector('#prediction:not([data-digit=""])');
    const digit = Number(await page.locator('#prediction').getAttribute('data-digit'));
    const probabilities = await page.locator('#probabilities li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.probability)));
    return { digit, probabilities };
  }

  /** Paints test image `index` on the pad 10× (each pixel a 10×10 block, ink black on white) and lifts the pen. */
  const paintTestDigit = (page: Page, index: number) => () =>
    page.locator('#pad').evaluate((pad: HTMLCanvasElement, pixels: number[]) => {
      const image = new ImageData(280, 280);
      for (let y = 0; y < 280; y++) {
        for (let x = 0; x < 280; x++) {
          const paper = 255 - pixels[Math.floor(y / 10) * 28 + Math.floor(x / 10)]!;
          image.data.set([paper, paper, paper, 255], 4 * (y * 280 + x));
        }
      }
      pad.getContext('2d')!.putImageData(image, 0, 0);
      pad.dispatchEvent(new PointerEvent('pointerup'));
    }, [...test.images.subarray(index * 784, (index + 1) * 784)]);

  it('recognises test digits painted on the pad, as the model does in Node', async () => {
    await withPage('mnist-page-digits', async (page) => {
      const predicted: number[] = [];
      for (let i = 0; i < DIGITS; i++) {
        const { digit, probabilities } = await predictionAfter(page, paintTestDigit(page, i));
        expect(probabilities.reduce((a, b) => a + b)).toBeCloseTo(1, 4);
        predicted.push(digit);
      }
      const labels = [...test.labels.subarray(0, DIGITS)];
      const agree = predicted.filter((d, i) => d === nodePredictions[i]).length;
      const correct = predicted.filter((d, i) => d === labels[i]).length;
      console.log(`MNIST page: ${correct}/${DIGITS} test digits right, ${agree}/${DIGITS} as in Node (labels ${labels.join('')}, page ${predicted.join('')})`);
      expect(agree).toBeGreaterThanOrEqual(DIGITS - 1);
      expect(correct).toBeGreaterThanOrEqual(DIGITS - 3);
    });
  });

  it('predicts the same on WebGPU as on wasm', async () => {
    await withPage('mnist-page-webgpu', async (page) => {
      const onWasm = await predictionAfter(page, paintTestDigit(page, 3));
      await page.selectOption('#backend', 'webgpu');
      await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 30_000 });
      const status = (await page.locator('#status').textContent()) ?? '';
      console.log(`MNIST page, WebGPU picked: ${status}`);
      if (!status.startsWith('Loaded')) {
        expect(status).toMatch(/^Cannot use webgpu: .*\. Still on wasm\.$/);
        return;
      }
      expect(status).toMatch(/on webgpu\./);
      const onWebgpu = await predictionAfter(page, paintTestDigit(page, 3));
      expect(onWebgpu.digit).toBe(onWasm.digit);
      onWebgpu.probabilities.forEach((p, i) => expect(Math.abs(p - onWasm.probabilities[i]!)).toBeLessThan(1e-4));
    });
  });

  it('reads a stroke drawn with the mouse', async () => {
    await withPage('mnist-page-stroke', async (page) => {
      const pad = (await page.locator('#pad').boundingBox())!;
      const { digit } = await predictionAfter(page, async () => {
        // a "1": one vertical stroke down the middle
        await page.mouse.move(pad.x + 140, pad.y + 40);
        await page.mouse.down();
        for (let y = 40; y <= 240; y += 20) await page.mouse.move(pad.x + 140 + (y - 40) / 40, pad.y + y);
        await page.mouse.up();
      });
      expect(digit).toBe(1);
      // what the model saw: a centred vertical bar in the 28×28 preview
      const column = await page.locator('#seen').evaluate((c: HTMLCanvasElement) => {
        const data = c.getContext('2d')!.getImageData(0, 14, 28, 1).data;
        return Array.from({ length: 28 }, (_, x) => data[4 * x]!);
      });
      const inked = column.flatMap((v, x) => (v > 128 ? [x] : []));
      expect(inked.length).toBeGreaterThan(0);
      expect(Math.abs((inked[0]! + inked.at(-1)!) / 2 - 14)).toBeLessThanOrEqual(1.5);
    });
  });

  it('trains the 784-500-10 MLP in the page: the loss falls, the drawing then uses it', async () => {
    await withPage('mnist-page-training', async (page) => {
      expect(await page.locator('#train-model').inputValue()).toBe('mlp500');
      await page.click('#train');
      await page.waitForSelector('#status[data-state="trained"], #status[data-state="error"]', { timeout: 240_000 });
      const status = await page.locator('#status').textContent();
      expect(status).toMatch(/^Trained 282 steps on wasm at [\d.]+ steps\/s/);
      const epochs = await page.locator('#epochs li').evaluateAll((lis) => lis.map((li) => ({ loss: Number(li.dataset.loss), validation: Number(li.dataset.validationAccuracy) })));
      expect(epochs).toHaveLength(3);
      expect(epochs[2]!.loss).toBeLessThan(epochs[0]!.loss);
      expect(epochs[2]!.validation).toBeGreaterThan(0.88);
      const loss = page.locator('#loss');
      const [first, last] = [Number(await loss.getAttribute('data-first')), Number(await loss.getAttribute('data-last'))];
      // from chance (ln 10 ≈ 2.3) to well below it
      expect(first).toBeGreaterThan(1.8);
      expect(last).toBeLessThan(0.6);
      const rate = Number(await page.locator('#steps-per-second').getAttribute('data-value'));
      console.log(`MNIST page: MLP 784-500-10, batch 64, AdamW, 282 steps in chromium on wasm (1 thread): ${rate.toFixed(1)} steps/s; epochs ${JSON.stringify(epochs)}`);
      expect(rate).toBeGreaterThan(0);
      expect(await page.locator('#source').textContent()).toMatch(/trained in this page$/);
      const { digit } = await predictionAfter(page, paintTestDigit(page, 0));
      expect(digit).toBe(test.labels[0]);
    });
  }, 300_000);
});
