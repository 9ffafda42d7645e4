// The conformance suite imports fs.globSync (Node 22+) at start-up, though
// only its tier-check command uses it. On Node 20 this hook supplies a
// stand-in so the server scenarios can run:
//   node --import ./node22-fs-shim.mjs node_modules/@modelcontextprotocol/conformance/dist/index.js ...
import { register } from 'node:module';
register('./node22-fs-shim-hooks.mjs', import.meta.url);
