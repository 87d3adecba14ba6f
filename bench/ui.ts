/**
 * The web UI: what the first page load costs, and how the execution page copes with a log of a
 * million lines, in Debian's Chromium driven by playwright-core.
 *
 * 1. Initial JavaScript: the scripts dist/web/index.html loads, its modulepreloads, and their
 *    static imports (lazy pages excluded), gzipped at zlib's default level, as a ratio of the
 *    300 KB budget.
 * 2. Time to the first log line: from navigation to the first line of an execution of
 *    BENCH_UI_LINES (1,000,000) lines drawn, in a fresh browser context each round (cold cache),
 *    against a bare page on the same origin that fetches the first 1,000 lines as JSON from the
 *    same API and writes them into a <pre>: what any page showing the log must at least do.
 * 3. Scrolling that log: jumps to random places, a fling from top to bottom in 2 s, and wheel
 *    scrolling, while a PerformanceObserver records long tasks (the browser reports tasks of
 *    50 ms and more) and an animation-frame loop the longest gap between frames. Target: no task
 *    longer than 100 ms. The baseline is the same page left idle as long.
 *
 * BENCH_UI_ROUNDS (default 5) sets the rounds of (2). Chromium is installed with
 * scripts/install-test-deps.sh when missing; without it the benchmark reports itself skipped.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  ApiClient,
  compare,
  interleave,
  jobDocument,
  limit,
  median,
  printTable,
  progress,
  ROOT,
  startInProcessServer,
  type Comparison,
  type InProcessServer,
} from './harness.js';

const LINES = Number(process.env.BENCH_UI_LINES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_UI_ROUNDS ?? 5);
const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
const WEB_ROOT = path.join(ROOT, 'dist', 'web');
const BUDGET_KB = 300;
/** A page that takes longer than this to show a line feels broken; the bare fetch is far below. */
const FIRST_LINE_TARGET_MS = 1000;
const LONG_TASK_TARGET_MS = 100;
const VIEWER = { name: 'bench-viewer', password: 'bench-viewer-password-1' };
/** Flags that keep Chromium off the network this machine does not have (see the test notes). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface UiResult {
  skipped?: string;
  initialJsGzipKB?: number;
  initialJsKB?: number;
  frameworkGzipKB?: number;
  executionPageGzipKB?: number;
  lines?: number;
  firstLineMs?: number;
  bareFirstLineMs?: number;
  longestTaskMs?: number;
  longestFrameGapMs?: number;
  idleLongestFrameGapMs?: number;
  jumpToLinesMs?: number;
  comparisons: Comparison[];
}

// ---------------------------------------------------------------------------------------------
// Bundle size

const gzipSize = (file: string) => zlib.gzipSync(fs.readFileSync(file)).length;

/** Files a module imports statically (`import … from "./x.js"`, `import "./x.js"`), not `import()`. */
function staticImports(file: string): string[] {
  const code = fs.readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*)["'](\.{1,2}\/[^"']+\.js)["']/g)) {
    found.add(path.resolve(path.dirname(file), match[1]!));
  }
  return [...found];
}

/** The module graph reachable through static imports from `entries`. */
function closure(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...staticImports(file));
  }
  return seen;
}

function measureBundle() {
  const html = fs.readFileSync(path.join(WEB_ROOT, 'index.html'), 'utf8');
  const entries = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((match) => path.join(WEB_ROOT, match[1]!));
  const initial = closure(entries);
  const sum = (files: Iterable<string>, size: (file: string) => number) =>
    [...files].reduce((total, file) => total + size(file), 0);
  const assets = path.join(WEB_ROOT, 'assets');
  const executionEntry = fs.readdirSync(assets).find((name) => /^execution-[\w-]+\.js$/.test(name));
  const executionFiles = executionEntry
    ? [...closure([path.join(assets, executionEntry)])].filter((file) => !initial.has(file))
    : [];
  const executionCss = fs.readdirSync(assets).filter((name) => /^execution-[\w-]+\.css$/.test(name));
  const react = ['react/cjs/react.production.js', 'react-dom/cjs/react-dom-client.production.js'].map(
    (file) => path.join(ROOT, 'node_modules', file),
  );
  return {
    initialGzip: sum(initial, gzipSize),
    initialRaw: sum(initial, (file) => fs.statSync(file).size),
    frameworkGzip: react.every((file) => fs.existsSync(file)) ? sum(react, gzipSize) : Number.NaN,
    executionGzip: sum([...executionFiles, ...executionCss.map((name) => path.join(assets, name))], gzipSize),
  };
}

