/** UI texts in Korean and English; the API returns its own texts in the chosen language. */
import type { Language } from './gql/graphql';

const KEY = 'bunri.language';

const TEXTS = {
  title: { KO: '분리 — 분리배출 도우미', EN: 'Bunri — waste sorting helper' },
  signUp: { KO: '가입하기', EN: 'Sign up' },
  logIn: { KO: '로그인', EN: 'Log in' },
  logOut: { KO: '로그아웃', EN: 'Log out' },
  email: { KO: '이메일', EN: 'Email' },
  password: { KO: '비밀번호', EN: 'Password' },
  nickname: { KO: '닉네임', EN: 'Nickname' },
  welcome: { KO: '안녕하세요', EN: 'Hello' },
  points: { KO: '포인트', EN: 'Points' },
  photo: { KO: '사진 고르기 또는 찍기', EN: 'Choose or take a photo' },
  hint: { KO: '무엇인가요? (예: 생수병)', EN: 'What is it? (e.g. pet bottle)' },
  analyse: { KO: '분석하기', EN: 'Analyse' },
  uploading: { KO: '사진을 올리는 중…', EN: 'Uploading the photo…' },
  result: { KO: '결과', EN: 'Result' },
  howTo: { KO: '배출 방법', EN: 'How to dispose of it' },
  notAccepted: { KO: '이건 여기에 버리지 마세요', EN: 'Not accepted here' },
  goesTo: { KO: '→', EN: '→' },
  nearby: { KO: '가까운 배출 장소', EN: 'Nearest drop-off points' },
  open: { KO: '영업 중', EN: 'Open now' },
  closed: { KO: '영업 종료', EN: 'Closed' },
  hoursUnknown: { KO: '운영 시간 모름', EN: 'Hours unknown' },
  nonePlaces: { KO: '근처에 배출 장소가 없어요.', EN: 'No drop-off point nearby.' },
  history: { KO: '기록', EN: 'History' },
  noHistory: { KO: '아직 분석한 사진이 없어요.', EN: 'No analyses yet.' },
  unclassified: { KO: '알 수 없음', EN: 'Unknown' },
  earned: { KO: '포인트 적립', EN: 'points earned' },
  language: { KO: 'English', EN: '한국어' },
} as const satisfies Record<string, Record<Language, string>>;

export type TextKey = keyof typeof TEXTS;

let language: Language = (localStorage.getItem(KEY) as Language | null) ?? 'KO';

export function getLanguage(): Language {
  return language;
}

export function setLanguage(next: Language): void {
  language = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next === 'KO' ? 'ko' : 'en';
}

export function t(key: TextKey): string {
  return TEXTS[key][language];
}

export function metres(distance: number): string {
  return distance < 1000 ? `${Math.round(distance)} m` : `${(distance / 1000).toFixed(1)} km`;
}
