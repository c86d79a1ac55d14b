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
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { GatewayConfigContext, GatewayPlugin } from '@graphql-hive/gateway';
import useMeshResponseCache from '@graphql-mesh/plugin-response-cache';
import { buildASTSchema, isObjectType, parse } from 'graphql';

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

/** The response cache plugin, configured for reference data only. */
export function useReferenceResponseCache(
  context: GatewayConfigContext,
  options: {
    supergraphPath: string;
    urlOverrides: Record<string, { location: string }>;
    secret: string | undefined;
    ttlSeconds: number;
  },
): GatewayPlugin {
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
  return useMeshResponseCache({
    ...context,
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
}
