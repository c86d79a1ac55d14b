/**
 * Apollo Client 4: HTTP for queries and mutations, graphql-ws for subscriptions, the
 * access token on both, refreshed (refreshSession) shortly before it expires and once
 * more when the server says UNAUTHENTICATED.
 */
import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
} from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { Observable } from 'rxjs';

import type { RefreshSessionMutation } from './gql/graphql';
import { RefreshSession } from './operations';
import { getSession, needsRefresh, setSession } from './session';

/** ?api=… (handy for tests), else VITE_BUNRI_GRAPHQL_URL, else the local gateway. */
export const GRAPHQL_URL =
  new URLSearchParams(location.search).get('api') ??
  (import.meta.env.VITE_BUNRI_GRAPHQL_URL as string | undefined) ??
  'http://127.0.0.1:4000/graphql';

let refreshing: Promise<string | null> | null = null;

/** One refresh at a time; a used-up or revoked refresh token signs the user out. */
export function refreshAccessToken(): Promise<string | null> {
  const session = getSession();
  if (!session) return Promise.resolve(null);
  refreshing ??= (async () => {
    try {
      // A plain fetch: this must not go through the links that call it.
      const response = await fetch(GRAPHQL_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: print(RefreshSession),
          variables: { refreshToken: session.refreshToken },
        }),
      });
      const body = (await response.json()) as { data?: RefreshSessionMutation | null };
      const payload = body.data?.refreshSession ?? null;
      setSession(payload);
      return payload?.accessToken ?? null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function freshToken(): Promise<string | null> {
  const session = getSession();
  if (!session) return null;
  return needsRefresh(session) ? refreshAccessToken() : session.accessToken;
}

const auth = new SetContextLink(async (prevContext) => {
  const token = await freshToken();
  return token ? { headers: { ...prevContext.headers, authorization: `Bearer ${token}` } } : {};
});

// A token that expired early (revoked key, clock skew): refresh once and retry.
const retryUnauthenticated = new ErrorLink(({ error, operation, forward }) => {
  const unauthenticated =
    CombinedGraphQLErrors.is(error) &&
    error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
  if (!unauthenticated || !getSession() || operation.getContext().retried) return;
  return new Observable<ApolloLink.Result>((observer) => {
    refreshAccessToken().then((token) => {
      if (!token) {
        observer.error(error);
        return;
      }
      operation.setContext(({ headers = {} }) => ({
        retried: true,
        headers: { ...headers, authorization: `Bearer ${token}` },
      }));
      forward(operation).subscribe(observer);
    }, observer.error.bind(observer));
  });
});

// Lazy: a socket opens for the first subscription and closes after the last, so each
// analysis followed connects with the token current at that moment.
const wsLink = new GraphQLWsLink(
  createClient({
    url: GRAPHQL_URL.replace(/^http/, 'ws'),
    lazy: true,
    connectionParams: async () => {
      const token = await freshToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  }),
);

const httpLink = new HttpLink({ uri: GRAPHQL_URL });

export const client = new ApolloClient({
  link: ApolloLink.from([
    retryUnauthenticated,
    auth,
    ApolloLink.split(
      ({ query }) => {
        const definition = getMainDefinition(query);
        return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
      },
      wsLink,
      httpLink,
    ),
  ]),
  cache: new InMemoryCache({
    // WasteCategory is identified by its code, not an id: without this the cache keeps
    // one copy per query path.
    typePolicies: { WasteCategory: { keyFields: ['code'] } },
  }),
});
