// The live page of query-service: search, facets and the live stream of the
// same-origin /v1 API (query-service/http/openapi.yaml). Plain DOM code, no
// build step. Article text is untrusted, so it only ever reaches the page
// through textContent and Text nodes, never innerHTML.
'use strict';

const LIVE_MAX = 200;          // live items shown, and kept for the next visit
const SAVED_FILTERS_MAX = 20;  // filters whose live column localStorage keeps
const SNIPPET_CHARS = 400;
const PAGE_SIZE = 20;
const FACET_LIMIT = 8;
const DIMS = ['company', 'country', 'topic', 'feed', 'language'];
const SUFFIX = {any: '', all: '.all', none: '.none'};
const MODE_TEXT = {any: 'must', all: 'all of', none: 'not'};
const RANGES = {'24h': 864e5, '7d': 7 * 864e5, '30d': 30 * 864e5};
const FACET_KEYS = {company: 'companies', country: 'countries', topic: 'topics'};
const TOKEN_KEY = 'newsfeed.token';
const SAVED_PREFIX = 'newsfeed.live:';

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const relative = new Intl.RelativeTimeFormat('en', {numeric: 'auto'});
const regions = new Intl.DisplayNames(['en'], {type: 'region'});

// The filter, as the page URL holds it.
const state = {text: '', order: 'newest', range: '', amount: null, chips: []};
let token = localStorage.getItem(TOKEN_KEY) || '';
// Display names learnt from facets and tags, so that a chip restored from a
// URL ("topic=ai") can read "Artificial intelligence": "dim:value" → name.
const labels = new Map();
let lastFacets = {};

// ------------------------------------------------------------------ DOM

// Builds an element. Strings among `children` become Text nodes, which is
// what keeps article text inert.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function showBanner(text) {
  $('banner-text').textContent = text;
  $('banner').hidden = false;
}

