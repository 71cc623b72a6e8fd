// What every resolver receives: the request's own EntityManager fork, its DataLoaders, and the
// process-wide services. Built once per HTTP request or per WebSocket operation.
import type { MikroORM } from '@mikro-orm/postgresql';
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
}

export interface GraphQLContext {
  db: Db;
  loaders: LoaderRegistry;
  services: AppServices;
}

export function createContext(services: AppServices): GraphQLContext {
  return {
    db: services.orm.em.fork({ clear: true }) as Db,
    loaders: new LoaderRegistry(!services.config.disableDataLoader),
    services,
  };
}

/** Tells the registered listeners (the rescoring scheduler) that these customers got new signals. */
export function signalsArrived(context: GraphQLContext, customerIds: string[]): void {
  for (const listener of context.services.onSignals) listener(customerIds);
}
