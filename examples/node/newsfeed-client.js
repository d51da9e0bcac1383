#!/usr/bin/env node
// Example Node.js client of newsfeed's query-service.
//
//   node newsfeed-client.js health
//   node newsfeed-client.js search --company Microsoft --country FR --topic ai --text "data centre"
//   node newsfeed-client.js subscribe --country FR --position-file fr.pos --max 10
//
// Needs Node.js >= 18 and `npm ci` here (@grpc/grpc-js, @grpc/proto-loader).
// The .proto files are read at start-up from the repository's proto/ folder
// (or NEWSFEED_PROTO_DIR); nothing is generated.
//
// Server address: --addr or NEWSFEED_QUERY_ADDR (default 127.0.0.1:50051).
// Bearer token: --token or NEWSFEED_TOKEN. TLS: --tls-ca CA.pem.
// Exit codes: 0 ok, 1 an RPC failed, 2 usage error.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = process.env.NEWSFEED_PROTO_DIR || path.join(__dirname, '..', '..', 'proto');

const USAGE = `usage: newsfeed-client.js COMMAND [options]

commands:
  health      grpc.health.v1 check; prints SERVING (exit 0) or the status (exit 1)
  search      search articles, newest first, and print them as a table
  subscribe   follow matching articles live

options:
  --addr HOST:PORT       query-service (env NEWSFEED_QUERY_ADDR, default 127.0.0.1:50051)
  --token TOKEN          send "authorization: Bearer TOKEN" (env NEWSFEED_TOKEN)
  --tls-ca PEM           connect with TLS trusting this root CA
  --timeout SECONDS      deadline of unary calls (default 10)
filter (search, subscribe; repeat or comma-separate for any of):
  --company NAME  --country CODE  --topic ID  --text QUERY
search:     --limit N (1..100, default 20)
subscribe:  --after SEQ            replay stored changes after SEQ first (0: everything); default: from now
            --position-file FILE   resume from the sequence in FILE (overrides --after); rewritten after each event
            --max N                stop after N articles
            --verbose              also print heartbeats (to stderr)
health:     --service NAME         service to check ("" is the whole server)`;

class UsageError extends Error {}

function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      addr: { type: 'string', default: process.env.NEWSFEED_QUERY_ADDR || '127.0.0.1:50051' },
      token: { type: 'string', default: process.env.NEWSFEED_TOKEN || '' },
      'tls-ca': { type: 'string' },
      timeout: { type: 'string', default: '10' },
      company: { type: 'string', multiple: true, default: [] },
      country: { type: 'string', multiple: true, default: [] },
      topic: { type: 'string', multiple: true, default: [] },
      text: { type: 'string', default: '' },
      limit: { type: 'string', default: '20' },
      after: { type: 'string' },
      'position-file': { type: 'string' },
      max: { type: 'string', default: '0' },
      verbose: { type: 'boolean', default: false },
      service: { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1 || !['health', 'search', 'subscribe'].includes(positionals[0])) {
    throw new UsageError('expected one command: health, search or subscribe');
  }
  for (const name of ['timeout', 'limit', 'max'].concat(values.after !== undefined ? ['after'] : [])) {
    if (!/^\d+(\.\d+)?$/.test(values[name])) throw new UsageError(`--${name} must be a number`);
  }
  return { command: positionals[0], ...values };
}

// ------------------------------------------------------------------ connection

function loadServices() {
  const definition = protoLoader.loadSync(['newsfeed/v1/query.proto', 'grpc/health/v1/health.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: true, // field names as in the .proto: published_time, after_sequence
    longs: String, // uint64 sequence numbers exceed Number's exact range in principle
    enums: String,
    defaults: true,
    oneofs: true, // SubscribeResponse.event names the field that is set
  });
  return grpc.loadPackageDefinition(definition);
}

function connect(opts) {
  const proto = loadServices();
  const credentials = opts['tls-ca']
    ? grpc.credentials.createSsl(fs.readFileSync(opts['tls-ca']))
    : grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  if (opts.token) metadata.set('authorization', `Bearer ${opts.token}`);
  const query = new proto.newsfeed.v1.QueryService(opts.addr, credentials);
  // The health stub shares the query stub's channel.
  const health = new proto.grpc.health.v1.Health(opts.addr, credentials, { channelOverride: query.getChannel() });
  const deadline = () => new Date(Date.now() + Number(opts.timeout) * 1000);
  // A unary call as a promise: await call(query, 'Search', request).
  const call = (stub, method, request) =>
    new Promise((resolve, reject) =>
      stub[method](request, metadata, { deadline: deadline() }, (err, reply) => (err ? reject(err) : resolve(reply))),
    );
  return { query, health, metadata, call };
}