function relativeTime(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const units = [['year', 31536000], ['month', 2592000], ['week', 604800],
    ['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

function timeOf(article) {
  const iso = article.publishedTime || article.fetchedTime;
  if (!iso || Number.isNaN(Date.parse(iso))) return null;
  return el('time', {datetime: iso, title: new Date(iso).toLocaleString(), 'data-relative': true,
    text: relativeTime(iso)});
}

// Only web links: an article URL comes from a feed, and a javascript: one
// must not become a link.
function safeUrl(url) {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

function formatMoney(amount) {
  try {
    return new Intl.NumberFormat('en', {style: 'currency', currency: amount.currency,
      notation: 'compact', maximumFractionDigits: 1}).format(amount.value);
  } catch {  // no or unknown currency
    return `${new Intl.NumberFormat('en', {notation: 'compact'}).format(amount.value)} ${amount.currency || ''}`.trim();
  }
}

// ------------------------------------------------------------------ filter state

function readUrl() {
  const params = new URLSearchParams(location.search);
  state.text = params.get('text') || '';
  state.order = params.get('order') === 'relevance' ? 'relevance' : 'newest';
  state.range = RANGES[params.get('range')] ? params.get('range') : '';
  state.chips = [];
  for (const dim of DIMS) {
    for (const [mode, suffix] of Object.entries(SUFFIX)) {
      for (const value of params.getAll(dim + suffix)) if (value) state.chips.push({dim, mode, value});
    }
  }
  const min = Number(params.get('min_amount'));
  state.amount = min > 0 ? {value: min, currency: (params.get('currency') || '').toUpperCase()} : null;
}

// The filter as API parameters, or (forPage) as the page URL spells it: the
// page keeps "range=7d" rather than a published_after that a reload would
// leave behind.
function filterParams(forPage = false) {
  const params = new URLSearchParams();
  if (state.text) params.set('text', state.text);
  for (const chip of state.chips) params.append(chip.dim + SUFFIX[chip.mode], chip.value);
  if (state.amount) {
    params.set('min_amount', String(state.amount.value));
    if (state.amount.currency) params.set('currency', state.amount.currency);
  }
  if (state.range && forPage) params.set('range', state.range);
  if (state.range && !forPage) {
    params.set('published_after', new Date(Date.now() - RANGES[state.range]).toISOString());
  }
  return params;
}

// relevance needs text: without it the API answers 400.
const order = () => (state.text && state.order === 'relevance' ? 'relevance' : 'newest');

// The live column's identity: the filter without the order, which only sorts.
function liveKey() {
  const params = filterParams(true);
  params.sort();
  return params.toString();
}

function apply() {
  const params = filterParams(true);
  if (order() === 'relevance') params.set('order', 'relevance');
  const query = params.toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
  syncControls();
  renderChips();
  refresh();
  if (liveKey() !== live.key) startLive();
}

function syncControls() {
  $('q').value = state.text;
  $('range').value = state.range;
  $('order').value = order();
  $('order').querySelector('[value="relevance"]').disabled = !state.text;
}

const sameValue = (a, b) => a.toLowerCase() === b.toLowerCase();

function addChip(dim, value, mode) {
  const chip = state.chips.find((c) => c.dim === dim && sameValue(c.value, value));
  if (chip) chip.mode = mode;
  else state.chips.push({dim, mode, value});
  apply();
}

// ------------------------------------------------------------------ labels

function learn(dim, value, label) {
  if (value && label) labels.set(`${dim}:${value.toLowerCase()}`, {value, label});
}

function learnArticle(article) {
  for (const c of article.companies || []) learn('company', c.name || c.id, c.name);
  for (const c of article.countries || []) learn('country', c.code, c.name);
  for (const t of article.topics || []) learn('topic', t.id, t.name);
}

function labelOf(dim, value) {
  const known = labels.get(`${dim}:${value.toLowerCase()}`);
  if (known) return known.label;
  if (dim === 'country' && /^[a-z]{2}$/i.test(value)) {
    try {
      return regions.of(value.toUpperCase());
    } catch { /* not a region code: show it as typed */ }
  }
  return value;
}

// What the filter parameter takes for what a person typed: countries are
// ISO codes and topics taxonomy ids, but "France" and "Cloud computing" are
// what people type.
function resolveValue(dim, typed) {
  for (const [key, {value, label}] of labels) {
    if (key.startsWith(`${dim}:`) && sameValue(label, typed)) return value;
  }
  if (dim === 'country' && !/^[a-z]{2}$/i.test(typed)) {
    for (let i = 0; i < 26 * 26; i++) {
      const code = String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26));
      if (sameValue(regions.of(code), typed)) return code;
    }
  }
  if (dim === 'country') return typed.toUpperCase();
  if (dim === 'topic') return typed.toLowerCase().replace(/\s+/g, '-');
  return typed;
}

// The filter value of a facet entry. Companies filter by canonical name,
// which reads better in a shared URL than a Wikidata id and matches the same.
const facetValue = (dim, entry) => (dim === 'company' && entry.label ? entry.label : entry.value);

// ------------------------------------------------------------------ API

class ApiError extends Error {
  constructor(code, status, message) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const authHeaders = () => (token ? {Authorization: `Bearer ${token}`} : {});

async function request(url, signal) {
  let response;
  try {
    response = await fetch(url, {signal, headers: authHeaders()});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'UNAVAILABLE', `cannot reach query-service (${e.message})`);
  }
  if (response.ok) return response;
  // 414 and 431 come from the HTTP library as HTML, not as an HttpError.
  const body = await response.json().catch(() => null);
  const error = body && body.error;
  throw new ApiError(response.status, error ? error.status : '',
    error ? error.message : `HTTP ${response.status} ${response.statusText}`);
}

async function api(path, params, signal) {
  const query = params.toString();
  return (await request(query ? `${path}?${query}` : path, signal)).json();
}

function report(error) {
  if (error.name === 'AbortError') return;
  if (error.code === 401 && $('auth').hidden) {
    $('auth').hidden = false;
    $('token').value = token;
    $('token').focus();
  }
  showBanner(error.status ? `${error.status}: ${error.message}` : error.message);
}

// ------------------------------------------------------------------ tags and evidence

// Evidence offsets count UTF-8 bytes of the title or of contentText; JS
// strings count UTF-16 units, so every offset is converted through the bytes.
function evidenceRanges(text, spans) {
  const bytes = encoder.encode(text);
  const ranges = [];
  for (const {evidence, title, kind} of spans) {
    const begin = evidence.begin || 0;
    const end = evidence.end || 0;
    if (end <= begin || end > bytes.length) continue;
    const piece = decoder.decode(bytes.subarray(begin, end));
    // A span that does not hold its own text would mark the wrong words.
    if (evidence.text && piece !== evidence.text) continue;
    const start = decoder.decode(bytes.subarray(0, begin)).length;
    ranges.push({start, end: start + piece.length, title, kind});
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  // One <mark> per span: a word that is evidence of two tags names both.
  return ranges.filter((range, i) => {
    const previous = ranges[i - 1];
    if (!previous || previous.start !== range.start || previous.end !== range.end) return true;
    previous.title += `\n${range.title}`;
    return false;
  });
}

// The evidence of every tag that points into `field`, each with the
// title its <mark> gets: which tag, and which rule fired.
function evidenceIn(article, field) {
  const spans = [];
  const add = (evidence, kind, name) => {
    if (evidence && evidence.field === field) {
      spans.push({evidence, kind, title: `${kind}: ${name} (${evidence.rule || 'rule'})`});
    }
  };
  for (const c of article.companies || []) for (const e of c.evidence || []) add(e, 'company', c.name || c.id);
  for (const c of article.countries || []) for (const e of c.evidence || []) add(e, 'country', c.name || c.code);
  for (const t of article.topics || []) for (const e of t.evidence || []) add(e, 'topic', t.name || t.id);
  for (const m of article.amounts || []) add(m.evidence, 'amount', formatMoney(m));
  return spans;
}

// text[from, to) as Text nodes and <mark>s; a range overlapping the one
// before it, or reaching outside the window, is left unmarked.
function marked(text, ranges, from = 0, to = text.length) {
  const nodes = [];
  let at = from;
  for (const range of ranges) {
    if (range.start < at || range.end > to) continue;
    if (range.start > at) nodes.push(text.slice(at, range.start));
    nodes.push(el('mark', {class: range.kind, title: range.title, text: text.slice(range.start, range.end)}));
    at = range.end;
  }
  if (at < to) nodes.push(text.slice(at, to));
  return nodes;
}

// About SNIPPET_CHARS of the body, from the start, or from just before the
// first evidence when the start holds none, cut at spaces.
function snippet(article) {
  const text = article.contentText || '';
  if (!text) return el('p', {class: 'snippet', text: (article.summary || '').slice(0, SNIPPET_CHARS)});
  const ranges = evidenceRanges(text, evidenceIn(article, 'TEXT_FIELD_BODY'));
  let from = 0;
  if (ranges.length && ranges[0].end > SNIPPET_CHARS - 40) {
    from = text.lastIndexOf(' ', Math.max(0, ranges[0].start - 80)) + 1;
  }
  let to = Math.min(text.length, from + SNIPPET_CHARS);
  if (to < text.length) to = Math.max(text.lastIndexOf(' ', to), from + SNIPPET_CHARS / 2);
  return el('p', {class: 'snippet'}, from > 0 ? '… ' : null, ...marked(text, ranges, from, to),
    to < text.length ? ' …' : null);
}

function badge(dim, value, text, detail, weak) {
  return el('li', {}, el('button', {
    type: 'button', class: `badge ${dim}${weak ? ' weak' : ''}`, 'data-testid': 'badge',
    'data-dim': dim, 'data-value': value, text,
    title: `${detail}. Click to filter on it, Alt/Shift-click to exclude it.`,
    onclick: (e) => addChip(dim, value, e.altKey || e.shiftKey ? 'none' : 'any'),
  }));
}

// A low score is a tag the article merely touches (e.g. a headquarters
// fallback country): shown, but dimmer.
const isWeak = (tag) => (tag.score || 0) < 0.5;
const scoreText = (tag) => `score ${(tag.score || 0).toFixed(2)}`;

function tagList(article) {
  const list = el('ul', {class: 'tags', 'aria-label': 'Tags'});
  for (const c of article.companies || []) {
    const name = c.name || c.id;
    const about = [c.ticker, c.hqCountry && `HQ ${c.hqCountry}`].filter(Boolean).join(', ');
    list.append(badge('company', name, name, `Company ${name}${about ? ` (${about})` : ''}, ${scoreText(c)}`, isWeak(c)));
  }
  for (const c of article.countries || []) {
    list.append(badge('country', c.code, c.name || c.code, `Country ${c.name || c.code}, ${scoreText(c)}`, isWeak(c)));
  }
  for (const t of article.topics || []) {
    list.append(badge('topic', t.id, t.name || t.id, `Topic ${t.name || t.id}, ${scoreText(t)}`, isWeak(t)));
  }
  for (const m of article.amounts || []) {
    list.append(el('li', {}, el('button', {
      type: 'button', class: 'badge amount', 'data-testid': 'badge', 'data-dim': 'amount', text: formatMoney(m),
      title: `${m.text || formatMoney(m)}. Click for articles announcing at least this much.`,
      onclick: () => { state.amount = {value: m.value, currency: m.currency || ''}; apply(); },
    })));
  }
  return list;
}

function titleLink(article, ranges) {
  const text = article.title || article.url || '(untitled)';
  const url = safeUrl(article.url);
  const link = url ? el('a', {href: url, target: '_blank', rel: 'noopener noreferrer'}) : el('span');
  link.append(...(article.title ? marked(text, ranges) : [text]));
  return link;
}

function meta(article) {
  return el('p', {class: 'meta'}, el('span', {class: 'source', text: article.sourceTitle || article.feedUrl || ''}),
    ' · ', timeOf(article));
}

// ------------------------------------------------------------------ results and facets

let searchControl = null;
let lastSearch = null;  // the parameters of the shown results, for "Load more"
let nextToken = '';

function articleItem(article) {
  learnArticle(article);
  const titleRanges = evidenceRanges(article.title || '', evidenceIn(article, 'TEXT_FIELD_TITLE'));
  return el('li', {class: 'article', 'data-testid': 'result-item', 'data-id': article.id},
    el('h3', {class: 'title'}, titleLink(article, titleRanges)), meta(article), tagList(article), snippet(article));
}

function showPage(page, append) {
  const list = $('results');
  const items = (page.articles || []).map(articleItem);
  if (append) list.append(...items);
  else list.replaceChildren(...(items.length ? items : [el('li', {class: 'empty', text: 'No articles match this filter.'})]));
  nextToken = page.nextPageToken || '';
  $('more').hidden = !nextToken;
}

async function refresh() {
  if (searchControl) searchControl.abort();
  searchControl = new AbortController();
  const {signal} = searchControl;
  const filter = filterParams();
  lastSearch = new URLSearchParams(filter);
  lastSearch.set('page_size', String(PAGE_SIZE));
  if (order() === 'relevance') lastSearch.set('order', 'relevance');
  const facets = new URLSearchParams(filter);
  facets.set('limit', String(FACET_LIMIT));
  $('results').setAttribute('aria-busy', 'true');
  await Promise.all([
    api('/v1/articles', lastSearch, signal).then((page) => showPage(page, false)),
    api('/v1/facets', facets, signal).then(showFacets),
  ].map((p) => p.catch(report)));
  if (!signal.aborted) $('results').removeAttribute('aria-busy');
  renderChips();  // with the names the answers taught
}

async function loadMore() {
  const params = new URLSearchParams(lastSearch);
  params.set('page_token', nextToken);
  $('more').disabled = true;
  try {
    showPage(await api('/v1/articles', params, searchControl.signal), true);
  } catch (e) {
    report(e);
  } finally {
    $('more').disabled = false;
  }
}

function facetItem(dim, entry) {
  const value = facetValue(dim, entry);
  const name = entry.label || entry.value;
  learn(dim, value, name);
  const chip = state.chips.find((c) => c.dim === dim && sameValue(c.value, value));
  return el('li', {class: 'facet'},
    el('button', {
      type: 'button', class: 'facet-add', 'data-testid': 'facet', 'data-dim': dim, 'data-value': value,
      'aria-pressed': String(Boolean(chip) && chip.mode !== 'none'),
      title: `Only articles about ${name} (Alt/Shift-click: none about it)`,
      onclick: (e) => addChip(dim, value, e.altKey || e.shiftKey ? 'none' : 'any'),
    }, el('span', {class: 'facet-name', text: name}), el('span', {class: 'count', text: entry.count})),
    el('button', {type: 'button', class: 'facet-exclude', 'aria-label': `Exclude ${name}`, title: `Exclude ${name}`,
      text: '−', onclick: () => addChip(dim, value, 'none')}));
}

function showFacets(facets) {
  lastFacets = facets;
  for (const [dim, key] of Object.entries(FACET_KEYS)) {
    const entries = (facets[key] || []).map((entry) => facetItem(dim, entry));
    $(`facet-${dim}`).replaceChildren(...(entries.length ? entries : [el('li', {class: 'empty', text: 'none'})]));
  }
  const total = Number(facets.total || 0);
  $('results-count').textContent = `${facets.estimated ? 'most recent ' : ''}${total} matching`;
  suggest();
}

// The datalist of the "add filter" input: the current facets of its dimension.
function suggest() {
  const dim = $('filter-dim').value;
  $('filter-suggestions').replaceChildren(...(lastFacets[FACET_KEYS[dim]] || []).map((entry) =>
    el('option', {value: facetValue(dim, entry), label: `${entry.label || entry.value} (${entry.count})`})));
}

function renderChips() {
  const chips = state.chips.map((chip, i) => {
    const name = labelOf(chip.dim, chip.value);
    return el('li', {class: `chip ${chip.mode}`, 'data-testid': 'chip', 'data-dim': chip.dim,
      'data-mode': chip.mode, 'data-value': chip.value},
    el('button', {type: 'button', class: 'chip-mode', text: MODE_TEXT[chip.mode],
      title: 'Switch between must have and exclude',
      'aria-label': `${chip.dim} ${name}: ${chip.mode === 'none' ? 'excluded' : 'required'}; switch`,
      onclick: () => { chip.mode = chip.mode === 'none' ? 'any' : 'none'; apply(); }}),
    el('span', {class: 'chip-label'}, el('span', {class: 'chip-dim', text: `${chip.dim} `}), name),
    el('button', {type: 'button', class: 'chip-remove', text: '×', 'aria-label': `Remove ${chip.dim} ${name}`,
      onclick: () => { state.chips.splice(i, 1); apply(); }}));
  });
  if (state.amount) {
    chips.push(el('li', {class: 'chip any', 'data-testid': 'chip', 'data-dim': 'amount'},
      el('span', {class: 'chip-label', text: `amount ≥ ${formatMoney(state.amount)}`}),
      el('button', {type: 'button', class: 'chip-remove', text: '×', 'aria-label': 'Remove the amount filter',
        onclick: () => { state.amount = null; apply(); }})));
  }
  $('chips').replaceChildren(...chips);
  $('clear').hidden = chips.length === 0;
}

// ------------------------------------------------------------------ live column

// The column of one filter: what it shows and the last event id, kept in
// localStorage so that a reload resumes the stream after it and shows again
// what was shown.
const live = {key: null, source: null, pos: '', items: [], nodes: new Map(), saveTimer: 0, retries: 0, retryTimer: 0};

function loadSaved(key) {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED_PREFIX + key));
    if (saved && Array.isArray(saved.items)) return saved;
  } catch { /* unreadable: start afresh */ }
  return {pos: '', items: []};
}

