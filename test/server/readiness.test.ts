// What /readyz says of its checks: only the database pulls the instance; Redis or the delivery worker
// down leaves it serving, and the answer says what waits.
import { readinessOf } from '../../src/app';

it('is unavailable without the database, whatever else', () => {
  expect(readinessOf({ database: false, redis: true, deliveries: false })).toEqual({
    status: 'unavailable',
    checks: { database: false, redis: true, deliveries: false },
  });
});

it('is degraded while the delivery worker restarts: queries and mutations are served, this instance delivers nothing', () => {
  expect(readinessOf({ database: true, redis: true, deliveries: false })).toEqual({
    status: 'degraded',
    checks: { database: true, redis: true, deliveries: false },
    detail: 'delivery worker restarting: deliveries from this instance paused, queries and mutations served',
  });
});

it('says each thing that waits when both Redis and the delivery worker are down', () => {
  expect(readinessOf({ database: true, redis: false, deliveries: false }).detail).toBe(
    'redis unreachable: live events paused, delivery worker restarting: deliveries from this instance paused, queries and mutations served',
  );
  expect(readinessOf({ database: true, redis: false }).detail).toBe('redis unreachable: live events paused, queries and mutations served');
});

it('is ready with every check passing, a check absent when its part does not run here', () => {
  expect(readinessOf({ database: true, deliveries: true })).toEqual({ status: 'ready', checks: { database: true, deliveries: true } });
});
