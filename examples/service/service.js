// A recommendation service on plain node:http: loads a saved reckit model and answers
//   GET /health                          -> { status, model, users, items }
//   GET /recommend?user=ID&k=10          -> { user, k, items: [{ item, score, name? }] }   (seen items left out)
//   GET /similar?item=ID&k=10            -> { item, k, items: [...] }
// Bad input is a 400 with { error, code }, an unknown user or item a 404, anything else on the path a
// 404/405. Scoring goes through the models' async paths (recommendAsync), so a long job in the same
// process (a GAN fit, a batch search) does not hold up requests.
'use strict';
const http = require('node:http');
const { readFile } = require('node:fs/promises');
// Inside this repository `reckit` resolves to the package itself (Node's self-reference through
// package.json "exports"); in an application it is the installed dependency.
const reckit = require('reckit');

class HttpError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A saved recommender (any kind `reckit.loadModel` knows), read off the event loop. */
async function loadModelFile(path) {
  const bytes = await readFile(path);
  return reckit.loadModel(bytes);
}

function positiveInt(params, name, fallback, max) {
  const raw = params.get(name);
  if (raw === null) return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new HttpError(400, `${name} must be a positive integer (got '${raw}')`, 'ERR_BAD_REQUEST');
  const n = Number(raw);
  if (n < 1 || n > max) throw new HttpError(400, `${name} must be between 1 and ${max} (got ${n})`, 'ERR_BAD_REQUEST');
  return n;
}

function requiredId(params, name) {
  const raw = params.get(name);
  if (raw === null || raw.trim() === '') throw new HttpError(400, `query parameter '${name}' is required`, 'ERR_BAD_REQUEST');
  return raw;
}

/**
 * An http.Server (not yet listening) serving `model`. `names` optionally maps item ids to display names.
 * `maxK` caps k (default 100, and never more than the catalogue).
 */
function createService(model, options = {}) {
  const names = options.names ?? new Map();
  const maxK = Math.min(options.maxK ?? 100, model.numItems - 1);
  const shape = (list) => list.map((r) => ({ item: r.item, score: r.score, ...(names.has(String(r.item)) ? { name: names.get(String(r.item)) } : {}) }));

  async function route(req, url) {
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed (GET only)`, 'ERR_METHOD');
    const params = url.searchParams;
    switch (url.pathname) {
      case '/health':
        return { status: 'ok', model: model.name, users: model.numUsers, items: model.numItems };
      case '/recommend': {
        const user = requiredId(params, 'user');
        const k = positiveInt(params, 'k', Math.min(10, maxK), maxK);
        const coldStart = params.get('coldStart') === 'popular' ? 'popular' : 'error';
        return { user, k, items: shape(await model.recommendAsync(user, { k, coldStart })) };
      }
      case '/similar': {
        const item = requiredId(params, 'item');
        const k = positiveInt(params, 'k', Math.min(10, maxK), maxK);
        return { item, k, items: shape(model.similarItems(item, { k })) };
      }
      default:
        throw new HttpError(404, `no route ${url.pathname} (try /recommend, /similar, /health)`, 'ERR_NOT_FOUND');
    }
  }

  return http.createServer((req, res) => {
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    route(req, url).then(
      (body) => send(200, body),
      (error) => {
        if (error instanceof HttpError) return send(error.status, { error: error.message, code: error.code });
        // The library's own codes: an unknown user or item is a 404, other bad input a 400.
        if (error?.code === 'ERR_RECKIT_OUT_OF_RANGE' && /unknown (user|item)/.test(error.message)) {
          return send(404, { error: error.message, code: error.code });
        }
        if (error?.code === 'ERR_RECKIT_INVALID_ARG' || error?.code === 'ERR_RECKIT_OUT_OF_RANGE') {
          return send(400, { error: error.message, code: error.code });
        }
        send(500, { error: 'internal error', code: 'ERR_INTERNAL' });
        console.error(error);
      },
    );
  });
}

module.exports = { createService, loadModelFile, HttpError };
