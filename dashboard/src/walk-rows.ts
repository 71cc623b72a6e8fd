// How many rows one request of a page walk asks for (paged-query.ts). The server estimates a request's
// cost before it runs it and refuses one over its limit (MAX_QUERY_COST): a page of rows that weigh
// kilobytes each (an NPS comment, an action's deliveries with their errors) must ask for fewer.

/** The most rows one request of a walk asks for: the server's largest page. */
export const MAX_WALK_ROWS = 500;

/** For the lists whose rows weigh kilobytes: a walk's request within the server's default cost limit. */
export const HEAVY_WALK_ROWS = 50;
