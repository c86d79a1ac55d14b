/**
 * The Bunri example web app: sign up or log in, photograph an item, watch the analysis,
 * then see how to dispose of it and where. Plain DOM + Apollo Client, typed by codegen.
 */
import './style.css';

import { client, refreshAccessToken } from './apollo';
import { byId, h, replace } from './dom';
import type {
  AnalysisResultQuery,
  Language,
  MyHistoryQuery,
  ProgressSubscription,
  SessionFieldsFragment,
} from './gql/graphql';
import { getLanguage, metres, setLanguage, t, type TextKey } from './i18n';
import {
  AnalysisResult,
  LogIn,
  LogOut,
  MyHistory,
  Progress,
  SetLanguage,
  SignUp,
} from './operations';
import { getSession, needsRefresh, setSession } from './session';
import { uploadAndAnalyse } from './upload';

// Seoul City Hall, when the browser gives no position.
const DEFAULT_POSITION = { latitude: 37.5665, longitude: 126.978 };
const TERMINAL = new Set(['SUCCEEDED', 'UNCLASSIFIED', 'FAILED']);

let lastAnalysisId: string | null = null;

function label(key: TextKey): HTMLElement {
  return h('span', { 'data-text': key }, t(key));
}

/** Re-labels every static text after a language switch. */
function relabel(): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-text]')) {
    element.textContent = t(element.dataset.text as TextKey);
  }
  for (const element of document.querySelectorAll<HTMLInputElement>('[data-placeholder]')) {
    element.placeholder = t(element.dataset.placeholder as TextKey);
  }
  document.title = t('title');
}

function showError(id: string, error: unknown): void {
  replace(id, error instanceof Error ? error.message : String(error));
}

function layout(): HTMLElement {
  return h(
    'main',
    {},
    h(
      'header',
      {},
      h('h1', {}, label('title')),
      h('button', { id: 'language', type: 'button' }, label('language')),
    ),
    h(
      'section',
      { id: 'auth' },
      h(
        'form',
        { id: 'auth-form' },
        h(
          'label',
          {},
          label('email'),
          h('input', { id: 'email', type: 'email', required: true, autocomplete: 'username' }),
        ),
        h(
          'label',
          {},
          label('password'),
          h('input', {
            id: 'password',
            type: 'password',
            required: true,
            minlength: '10',
            autocomplete: 'current-password',
          }),
        ),
        h('label', {}, label('nickname'), h('input', { id: 'nickname', type: 'text' })),
        h(
          'div',
          { class: 'buttons' },
          h('button', { id: 'sign-up', type: 'submit', value: 'signUp' }, label('signUp')),
          h('button', { id: 'log-in', type: 'submit', value: 'logIn' }, label('logIn')),
        ),
        h('p', { id: 'auth-error', class: 'error', role: 'alert' }),
      ),
    ),
    h(
      'section',
      { id: 'app', hidden: true },
      h('p', { id: 'me' }),
      h('button', { id: 'log-out', type: 'button' }, label('logOut')),
      h(
        'form',
        { id: 'analyse-form' },
        h(
          'label',
          {},
          label('photo'),
          h('input', {
            id: 'photo',
            type: 'file',
            accept: 'image/jpeg,image/png,image/webp',
            capture: 'environment',
            required: true,
          }),
        ),
        h('input', {
          id: 'hint',
          type: 'text',
          'data-placeholder': 'hint',
          placeholder: t('hint'),
        }),
        h('button', { id: 'analyse', type: 'submit' }, label('analyse')),
      ),
      h(
        'div',
        { id: 'progress-box', hidden: true },
        h('progress', { id: 'progress', max: '100', value: '0' }),
        h('p', { id: 'stage-message', 'aria-live': 'polite' }),
      ),
      h('p', { id: 'analyse-error', class: 'error', role: 'alert' }),
      h('section', { id: 'result', hidden: true }),
      h(
        'section',
        { id: 'history-box' },
        h('h2', {}, label('history')),
        h('ul', { id: 'history' }),
      ),
    ),
  );
}

// --- session -------------------------------------------------------------------------------

async function signedIn(payload: SessionFieldsFragment): Promise<void> {
  setSession(payload);
  const preferred = payload.user?.settings.language;
  if (preferred && preferred !== getLanguage()) {
    setLanguage(preferred);
    relabel();
  }
  await client.resetStore().catch(() => undefined);
  await showApp();
}

