// useQuery that follows the live updates: the screen's current query is run again (same page,
// same filters) whenever a tier change or score update arrives — of `customerId` only, for a screen
// about one customer — keeping what is shown meanwhile, and after the request in flight if there is
// one; an answer to other variables (the previous page, the previous filter) is not passed on as data.
// `refetch` asks again at once, for a screen that has just changed what it shows. A request that
// failed for a reason that passes is asked again (ask-again.ts): `askingAgain` says when, for its error.
import { createRequest, type AnyVariables, type DocumentInput } from '@urql/core';
import { useQuery } from '@urql/preact';
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import { useAskingAgain } from './ask-again';
import { LiveUpdates, useLive } from './live';
import type { Viewer } from './session';

export interface Session {
  viewer: Viewer;
  live: LiveUpdates;
  forgetKey(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the session provider');
  return session;
}

export function useLiveQuery<Data, Variables extends AnyVariables>(
  query: DocumentInput<Data, Variables>,
  variables: Variables,
  { pause = false, customerId }: { pause?: boolean; customerId?: string } = {},
) {
  const { live } = useSession();
  const { version: anyVersion } = useLive(live);
  const version = customerId === undefined ? anyVersion : live.versionOf(customerId);
  const [result, reexecute] = useQuery<Data, Variables>({ query, variables, pause } as Parameters<typeof useQuery<Data, Variables>>[0]);
  // While another page or filter loads, urql keeps the previous answer (or error): not shown as this one's.
  const requested = createRequest(query, variables).key;
  const shownVersion = useRef(version);
  useEffect(() => {
    if (shownVersion.current === version) return;
    // A request in flight is left to finish (running it again would abort it, and the server would
    // answer it all the same): the events since are fetched once it has come, whatever their number.
    if (result.fetching && !pause) return;
    shownVersion.current = version;
    if (!pause) reexecute({ requestPolicy: 'network-only' });
  }, [version, pause, reexecute, result.fetching]);
  // A change the screen made itself (a mutation) announces nothing live when it moves no tier: the screen asks again at once.
  const refetch = () => reexecute({ requestPolicy: 'network-only' });
  const shown = result.operation && result.operation.key !== requested ? { ...result, data: undefined, error: undefined } : result;
  const askingAgain = useAskingAgain(pause ? undefined : shown.error, result.fetching, refetch);
  return { ...shown, refetch, askingAgain };
}
