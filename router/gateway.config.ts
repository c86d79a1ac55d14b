/**
 * Hive Gateway configuration: the Bunri gateway for local development, tests and CI
 * (the container deployment uses Apollo Router with router.yaml instead).
 *
 * Run it from this directory (the CLI looks for ./gateway.config.ts in the working dir):
 *
 *   cd router && npx hive-gateway supergraph --host 127.0.0.1 --port 4000
 *   # optional Rust query planner (no @override support; look for "Using Hive Router Runtime"):
 *   cd router && npx hive-gateway supergraph --host 127.0.0.1 --port 4000 --hive-router-runtime
 *
 * From the repo root: `router/node_modules/.bin/hive-gateway supergraph -c router/gateway.config.ts`.
 * Do not pass a supergraph path on the command line: it would win over BUNRI_SUPERGRAPH
 * (and the stat poll below would watch the wrong file).
 *
 * Environment:
 *   BUNRI_SUPERGRAPH           supergraph SDL file (default: supergraph.graphql next to this
 *                              file; a relative value is resolved against the working dir).
 *                              Reloaded when the file changes.
 *   BUNRI_SUBGRAPH_URL_<NAME>  routing URL override for subgraph <name> (name lower-cased,
 *                              e.g. BUNRI_SUBGRAPH_URL_WASTE=http://127.0.0.1:4003/graphql).
 *                              Used for HTTP and, with http->ws, for subscriptions.
 *   BUNRI_GATEWAY_SECRET       sent to every subgraph as X-Bunri-Gateway-Secret (HTTP and the
 *                              WebSocket upgrade) and as connectionParams.gatewaySecret.
 *   BUNRI_CORS_ORIGINS         comma-separated allowed browser origins ("*" = any); default:
 *                              common localhost dev-server origins. WebSocket upgrades from
 *                              another Origin are closed (4403).
 *   BUNRI_GRAPHIQL             "false" in production images: no GraphiQL.
 *   BUNRI_INTROSPECTION        "false" (default: same as BUNRI_GRAPHIQL): no introspection and
 *                              no "did you mean" field suggestions.
 *   BUNRI_MAX_COST             operation cost budget (default 20000; see cost.ts); with
 *                              GraphiQL on, every answer carries extensions.cost
 *   BUNRI_MAX_DEPTH / BUNRI_MAX_TOKENS / BUNRI_MAX_ALIASES   document limits (12 / 3000 / 20)
 *   BUNRI_MAX_REQUEST_BYTES    request body ceiling (default 2000000, as router.yaml)
 *   BUNRI_UPSTREAM_TIMEOUT_MS  a subgraph fetch is abandoned (and cancelled) after this
 *                              (default 15000; subscriptions are exempt)
 *   BUNRI_MAX_SUBSCRIPTIONS_PER_CONNECTION / _PER_ADDRESS   open subscriptions (10 / 100)
 *   BUNRI_RESPONSE_CACHE       "false": no response cache for public reference data (cache.ts)
 *   BUNRI_RESPONSE_CACHE_TTL_SECONDS   the longest a cached answer lives (default 300)
 *
 * Endpoints: /graphql (HTTP, SSE with `Accept: text/event-stream`, graphql-ws WebSocket
 * [graphql-transport-ws subprotocol]); GraphiQL on GET /graphql; /healthcheck; /readiness.
 * Clients cannot use Apollo's HTTP multipart subscriptions here (Apollo Router only).
 *
 * Hive Gateway 2.15.1 behaviours this file relies on (read from its source, verified with
 * two Strawberry subgraphs):
 *  - `supergraph` given as a local path is watched with fs.watch and reloaded on change; a
 *    RENAME of the file (atomic write, some editors, git checkout) ends that watcher with
 *    "Supergraph file was renamed" and later changes are ignored until a restart. Hence
 *    compose.mjs writes in place, and useSupergraphStatPolling below keeps reloads working
 *    with a 1 s stat poll that triggers the CLI's 'invalidateUnifiedGraph' process-message
 *    handler. A reload ends open subscriptions (clients reconnect); an unchanged SDL is not
 *    rebuilt.
 *  - transportEntries are merged per subgraph as: supergraph @join__graph entry, then
 *    entries[name], then entries['*.http'], then entries['*'] (later keys win), so
 *    entries[name].location overrides the routing URL for HTTP and also for subscriptions:
 *    with no `subscriptions.location`, the WS transport uses that URL with http->ws.
 *  - Header values and connectionParams are templates ('{context.x}', '{env.X}'); a value
 *    that interpolates to "" is dropped, so no empty Authorization header is ever sent.
 *  - The WS subscription transport does NOT inherit the HTTP entry's `headers` (nor
 *    propagateHeaders): it gets `subscriptions.headers` (upgrade request, a list of pairs)
 *    and `subscriptions.options.connectionParams` (connection_init payload). It keeps one
 *    upstream socket per distinct (url, connectionParams, headers), i.e. per token.
 *  - The upstream graphql-ws client retries non-fatal close codes, 4403 included (5 tries
 *    with back-off, 30-90 s before the client hears anything); 4401 is final. Subgraphs must
 *    reject connection_init with 4401; retry options cannot be set from transportEntries.
 *  - A subgraph socket closing reaches the gateway as a thrown CloseEvent, which becomes an
 *    error without a message; the plugin below turns it into a GraphQLError with a code.
 *    The built-in subgraph-error plugin keeps an existing extensions.code.
 *  - The built-in requestId plugin reuses the client's x-request-id (or makes a UUID),
 *    returns it as a response header and adds it to subgraph HTTP fetches of HTTP requests;
 *    it knows nothing of WebSocket operations, hence the '{context.requestId}' header below.
 *  - For WebSocket clients the context has `connectionParams`, and `headers` = upgrade
 *    headers merged with connectionParams. propagateHeaders does not reach the entity
 *    fetches made while resolving subscription events: the token is put in the context once
 *    (onContextBuilding) and templated into every transport instead.
 */