async function onAuthSubmit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  replace('auth-error');
  const action = (event.submitter as HTMLButtonElement | null)?.value ?? 'logIn';
  const email = byId<HTMLInputElement>('email').value.trim();
  const password = byId<HTMLInputElement>('password').value;
  try {
    if (action === 'signUp') {
      const nickname = byId<HTMLInputElement>('nickname').value.trim() || email.split('@')[0];
      const { data } = await client.mutate({
        mutation: SignUp,
        variables: { input: { email, password, nickname } },
      });
      if (data) await signedIn(data.signUp);
    } else {
      const { data } = await client.mutate({
        mutation: LogIn,
        variables: { input: { email, password } },
      });
      if (data) await signedIn(data.logIn);
    }
  } catch (error) {
    showError('auth-error', error);
  }
}

async function logOut(): Promise<void> {
  const session = getSession();
  if (session) {
    await client
      .mutate({ mutation: LogOut, variables: { refreshToken: session.refreshToken } })
      .catch(() => undefined);
  }
  setSession(null);
  await client.clearStore();
  byId('app').hidden = true;
  byId('auth').hidden = false;
}

// --- the signed-in app ---------------------------------------------------------------------

async function showApp(): Promise<void> {
  byId('auth').hidden = true;
  byId('app').hidden = false;
  await loadHistory();
}

async function loadHistory(attempt = 0): Promise<void> {
  const { data } = await client.query({
    query: MyHistory,
    variables: { language: getLanguage() },
    fetchPolicy: 'network-only',
  });
  renderMe(data?.me ?? null);
  // Right after sign-up the users worker may not have stored the profile yet: `me` is then
  // provisional (default nickname, no email). Ask again shortly, for a few seconds.
  if (data?.me && data.me.email == null && attempt < 20) {
    setTimeout(() => void loadHistory(attempt + 1), 250);
  }
}

function renderMe(me: MyHistoryQuery['me'] | null): void {
  if (!me) return;
  replace(
    'me',
    `${t('welcome')}, ${me.nickname} · ${t('points')}: `,
    h('strong', { id: 'points' }, String(me.points)),
  );
  const items = me.analyses.edges.map(({ node }) =>
    h(
      'li',
      { 'data-status': node.status },
      h(
        'time',
        { datetime: node.createdAt },
        new Date(node.createdAt).toLocaleString(getLanguage() === 'KO' ? 'ko-KR' : 'en-GB'),
      ),
      ' ',
      node.result?.category.name ?? t('unclassified'),
      node.result?.itemName ? ` (${node.result.itemName})` : '',
      node.pointsAwarded ? ` +${node.pointsAwarded}` : '',
    ),
  );
  replace('history', ...(items.length ? items : [h('li', {}, t('noHistory'))]));
}

async function onAnalyse(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  replace('analyse-error');
  byId('result').hidden = true;
  const file = byId<HTMLInputElement>('photo').files?.[0];
  if (!file) return;
  const button = byId<HTMLButtonElement>('analyse');
  button.disabled = true;
  showProgress(0, 'QUEUED', t('uploading'));
  try {
    const analysisId = await uploadAndAnalyse(file, byId<HTMLInputElement>('hint').value);
    lastAnalysisId = analysisId;
    const final = await follow(analysisId);
    await showResult(analysisId, final);
    if (final.pointsAwarded) {
      // The points total follows the award within moments; show it now.
      const points = byId('points');
      points.textContent = String(Number(points.textContent) + final.pointsAwarded);
    }
    setTimeout(() => void loadHistory(), 1500);
  } catch (error) {
    showError('analyse-error', error);
  } finally {
    button.disabled = false;
  }
}

function showProgress(progress: number, stage: string, message: string): void {
  byId('progress-box').hidden = false;
  const bar = byId<HTMLProgressElement>('progress');
  bar.value = progress;
  bar.dataset.stage = stage;
  replace('stage-message', message);
}

type ProgressEvent = ProgressSubscription['analysisProgress'];

/** Follows the analysis until its final event, moving the progress bar. */
function follow(analysisId: string): Promise<ProgressEvent> {
  return new Promise((resolve, reject) => {
    let last: ProgressEvent | null = null;
    const subscription = client
      .subscribe({ query: Progress, variables: { analysisId, language: getLanguage() } })
      .subscribe({
        next: ({ data, error }) => {
          if (error) {
            subscription.unsubscribe();
            reject(error);
            return;
          }
          const event = data?.analysisProgress;
          if (!event) return;
          last = event;
          showProgress(event.progress, event.stage, event.message ?? event.stage);
          if (TERMINAL.has(event.status)) {
            subscription.unsubscribe();
            resolve(event);
          }
        },
        error: reject,
        complete: () => (last ? resolve(last) : reject(new Error('No progress received.'))),
      });
  });
}

