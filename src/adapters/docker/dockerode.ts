import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type DockerType from 'dockerode';

/**
 * dockerode, without the modules deckhand never uses loaded at start-up.
 *
 * dockerode requires BuildKit's session support (`@grpc/grpc-js`, `protobufjs`) and docker-modem requires `ssh2` at
 * load, about 120 ms of every CLI command that talks to Docker, although deckhand builds with the classic builder
 * and reaches the engine over a socket or TCP. Both modules are replaced in Node's module cache, before dockerode
 * loads, by a function that loads the real module the first time it is called, so an `ssh://` DOCKER_HOST or a
 * BuildKit session still works, only later.
 */
const require = createRequire(import.meta.url);

/** Puts a stand-in for the CommonJS module at `path` that loads the real one (a function) on its first call. */
export function deferFunctionModule(path: string): void {
  if (require.cache[path]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const load = () => {
    if (!real) {
      delete require.cache[path];
      real = require(path) as (...args: unknown[]) => unknown;
    }
    return real;
  };
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.loaded = true;
  standIn.exports = function deferred(this: unknown, ...args: unknown[]) {
    return load().apply(this, args);
  };
  require.cache[path] = standIn;
}

const dockerodeMain = require.resolve('dockerode');
deferFunctionModule(join(dirname(dockerodeMain), 'session.js'));
deferFunctionModule(join(dirname(createRequire(dockerodeMain).resolve('docker-modem')), 'ssh.js'));

/** dockerode's constructor; its types stay `import type Docker from 'dockerode'`. */
export const Dockerode = require('dockerode') as typeof DockerType;
