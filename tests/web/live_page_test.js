#!/usr/bin/env node
// Drives query-service's live page (query-service/http/web/) in Debian's
// headless Chromium against the real services started by
// scripts/test-clients.sh: search and facets on the sample articles, a
// company filter kept in the URL, evidence marks, an article arriving live,
// and the live column resuming after a reload and after the page was closed.
//
//   node tests/web/live_page_test.js --base-url http://127.0.0.1:8080 \
//     --newsfeed build/release/cli/newsfeed --ingest 127.0.0.1:50052 \
//     --breaking-url http://127.0.0.1:8000/breaking.xml --screenshot live-page.png
//
// Prints "PASS: page: ..." or "FAIL: page: ...: why" per check, then
// "page: N passed, M failed"; exits 1 on any failure.
'use strict';

const {execFile} = require('node:child_process');
const puppeteer = require('puppeteer-core');

const BREAKING = 'Microsoft opens new AI data centre campus near Paris';
const MSFT_FR = 'Microsoft and Amazon commit €5.5 billion to AI and cloud in France';
const MSFT_EU = 'European Commission opens antitrust probe into cloud licensing practices';
const UI_TIMEOUT_MS = 20000;
const LIVE_TIMEOUT_MS = 60000;

function parseArgs(argv) {
  const args = {chromium: '/usr/bin/chromium'};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
    args[name] = argv[i + 1];
  }
  for (const required of ['baseUrl', 'newsfeed', 'ingest', 'breakingUrl', 'screenshot']) {
    if (!args[required]) throw new Error(`missing --${required.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  args.baseUrl = args.baseUrl.replace(/\/$/, '');
  return args;
}

// Runs the CLI; resolves to its output, rejects with its stderr.
function newsfeed(args, ...words) {
  return new Promise((resolve, reject) => {
    execFile(args.newsfeed, ['--ingest', args.ingest, ...words], {timeout: 30000}, (error, stdout, stderr) => {
      if (error) reject(new Error(`newsfeed ${words.join(' ')}: ${(stderr || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}

// Adds the breaking feed. A feed URL is added once (the client checks may
// have added this one already), but every distinct URL is a feed of its own
// whose items are new articles, so a query string brings the same sample
// article in again as a new one.
async function addBreakingFeed(args, tag) {
  try {
    return await newsfeed(args, 'feeds', 'add', args.breakingUrl);
  } catch (e) {
    if (!/already exists/i.test(e.message)) throw e;
    const url = `${args.breakingUrl}${args.breakingUrl.includes('?') ? '&' : '?'}${tag}=${Date.now()}`;
    return newsfeed(args, 'feeds', 'add', url);
  }
}

// How many stored articles with `title` the API lists for company=Microsoft.
async function storedCount(args, title) {
  const response = await fetch(`${args.baseUrl}/v1/articles?company=Microsoft&page_size=100`);
  const body = await response.json();
  return (body.articles || []).filter((a) => a.title === title).length;
}

async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// The page as the checks see it.
function liveItems(page) {
  return page.$$eval('[data-testid=live-item]', (items) => items.map((item) => ({
    id: item.dataset.id,
    title: item.querySelector('.title').textContent,
    fresh: item.dataset.fresh === 'true',
    companies: [...item.querySelectorAll('[data-dim=company]')].map((b) => b.dataset.value),
  })));
}

const liveStatus = (page) => page.$eval('[data-testid=live-status]', (node) => node.dataset.state);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let passed = 0;
  let failed = 0;
  async function check(what, body) {
    try {
      await body();
      console.log(`PASS: page: ${what}`);
      passed++;
    } catch (e) {
      console.log(`FAIL: page: ${what}: ${String(e.message || e).split('\n')[0]}`);
      failed++;
    }
  }

  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--headless=new'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({width: 1400, height: 900});
    // Script errors and CSP refusals: the page must work under the policy
    // query-service serves it with.
    const problems = [];
    page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });

    await check('opens with the 9 sample articles and Microsoft among the company facets', async () => {
      const response = await page.goto(`${args.baseUrl}/`, {waitUntil: 'domcontentloaded'});
      if (!response.ok()) throw new Error(`GET / answered ${response.status()}`);
      if (!response.headers()['content-security-policy']) throw new Error('GET / has no Content-Security-Policy');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=result-item]').length >= 9 &&
        document.querySelector('[data-testid=facet][data-dim=company][data-value=Microsoft]'), {timeout: UI_TIMEOUT_MS})
        .catch(async () => {
          const count = await page.$$eval('[data-testid=result-item]', (items) => items.length);
          throw new Error(`${count} result items, or no Microsoft facet, after ${UI_TIMEOUT_MS / 1000} s`);
        });
    });

    await check('a company filter typed in narrows the results to Microsoft and is kept in the URL', async () => {
      await page.type('[data-testid=filter-input]', 'Microsoft');
      await page.keyboard.press('Enter');
      await page.waitForFunction((a, b) => {
        const items = [...document.querySelectorAll('[data-testid=result-item]')];
        const titles = items.map((item) => item.querySelector('.title').textContent);
        return items.length >= 2 && titles.includes(a) && titles.includes(b) &&
          items.every((item) => item.querySelector('[data-dim=company][data-value=Microsoft]'));
      }, {timeout: UI_TIMEOUT_MS}, MSFT_FR, MSFT_EU).catch(() => {
        throw new Error('the results are not the Microsoft articles, each with a Microsoft badge');
      });
      const url = new URL(page.url());
      if (url.searchParams.getAll('company').join() !== 'Microsoft') throw new Error(`page URL is ${page.url()}`);
      if (!await page.$('[data-testid=chip][data-dim=company][data-mode=any][data-value=Microsoft]')) {
        throw new Error('no "must have" chip for Microsoft');
      }
    });

    await check('evidence is marked in the Microsoft results, at the right characters', async () => {
      const marks = await page.$$eval('[data-testid=result-item] mark', (nodes) =>
        nodes.map((node) => ({text: node.textContent, title: node.title})));
      if (!marks.some((m) => m.text === 'Microsoft' && m.title.includes('company: Microsoft'))) {
        throw new Error(`no <mark> of Microsoft among ${marks.length} marks`);
      }
      // The offsets count UTF-8 bytes and "€" takes 3: a mark cut by
      // characters would be shifted past every euro sign before it.
      if (!marks.some((m) => m.text === '€4 billion' && m.title.startsWith('amount:'))) {
        throw new Error(`no <mark> holding exactly "€4 billion": ${JSON.stringify(marks.filter((m) => m.title.startsWith('amount:')))}`);
      }
    });

    let breaking = null;
    await check('an article of a feed added while the page watches appears in the live column', async () => {
      await page.waitForSelector('[data-testid=live-status][data-state=live]', {timeout: UI_TIMEOUT_MS})
        .catch(() => { throw new Error('the live status never became live'); });
      await addBreakingFeed(args, 'live-page-test');
      breaking = await waitFor('no live item titled "' + BREAKING + '"', LIVE_TIMEOUT_MS, async () =>
        (await liveItems(page)).find((item) => item.title === BREAKING));
      if (!breaking.fresh) throw new Error('the new live item is not marked new');
      if (!breaking.companies.includes('Microsoft')) throw new Error('the live item has no Microsoft badge');
    });

    // Reload: the column comes back as it was and the stream resumes after
    // the last event id saved for this filter, so the article is shown once
    // and not as new.
    await check('after a reload the live column resumes from its saved position without duplicates', async () => {
      if (!breaking) throw new Error('no live article to look for');
      const position = await page.$eval('[data-testid=live-list]', (node) => node.dataset.position);
      await page.reload({waitUntil: 'domcontentloaded'});
      await page.waitForSelector('[data-testid=live-status][data-state=live]', {timeout: UI_TIMEOUT_MS})
        .catch(() => { throw new Error('the live status never became live after the reload'); });
      const resumedFrom = await page.$eval('[data-testid=live-list]', (node) => node.dataset.resumedFrom);
      // A heartbeat between the two reads may move the position on, never back.
      if (!position || !resumedFrom || BigInt(resumedFrom) < BigInt(position)) {
        throw new Error(`resumed from "${resumedFrom}", the position before the reload was "${position}"`);
      }
      const copies = (await liveItems(page)).filter((item) => item.id === breaking.id);
      if (copies.length !== 1) throw new Error(`${copies.length} live items with id ${breaking.id}`);
      if (copies[0].fresh) throw new Error('the restored item is marked new');
      if (!await page.$('[data-testid=chip][data-value=Microsoft]')) throw new Error('the Microsoft chip did not survive');
    });

    // Closed: what is stored while no page is open arrives from the backlog
    // when it opens again.
    await check('an article stored while the page was closed arrives when it opens again', async () => {
      const url = page.url();
      const before = await storedCount(args, BREAKING);
      await page.goto('about:blank');
      await addBreakingFeed(args, 'live-page-test-closed');
      await waitFor('the article is not stored', LIVE_TIMEOUT_MS, async () => await storedCount(args, BREAKING) > before);
      await page.goto(url, {waitUntil: 'domcontentloaded'});
      const items = await waitFor('no new live item from the backlog', UI_TIMEOUT_MS, async () => {
        const all = await liveItems(page);
        return all.some((item) => item.fresh && item.title === BREAKING) && all;
      });
      if (items[0].title !== BREAKING || !items[0].fresh) throw new Error('the backlog article is not at the top');
      if (!items.some((item) => breaking && item.id === breaking.id && !item.fresh)) {
        throw new Error('the article shown before is gone');
      }
      await page.waitForSelector('[data-testid=live-status][data-state=live]', {timeout: UI_TIMEOUT_MS});
    });

    await check('a full-page screenshot is saved', async () => {
      await page.screenshot({path: args.screenshot, fullPage: true});
    });

    await check('an error from the API is shown in a banner that can be dismissed', async () => {
      const input = await page.$('[data-testid=search-input]');
      await input.click({clickCount: 3});
      await input.type('"unterminated');
      await page.keyboard.press('Enter');
      const text = await waitFor('no error banner', UI_TIMEOUT_MS, () => page.$eval('[data-testid=error-banner]',
        (node) => !node.hidden && node.textContent.trim()));
      if (!/INVALID_ARGUMENT/.test(text) || !/text/.test(text)) throw new Error(`the banner says "${text}"`);
      await page.click('[data-testid=error-dismiss]');
      if (!await page.$eval('[data-testid=error-banner]', (node) => node.hidden)) throw new Error('still shown');
    });

    await check('no script errors and no Content-Security-Policy refusals', async () => {
      if (problems.length) throw new Error(problems.join('; '));
    });
  } finally {
    await browser.close();
  }
  console.log(`page: ${passed} passed, ${failed} failed`);
  return failed === 0;
}

main().then((ok) => process.exit(ok ? 0 : 1), (e) => {
  console.log(`FAIL: page: the test could not run: ${e.message}`);
  console.log('page: 0 passed, 1 failed');
  process.exit(1);
});