function position(): Promise<{ latitude: number; longitude: number }> {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(DEFAULT_POSITION);
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => resolve({ latitude: coords.latitude, longitude: coords.longitude }),
      () => resolve(DEFAULT_POSITION),
      { timeout: 3000, maximumAge: 600_000 },
    );
  });
}

async function showResult(analysisId: string, final: ProgressEvent): Promise<void> {
  const { data } = await client.query({
    query: AnalysisResult,
    variables: { id: analysisId, language: getLanguage(), ...(await position()) },
    fetchPolicy: 'network-only',
  });
  const analysis = data?.analysis;
  if (!analysis) return;
  renderResult(analysis, final.message ?? null);
}

function renderResult(
  analysis: NonNullable<AnalysisResultQuery['analysis']>,
  message: string | null,
): void {
  const box = byId('result');
  box.hidden = false;
  const result = analysis.result;
  const category = result?.category;
  const parts: (HTMLElement | null | undefined | false | '')[] = [
    h('h2', {}, label('result')),
    h(
      'p',
      { id: 'verdict', 'data-status': analysis.status },
      category
        ? `${category.name}${result?.itemName ? ` — ${result.itemName}` : ''}`
        : (message ?? t('unclassified')),
    ),
    analysis.pointsAwarded
      ? h('p', { id: 'points-earned' }, `+${analysis.pointsAwarded} ${t('earned')}`)
      : null,
    category?.guide && h('h3', {}, label('howTo')),
    category?.guide &&
      h('ol', { id: 'steps' }, ...category.guide.steps.map((step) => h('li', {}, step))),
    category?.guide?.notAccepted.length ? h('h3', {}, label('notAccepted')) : null,
    category?.guide?.notAccepted.length
      ? h(
          'ul',
          { id: 'not-accepted' },
          ...category.guide.notAccepted.map((item) =>
            h('li', {}, item.name, item.goesTo ? ` ${t('goesTo')} ${item.goesTo.name}` : ''),
          ),
        )
      : null,
    category && h('h3', {}, label('nearby')),
    category &&
      h(
        'ul',
        { id: 'nearby' },
        ...(category.dropOffPointsNear.length
          ? category.dropOffPointsNear.map(({ distanceMeters, point }) =>
              h(
                'li',
                { 'data-open': String(point.isOpenNow) },
                h('strong', {}, point.name),
                ` · ${metres(distanceMeters)} · `,
                h(
                  'span',
                  { class: 'open-state' },
                  point.isOpenNow == null
                    ? t('hoursUnknown')
                    : point.isOpenNow
                      ? t('open')
                      : t('closed'),
                ),
                h('br'),
                h('small', {}, point.address),
              ),
            )
          : [h('li', {}, t('nonePlaces'))]),
      ),
  ];
  box.replaceChildren(...parts.filter((part): part is HTMLElement => Boolean(part)));
}

async function switchLanguage(): Promise<void> {
  const next: Language = getLanguage() === 'KO' ? 'EN' : 'KO';
  setLanguage(next);
  relabel();
  if (!getSession()) return;
  await client
    .mutate({ mutation: SetLanguage, variables: { language: next } })
    .catch(() => undefined);
  await loadHistory();
  if (lastAnalysisId && !byId('result').hidden) {
    // A finished analysis answers a new subscriber with its final event: its message
    // comes back in the new language.
    const final = await follow(lastAnalysisId);
    await showResult(lastAnalysisId, final);
  }
}

async function start(): Promise<void> {
  setLanguage(getLanguage());
  document.body.append(layout());
  relabel();
  byId<HTMLFormElement>('auth-form').addEventListener('submit', (e) => void onAuthSubmit(e));
  byId<HTMLFormElement>('analyse-form').addEventListener('submit', (e) => void onAnalyse(e));
  byId('log-out').addEventListener('click', () => void logOut());
  byId('language').addEventListener('click', () => void switchLanguage());
  const session = getSession();
  if (!session) return;
  if (needsRefresh(session) && !(await refreshAccessToken())) return; // signed out
  await showApp().catch(() => logOut());
}

void start();
