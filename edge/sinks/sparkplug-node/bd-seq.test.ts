import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../test/helpers/stack.js';
import { nextBdSeq } from './bd-seq.js';

afterEach(() => removeTempDirs());

describe('the persisted bdSeq', () => {
  it('starts at 0, counts up per session across restarts, wraps after 255', () => {
    const file = join(tempDir(), 'sparkplug-node.json');
    expect(nextBdSeq(file)).toEqual({ bdSeq: 0 });
    expect(nextBdSeq(file)).toEqual({ bdSeq: 1 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ bdSeq: 1 });
    writeFileSync(file, '{"bdSeq":255}');
    expect(nextBdSeq(file)).toEqual({ bdSeq: 0 });
  });

  it('starts again at 0 from a damaged file and says why', () => {
    const file = join(tempDir(), 'sparkplug-node.json');
    writeFileSync(file, 'not json');
    const next = nextBdSeq(file);
    expect(next.bdSeq).toBe(0);
    expect(next.problem).toContain(`cannot read ${file}`);
    writeFileSync(file, '{"bdSeq":9000}');
    expect(nextBdSeq(file).problem).toContain('holds no bdSeq 0-255');
  });
});