function saveLive() {
  clearTimeout(live.saveTimer);
  live.saveTimer = 0;
  if (live.key === null) return;
  try {
    localStorage.setItem(SAVED_PREFIX + live.key, JSON.stringify({pos: live.pos, items: live.items, at: Date.now()}));
    const keys = Object.keys(localStorage).filter((k) => k.startsWith(SAVED_PREFIX));
    if (keys.length > SAVED_FILTERS_MAX) {
      const byAge = keys.map((k) => [k, loadSaved(k.slice(SAVED_PREFIX.length)).at || 0]).sort((a, b) => a[1] - b[1]);
      for (const [k] of byAge.slice(0, keys.length - SAVED_FILTERS_MAX)) localStorage.removeItem(k);
    }
  } catch { /* storage full or off: the page works, it only cannot resume */ }
}

// A backlog replay can bring hundreds of events a second: write once they pause.
function scheduleSave() {
  if (!live.saveTimer) live.saveTimer = setTimeout(saveLive, 500);
}

// What the column needs of an article, so that 200 of them fit in storage.
function compact(a) {
  return {
    id: a.id, title: a.title, url: a.url, sourceTitle: a.sourceTitle, feedUrl: a.feedUrl,
    publishedTime: a.publishedTime, fetchedTime: a.fetchedTime, sequence: a.sequence,
    companies: (a.companies || []).map(({id, name, score}) => ({id, name, score})),
    countries: (a.countries || []).map(({code, name, score}) => ({code, name, score})),
    topics: (a.topics || []).map(({id, name, score}) => ({id, name, score})),
    amounts: (a.amounts || []).map(({value, currency, text}) => ({value, currency, text})),
  };
}