function explain(err, addr) {
  const name = Object.keys(grpc.status).find((key) => grpc.status[key] === err.code) || `code ${err.code}`;
  let text = `${name}: ${err.details}`;
  if (err.code === grpc.status.UNAVAILABLE) text += ` (is query-service running at ${addr}?)`;
  if (err.code === grpc.status.UNAUTHENTICATED) text += ' (pass --token or set NEWSFEED_TOKEN)';
  if (err.code === grpc.status.OUT_OF_RANGE) text += ' (the saved position was removed by retention)';
  return text;
}

// ------------------------------------------------------------------ formatting

// --country FR,DE --country US -> ['FR', 'DE', 'US']
const splitValues = (list) => list.flatMap((item) => item.split(',')).map((v) => v.trim()).filter(Boolean);

function buildFilter(opts) {
  return {
    companies: { any_of: splitValues(opts.company) },
    countries: { any_of: splitValues(opts.country) },
    topics: { any_of: splitValues(opts.topic) },
    text: opts.text,
  };
}

function published(article) {
  const ts = article.published_time || article.fetched_time;
  return ts ? new Date(Number(ts.seconds) * 1000).toISOString().slice(0, 16).replace('T', ' ') : '';
}

function tags(article) {
  return {
    companies: article.companies.map((c) => c.name).join(','),
    countries: article.countries.map((c) => c.code).join(','),
    topics: article.topics.map((t) => t.id).join(','),
    amounts: article.amounts.map((a) => a.text).join(','),
  };
}

const shorten = (text, width) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

function printTable(articles) {
  const rows = [['SEQ', 'PUBLISHED', 'TITLE', 'COMPANIES', 'COUNTRIES', 'TOPICS']];
  for (const a of articles) {
    const t = tags(a);
    rows.push([a.sequence, published(a), shorten(a.title, 70), t.companies, t.countries, t.topics]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}

// ------------------------------------------------------------------ commands

async function health(client, opts) {
  const reply = await client.call(client.health, 'Check', { service: opts.service });
  console.log(reply.status);
  return reply.status === 'SERVING' ? 0 : 1;
}

async function search(client, opts) {
  const request = { filter: buildFilter(opts), page_size: Number(opts.limit) };
  const reply = await client.call(client.query, 'Search', request);
  printTable(reply.articles);
  const more = reply.next_page_token ? ' (more: use a narrower filter or a larger --limit)' : '';
  console.log(`${reply.articles.length} article(s)${more}`);
  return 0;
}

function readPosition(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

// Atomically: a crash leaves the old position or the new one, never half a file.
function savePosition(file, sequence) {
  fs.writeFileSync(`${file}.tmp`, `${sequence}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

async function subscribe(client, opts) {
  // Articles ready together arrive together (up to 100 per message) in
  // `articles`; without max_articles_per_response, one per `article`.
  const request = { filter: buildFilter(opts), max_articles_per_response: 100 };
  const start = (opts['position-file'] && readPosition(opts['position-file'])) ?? opts.after;
  if (start !== undefined) request.after_sequence = start; // replay stored changes after it, then follow
  console.error(start !== undefined ? `subscribing after sequence ${start}` : 'subscribing from now');

  const stream = client.query.Subscribe(request, client.metadata); // no deadline: lives on
  const max = Number(opts.max);
  let received = 0;
  const stop = () => stream.cancel();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for await (const { event, article, articles, heartbeat } of stream) {
      if (event === 'heartbeat') {
        if (opts.verbose) console.error(`heartbeat: position ${heartbeat.latest_sequence}`);
        if (opts['position-file']) savePosition(opts['position-file'], heartbeat.latest_sequence);
        continue;
      }
      for (const a of event === 'article' ? [article] : articles.articles) {
        const line = Object.entries(tags(a)).filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`);
        console.log(`seq=${a.sequence}  ${published(a)}  ${a.title}`);
        console.log(`      ${line.join('  ') || '(no tags)'}`);
        received += 1;
        // Saved after printing: at-least-once on resume.
        if (opts['position-file']) savePosition(opts['position-file'], a.sequence);
        if (max && received >= max) break;
      }
      if (max && received >= max) break; // leaving the loop cancels the call
    }
  } catch (err) {
    if (err.code !== grpc.status.CANCELLED) throw err; // CANCELLED: Ctrl-C or SIGTERM
  } finally {
    stream.cancel();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  console.error(`received ${received} article(s)`);
  return 0;
}

// ------------------------------------------------------------------ main

async function main() {
  let opts;
  try {
    opts = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    console.error(`newsfeed-client: ${err.message} (see --help)`);
    return 2;
  }
  const client = connect(opts);
  const command = { health, search, subscribe }[opts.command];
  try {
    return await command(client, opts);
  } catch (err) {
    if (err.code === undefined || err.details === undefined) throw err; // not an RPC error: a bug
    console.error(`newsfeed-client: ${opts.command} failed: ${explain(err, opts.addr)}`);
    return 1;
  } finally {
    client.query.close();
  }
}

main().then((code) => {
  process.exitCode = code;
});
