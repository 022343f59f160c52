#!/usr/bin/env node
// The CLI as one bundle per command (scripts/bundle-cli.mjs): `npm run build` makes it.
import '../dist/bundle/main-cli.js';
