import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { errorText } from '../../src/adapters/slack/handler-kit.js';
import { DATABASE_ERROR, DeckhandError, asDeckhandError } from '../../src/domain/errors.js';

const SQL = 'select "id", "app" from "deployments" where "deployments"."app" = $1';
/** drizzle's own wrapper, as every failed query arrives: the SQL in the message, the driver's error as cause. */
const failedQuery = (cause: unknown) => new DrizzleQueryError(SQL, ['web'], cause as Error);
const driverError = (code: string, message = `write ${code} 127.0.0.1:5432`) => Object.assign(new Error(message), { code });
/** postgres.js's PostgresError carries the SQLSTATE in `code`. */
const serverError = (code: string, message: string) => Object.assign(new Error(message), { name: 'PostgresError', code, severity: 'FATAL' });

describe('database failures become a code and a sentence, never SQL', () => {
  it.each([
    ['ECONNREFUSED', driverError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', driverError('ECONNRESET', 'read ECONNRESET')],
    ['CONNECT_TIMEOUT', driverError('CONNECT_TIMEOUT')],
    ['CONNECTION_CLOSED', driverError('CONNECTION_CLOSED')],
    ['CONNECTION_ENDED', driverError('CONNECTION_ENDED')],
    ['CONNECTION_DESTROYED', driverError('CONNECTION_DESTROYED')],
    ['57P01', serverError('57P01', 'terminating connection due to administrator command')],
    ['57P03', serverError('57P03', 'the database system is starting up')],
    ['08006', serverError('08006', 'connection failure')],
    ['53300', serverError('53300', 'sorry, too many clients already')],
  ])('%s under a failed query is database_unavailable', (code, cause) => {
    const error = asDeckhandError(failedQuery(cause));
    expect(error).toMatchObject({ code: 'database_unavailable', message: `deckhand cannot reach its database (${code}).`, details: { reason: code } });
    expect(error.status).toBe(503);
  });

  it('driver-only connection codes mean the database even without the query wrapper', () => {
    expect(asDeckhandError(driverError('CONNECTION_CLOSED')).code).toBe('database_unavailable');
  });

  it('a refused connection that is not the database (Caddy, Docker) is not blamed on the database', () => {
    const caddy = driverError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:2019');
    expect(asDeckhandError(caddy)).toMatchObject({ code: 'internal', message: 'connect ECONNREFUSED 127.0.0.1:2019' });
  });

  it('any other failed query is internal with the server sentence and SQLSTATE, without the SQL or params', () => {
    const error = asDeckhandError(failedQuery(serverError('42P01', 'relation "deployments" does not exist')));
    expect(error).toMatchObject({ code: 'internal', message: 'A database query failed: relation "deployments" does not exist [42P01].' });
    expect(error.message).not.toMatch(/Failed query|select|params/);
    expect(asDeckhandError(failedQuery('not an error')).message).toBe('A database query failed: no reason given.');
  });

  it('a driver error marked as a database failure is its own reason', () => {
    const lockTimeout = Object.defineProperty(serverError('55P03', 'canceling statement due to lock timeout'), DATABASE_ERROR, { value: true });
    expect(asDeckhandError(lockTimeout).message).toBe('A database query failed: canceling statement due to lock timeout [55P03].');
    const refused = Object.defineProperty(driverError('ECONNREFUSED'), DATABASE_ERROR, { value: true });
    expect(asDeckhandError(refused).code).toBe('database_unavailable');
  });

  it('a DeckhandError passes through unchanged', () => {
    const original = new DeckhandError('not_found', 'No deploy #4.');
    expect(asDeckhandError(original)).toBe(original);
  });

  it('Slack says nothing was changed when the database is away, and never shows SQL', () => {
    expect(errorText(failedQuery(driverError('ECONNREFUSED')))).toBe(':warning: deckhand cannot reach its database, nothing was changed. Try again in a moment (`database_unavailable`).');
    expect(errorText(failedQuery(serverError('23505', 'duplicate key value violates unique constraint "x"')))).toBe(':warning: `internal`: A database query failed: duplicate key value violates unique constraint "x" [23505].');
  });

  it('a deploy that serves but could not be recorded is not told "nothing was changed"', () => {
    const served = new DeckhandError('database_unavailable', '#7 serves web, but deckhand could not record it: the database is unavailable.', { id: 7, serving: true });
    expect(errorText(served)).toBe(':warning: `database_unavailable`: #7 serves web, but deckhand could not record it: the database is unavailable.');
  });

  it('a full disk is disk_full, with the directory and what to do, from Node or from Postgres', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: '/var/lib/deckhand/data/db.lock.7.ab.tmp' });
    expect(asDeckhandError(enospc)).toMatchObject({
      code: 'disk_full',
      message: "The disk is full: no space left on device writing in /var/lib/deckhand/data. Free space on that disk (`df -h /var/lib/deckhand/data` shows it; Docker's images are often what fills it: `docker system df`), then retry.",
      details: { reason: 'ENOSPC', dir: '/var/lib/deckhand/data' },
    });
    expect(asDeckhandError(enospc).status).toBe(507);
    expect(asDeckhandError(Object.assign(new Error('EDQUOT'), { code: 'EDQUOT' })).message).toMatch(/^The disk is full: the disk quota is used up\. .*`df -h`/);
    const postgresFull = failedQuery(serverError('53100', 'could not extend file "base/5/16384": No space left on device'));
    expect(asDeckhandError(postgresFull)).toMatchObject({ code: 'disk_full', message: expect.stringMatching(/^The disk is full: the database's disk is full \(could not extend file "base\/5\/16384": No space left on device\)\. /) });
    expect(errorText(enospc)).toMatch(/^:warning: `disk_full`: The disk is full: no space left on device writing in \/var\/lib\/deckhand\/data\./);
  });
});