import { randomUUID } from 'node:crypto';
import { watchFile } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { defineConfig, type GatewayPlugin } from '@graphql-hive/gateway';
import { GraphQLError } from 'graphql';

import { useReferenceResponseCache } from './cache.ts';
import { useOperationCost } from './cost.ts';
import {
  armorRefusal,
  envInt,
  useRequestBodyLimit,
  useSubscriptionGuards,
  useUpstreamErrorScrubbing,
  useValidationErrorCodes,
} from './limits.ts';
import { openTelemetryConfig, prometheusConfig, useCostRefusalMetric } from './telemetry.ts';

const ROUTER_DIR = path.dirname(fileURLToPath(import.meta.url));

const supergraphPath = process.env.BUNRI_SUPERGRAPH
  ? path.resolve(process.env.BUNRI_SUPERGRAPH)
  : path.join(ROUTER_DIR, 'supergraph.graphql');

const DEV_ORIGINS = [
  'http://localhost:3000',
  'http://localhost:5173',
  'http://localhost:8081',
  'http://localhost:19006',
  'http://127.0.0.1:3000',
  'http://127.0.0.1:5173',
];

function corsOrigins(): string | string[] {
  const raw = process.env.BUNRI_CORS_ORIGINS?.trim();
  if (!raw) return DEV_ORIGINS;
  if (raw === '*') return '*';
  return raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}

/** BUNRI_SUBGRAPH_URL_<NAME>=url -> transportEntries[name].location */
function subgraphUrlOverrides(): Record<string, { location: string }> {
  const entries: Record<string, { location: string }> = {};
  const prefix = 'BUNRI_SUBGRAPH_URL_';
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith(prefix) || !value) continue;
    const name = key.slice(prefix.length).toLowerCase();
    entries[name] = { location: value };
    // env names cannot hold "-": let BUNRI_SUBGRAPH_URL_DROP_OFF match a subgraph "drop-off"
    if (name.includes('_')) entries[name.replaceAll('_', '-')] = { location: value };
  }
  return entries;
}

const SECRET = '{env.BUNRI_GATEWAY_SECRET}';

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

/** "Bearer x" stays as is; a bare token (connectionParams.token = "x") becomes "Bearer x". */
function toAuthorizationValue(raw: string | undefined): string | undefined {
  if (!raw || /[\r\n]/.test(raw)) return undefined;
  return /\s/.test(raw) ? raw : `Bearer ${raw}`;
}

// Request ids the built-in requestId plugin generated, so the context reuses the same one.
const generatedRequestIds = new WeakMap<object, string>();

/**
 * Computes context.authToken (full Authorization value or undefined) and context.requestId
 * once per operation, for HTTP, SSE and WebSocket clients alike.
 */
