import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/result.ts';
import { readRun } from './regrade.ts';
import { writeReport } from './write.ts';

const CHROMIUM = '/usr/bin/chromium';
// ENVIRONMENT.md's flags: nothing phones home, no GPU, no sandbox (root in a container).
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const FIXTURE = join(import.meta.dirname, 'fixtures', 'matrix-s5-s6-kill.results.json');
const SCREENSHOT = join(import.meta.dirname, 'out', 'html-report.png');

/** Chromium processes still running with this profile folder on their command line. */
function browsersUsing(profile: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(profile);
      } catch {
        return false; // ended while we looked
      }
    })
    .map(Number);
}

interface Seen {
  readonly external: string[];
  readonly errors: string[];
}

/** Opens the report in Chromium with every non-file request refused and recorded; always closes it. */
async function withPage<T>(
  profile: string,
  url: string,
  fn: (page: Page, seen: Seen) => Promise<T>,
): Promise<T> {
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    const seen: Seen = { external: [], errors: [] };
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file://')) return route.continue();
      seen.external.push(u);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => m.type() === 'error' && seen.errors.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => seen.errors.push(`page error: ${e.message}`));
    await page.goto(url);
    return await fn(page, seen);
  } finally {
    await context?.close();
  }
}

/** The part of a canvas element this test reads (the project's types leave out the DOM). */
interface Canvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** Pixels a chart drew: a canvas nothing drew on is all transparent. */
const inked = (page: Page, selector: string) =>
  page.$$eval(selector, (canvases) =>
    (canvases as unknown as Canvas[]).map((c) => {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) return 0;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) n++;
      return n;
    }),
  );

describe('HTML report in headless Chromium', () => {
  let dir: string;
  let run: RunResult;
  let url: string;
  beforeAll(async () => {
    // Fails loudly, never skips: CI installs it with ci/browser.sh.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash ci/browser.sh`);
    dir = await mkdtemp(join(tmpdir(), 'etcd-drill-html-'));
    run = await readRun(FIXTURE);
    const { failures } = await writeReport(run, join(dir, 'report'), ['html'], { json: false });
    expect(failures).toEqual([]);
    url = pathToFileURL(join(dir, 'report', 'report.html')).href;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders the matrix and its charts offline, filters, and has no console errors', async () => {
    const profile = join(dir, 'profile-ok');
    const byVersion = run.results.filter((r) => r.etcd.version === '3.4.23').length;
    await withPage(profile, url, async (page, seen) => {
      expect(seen.errors).toEqual([]); // the inline scripts ran before the load event
      expect(await page.locator('#shown').textContent()).toBe(
        `${run.results.length} of ${run.results.length} drills shown`,
      );
      expect(await page.locator('a.cell').count()).toBe(run.results.length);
      for (const [i, r] of run.results.entries()) {
        const cls = await page.locator(`a.cell[data-drill="${i}"]`).getAttribute('class');
        expect(cls).toContain(`grade-${r.grade.grade}`);
        expect(cls).toContain(`verdict-${r.verdict}`);
      }
      expect((await inked(page, '#overview'))[0]).toBeGreaterThan(1000);

      // A cell opens its drill, whose charts draw then.
      const withFault = run.results.findIndex((r) => r.faults.length > 1);
      await page.locator(`a.cell[data-drill="${withFault}"]`).click();
      const section = page.locator(`#d${withFault}`);
      await expect.poll(() => section.getAttribute('open')).not.toBeNull();
      const drawn = await inked(page, `#d${withFault} canvas[data-chart]`);
      expect(drawn).toHaveLength(3); // timeline, counts, per type
      for (const px of drawn) expect(px).toBeGreaterThan(500);

      await page.selectOption('select[name="version"]', '3.4.23');
      expect(await page.locator('a.cell:visible').count()).toBe(byVersion);
      expect(await page.locator('details.drill:visible').count()).toBe(byVersion);
      await page.selectOption('select[name="version"]', '');
      await page.selectOption('select[name="verdict"]', 'unexpected');
      const unexpected = run.results.filter((r) => r.verdict === 'unexpected').length;
      expect(await page.locator('a.cell:visible').count()).toBe(unexpected);
      await page.selectOption('select[name="verdict"]', '');
      expect(await page.locator('a.cell:visible').count()).toBe(run.results.length);

      await mkdir(join(import.meta.dirname, 'out'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(seen.external).toEqual([]);
      expect(seen.errors).toEqual([]);
    });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(browsersUsing(profile)).toEqual([]);
  });

  it('closes the browser when a check inside fails, leaving no chromium process', async () => {
    const profile = join(dir, 'profile-fail');
    let pids: number[] = [];
    await expect(
      withPage(profile, url, async () => {
        pids = browsersUsing(profile);
        throw new Error('a failing check');
      }),
    ).rejects.toThrow('a failing check');
    expect(pids.length).toBeGreaterThan(0); // it did run
    expect(browsersUsing(profile)).toEqual([]);
  });
});
