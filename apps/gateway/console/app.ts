/**
 * The console: sign in with a credential, then the screens of its role. The credential stays in this tab
 * (sessionStorage) and goes with every call; signing out, or the gateway refusing it, forgets it.
 */
import { view } from './view.js';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { Api, type Problem, type Whoami } from './api.js';
import { AUDITOR_VIEWS, AuditorConsole, type AuditorView } from './auditor/auditor-console.js';
import { OFFICER_VIEWS, OfficerConsole, type OfficerView } from './officer/officer-console.js';
import { forgetCredential, keepCredential, readCredential } from './session.js';
import { ProblemNotice, TextField, Time, problemOfError } from './ui.js';

/** The address's `#view/arg`, kept in step with the browser's history. */
function useRoute(): [string, string] {
  const read = (): [string, string] => {
    const [name = '', ...rest] = decodeURIComponent(location.hash.replace(/^#/, '')).split('/');
    return [name, rest.join('/')];
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** Why a credential of another role has no screens: the console is for officers and auditors, as themselves. */
const NOTHING_HERE: Record<'system' | 'admin', string> = {
  system:
    "This is a node's system credential, for agency systems. Sign in with a credential of your own to use the console.",
  admin: 'Administrators have nothing to do in the console: credentials are administered with npm run admin.',
};

const ROLE_TEXT: Record<Whoami['role'], string> = {
  officer: 'officer',
  system: 'system credential',
  auditor: 'auditor',
  admin: 'administrator',
};

export function App(): VNode {
  const [token, setToken] = useState<string | null>(readCredential);
  const [me, setMe] = useState<Whoami | null>(null);
  const [notice, setNotice] = useState<Problem | null>(null);
  const [screen, arg] = useRoute();

  const signOut = useCallback((why?: Problem) => {
    forgetCredential();
    setToken(null);
    setMe(null);
    setNotice(why ?? null);
  }, []);
  const api = useMemo(() => (token ? new Api(token, signOut) : null), [token, signOut]);
  // A tab reloaded while signed in asks again who the credential is.
  useEffect(() => {
    if (api && !me) api.me().then(setMe, (err: unknown) => signOut(problemOfError(err)));
  }, [api, me, signOut]);

  if (!api)
    return view`<${Shell}>
      <${SignIn}
        notice=${notice}
        onSignedIn=${(t: string, who: Whoami) => {
          keepCredential(t);
          setNotice(null);
          setMe(who);
          setToken(t);
        }}
      />
    <//>`;
  if (!me) return view`<${Shell}><p role="status">Signing in…</p><//>`;

  const views: readonly (readonly [string, string])[] =
    me.role === 'auditor' ? AUDITOR_VIEWS : me.role === 'officer' ? OFFICER_VIEWS : [];
  const current = views.some(([v]) => v === screen) ? screen : (views[0]?.[0] ?? '');
  return view`<${Shell}
    me=${me}
    onSignOut=${() => signOut()}
    nav=${
      views.length > 0
        ? view`<nav aria-label="Screens">
            <ul>
              ${views.map(
                ([v, label]) =>
                  view`<li key=${v}>
                    <a href=${`#${v}`} aria-current=${v === current ? 'page' : undefined}>${label}</a>
                  </li>`,
              )}
            </ul>
          </nav>`
        : null
    }
  >
    ${
      me.role === 'auditor'
        ? view`<${AuditorConsole} api=${api} view=${current as AuditorView} />`
        : me.role === 'officer'
          ? view`<${OfficerConsole}
              api=${api}
              me=${me}
              view=${current as OfficerView}
              arg=${current === screen ? arg : ''}
            />`
          : view`<p>${NOTHING_HERE[me.role]}</p>`
    }
  <//>`;
}

/** The page's landmarks: banner with who is signed in and the screens, then the main content. */
function Shell(p: {
  me?: Whoami;
  onSignOut?: () => void;
  nav?: VNode | null;
  children: VNode | VNode[];
}): VNode {
  const skip = (e: Event) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };
  return view`<a class="skip" href="#main" onClick=${skip}>Skip to the content</a>
    <header class="banner">
      <h1 class="brand">MSX console</h1>
      ${
        p.me
          ? view`<div class="who">
              <span>
                Signed in as <strong>${p.me.person ?? p.me.node}</strong> (${ROLE_TEXT[p.me.role]}${p.me.node ? `, ${p.me.node}` : ''})${p.me.expiresAt ? view`, until <${Time} at=${p.me.expiresAt} />` : null}
              </span>
              <button type="button" class="secondary" onClick=${p.onSignOut}>Sign out</button>
            </div>`
          : null
      }
      ${p.nav ?? null}
    </header>
    <main id="main" tabindex="-1">${p.children}</main>`;
}

function SignIn(p: { notice: Problem | null; onSignedIn: (token: string, me: Whoami) => void }): VNode {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const t = token.trim();
    if (t === '') {
      setProblem({
        status: 0,
        code: 'CONSOLE.CREDENTIAL_REQUIRED',
        detail: 'type the credential you were given',
      });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      p.onSignedIn(t, await new Api(t).me());
    } catch (err) {
      setProblem(problemOfError(err));
    } finally {
      setBusy(false);
    }
  };
  const shown = problem ?? p.notice;
  return view`<section class="sign-in" aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in</h2>
    <p>
      Sign in with the credential an administrator issued to you (<code>msx_…</code>). It is kept in this tab
      only, until you sign out or close it.
    </p>
    <form
      onSubmit=${(e: Event) => {
        e.preventDefault();
        void submit();
      }}
    >
      <${TextField}
        name="credential"
        label="Credential"
        type="password"
        value=${token}
        onValue=${setToken}
        autocomplete="off"
        required
      />
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
    <${ProblemNotice} problem=${shown} title="Not signed in" />
  </section>`;
}