const useBunriContext = (): GatewayPlugin => ({
  onContextBuilding({ context, extendContext }) {
    const params = (context.connectionParams ?? {}) as Record<string, unknown>;
    const request = context.request as Request | undefined;
    const authToken = toAuthorizationValue(
      firstString(
        params.authorization,
        params.Authorization,
        params.token,
        request?.headers?.get('authorization'),
        context.headers?.authorization,
      ),
    );
    const requestId =
      firstString(
        request?.headers?.get('x-request-id'),
        request ? generatedRequestIds.get(request) : undefined,
        params['x-request-id'],
        params.requestId,
      ) ?? randomUUID();
    // The client's address for rate limiting in the subgraphs, sent as X-Forwarded-For: our
    // TCP peer, or, with BUNRI_TRUSTED_PROXY_HOPS=N (default 0) proxies in front of us that
    // each append their peer to X-Forwarded-For, the address N hops back along that chain.
    // Never what the client wrote itself: with 0 hops its X-Forwarded-For is ignored.
    const peer = (context as { req?: { socket?: { remoteAddress?: string } } }).req?.socket
      ?.remoteAddress;
    const trustedHops = Math.max(
      Number.parseInt(process.env.BUNRI_TRUSTED_PROXY_HOPS ?? '0', 10) || 0,
      0,
    );
    const chain = [
      ...(trustedHops > 0 ? (request?.headers?.get('x-forwarded-for') ?? '').split(',') : []),
      peer ?? '',
    ]
      .map((hop) => hop.trim().replace(/^::ffff:(?=\d+\.)/, ''))
      .filter((hop) => hop && !/[\r\n]/.test(hop));
    const forwardedFor = chain[Math.max(chain.length - 1 - trustedHops, 0)];
    extendContext({ authToken, requestId, forwardedFor } as Record<string, unknown>);
  },
});

const CLOSE_CODES: Record<number, { code: string; message: string }> = {
  4401: { code: 'UNAUTHENTICATED', message: 'Not authenticated: sign in again and resubscribe.' },
  4403: {
    code: 'FORBIDDEN',
    message: 'Forbidden: this subscription is not allowed for this user.',
  },
};

function closeEventOf(err: unknown): { code: number; reason?: string } | undefined {
  // graphql-ws rejects with the socket's CloseEvent (ws: {code, reason, wasClean, type:'close'})
  const e = err as { code?: unknown; reason?: unknown; type?: unknown; wasClean?: unknown } | null;
  if (
    e &&
    typeof e === 'object' &&
    typeof e.code === 'number' &&
    ('reason' in e || 'wasClean' in e)
  ) {
    return { code: e.code, reason: typeof e.reason === 'string' ? e.reason : undefined };
  }
  return undefined;
}

function errorForClose(err: unknown, subgraphName: string): GraphQLError | undefined {
  const close = closeEventOf(err);
  if (!close) return undefined;
  const known = CLOSE_CODES[close.code];
  // The message is for the app's user: which service closed which socket stays internal
  // (the close code is in extensions for the app's logic).
  return new GraphQLError(
    known ? known.message : 'The subscription ended unexpectedly: subscribe again.',
    {
      extensions: {
        code: known?.code ?? 'SUBSCRIPTION_CLOSED',
        serviceName: subgraphName,
        closeCode: close.code,
      },
    },
  );
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v != null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Wraps an upstream event stream so a close event ends it with one error result. */
function catchClose<T>(
  iterable: AsyncIterable<T>,
  toError: (e: unknown) => GraphQLError | undefined,
) {
  const it = iterable[Symbol.asyncIterator]();
  let finished = false;
  const wrapped: AsyncIterableIterator<T | { errors: GraphQLError[] }> = {
    [Symbol.asyncIterator]() {
      return wrapped;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      try {
        return await it.next();
      } catch (err) {
        const error = toError(err);
        if (!error) throw err;
        finished = true;
        return { done: false, value: { errors: [error] } };
      }
    },
    async return(value?: unknown) {
      finished = true;
      return it.return ? it.return(value as never) : { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      finished = true;
      if (it.throw) return it.throw(err);
      throw err;
    },
  };
  return wrapped;
}

/** Turns subgraph socket closes (4401/4403/others) into GraphQL errors with a code. */
const useSubgraphSocketCloseErrors = (): GatewayPlugin => ({
  onSubgraphExecute({ subgraphName, executor, setExecutor }) {
    const toError = (err: unknown) => errorForClose(err, subgraphName);
    setExecutor(((request: Parameters<typeof executor>[0]) => {
      let result: unknown;
      try {
        result = executor(request);
      } catch (err) {
        const error = toError(err);
        if (error) return { errors: [error] };
        throw err;
      }
      const settle = (value: unknown) =>
        isAsyncIterable(value) ? catchClose(value, toError) : value;
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        return (result as Promise<unknown>).then(settle, (err) => {
          const error = toError(err);
          if (error) return { errors: [error] };
          throw err;
        });
      }
      return settle(result);
    }) as typeof executor);
  },
});

/**
 * Backs up the CLI's fs.watch of the supergraph, which dies when the file is replaced by a
 * rename: polls the file's stat and asks the gateway to reload through the CLI's own
 * "invalidateUnifiedGraph" process-message handler (the one `--fork` workers use; the
 * runtime object itself is not reachable from a plugin). The gateway re-reads the file and
 * skips the rebuild when the SDL is unchanged, so a double trigger costs nothing.
 */
const useSupergraphStatPolling = (file: string, intervalMs = 1000): GatewayPlugin => ({
  onYogaInit() {
    watchFile(file, { interval: intervalMs, persistent: false }, (curr, prev) => {
      if (curr.mtimeMs === 0) return; // removed for a moment (git checkout): wait for it
      if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size) {
        process.emit('message', 'invalidateUnifiedGraph', undefined);
      }
    });
  },
});

