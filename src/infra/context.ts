// What every resolver receives: the request's own EntityManager fork, its DataLoaders, and the
// process-wide services, and who is calling. Built once per HTTP request or per WebSocket operation.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { KeyRegistry } from '../auth/key-registry';
import type { Principal } from '../auth/principal';
import type { AppConfig } from './config';
import { LoaderRegistry } from './loaders';
import type { Logger } from './logger';
import type { AppPubSub } from './pubsub';
import type { Db } from './sql';

export interface AppServices {
  orm: MikroORM;
  pubsub: AppPubSub;
  logger: Logger;
  config: AppConfig;
  /** Hooks other modules register to learn that a customer's signals changed (debounced rescoring). */
  onSignals: Array<(customerIds: string[]) => void>;
  /** Hooks told that another scoring model version became active (the scheduler then rescores everyone). */
  onModelActivated: Array<(version: number) => void>;
}

/** Who is calling, established by the HTTP server or the WebSocket guard before anything runs. */
export interface RequestAuth {
  /** An API key, or a loopback client while no key exists (src/auth/principal.ts). */
  principal: Principal;
  /** The peer address, for the audit log. */
  clientAddress: string | null;
  /** The running server's keys: key management refreshes them at once. */
  keys: KeyRegistry;
}

export interface GraphQLContext {
  db: Db;
  loaders: LoaderRegistry;
  services: AppServices;
  auth: RequestAuth;
}

export function createContext(services: AppServices, auth: RequestAuth): GraphQLContext {
  return {
    db: services.orm.em.fork({ clear: true }) as Db,
    loaders: new LoaderRegistry(!services.config.disableDataLoader),
    services,
    auth,
  };
}

/** Tells the registered listeners (the rescoring scheduler) that these customers got new signals. */
export function signalsArrived(context: GraphQLContext, customerIds: string[]): void {
  for (const listener of context.services.onSignals) listener(customerIds);
}