function addLive(article, fresh) {
  const item = compact(article);
  learnArticle(item);
  // An article changed at its source comes again with a higher sequence: it
  // replaces its old entry.
  const old = live.nodes.get(item.id);
  if (old) {
    old.remove();
    live.items = live.items.filter((x) => x.id !== item.id);
  }
  const node = el('li', {class: `live-item${fresh ? ' fresh' : ''}`, 'data-testid': 'live-item',
    'data-id': item.id, 'data-sequence': item.sequence, 'data-fresh': fresh ? 'true' : null},
  el('h3', {class: 'title'}, titleLink(item, [])), meta(item), tagList(item));
  live.nodes.set(item.id, node);
  live.items.unshift(item);
  $('live').prepend(node);
  while (live.items.length > LIVE_MAX) {
    const gone = live.items.pop();
    live.nodes.get(gone.id).remove();
    live.nodes.delete(gone.id);
  }
}

function setStatus(status, title = '') {
  const node = $('live-status');
  node.dataset.state = status;
  node.textContent = status;
  node.title = title;
}

const setNote = (text) => { $('live-note').textContent = text; };

function stopLive() {
  if (live.source) live.source.close();
  live.source = null;
  clearTimeout(live.retryTimer);
  saveLive();
}

function startLive() {
  stopLive();
  live.key = liveKey();
  const saved = loadSaved(live.key);
  live.pos = saved.pos || '';
  live.items = [];
  live.nodes.clear();
  live.retries = 0;
  $('live').replaceChildren();
  for (const item of saved.items.slice(0, LIVE_MAX).reverse()) addLive(item, false);
  $('live').dataset.resumedFrom = live.pos;
  $('live').dataset.position = live.pos;
  setNote(live.pos
    ? `Resumed after #${live.pos}, where this filter was left: nothing stored since is missed.`
    : 'Following articles stored from now on.');
  connect();
}