const GRAPHIQL = process.env.BUNRI_GRAPHIQL !== 'false';
const INTROSPECTION = (process.env.BUNRI_INTROSPECTION ?? String(GRAPHIQL)) !== 'false';
const MAX_COST = envInt('BUNRI_MAX_COST', 20_000);
const UPSTREAM_TIMEOUT_MS = envInt('BUNRI_UPSTREAM_TIMEOUT_MS', 15_000);

export const gatewayConfig = defineConfig({
  supergraph: supergraphPath,

  transportEntries: {
    ...subgraphUrlOverrides(),
    '*.http': {
      headers: [
        ['Authorization', '{context.authToken}'],
        ['X-Bunri-Gateway-Secret', SECRET],
        ['x-request-id', '{context.requestId}'], // same key as the built-in requestId plugin
        ['X-Forwarded-For', '{context.forwardedFor}'],
      ],
      options: {
        // deduplicateInflightRequests left at its default (on).
        subscriptions: {
          kind: 'ws',
          // no `location`: the (possibly overridden) routing URL, http->ws, path /graphql
          headers: [['X-Bunri-Gateway-Secret', SECRET]],
          options: {
            connectionParams: {
              authorization: '{context.authToken}',
              gatewaySecret: SECRET,
            },
          },
        },
      },
    },
  },

  requestId: {
    headerName: 'x-request-id',
    generateRequestId({ request }) {
      const id = randomUUID();
      if (request) generatedRequestIds.set(request, id);
      return id;
    },
  },

  cors: {
    origin: corsOrigins(),
    credentials: false, // bearer tokens in Authorization, no cookies (same as router.yaml)
    methods: ['GET', 'POST', 'OPTIONS'],
    exposedHeaders: ['x-request-id'],
  },

  // Off in production images (BUNRI_GRAPHIQL=false): introspection-backed exploration
  // belongs to development. The CLI renders Hive Laboratory, which takes GraphiQL's title
  // and `defaultCollections` (not defaultTabs/headers): it opens with a collection of the
  // README's example operations ("Using the API"; tests/test_graphiql.py keeps the two
  // identical), those that need a token with an Authorization header template.
  graphiql: GRAPHIQL && {
    defaultCollections: [
      {
        id: 'bunri-readme',
        name: 'Bunri: README examples',
        description: 'Sign up, upload, analyse, follow, history (README "Using the API").',
        createdAt: '2026-11-30T00:00:00.000Z',
        operations: [
          {
            name: 'Drop-off points (public)',
            query: `# Public: no token needed.
{ wasteCategories { code name(language: EN)
    dropOffPointsNear(latitude: 37.5665, longitude: 126.9780, radiusMeters: 50000, first: 2) {
      distanceMeters point { name address isOpenNow acceptedCategories { code } } } } }`,
          },
          {
            name: '1. Sign up',
            query: `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    accessToken refreshToken expiresIn
    user { id nickname email points settings { language } } } }`,
            variables: {
              input: {
                email: 'you@example.com',
                password: 'a long passphrase 42',
                nickname: '분리수거왕',
              },
            },
          },
          {
            name: '2. Reserve an upload',
            query: `mutation CreateUpload($input: CreateImageUploadInput!) {
  createImageUpload(input: $input) { uploadId uploadUrl expiresAt } }`,
            variables: { input: { contentType: 'image/jpeg', byteSize: 123456 } },
            token: true,
          },
          {
            name: '3. Analyse',
            query: `mutation Analyze($input: AnalyzeWasteInput!) {
  analyzeWaste(input: $input) { id status stage progress } }`,
            variables: {
              input: { uploadId: '<uploadId>', hint: '생수병', idempotencyKey: 'photo-1' },
            },
            token: true,
          },
          {
            name: '4. Follow it live',
            query: `subscription Progress($analysisId: ID!) {
  analysisProgress(analysisId: $analysisId) {
    stage progress message(language: EN) pointsAwarded
    analysis { status result { itemName category { code name(language: EN)
      guide { steps(language: EN) notAccepted { name(language: EN) goesTo { code } } } } } } } }`,
            variables: { analysisId: '<id from analyzeWaste>' },
            token: true,
          },
          {
            name: '5. History and points',
            query: `query MyHistory {
  me { nickname email points
    analyses(first: 10) { edges { node { id status createdAt pointsAwarded
      result { itemName category { code name } } } } } } }`,
            token: true,
          },
        ].map(({ name, query, variables, token }, index) => ({
          id: `bunri-readme-${index}`,
          name,
          description: token ? 'Needs the Authorization header (accessToken from step 1).' : '',
          createdAt: '2026-11-30T00:00:00.000Z',
          query,
          variables: JSON.stringify(variables ?? {}, null, 2),
          headers: JSON.stringify(
            token ? { Authorization: 'Bearer <accessToken from signUp or logIn>' } : {},
            null,
            2,
          ),
          extensions: '{}',
        })),
      },
    ],
  } as Record<string, unknown>,

  disableIntrospection: INTROSPECTION ? undefined : { disableIf: () => true },
  blockFieldSuggestions: !INTROSPECTION,

  // Document limits, checked before planning (GraphQL Armor; depth and aliases below).
  maxTokens: envInt('BUNRI_MAX_TOKENS', 3000),

  // A client that goes away cancels its subgraph requests; a slow subgraph is abandoned.
  executionCancellation: true,
  upstreamCancellation: true,
  upstreamTimeout: ({ executionRequest }) =>
    executionRequest?.operationType === 'subscription' ? undefined : UPSTREAM_TIMEOUT_MS,

  openTelemetry: openTelemetryConfig, // traces: see telemetry.ts
  prometheus: prometheusConfig, // /metrics: see telemetry.ts

  plugins: (context) => [
    useCostRefusalMetric(), // see telemetry.ts
    useRequestBodyLimit(envInt('BUNRI_MAX_REQUEST_BYTES', 2_000_000)),
    maxDepthPlugin({ n: envInt('BUNRI_MAX_DEPTH', 12), ...armorRefusal() }),
    maxAliasesPlugin({ n: envInt('BUNRI_MAX_ALIASES', 20), ...armorRefusal() }),
    useValidationErrorCodes(),
    // Development answers say what each operation cost, so clients can see their budget.
    useOperationCost({ maxCost: MAX_COST, reportEstimate: GRAPHIQL }),
    // Public reference data answered from memory until a seeder or importer changes it
    // (cache.ts); after the cost plugin, so a cached answer keeps its `extensions.cost`.
    ...(process.env.BUNRI_RESPONSE_CACHE === 'false'
      ? []
      : useReferenceResponseCache(context, {
          supergraphPath,
          urlOverrides: subgraphUrlOverrides(),
          secret: process.env.BUNRI_GATEWAY_SECRET,
          ttlSeconds: envInt('BUNRI_RESPONSE_CACHE_TTL_SECONDS', 300),
        })),
    useSubscriptionGuards({
      allowedOrigins: corsOrigins(),
      perConnection: envInt('BUNRI_MAX_SUBSCRIPTIONS_PER_CONNECTION', 10),
      perAddress: envInt('BUNRI_MAX_SUBSCRIPTIONS_PER_ADDRESS', 100),
    }),
    useUpstreamErrorScrubbing(),
    useBunriContext(),
    useSubgraphSocketCloseErrors(),
    useSupergraphStatPolling(supergraphPath),
  ],
});