// ---------------------------------------------------------------------------------------------
// Browser

/** Installs Chromium when missing; returns why the benchmark cannot run, or undefined. */
function browserProblem(): string | undefined {
  if (!fs.existsSync(path.join(WEB_ROOT, 'index.html'))) return 'the web UI is not built (npm run build)';
  if (fs.existsSync(CHROMIUM)) return undefined;
  progress('ui: Chromium is missing; installing it with scripts/install-test-deps.sh');
  const install = spawnSync('bash', [path.join(ROOT, 'scripts', 'install-browser.sh')], { stdio: 'inherit' });
  if (install.status !== 0 || !fs.existsSync(CHROMIUM)) {
    return `Chromium is missing at ${CHROMIUM} and scripts/install-test-deps.sh could not install it`;
  }
  return undefined;
}

/** Records, in the page, when the first log line (not a placeholder) is drawn. */
const FIRST_LINE_SCRIPT = `
  window.__bench = { firstLine: null };
  new MutationObserver((_, observer) => {
    if (document.querySelector('.log-line:not(.log-pending)')) {
      observer.disconnect();
      requestAnimationFrame(() => { window.__bench.firstLine = performance.now(); });
    }
  }).observe(document, { childList: true, subtree: true });
`;

function barePage(executionId: number): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>bare</title></head><body><pre id="log"></pre>
<script>
fetch('/api/v1/executions/${executionId}/log?from=0&limit=1000', { headers: { accept: 'application/json' } })
  .then((response) => response.json())
  .then((body) => {
    document.getElementById('log').textContent = body.lines.map((line) => line.text).join('\\n');
    requestAnimationFrame(() => { window.__bench = { firstLine: performance.now() }; });
  });
