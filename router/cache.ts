/**
 * The response cache for public reference data (Hive Gateway's `responseCaching`).
 *
 * What is cached: answers made only of reference types — the taxonomy (recycling) and the
 * drop-off points (locations). That data changes only when a seeder or importer runs, and
 * is the same for every caller, so one cached answer serves everyone, token or not. Any
 * other type in an answer (a user, an analysis, …) makes it uncacheable: every object type
 * of the supergraph that is not listed below gets a TTL of 0, and the smallest TTL of an
 * answer's types wins. Errors are never cached (the plugin's default).
 *
 * When it is dropped: every subgraph that owns reference data serves GET /data-version,
 * a counter its seeder/importer bumps in the transaction that changes the data
 * (bunri_shared/data_version.py). The gateway polls those counters every second and puts
 * them in every cache key, so a change makes every older entry unreachable within about a
 * second (and they age out). Until every counter has been read once, nothing is cached.
 * The TTL bounds what a poll that keeps failing could leave stale.
 *
 * In front of it, `useReferenceAnswerReplay` keeps the bytes of those cached answers, keyed
 * by the exact request body: a repeat is answered before Yoga parses the body, looks up the
 * operation or serialises a result (the response cache itself answers only after those).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { GatewayConfigContext, GatewayPlugin } from '@graphql-hive/gateway';
import useMeshResponseCache from '@graphql-mesh/plugin-response-cache';
import { buildASTSchema, isObjectType, parse } from 'graphql';
import { Counter, register } from 'prom-client';

type KeyValueCache = NonNullable<GatewayConfigContext['cache']>;

/** Types whose every field is reference data (and so is every type they lead to). */
export const REFERENCE_TYPES = new Set([
  'WasteCategory',
  'DisposalGuide',
  'DisposalItem',
  'NotAcceptedItem',
  'DropOffPoint',
  'NearbyDropOffPoint',
]);

/** The subgraphs owning reference data, each with a /data-version endpoint. */
export const DATA_VERSION_SUBGRAPHS = ['recycling', 'locations'];

/** Fields that change with the clock, not with the data: a shorter TTL. */
const CLOCK_FIELDS: Record<string, number> = { 'DropOffPoint.isOpenNow': 60_000 };

/** TTL 0 for every object type (and root field) of the supergraph that is not reference
 * data, so an answer mixing both is never cached. Built from the supergraph at start-up. */
export function ttlPerSchemaCoordinate(supergraphSdl: string, ttlMs: number): Record<string, number> {
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const ttl: Record<string, number> = { ...CLOCK_FIELDS };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name.startsWith('join__')) {
      continue;
    }
    ttl[type.name] = REFERENCE_TYPES.has(type.name) ? ttlMs : 0;
  }
  const query = schema.getQueryType();
  if (query) {
    for (const [name, field] of Object.entries(query.getFields())) {
      const named = field.type.toString().replace(/[[\]!]/g, '');
      if (!REFERENCE_TYPES.has(named)) ttl[`${query.name}.${name}`] = 0;
    }
    delete ttl[query.name]; // the root is in every answer: its fields decide
  }
  return ttl;
}

/** The routing URL of each subgraph: the supergraph's, or its BUNRI_SUBGRAPH_URL_ override. */
export function subgraphUrls(
  supergraphSdl: string,
  overrides: Record<string, { location: string }>,
): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const match of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
    urls[match[1]] = overrides[match[1]]?.location ?? match[2];
  }
  return urls;
}

/** Polls each reference subgraph's /data-version; `current()` is undefined until all answered. */
export class DataVersions {
  private readonly versions = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly endpoints: Record<string, string>,
    private readonly secret: string | undefined,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  current(): string | undefined {
    const names = Object.keys(this.endpoints);
    if (names.some((name) => !this.versions.has(name))) return undefined;
    return names.map((name) => `${name}:${this.versions.get(name)}`).join(',');
  }

  private async poll(): Promise<void> {
    await Promise.all(
      Object.entries(this.endpoints).map(async ([name, url]) => {
        try {
          const response = await fetch(url, {
            headers: this.secret ? { 'X-Bunri-Gateway-Secret': this.secret } : {},
            signal: AbortSignal.timeout(this.intervalMs * 3),
          });
          if (!response.ok) return;
          const { version } = (await response.json()) as { version: unknown };
          // null: the subgraph has not read it yet (its database was away).
          if (version == null) this.versions.delete(name);
          else this.versions.set(name, String(version));
        } catch {
          // Keep the last version: the data cannot change without the next poll seeing it.
        }
      }),
    );
  }
}

/** The response cache, configured for reference data only, with its replay in front. */
export function useReferenceResponseCache(
  context: GatewayConfigContext,
  options: {
    supergraphPath: string;
    urlOverrides: Record<string, { location: string }>;
    secret: string | undefined;
    ttlSeconds: number;
  },
): GatewayPlugin[] {
  const sdl = readFileSync(options.supergraphPath, 'utf8');
  const urls = subgraphUrls(sdl, options.urlOverrides);
  const endpoints = Object.fromEntries(
    DATA_VERSION_SUBGRAPHS.filter((name) => urls[name]).map((name) => [
      name,
      new URL('/data-version', urls[name]).toString(),
    ]),
  );
  const versions = new DataVersions(endpoints, options.secret);
  versions.start();
  const stored = new StoredAnswers();
  const responseCache = useMeshResponseCache({
    ...context,
    cache: context.cache && stored.recording(context.cache),
    session: () => null, // the same answer for every caller: only public data is cached
    ttl: 0, // an answer with no type that says otherwise is not cached
    ttlPerSchemaCoordinate: ttlPerSchemaCoordinate(sdl, options.ttlSeconds * 1000),
    enabled: () => versions.current() !== undefined,
    buildResponseCacheKey: ({
      documentString,
      variableValues,
      operationName,
    }: {
      documentString: string;
      variableValues?: Record<string, unknown>;
      operationName?: string | null;
    }) =>
      createHash('sha256')
        .update(
          JSON.stringify([versions.current(), documentString, variableValues ?? {}, operationName]),
        )
        .digest('hex'),
  } as never) as GatewayPlugin;
  return [useReferenceAnswerReplay(versions, stored), responseCache];
}


