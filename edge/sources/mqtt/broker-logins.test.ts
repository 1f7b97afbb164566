import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordHashProblem, passwordMatches } from './broker-logins.js';

describe('broker logins', () => {
  it('checks a plain password, a sha256 and a scrypt hash', async () => {
    const given = Buffer.from('s3cret-pump');
    expect(await passwordMatches({ password: 's3cret-pump' }, given)).toBe(true);
    expect(await passwordMatches({ password: 's3cret-pum' }, given)).toBe(false);
    const sha = `sha256:${createHash('sha256').update('s3cret-pump').digest('hex')}`;
    expect(await passwordMatches({ passwordHash: sha }, given)).toBe(true);
    expect(await passwordMatches({ passwordHash: sha }, Buffer.from('other'))).toBe(false);
    const scrypt = await hashPassword('s3cret-pump');
    expect(passwordHashProblem(scrypt)).toBeUndefined();
    expect(await passwordMatches({ passwordHash: scrypt }, given)).toBe(true);
    expect(await passwordMatches({ passwordHash: scrypt }, Buffer.from('other'))).toBe(false);
    expect(passwordHashProblem('md5:abc')).toMatch(/^must be 'sha256:<64 hex digits>'/);
  });
});