function streamUrl() {
  // A new filter starts from now; a known one after its last event id.
  const params = filterParams();
  if (live.pos) params.set('after_sequence', live.pos);
  if (token) params.set('access_token', token);
  return `/v1/stream?${params}`;
}

function connect() {
  const source = new EventSource(streamUrl());
  live.source = source;
  setStatus('connecting');
  const keep = (id) => {
    if (id) live.pos = id;
    $('live').dataset.position = live.pos;
    scheduleSave();
  };
  source.addEventListener('heartbeat', (e) => {
    live.retries = 0;
    setStatus('live', `last heartbeat ${JSON.parse(e.data).serverTime || ''}`);
    keep(e.lastEventId);
  });
  source.addEventListener('article', (e) => {
    setStatus('live');
    addLive(JSON.parse(e.data), true);
    keep(e.lastEventId);
  });
  source.addEventListener('end', (e) => {
    let error = {};
    try {
      error = JSON.parse(e.data).error || {};
    } catch { /* an end without a body still ends the stream */ }
    setNote(`The server ended the stream: ${error.message || 'no reason given'}`);
    // Retrying the same position after OUT_OF_RANGE fails again: start
    // where the message says. Other ends (a shutdown) EventSource retries
    // by itself, with Last-Event-ID.
    const resume = /after_sequence=(\d+)/.exec(error.message || '');
    if (error.status === 'OUT_OF_RANGE') {
      source.close();
      if (resume) live.pos = resume[1];
      retry(source);
    }
  });
  source.addEventListener('error', () => {
    if (source !== live.source) return;
    if (source.readyState === EventSource.CONNECTING) setStatus('reconnecting');
    else refused(source);
  });
}