</script></body></html>`;
}

async function signedInContext(browser: Browser, url: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const response = await context.request.post(`${url}/api/v1/sign-in`, { data: VIEWER });
  if (!response.ok()) throw new Error(`sign-in failed: ${response.status()} ${await response.text()}`);
  return context;
}

/**
 * The page's own record of when the first line was drawn. Polled from here: the page's CSP
 * (script-src 'self') forbids the string evaluation waitForFunction would use, and the time is
 * taken in the page, so how often it is polled does not change it.
 */
async function firstLineAt(page: Page): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const at = (await page.evaluate('window.__bench ? window.__bench.firstLine : null')) as number | null;
    if (at !== null) return at;
    if (Date.now() > deadline) throw new Error('no log line was drawn within 60 s');
    await sleep(20);
  }
}

/** A recorder of long tasks and frame gaps, installed in the page; phases are read out by name. */
const RECORDER_SCRIPT = `(() => {
  const state = { tasks: [], frames: [], recording: false };
  new PerformanceObserver((list) => {
    if (!state.recording) return;
    for (const entry of list.getEntries()) state.tasks.push(entry.duration);
  }).observe({ type: 'longtask' });
  let last = performance.now();
  const tick = (now) => {
    if (state.recording) state.frames.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.__recorder = {
    start() { state.tasks = []; state.frames = []; state.recording = true; },
    stop() {
      state.recording = false;
      return {
        longestTask: state.tasks.length ? Math.max(...state.tasks) : 0,
        longTasks: state.tasks.length,
        longestGap: state.frames.length ? Math.max(...state.frames) : 0,
      };
    },
  };
})()`;

interface Phase {
  longestTask: number;
  longTasks: number;
  longestGap: number;
}

/** Jumps to pseudo-random places; returns the median time until no placeholder row is left. */
const JUMPS_SCRIPT = `(async () => {
  const scroller = document.querySelector('.log-scroller');
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const waits = [];
  for (let jump = 0; jump < 20; jump++) {
    const max = scroller.scrollHeight - scroller.clientHeight;
    scroller.scrollTop = Math.floor(random() * max);
    const started = performance.now();
    for (;;) {
      await frame();
      if (!document.querySelector('.log-pending')) break;
      if (performance.now() - started > 5000) break;
    }
    waits.push(performance.now() - started);
  }
  waits.sort((a, b) => a - b);
  return waits[waits.length >> 1];
})()`;

/** Scrolls from top to bottom in `ms`, one step per animation frame. */
const FLING_SCRIPT = `(async () => {
  const scroller = document.querySelector('.log-scroller');
  scroller.scrollTop = 0;
  const max = scroller.scrollHeight - scroller.clientHeight;
  const started = performance.now();
  for (;;) {
    const now = await new Promise((resolve) => requestAnimationFrame(resolve));
    const progress = Math.min(1, (now - started) / 2000);
    scroller.scrollTop = progress * max;
    if (progress === 1) break;
  }
})()`;

async function scrollPhases(page: Page) {
  await page.evaluate(RECORDER_SCRIPT);
  const measure = async (run: () => Promise<unknown>): Promise<[Phase, unknown]> => {
    await page.evaluate('window.__recorder.start()');
    const value = await run();
    // Let the fetches the scrolling asked for land and be drawn inside the phase.
    await sleep(1500);
    return [(await page.evaluate('window.__recorder.stop()')) as Phase, value];
  };
  const [idle] = await measure(() => sleep(2000));
  const [jumps, jumpToLines] = await measure(() => page.evaluate(JUMPS_SCRIPT));
  const [fling] = await measure(() => page.evaluate(FLING_SCRIPT));
  const box = await page.locator('.log-scroller').boundingBox();
  const [wheel] = await measure(async () => {
    await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
    for (let step = 0; step < 60; step++) {
      await page.mouse.wheel(0, step < 30 ? 400 : -400);
      await sleep(16);
    }
  });
  const scrolling = [jumps, fling, wheel];
  return {
    idle,
    phases: { jumps, fling, wheel },
    jumpToLines: jumpToLines as number,
    longestTask: Math.max(...scrolling.map((phase) => phase.longestTask)),
    longTasks: scrolling.reduce((total, phase) => total + phase.longTasks, 0),
    longestGap: Math.max(...scrolling.map((phase) => phase.longestGap)),
  };
}

// ---------------------------------------------------------------------------------------------

async function waitForExecution(api: ApiClient, id: number): Promise<{ state: string; lines: number }> {
  for (;;) {
    const { execution } = await api.request<{ execution: { state: string; log: { lines: number } } }>(
      'GET',
      `/api/v1/executions/${id}`,
    );
    if (!['queued', 'running', 'awaiting_approval'].includes(execution.state)) {
      return { state: execution.state, lines: execution.log.lines };
    }
    await sleep(100);
  }
}

export async function benchUi(): Promise<UiResult> {
  const problem = browserProblem();
  if (problem) {
    progress(`ui: skipped: ${problem}`);
    return { skipped: problem, comparisons: [] };
  }
  const bundle = measureBundle();
  const kb = (bytes: number) => bytes / 1000;

  progress(`ui: preparing an execution of ${LINES.toLocaleString('en-US')} lines`);
  let server: InProcessServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startInProcessServer();
    const api = new ApiClient(server.url, server.token);
    await api.request('POST', '/api/v1/users', { ...VIEWER, admin: true });
    await api.applyJobs(jobDocument('million-lines', `seq 1 ${LINES}`));
    const id = await api.run('million-lines');
    const finished = await waitForExecution(api, id);
    if (finished.state !== 'succeeded') throw new Error(`the log job ended ${finished.state}`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const url = server.url;
    const openBaton = async () => {
      const context = await signedInContext(browser!, url);
      const page = await context.newPage();
      await page.addInitScript(FIRST_LINE_SCRIPT);
      await page.goto(`${url}/executions/${id}`);
      return { context, page, at: await firstLineAt(page) };
    };
    const openBare = async () => {
      const context = await signedInContext(browser!, url);
      const page = await context.newPage();
      await page.route(`${url}/bench-bare`, (route) =>
        route.fulfill({ contentType: 'text/html', body: barePage(id) }),
      );
      await page.goto(`${url}/bench-bare`);
      return { context, at: await firstLineAt(page) };
    };
    // One unmeasured round of each: the server's and the browser's first-use costs.
    for (const open of [openBaton, openBare]) await (await open()).context.close();
    progress(`ui: time to the first log line, ${ROUNDS} rounds`);
    const firstLine = await interleave(
      ROUNDS,
      async () => {
        const { context, at } = await openBaton();
        await context.close();
        return at;
      },
      async () => {
        const { context, at } = await openBare();
        await context.close();
        return at;
      },
    );

    progress('ui: scrolling the log (jumps, a fling, the wheel)');
    const { context, page } = await openBaton();
    const scrolling = await scrollPhases(page);
    await context.close();

    const firstLineMs = median(firstLine.a);
    const bareFirstLineMs = median(firstLine.b);
    const comparisons = [
      compare('initial JS, gzip, of the budget', 'KB', BUDGET_KB, kb(bundle.initialGzip), {
        op: '<=',
        value: 1,
      }),
      limit(`first log line, ${LINES.toLocaleString('en-US')} lines`, 'ms', bareFirstLineMs, firstLineMs, {
        op: '<=',
        value: FIRST_LINE_TARGET_MS,
      }),
      limit('longest task while scrolling', 'ms', scrolling.idle.longestTask, scrolling.longestTask, {
        op: '<=',
        value: LONG_TASK_TARGET_MS,
      }),
    ];
    printTable('Web UI (Chromium): first load, a 1,000,000-line log opened and scrolled', comparisons, [
      `initial JS ${kb(bundle.initialRaw).toFixed(0)} KB before compression (the server sends the brotli or gzip copy the build wrote); React and ReactDOM's own production files are ${kb(bundle.frameworkGzip).toFixed(0)} KB gzipped`,
      `the execution page loads ${kb(bundle.executionGzip).toFixed(1)} KB gzip more (its code and styles) on first visit`,
      `first log line: median of ${ROUNDS} cold loads each, ${(firstLineMs / bareFirstLineMs).toFixed(1)}x the baseline, a bare page fetching 1,000 lines as JSON (samples ${firstLine.a.map((ms) => ms.toFixed(0)).join(', ')} vs ${firstLine.b.map((ms) => ms.toFixed(0)).join(', ')} ms)`,
      `scrolling: ${scrolling.longTasks} task(s) of 50 ms or more; longest gap between frames ${scrolling.longestGap.toFixed(0)} ms (idle page: ${scrolling.idle.longestGap.toFixed(0)} ms); baseline: longest task of the idle page (0: none of 50 ms or more)`,
      `longest task / frame gap by phase: ${Object.entries(scrolling.phases)
        .map(([name, phase]) => `${name} ${phase.longestTask.toFixed(0)} / ${phase.longestGap.toFixed(0)} ms`)
        .join(', ')}`,
      `after a jump to a place not yet loaded, lines are drawn in ${scrolling.jumpToLines.toFixed(0)} ms (median of 20)`,
    ]);
    return {
      initialJsGzipKB: kb(bundle.initialGzip),
      initialJsKB: kb(bundle.initialRaw),
      frameworkGzipKB: kb(bundle.frameworkGzip),
      executionPageGzipKB: kb(bundle.executionGzip),
      lines: finished.lines,
      firstLineMs,
      bareFirstLineMs,
      longestTaskMs: scrolling.longestTask,
      longestFrameGapMs: scrolling.longestGap,
      idleLongestFrameGapMs: scrolling.idle.longestGap,
      jumpToLinesMs: scrolling.jumpToLines,
      comparisons,
    };
  } finally {
    await browser?.close();
    await server?.stop();
  }
}
