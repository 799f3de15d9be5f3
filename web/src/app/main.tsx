import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, loadKeys, saveKey, type Keys } from '../shared/api.ts';
import { KeyForm } from '../shared/key-form.tsx';
import { Artwork } from './artwork.tsx';
import { Feed, type FeedTab } from './feed.tsx';
import '../shared/base.css';
import './app.css';

interface DemoUser {
  user_id: string;
  locale: string;
  segment: string;
  events: number;
}

const newUserId = () => `web-${crypto.randomUUID().slice(0, 8)}`;

function UserPicker(props: { appKey: string; onPick: (userId: string) => void; onForgetKey: () => void }) {
  const [users, setUsers] = useState<DemoUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    api<{ users: DemoUser[] }>('/v1/demo/users?limit=12', { key: props.appKey })
      .then((r) => setUsers(r.users))
      .catch((err: Error) => setError(err.message));
  }, [props.appKey]);
  return (
    <main class="picker" data-testid="picker">
      <h1>Feed</h1>
      <p class="muted">Watch as one of the demo users, or start fresh to see a cold start.</p>
      <button type="button" class="primary wide" data-testid="new-user" onClick={() => props.onPick(newUserId())}>
        New user (cold start)
      </button>
      {error ? <p class="error">Could not list demo users: {error}</p> : null}
      {users === null && !error ? <p class="muted">Loading users…</p> : null}
      <ul class="users">
        {(users ?? []).map((u) => (
          <li key={u.user_id}>
            <button type="button" data-testid="demo-user" data-user={u.user_id} onClick={() => props.onPick(u.user_id)}>
              <span class="mini-avatar">
                <Artwork id={u.user_id} />
              </span>
              <span>
                <strong>{u.user_id}</strong>
                <small class="muted">
                  {u.segment} · {u.locale} · {u.events} events this week
                </small>
              </span>
            </button>
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (/^[A-Za-z0-9_.:-]{1,64}$/.test(typed)) props.onPick(typed);
        }}
      >
        <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} placeholder="or any user id" pattern="[A-Za-z0-9_.:\-]{1,64}" />
        <button type="submit">Go</button>
      </form>
      <button type="button" class="ghost small" onClick={props.onForgetKey}>
        Use a different API key
      </button>
    </main>
  );
}

function App() {
  const [keys, setKeys] = useState<Keys | null>(null);
  const [userId, setUserId] = useState<string | null>(() => new URLSearchParams(location.search).get('user'));
  const [tab, setTab] = useState<FeedTab>('for_you');
  useEffect(() => void loadKeys().then(setKeys), []);
  if (!keys) return <p class="center muted">Loading…</p>;
  if (!keys.app) {
    return (
      <main class="picker">
        <h1>Feed</h1>
        <KeyForm
          label="This server needs an app API key"
          onKey={(key) => {
            saveKey('app', key);
            setKeys({ ...keys, app: key });
          }}
        />
      </main>
    );
  }
  if (!userId) {
    return (
      <UserPicker
        appKey={keys.app}
        onPick={setUserId}
        onForgetKey={() => {
          saveKey('app', null);
          setKeys({ ...keys, app: null });
        }}
      />
    );
  }
  return <Feed key={`${userId}:${tab}`} keys={keys} userId={userId} tab={tab} onTab={setTab} onExit={() => setUserId(null)} />;
}

render(<App />, document.getElementById('root')!);
