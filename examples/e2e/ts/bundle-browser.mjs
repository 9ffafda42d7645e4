// Bundles browser-client.mjs, the official TypeScript MCP client, into
// one ES module for a browser page: node bundle-browser.mjs OUTFILE.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("./browser-client.mjs", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  platform: "browser",
  logLevel: "warning",
  outfile: process.argv[2],
});