// EventSource gives up on an HTTP error without saying which: ask again with
// fetch to show the API's message, then retry unless only the user can fix it.
async function refused(source) {
  setStatus('closed');
  const control = new AbortController();
  try {
    await request(streamUrl(), control.signal);
    control.abort();  // the stream opens now: the refusal has passed
  } catch (e) {
    if (source !== live.source) return;
    // A saved position the store no longer covers (or one from a store
    // that was reset): start again where the server says.
    const resume = /after_sequence=(\d+)/.exec(e.message || '');
    if (e.status === 'OUT_OF_RANGE' && resume) {
      setNote(`Resuming after #${resume[1]}: ${e.message}`);
      live.pos = resume[1];
      retry(source);
      return;
    }
    report(e);
    if (e.code === 400 || e.code === 401) return;
  }
  retry(source);
}

function retry(source) {
  if (source !== live.source) return;
  const seconds = Math.min(60, 2 ** live.retries++);
  setStatus('reconnecting', `next try in ${seconds} s`);
  live.retryTimer = setTimeout(() => {
    if (source === live.source) connect();
  }, seconds * 1000);
}

// ------------------------------------------------------------------ wiring

function bind() {
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    state.text = $('q').value.trim();
    apply();
  });
  for (const id of ['range', 'order']) {
    $(id).addEventListener('change', () => { state[id] = $(id).value; apply(); });
  }
  $('add-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    const typed = $('filter-value').value.trim();
    if (!typed) return;
    const dim = $('filter-dim').value;
    $('filter-value').value = '';
    addChip(dim, resolveValue(dim, typed), $('filter-mode').value);
  });
  $('filter-dim').addEventListener('change', suggest);
  $('more').addEventListener('click', loadMore);
  $('clear').addEventListener('click', () => { state.chips = []; state.amount = null; apply(); });
  $('banner-close').addEventListener('click', () => { $('banner').hidden = true; });
  $('auth').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
    $('auth').hidden = true;
    $('banner').hidden = true;
    refresh();
    startLive();
  });
  window.addEventListener('pagehide', saveLive);
  setInterval(() => {
    for (const node of document.querySelectorAll('time[data-relative]')) node.textContent = relativeTime(node.dateTime);
  }, 60000);
}

readUrl();
bind();
syncControls();
renderChips();
refresh();
startLive();
