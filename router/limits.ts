/**
 * What keeps one client from taking the gateway down, besides the cost budget (cost.ts):
 * a request body ceiling, WebSocket origin checks and subscription caps, stable error
 * codes for refused documents, and no request bodies (passwords, tokens) in error logs.
 */
import type { GatewayPlugin } from '@graphql-hive/gateway';
import { GraphQLError } from 'graphql';

/** A positive integer from the environment, else the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function graphqlErrorResponse(status: number, message: string, code: string, Response: typeof globalThis.Response) {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/**
 * Refuses a body larger than `maxBytes` before reading it (413), like Apollo Router's
 * `limits.http_max_request_bytes`. A POST must say its length: a chunked body of unknown
 * size is refused (411) rather than buffered.
 */
export const useRequestBodyLimit = (maxBytes: number): GatewayPlugin => ({
  onRequest({ request, endResponse, fetchAPI }) {
    if (request.method !== 'POST') return;
    const length = request.headers.get('content-length');
    if (length === null) {
      endResponse(
        graphqlErrorResponse(411, 'Send a Content-Length header.', 'BAD_REQUEST', fetchAPI.Response),
      );
    } else if (!/^\d+$/.test(length) || Number(length) > maxBytes) {
      endResponse(
        graphqlErrorResponse(
          413,
          `Request body larger than ${maxBytes} bytes.`,
          'REQUEST_TOO_LARGE',
          fetchAPI.Response,
        ),
      );
    }
  },
});

/**
 * Options for a GraphQL Armor validation plugin (depth, aliases): report the refusal as a
 * validation error with the subgraphs' code instead of throwing a bare "Syntax Error".
 */
export function armorRefusal() {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: { reportError?: (error: GraphQLError) => void } | null, error: Error) => {
        context?.reportError?.(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
        );
      },
    ],
  };
}

/** Errors of refused documents (parse, depth, tokens, aliases) get the subgraphs' code. */
export const useValidationErrorCodes = (): GatewayPlugin => ({
  onValidate() {
    return ({ result, setResult }) => {
      if (!result.length) return;
      setResult(
        result.map((error) =>
          error.extensions?.code
            ? error
            : new GraphQLError(error.message, {
                nodes: error.nodes,
                source: error.source,
                positions: error.positions,
                path: error.path,
                extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
        ),
      );
    };
  },
  onParse() {
    return ({ result, replaceParseResult }) => {
      if (result instanceof GraphQLError && !result.extensions?.code) {
        replaceParseResult(
          new GraphQLError(result.message, {
            source: result.source,
            positions: result.positions,
            extensions: { ...result.extensions, code: 'GRAPHQL_PARSE_FAILED' },
          }),
        );
      }
    };
  },
});

// Upstream error extensions that echo the subgraph request: its body holds the operation's
// variables (passwords, refresh tokens) and would reach both the log and the client.
const UPSTREAM_DETAIL_KEYS = ['request', 'response', 'http'];

function scrub(error: unknown): void {
  for (let e = error as { extensions?: Record<string, unknown>; originalError?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.originalError as typeof e, depth++) {
    const extensions = e.extensions;
    if (extensions && typeof extensions === 'object') {
      for (const key of UPSTREAM_DETAIL_KEYS) {
        if (key in extensions) delete extensions[key];
      }
    }
  }
}

function scrubResult(result: unknown): void {
  const errors = (result as { errors?: unknown[] } | null)?.errors;
  if (Array.isArray(errors)) errors.forEach(scrub);
}

/**
 * Removes request/response echoes from subgraph errors before anything logs or returns
 * them. Runs around every subgraph executor, so it sees the error where it is made.
 */
export const useUpstreamErrorScrubbing = (): GatewayPlugin => ({
  onSubgraphExecute({ executor, setExecutor }) {
    setExecutor(((request: Parameters<typeof executor>[0]) => {
      const fail = (err: unknown) => {
        scrub(err);
        if (err instanceof AggregateError) err.errors.forEach(scrub);
        throw err;
      };
      let result: unknown;
      try {
        result = executor(request);
      } catch (err) {
        fail(err);
      }
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        return (result as Promise<unknown>).then((value) => {
          scrubResult(value);
          return value;
        }, fail);
      }
      scrubResult(result);
      return result;
    }) as typeof executor);
  },
  onExecutionResult({ result }) {
    scrubResult(result);
  },
});

interface SocketLike {
  close(code?: number, reason?: string): void;
}

interface OperationContext {
  socket?: SocketLike;
  req?: { headers?: Record<string, string | string[] | undefined>; socket?: { remoteAddress?: string } };
  clientAddress?: string;
}

export function originAllowed(origin: string | undefined, allowed: string | string[]): boolean {
  if (!origin) return true; // not a browser: nothing for CORS or an origin check to protect
  if (allowed === '*') return true;
  return (Array.isArray(allowed) ? allowed : [allowed]).includes(origin);
}

/**
 * WebSocket operations: the upgrade's Origin must be in the CORS allow-list (else the
 * socket is closed with 4403), and each connection / client address may hold only so many
 * subscriptions at once (SSE subscriptions count against the address too). The gateway's
 * WebSocket server already closes sockets that send no connection_init within 3 s (4408).
 */
export const useSubscriptionGuards = ({
  allowedOrigins,
  perConnection,
  perAddress,
}: {
  allowedOrigins: string | string[];
  perConnection: number;
  perAddress: number;
}): GatewayPlugin => {
  const bySocket = new WeakMap<SocketLike, number>();
  const byAddress = new Map<string, number>();
  const refuse = (message: string, code: string) => ({
    errors: [new GraphQLError(message, { extensions: { code } })],
  });
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as OperationContext;
      const socket = context.socket;
      if (socket) {
        const origin = context.req?.headers?.origin;
        if (!originAllowed(typeof origin === 'string' ? origin : undefined, allowedOrigins)) {
          socket.close(4403, 'Forbidden origin');
          setResultAndStopExecution(refuse('This origin may not use the API.', 'FORBIDDEN'));
          return;
        }
        if ((bySocket.get(socket) ?? 0) >= perConnection) {
          setResultAndStopExecution(
            refuse(`At most ${perConnection} subscriptions per connection.`, 'RATE_LIMITED'),
          );
          return;
        }
      }
      const address = context.clientAddress ?? context.req?.socket?.remoteAddress ?? 'unknown';
      if ((byAddress.get(address) ?? 0) >= perAddress) {
        setResultAndStopExecution(
          refuse(`At most ${perAddress} open subscriptions per client address.`, 'RATE_LIMITED'),
        );
        return;
      }
      if (socket) bySocket.set(socket, (bySocket.get(socket) ?? 0) + 1);
      byAddress.set(address, (byAddress.get(address) ?? 0) + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (socket) bySocket.set(socket, Math.max((bySocket.get(socket) ?? 1) - 1, 0));
        const left = (byAddress.get(address) ?? 1) - 1;
        if (left > 0) byAddress.set(address, left);
        else byAddress.delete(address);
      };
      return {
        onSubscribeResult({ result }) {
          // A result that is not a stream (an error) holds nothing open.
          if (!result || typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
            release();
            return undefined;
          }
          return { onEnd: release };
        },
        onSubscribeError: release,
      };
    },
  };
};
