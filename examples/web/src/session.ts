/** The signed-in session: tokens in localStorage, refreshed before they run out. */
import type { SessionFieldsFragment } from './gql/graphql';

const KEY = 'bunri.session';
// Refresh this long before the access token expires (clock skew, slow networks).
const EARLY_MS = 60_000;

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: number; // epoch ms
  userId: string | null;
}

let current: Session | null = load();
const listeners = new Set<(session: Session | null) => void>();

function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

export function setSession(payload: SessionFieldsFragment | null): void {
  current = payload && {
    accessToken: payload.accessToken,
    refreshToken: payload.refreshToken,
    expiresAt: Date.now() + payload.expiresIn * 1000,
    userId: payload.user?.id ?? current?.userId ?? null,
  };
  if (current) localStorage.setItem(KEY, JSON.stringify(current));
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener(current);
}

export function onSessionChange(listener: (session: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function needsRefresh(session: Session): boolean {
  return session.expiresAt - Date.now() < EARLY_MS;
}
