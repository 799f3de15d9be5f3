import { useState } from 'preact/hooks';

/** Asks for an API key when the server offers none (it only offers the published demo keys). */
export function KeyForm(props: { label: string; error?: string | null; onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="key-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) props.onKey(value.trim());
      }}
    >
      <label>
        {props.label}
        <input type="password" autocomplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} placeholder="x-api-key" />
      </label>
      <button type="submit">Use key</button>
      {props.error ? <p class="error">{props.error}</p> : null}
    </form>
  );
}
