/**
 * The credential the person typed at sign-in, kept for this tab only: in `sessionStorage`, never in a cookie
 * (it would travel by itself) nor in `localStorage` (it would outlive the tab). Signing out removes it.
 */
const KEY = 'msx.console.credential';

export function readCredential(): string | null {
  return sessionStorage.getItem(KEY);
}

export function keepCredential(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(KEY);
}
