import { describe, expect, it } from 'vitest';
import { parseImageRef, withTag } from '../../src/domain/refs/image-ref.js';

describe('image references (Docker reference grammar)', () => {
  it.each([
    ['nginx', { path: 'nginx' }],
    ['nginx:1.27-alpine', { path: 'nginx', tag: '1.27-alpine' }],
    ['library/nginx', { path: 'library/nginx' }],
    ['127.0.0.1:5000/hello', { domain: '127.0.0.1:5000', path: 'hello' }],
    ['localhost/team/web:v2', { domain: 'localhost', path: 'team/web', tag: 'v2' }],
    ['registry.example.com/a/b/c:latest', { domain: 'registry.example.com', path: 'a/b/c', tag: 'latest' }],
    ['UPPER/case:tag', { domain: 'UPPER', path: 'case', tag: 'tag' }],
    ['my_app__x-y/w.v', { path: 'my_app__x-y/w.v' }],
    [`web@sha256:${'a'.repeat(64)}`, { path: 'web', digest: `sha256:${'a'.repeat(64)}` }],
    [`ghcr.io/o/web:v1@sha256:${'b'.repeat(64)}`, { domain: 'ghcr.io', path: 'o/web', tag: 'v1', digest: `sha256:${'b'.repeat(64)}` }],
  ])('parses %s', (input, expected) => {
    expect(parseImageRef(input)).toEqual({ domain: undefined, tag: undefined, digest: undefined, ...expected });
  });

  it.each([
    ['UPPER/Case:tag', /"Case" must be lower-case/],
    ['Nginx', /"Nginx" must be lower-case/],
    ['', /empty/],
    ['web:', /tag/],
    ['web:-bad', /tag/],
    [`web:${'x'.repeat(129)}`, /tag/],
    ['web@sha256:abc', /digest/],
    ['a//b', /must be lower-case/],
    ['-web', /must be lower-case/],
    ['web_', /must be lower-case/],
    ['has space', /white space/],
    ['web\n', /white space/],
    ['bad_host:5000/x', /registry host/],
    ['my_app.x/w', /registry host/],
    ['a'.repeat(64), /image id/],
    [`${'a/'.repeat(130)}b`, /255/],
  ])('rejects %j', (input, why) => {
    expect(() => parseImageRef(input)).toThrow(expect.objectContaining({ code: 'invalid_image_ref', message: expect.stringMatching(why) }));
  });

  it('replaces a tag and drops a digest', () => {
    expect(withTag('127.0.0.1:5000/hello:1', 'v2')).toBe('127.0.0.1:5000/hello:v2');
    expect(withTag(`web@sha256:${'a'.repeat(64)}`, 'v3')).toBe('web:v3');
    expect(() => withTag('web', '..')).toThrow(expect.objectContaining({ code: 'invalid_image_ref' }));
  });
});
