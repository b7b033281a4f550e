/**
 * The LedgerX web app: sign in, then invoices (uploads and the live table), one invoice, the review queue,
 * models and monitoring. Served by the API from the same origin, under a strict content security policy: this
 * bundle (app.js and its chunks) and app.css are the only script and style; nothing is inline.
 */
import { render, type FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, can, credential, onSignedOut, setCredential, type Me } from './api.js';
import { InvoicesPage, prefetchInvoices } from './invoices.js';
import { interceptLinks, navigate, useRoute } from './router.js';

/**
 * A page loaded when first shown (its own chunk): the first screen, the invoice table, parses only what it
 * needs. The chunk is fetched once; a failed fetch says so and is tried again on the next visit.
 */
function lazyPage<P extends object>(load: () => Promise<FunctionComponent<P>>): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | null = null;
  let pending: Promise<FunctionComponent<P>> | null = null;
  return function LazyPage(props: P) {
    const [failed, setFailed] = useState(false);
    const [, setReady] = useState(false);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      pending ??= load();
      pending.then(
        (page) => {
          loaded = page;
          if (live) setReady(true);
        },
        () => {
          pending = null;
          if (live) setFailed(true);
        },
      );
      return () => void (live = false);
    }, []);
    if (loaded) {
      const Page = loaded;
      return <Page {...props} />;
    }
    return failed ? <p class="error" role="alert">This page could not be loaded. Check the connection and reload.</p> : <p class="empty">Loading…</p>;
  };
}

const InvoicePage = lazyPage(() => import('./invoice.js').then((m) => m.InvoicePage));
const ReviewPage = lazyPage(() => import('./review.js').then((m) => m.ReviewPage));
const ModelsPage = lazyPage(() => import('./models.js').then((m) => m.ModelsPage));
const MonitoringPage = lazyPage(() => import('./monitoring.js').then((m) => m.MonitoringPage));

interface SiteConfig {
  runtime: 'gcp' | 'local';
  oauthClientId: string | null;
}

const STATE_KEY = 'ledgerx.oauth-state';

/** Google sign-in without a third-party script: the OAuth implicit flow returns an ID token in the fragment. */
function googleSignIn(clientId: string): void {
  const state = crypto.randomUUID();
  sessionStorage.setItem(STATE_KEY, state);
  const q = new URLSearchParams({ client_id: clientId, response_type: 'id_token', scope: 'openid email', redirect_uri: `${location.origin}/`, nonce: state, state, prompt: 'select_account' });
  location.assign(`https://accounts.google.com/o/oauth2/v2/auth?${q}`);
}

function takeIdTokenFromFragment(): void {
  if (!location.hash.includes('id_token=')) return;
  const params = new URLSearchParams(location.hash.slice(1));
  const expected = sessionStorage.getItem(STATE_KEY);
  sessionStorage.removeItem(STATE_KEY);
  if (expected && params.get('state') === expected && params.get('id_token')) setCredential(params.get('id_token'));
  history.replaceState(null, '', location.pathname + location.search);
}

