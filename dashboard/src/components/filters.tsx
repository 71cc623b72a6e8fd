// The parts of a screen's filter form: a text filter (a CSM owner, a playbook) and the Apply button.
// A text filter is applied as the field is left or Enter pressed, not at every key (each would be a
// request): the Apply button says so to whoever is waiting for the list to follow their typing.
// What is typed is kept as typed until then, though live updates render the screen meanwhile.
// Apply asks the screen's failed requests again too (ask-again.ts).
import { useEffect, useState } from 'preact/hooks';
import { askAgainNow } from '../ask-again';

export function TextFilter({
  label,
  value,
  placeholder,
  onApply,
}: {
  label: string;
  /** The filter the list uses. */
  value: string;
  placeholder: string;
  onApply(value: string): void;
}) {
  const [typed, setTyped] = useState(value);
  // The list's filter changed otherwise (back, a shared link): the field follows.
  useEffect(() => setTyped(value), [value]);
  return (
    <label>
      {label}
      <input
        type="search"
        value={typed}
        placeholder={placeholder}
        onInput={(event) => setTyped(event.currentTarget.value)}
        onChange={(event) => onApply(event.currentTarget.value)}
      />
    </label>
  );
}

/** The CSM owner filter of the Overview, the worklist and the Changes. */
export function CsmOwnerFilter({ value, onApply }: { value: string; onApply(value: string): void }) {
  return <TextFilter label="CSM owner" value={value} placeholder="everyone" onApply={onApply} />;
}

/**
 * Submits the filter form: the text filter it leaves is applied as it is left. The form's own
 * onSubmit only stops the page from loading again. Pressed with the filters unchanged, it asks the
 * screen's failed requests again, as the user expects of it.
 */
export function ApplyButton() {
  return (
    <button type="submit" onClick={askAgainNow}>
      Apply
    </button>
  );
}