/**
 * When each answer the response cache stored expires, by its key (the ETag it sends).
 * The cache adds an ETag to every answer without errors, stored or not (an answer with a
 * user in it gets TTL 0 and is not stored): only this record says what was stored.
 */
export class StoredAnswers {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly maxKeys = 10_000) {}

  /** The gateway's cache, noting the lifetime of every answer the response cache stores. */
  recording(cache: KeyValueCache): KeyValueCache {
    return {
      get: (key) => cache.get(key),
      delete: (key) => cache.delete(key),
      getKeysByPrefix: (prefix) => cache.getKeysByPrefix(prefix),
      set: (key, value, options) => {
        // The answer itself is `response-cache:<key>`; entity links have more parts.
        const [prefix, responseId, ...rest] = key.split(':');
        const ttlSeconds = options?.ttl;
        if (prefix === 'response-cache' && rest.length === 0 && ttlSeconds) {
          this.note(responseId, Date.now() + ttlSeconds * 1000);
        }
        return cache.set(key, value, options);
      },
    };
  }

  /** When the stored answer with this ETag expires, if one was stored. */
  expiresAt(etag: string): number | undefined {
    return this.expiries.get(etag);
  }

  private note(responseId: string, expiresAt: number): void {
    this.expiries.delete(responseId);
    this.expiries.set(responseId, expiresAt);
    for (const oldest of this.expiries.keys()) {
      if (this.expiries.size <= this.maxKeys) break;
      this.expiries.delete(oldest);
    }
  }
}

/** What a replayed answer needs: the bytes and the headers the response cache set. */
interface ReplayEntry {
  body: string;
  headers: [string, string][];
  expiresAt: number;
  bytes: number;
}

/** Bodies larger than this are never keyed (the subgraphs' response cache uses the same). */
const REPLAY_MAX_BODY_BYTES = 64 * 1024;
/** Bytes of keys and answers held at most; the least recently used entry goes first. */
const REPLAY_MAX_BYTES = 32 * 1024 * 1024;
const REPLAYED_HEADERS = ['content-type', 'etag', 'last-modified'];

// Replayed answers never reach Yoga, so its per-operation metrics do not count them.
const replays = new Counter({
  name: 'bunri_gateway_response_cache_replays_total',
  help: 'Answers to a repeated request for reference data sent from the replay store',
  registers: [register],
});

/** A byte-bounded LRU of replayable answers (a Map keeps insertion order). */
export class ReplayStore {
  private readonly entries = new Map<string, ReplayEntry>();
  private bytes = 0;

  constructor(private readonly maxBytes = REPLAY_MAX_BYTES) {}

  get(key: string, now: number): ReplayEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) {
      this.bytes -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry); // most recently used last
    return entry;
  }

  set(key: string, entry: ReplayEntry): void {
    if (entry.bytes > this.maxBytes / 16) return; // one answer never crowds out the rest
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    for (const [oldest, dropped] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= dropped.bytes;
    }
  }
}

/**
 * Answers a POST whose exact body (and Accept header) was answered from the response cache
 * at the current data versions, without handing it to Yoga. Only answers the response cache
 * stored are kept, for as long as it keeps them. CORS and request-id headers and the HTTP
 * metrics still apply: they come from onResponse hooks and the request instrumentation,
 * which run for early answers too. Must come after the body-size check
 * (useRequestBodyLimit), which refuses large or unsized bodies before anything reads them.
 */
export function useReferenceAnswerReplay(
  versions: DataVersions,
  stored: StoredAnswers,
  graphqlPath = '/graphql',
  store = new ReplayStore(),
): GatewayPlugin {
  const keys = new WeakMap<Request, string>();
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'POST' || url.pathname !== graphqlPath) return;
      const length = Number(request.headers.get('content-length'));
      if (!(length > 0 && length <= REPLAY_MAX_BODY_BYTES)) return;
      // Conditional requests are the response cache's (it answers 304 itself).
      if (request.headers.has('if-none-match')) return;
      if (!request.headers.get('content-type')?.includes('json')) return;
      const version = versions.current();
      if (version === undefined) return;
      // Yoga reads the body again later: the fetch ponyfill keeps what was read.
      return request.text().then((body) => {
        const key = `${version}\n${request.headers.get('accept') ?? ''}\n${body}`;
        const entry = store.get(key, Date.now());
        if (entry) {
          replays.inc();
          endResponse(new fetchAPI.Response(entry.body, { status: 200, headers: entry.headers }));
        } else {
          keys.set(request, key);
        }
      });
    },
    onResponse({ request, response }) {
      const key = keys.get(request);
      const etag = response.headers.get('etag');
      if (key === undefined || response.status !== 200 || etag === null) return;
      const expiresAt = stored.expiresAt(etag);
      if (expiresAt === undefined) return; // not stored: private, or an error
      const headers = REPLAYED_HEADERS.flatMap((name): [string, string][] => {
        const value = response.headers.get(name);
        return value === null ? [] : [[name, value]];
      });
      // A GraphQL answer is a string body: reading it does not consume the response.
      return response.text().then((body) => {
        store.set(key, { body, headers, expiresAt, bytes: 2 * (key.length + body.length) });
      });
    },
  };
}
