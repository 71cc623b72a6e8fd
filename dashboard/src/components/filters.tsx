// The parts of a screen's filter form: a text filter (a CSM owner, a playbook) and the Apply button.
// A text filter is applied as the field is left or Enter pressed, not at every key (each would be a
// request): the Apply button says so to whoever is waiting for the list to follow their typing.
// What is typed is kept as typed until then, though live updates render the screen meanwhile.
// Apply asks the screen's failed requests again too (ask-again.ts).
import { useQuery } from '@urql/preact';
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { askAgainNow } from '../ask-again';
import { graphql } from '../gql';
import { ownersLike } from '../search-text';

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

/** The most accounts searched for owners like one that has none: a suggestion, not a list of every owner. */
const SEARCHED_FOR_OWNERS = 50;

const CsmOwnerQuery = graphql(`
  query CsmOwnerCheck($csmOwner: String!, $first: Int!) {
    owned: customers(csmOwner: $csmOwner, first: 1) {
      totalCount
    }
    alike: customers(search: $csmOwner, first: $first) {
      edges {
        node {
          id
          csmOwner
        }
      }
    }
  }
`);

/**
 * The CSM owner filter of the Overview, the worklist and the Changes. The server matches an owner
 * exactly: an owner no account has (typed in other capitals, or a part of the name) would empty the
 * screen without a word, so it is said, with the owners whose names hold what was typed to choose from.
 */
export function CsmOwnerFilter({ value, onApply }: { value: string; onApply(value: string): void }) {
  return (
    <>
      <TextFilter label="CSM owner" value={value} placeholder="everyone" onApply={onApply} />
      <UnknownOwnerNote owner={value.trim()} onApply={onApply} />
    </>
  );
}

function UnknownOwnerNote({ owner, onApply }: { owner: string; onApply(value: string): void }) {
  const [{ data }] = useQuery({ query: CsmOwnerQuery, variables: { csmOwner: owner, first: SEARCHED_FOR_OWNERS }, pause: owner === '' });
  if (owner === '' || !data?.owned || data.owned.totalCount > 0) return null;
  const alike = ownersLike(owner, data.alike?.edges.map((edge) => edge.node.csmOwner) ?? []);
  return (
    <p class="filter-note" role="status" data-testid="unknown-csm-owner">
      No account has CSM owner “<bdi>{owner}</bdi>” (owners are matched exactly)
      {alike.length > 0 ? ': did you mean ' : '.'}
      {alike.map((name, index) => (
        <Fragment key={name}>
          {index > 0 && ', '}
          <button type="button" class="link" onClick={() => onApply(name)}>
            <bdi>{name}</bdi>
          </button>
        </Fragment>
      ))}
      {alike.length > 0 && '?'}
    </p>
  );
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