function SignIn({ config, onSignedIn, problem }: { config: SiteConfig | null; onSignedIn(me: Me): void; problem: string | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(problem);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="signin">
      <h1>LedgerX</h1>
      <p>Invoices in, decisions out. Sign in to continue.</p>
      {config?.oauthClientId && (
        <p>
          <button type="button" onClick={() => googleSignIn(config.oauthClientId!)}>Sign in with Google</button>
        </p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setCredential(key.trim());
          try {
            onSignedIn(await api<Me>('/v1/me'));
          } catch (err) {
            setCredential(null);
            setError(err instanceof ApiError && err.status === 401 ? 'That key is not valid (unknown, revoked or mistyped).' : (err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>
          API key
          <input type="password" name="key" autocomplete="off" spellcheck={false} required value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        </label>
        <p class="muted">{config?.runtime === 'local' ? 'Use the admin key printed by “ledgerx serve”, or a key an admin made for you.' : 'Or a key an admin made for you.'}</p>
        <button type="submit" disabled={busy}>Sign in</button>
        {error && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}

function Forbidden({ role }: { role: string }) {
  return <p class="error" role="alert" data-testid="forbidden">This page needs the {role} role. Ask an admin if you need it.</p>;
}

/** Who signed in, as the first /v1/me answered before the first render (null: nobody, or a credential refused). */
interface Start {
  me: Me | null;
  problem: string | null;
}

function App({ start }: { start: Start }) {
  const route = useRoute();
  const [config, setConfig] = useState<SiteConfig | null>(null);
  const [me, setMe] = useState<Me | null>(start.me);
  const [problem, setProblem] = useState<string | null>(start.problem);

  useEffect(() => {
    siteConfig.then(setConfig, () => setConfig({ runtime: 'local', oauthClientId: null }));
    return onSignedOut(() => {
      setCredential(null);
      setMe(null);
      setProblem('Your sign-in has expired or was revoked: sign in again.');
    });
  }, []);

  useEffect(() => {
    const titles: Record<string, string> = { '/': 'Invoices', '/review': 'Review queue', '/models': 'Models', '/monitoring': 'Monitoring' };
    document.title = `${titles[route.path] ?? (route.path.startsWith('/invoices/') ? 'Invoice' : 'LedgerX')} · LedgerX`;
  }, [route.path]);

  if (!me) return <SignIn config={config} problem={problem} onSignedIn={(m) => { setProblem(null); setMe(m); }} />;

  const invoice = /^\/invoices\/([A-Za-z0-9_-]{1,64})$/.exec(route.path);
  let page;
  if (route.path === '/') page = <InvoicesPage route={route} me={me} />;
  else if (invoice) page = <InvoicePage id={invoice[1]!} />;
  else if (route.path === '/review') page = can(me, 'reviewer') ? <ReviewPage /> : <Forbidden role="reviewer" />;
  else if (route.path === '/models') page = <ModelsPage me={me} />;
  else if (route.path === '/monitoring') page = <MonitoringPage me={me} />;
  else page = <p class="empty">No such page. <a href="/">Go to the invoices.</a></p>;

  const link = (href: string, label: string) => (
    <a href={href} aria-current={route.path === href ? 'page' : undefined}>{label}</a>
  );
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <h1><a href="/">LedgerX</a></h1>
        <nav aria-label="Main">
          {link('/', 'Invoices')}
          {can(me, 'reviewer') && link('/review', 'Review')}
          {link('/models', 'Models')}
          {link('/monitoring', 'Monitoring')}
        </nav>
        <div class="who">
          <span data-testid="who">{me.label} ({me.role})</span>
          <button type="button" class="secondary" onClick={() => { setCredential(null); setMe(null); navigate('/'); }}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  );
}

takeIdTokenFromFragment();
// Requests the first screen needs, started before anything renders: who is signed in, the site's settings and,
// on the table, its first listing, all at once. The first render waits for the first and the last, so that it
// is the table with its rows rather than a "signing in" state and then a second render of the whole page
// (index.html says "Loading…" meanwhile).
const siteConfig = fetch('/config.json').then((r) => r.json() as Promise<SiteConfig>);
siteConfig.catch(() => {});
const whoAmI = credential() ? api<Me>('/v1/me') : null;
const firstList = credential() && location.pathname === '/' ? prefetchInvoices(new URLSearchParams(location.search)) : null;
const root = document.getElementById('app')!;
interceptLinks(root);
void Promise.allSettled([whoAmI, firstList]).then(async () => {
  const start: Start = { me: null, problem: null };
  if (whoAmI) {
    try {
      start.me = await whoAmI;
    } catch (err) {
      setCredential(null);
      if (err instanceof ApiError && err.code === 'FORBIDDEN') start.problem = 'This account has no LedgerX role.';
    }
  }
  root.textContent = '';
  render(<App start={start} />, root);
});
